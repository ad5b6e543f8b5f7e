package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// What the benchmark starts and watches: the binary and the product's
// processes. The database and the Redis index come from the tests'
// harness (internal/testkit), the SMTP server is the tests' catcher.

// buildBinary builds cmd/vivier into out.
func buildBinary(ctx context.Context, root, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/vivier")
	cmd.Dir = root
	b, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build ./cmd/vivier: %v\n%s", err, b)
	}
	return nil
}

// proc is one product process (serve or worker).
type proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed once the process has exited, with err
	err     error
}

func startProc(bin, name string, env []string, logDir string, args ...string) (*proc, error) {
	logPath := filepath.Join(logDir, name+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start vivier %s: %w", strings.Join(args, " "), err)
	}
	p := &proc{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); f.Close(); close(p.done) }()
	return p, nil
}

func (p *proc) Pid() int { return p.cmd.Process.Pid }

// Stop asks the process to stop (SIGTERM), and kills it after 30 s.
func (p *proc) Stop() {
	if p == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// Exited reports whether the process ended (and how).
func (p *proc) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// LogTail returns the last lines of the process's output.
func (p *proc) LogTail(n int) string {
	f, err := os.Open(p.logPath)
	if err != nil {
		return ""
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// memKB reads a field of /proc/<pid>/status (VmHWM, VmRSS) in kB.
func memKB(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// freePort asks the kernel for a free TCP port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitHTTP waits until url answers (any status below 500).
func waitHTTP(ctx context.Context, rawURL string, p *proc, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if exited, err := p.Exited(); exited {
			return fmt.Errorf("vivier %s stopped: %v\n%s", p.name, err, p.LogTail(20))
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("vivier %s does not answer at %s after %s: %v\n%s", p.name, rawURL, timeout, err, p.LogTail(20))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// cpuTicks returns the CPU time (user + system, in clock ticks of 1/100 s)
// used so far by a process.
func cpuTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return u + k
}

// cpuByName sums the CPU time of every process whose command is name.
func cpuByName(name string) int64 {
	entries, _ := os.ReadDir("/proc")
	var total int64
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); err == nil && strings.TrimSpace(string(comm)) == name {
			total += cpuTicks(pid)
		}
	}
	return total
}

// cpuSnapshot is the CPU time used by each part of the system under test.
type cpuSnapshot struct {
	at                                time.Time
	server, worker, bench, redis, all int64
	// postgres holds the run's backends (and the WAL writer), by pid.
	postgres map[int]int64
}

func (b *bench) cpu() cpuSnapshot {
	s := cpuSnapshot{at: time.Now(), server: cpuTicks(b.server.Pid()), worker: cpuTicks(b.worker.Pid()),
		bench: cpuTicks(os.Getpid()), redis: cpuByName("redis-server"), postgres: map[int]int64{}}
	var pids []int
	_ = b.sql.Select(&pids, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() OR backend_type = 'walwriter'`)
	for _, pid := range pids {
		s.postgres[pid] = cpuTicks(pid)
	}
	if st, err := os.ReadFile("/proc/stat"); err == nil {
		f := strings.Fields(strings.SplitN(string(st), "\n", 2)[0])
		for i, v := range f[1:] {
			// user, nice, system, irq, softirq: not idle or iowait, not the
			// time the hypervisor took (steal), not guest (counted in user).
			if i != 0 && i != 1 && i != 2 && i != 5 && i != 6 {
				continue
			}
			n, _ := strconv.ParseInt(v, 10, 64)
			s.all += n
		}
	}
	return s
}

// machine is the CPU time, in seconds, the whole machine used since an
// earlier snapshot (every process, not idle, not waiting on the disk).
func (s cpuSnapshot) machine(before cpuSnapshot) float64 { return float64(s.all-before.all) / 100 }

// since describes the CPU used since an earlier snapshot, in seconds.
func (s cpuSnapshot) since(before cpuSnapshot) string {
	t := func(n int64) float64 { return float64(n) / 100 }
	var pg int64
	for pid, ticks := range s.postgres {
		pg += ticks - before.postgres[pid]
	}
	wall := s.at.Sub(before.at).Seconds()
	run := (s.worker - before.worker) + (s.server - before.server) + pg + (s.redis - before.redis) + (s.bench - before.bench)
	return fmt.Sprintf("CPU seconds over %.1f s: worker %.1f, server %.1f, PostgreSQL backends of the run %.1f, Redis %.1f, benchmark (SMTP server, clients) %.1f, other processes %.1f; whole machine %.1f of %.1f",
		wall, t(s.worker-before.worker), t(s.server-before.server), t(pg), t(s.redis-before.redis),
		t(s.bench-before.bench), t(max(0, s.all-before.all-run)), t(s.all-before.all), wall*float64(runtime.NumCPU()))
}
