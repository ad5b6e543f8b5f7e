package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"github.com/jmoiron/sqlx"

	"vivier/internal/testkit"
)

// machine describes where the figures were measured.
func machine(ctx context.Context, db *sqlx.DB, r *testkit.RedisIndex) []string {
	var out []string
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	out = append(out, fmt.Sprintf("CPU: %s, %d cores available", cpu, runtime.NumCPU()))
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				var kb int64
				fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
				out = append(out, fmt.Sprintf("Memory: %.1f GiB", float64(kb)/(1<<20)))
			}
		}
	}
	osName := ""
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
				osName = strings.Trim(v, `"`) + ", "
			}
		}
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	out = append(out, fmt.Sprintf("System: %sLinux kernel %s", osName, strings.TrimSpace(string(kernel))))
	goVersion := runtime.Version()
	if b, err := exec.CommandContext(ctx, "go", "version").Output(); err == nil {
		goVersion = strings.TrimSpace(strings.TrimPrefix(string(b), "go version "))
	}
	out = append(out, "Go: "+goVersion)
	var pgVersion, sharedBuffers, syncCommit string
	_ = db.GetContext(ctx, &pgVersion, `SHOW server_version`)
	_ = db.GetContext(ctx, &sharedBuffers, `SHOW shared_buffers`)
	_ = db.GetContext(ctx, &syncCommit, `SHOW synchronous_commit`)
	out = append(out, fmt.Sprintf("PostgreSQL: %s (shared_buffers %s, synchronous_commit %s), on the same machine", pgVersion, sharedBuffers, syncCommit))
	if info, err := r.Info(ctx, "server"); err == nil {
		for _, line := range strings.Split(info, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
				out = append(out, "Redis: "+v+", on the same machine")
			}
		}
	}
	return out
}
