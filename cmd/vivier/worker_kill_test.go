package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"vivier/internal/testkit"
)

// TestMain lets a test start this binary as a real `vivier` process:
// with VIVIER_TEST_MAIN set, it runs those arguments instead of tests.
func TestMain(m *testing.M) {
	if args := os.Getenv("VIVIER_TEST_MAIN"); args != "" {
		// As main does: SIGTERM and SIGINT end the context, not the process.
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := run(ctx, strings.Fields(args), os.Getenv, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "vivier:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startVivier runs `vivier ARGS` as a separate process with env.
func startVivier(t *testing.T, env map[string]string, args string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "VIVIER_TEST_MAIN="+args)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start vivier %s: %v", args, err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		if t.Failed() {
			t.Logf("vivier %s said:\n%s", args, logs.String())
		}
	})
	return cmd
}

// lockedBuffer is a process's output, which a test may read while the
// process writes it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A worker killed with SIGKILL in the middle of a close's 2,000 updates:
// after a restart every applicant has exactly one update recorded as
// sent, and the SMTP server saw no applicant more than the number of
// messages that were in flight at the kill.
func TestWorkerKilledDuringALargeClose(t *testing.T) {
	t.Parallel()
	const applicants = 2000
	// Each slot sends one message at a time: at most this many are on the
	// wire when the worker dies (more may be claimed, but not yet sent).
	const slots = 10
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	p := app.OpenPosting(time.Time{})
	app.DB.MustExec(`INSERT INTO applications (posting_id, first_name, last_name, email, location, daily_rate,
		days_per_week, available_from, motivation, consent_at, access_token_hash)
		SELECT $1, 'Personne', 'N' || i, 'p' || i || '@example.org', 'Lyon', 500, 2, now(), 'motivation', now(),
		sha256(('token' || i)::bytea) FROM generate_series(1, $2) AS i`, p.ID, applicants)
	// A relay a little slow, so that the kill lands mid-way.
	app.SMTP.SetFault(func(string, []string) *smtp.SMTPError {
		time.Sleep(2 * time.Millisecond)
		return nil
	})

	ctx := context.Background()
	words, err := app.Closing.Closer.DefaultWords(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	res, err := app.Closing.Closer.Close(ctx, p, "contact", words)
	if err != nil || res.Written["close_in_review"] != applicants {
		t.Fatalf("close: %+v, %v", res, err)
	}

	env := map[string]string{"DATABASE_URL": app.Config.DatabaseURL, "REDIS_URL": app.Config.RedisURL,
		"SMTP_URL": app.Config.SMTPURL, "MAIL_FROM": app.Config.MailFrom, "EMAIL_CLAIM_TIMEOUT": "3s", "LOG_FORMAT": "json",
		"WORKER_CONCURRENCY": strconv.Itoa(slots)}
	worker := startVivier(t, env, "worker")
	deadline := time.Now().Add(60 * time.Second)
	for len(app.SMTP.Messages()) < applicants/4 {
		if time.Now().After(deadline) {
			t.Fatalf("the worker sent only %d messages in a minute", len(app.SMTP.Messages()))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := worker.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	worker.Wait()
	seenAtKill := len(app.SMTP.Messages())
	var inFlight int
	app.DB.Get(&inFlight, `SELECT count(*) FROM emails WHERE status = 'sending'`)
	t.Logf("killed after %d messages, %d claimed", seenAtKill, inFlight)
	if seenAtKill >= applicants {
		t.Fatalf("the worker finished before the kill (%d messages): the test proves nothing", seenAtKill)
	}

	startVivier(t, env, "worker")
	// The scheduler's sweep runs meanwhile, as in production, with the
	// same EMAIL_CLAIM_TIMEOUT: it hands the dead worker's claims, once
	// stale, to the new one.
	app.Repo.ClaimTimeout = 3 * time.Second
	deadline = time.Now().Add(4 * time.Minute)
	for {
		var sent int
		app.DB.Get(&sent, `SELECT count(*) FROM emails WHERE kind = 'close_in_review' AND status = 'sent'`)
		if sent == applicants {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d updates sent after the restart", sent, applicants)
		}
		app.Sweeper.SweepOnce(ctx)
		time.Sleep(500 * time.Millisecond)
	}

	var rows, perApplicant int
	app.DB.Get(&rows, `SELECT count(*) FROM emails WHERE kind = 'close_in_review'`)
	app.DB.Get(&perApplicant, `SELECT count(DISTINCT application_id) FROM emails WHERE kind = 'close_in_review' AND status = 'sent'`)
	if rows != applicants || perApplicant != applicants {
		t.Fatalf("%d update rows for %d applicants, want exactly one each", rows, perApplicant)
	}
	copies := map[string]int{}
	for _, m := range app.SMTP.Messages() {
		copies[m.To[0]]++
	}
	twice := 0
	for addr, n := range copies {
		if n > 2 {
			t.Errorf("%s received %d copies", addr, n)
		}
		if n == 2 {
			twice++
		}
	}
	missing := 0
	for i := 1; i <= applicants; i++ {
		if copies[fmt.Sprintf("p%d@example.org", i)] == 0 {
			missing++
		}
	}
	t.Logf("SMTP server: %d messages, %d applicants reached twice, %d missing", len(app.SMTP.Messages()), twice, missing)
	if missing != 0 {
		t.Errorf("%d applicants never reached the SMTP server", missing)
	}
	if twice > min(inFlight, slots) {
		t.Errorf("%d applicants reached twice, more than the %d messages in flight at the kill (%d claimed, %d slots)", twice, min(inFlight, slots), inFlight, slots)
	}
}
