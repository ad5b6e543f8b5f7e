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

// loadAverage says how busy the machine was before the run: other
// processes share its cores with the run's (each CPU line of the report
// names their share).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if err != nil || len(f) < 3 {
		return "Load when the run began: unknown"
	}
	return fmt.Sprintf("Load when the run began: load average %s, %s, %s (1, 5 and 15 minutes), on %d cores; the CPU lines below name the other processes' share", f[0], f[1], f[2], runtime.NumCPU())
}
