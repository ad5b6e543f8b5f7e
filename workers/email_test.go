package workers_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"vivier/internal/testkit"
	"vivier/repository"
	"vivier/workers/tasks"
)

// queueEmail writes one email to the outbox and enqueues it.
func queueEmail(t *testing.T, app *testkit.App, to string) int64 {
	t.Helper()
	e := &repository.Email{Kind: "acknowledgement", ToAddress: to, ToName: "Camille Durand", Subject: "Candidature reçue : essai",
		TextBody: "Bonjour Camille,\n\nNous avons bien reçu votre candidature.", HTMLBody: "<p>Bonjour Camille,</p>"}
	if err := app.Repo.InsertEmails(context.Background(), []*repository.Email{e}); err != nil {
		t.Fatal(err)
	}
	if err := app.Enqueuer.Enqueue(context.Background(), tasks.Outgoing{ID: e.ID}); err != nil {
		t.Fatal(err)
	}
	return e.ID
}

func emailRow(t *testing.T, app *testkit.App, id int64) *repository.Email {
	t.Helper()
	e, err := app.Repo.EmailByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func waitStatus(t *testing.T, app *testkit.App, id int64, status string, timeout time.Duration) *repository.Email {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		e := emailRow(t, app, id)
		if e.Status == status {
			return e
		}
		if time.Now().After(deadline) {
			t.Fatalf("email %d is %s (%s) after %s, want %s", id, e.Status, e.LastError, timeout, status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestTemporaryRefusalIsRetriedAndSentOnce(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	var refusals atomic.Int32
	app.SMTP.SetFault(func(string, []string) *smtp.SMTPError {
		if refusals.Add(1) <= 2 {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
		}
		return nil
	})
	id := queueEmail(t, app, "camille@example.org")
	e := waitStatus(t, app, id, repository.EmailSent, 30*time.Second)
	if e.Attempts != 3 {
		t.Errorf("sent after %d attempts, want 3 (two 451 refusals)", e.Attempts)
	}
	app.WaitIdle() // a wrong extra send would be done by now
	if got := len(app.SMTP.Messages()); got != 1 {
		t.Fatalf("SMTP server accepted %d copies, want 1", got)
	}
}

func TestPermanentRefusalIsFinalAndRecorded(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	var tries atomic.Int32
	app.SMTP.SetFault(func(string, []string) *smtp.SMTPError {
		tries.Add(1)
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Mailbox unavailable"}
	})
	id := queueEmail(t, app, "nobody@example.org")
	e := waitStatus(t, app, id, repository.EmailFailed, 20*time.Second)
	if !strings.Contains(e.LastError, "550") || !strings.Contains(e.LastError, "Mailbox unavailable") {
		t.Errorf("recorded reason %q lacks the server's reply", e.LastError)
	}
	app.WaitIdle()
	if n := tries.Load(); n != 1 {
		t.Errorf("a 5xx was tried %d times, want 1", n)
	}
}

func TestUnreachableServerIsRetried(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	// Point the worker at a port where nobody listens, then bring the server back there.
	proxy := testkit.NewProxy(t, app.SMTP.Addr())
	proxy.Down()
	app.Config.SMTPURL = "smtp://" + proxy.Addr() + "?tls=none"
	app.StartWorker()
	id := queueEmail(t, app, "camille@example.org")
	deadline := time.Now().Add(10 * time.Second)
	// Until a second attempt has been made and its outcome recorded (a
	// row still "sending" is that attempt in flight).
	for e := emailRow(t, app, id); e.Attempts < 2 || e.Status == repository.EmailSending; e = emailRow(t, app, id) {
		if time.Now().After(deadline) {
			t.Fatal("no retry after a connection refusal")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if e := emailRow(t, app, id); e.Status != repository.EmailPending || e.LastError == "" {
		t.Fatalf("after a refused connection: %s, %q; want pending with the reason", e.Status, e.LastError)
	}
	proxy.Up()
	waitStatus(t, app, id, repository.EmailSent, 30*time.Second)
	if got := len(app.SMTP.Messages()); got != 1 {
		t.Fatalf("SMTP server got %d copies, want 1", got)
	}
}

func TestConnectionDroppedMidMessageIsRetried(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	// A server that takes the connection and hangs up during DATA.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var drops atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if drops.Add(1) > 1 {
				// From the second connection on, relay to the real server.
				go relay(c, app.SMTP.Addr())
				continue
			}
			go dropDuringData(c)
		}
	}()
	t.Cleanup(func() { ln.Close() })
	app.Config.SMTPURL = "smtp://" + ln.Addr().String() + "?tls=none"
	app.StartWorker()
	id := queueEmail(t, app, "camille@example.org")
	e := waitStatus(t, app, id, repository.EmailSent, 30*time.Second)
	if e.Attempts < 2 {
		t.Errorf("sent in %d attempt(s); the first connection was dropped", e.Attempts)
	}
	if got := len(app.SMTP.Messages()); got != 1 {
		t.Fatalf("SMTP server got %d copies, want 1", got)
	}
}

// dropDuringData speaks just enough SMTP to reach DATA, then hangs up.
func dropDuringData(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 4096)
	c.Write([]byte("220 flaky ESMTP\r\n"))
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		cmd := strings.ToUpper(string(buf[:n]))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			c.Write([]byte("250 flaky\r\n"))
		case strings.HasPrefix(cmd, "DATA"):
			c.Write([]byte("354 go ahead\r\n"))
			c.Read(buf) // the start of the message
			return      // and hang up mid-message
		default:
			c.Write([]byte("250 OK\r\n"))
		}
	}
}

func relay(c net.Conn, target string) {
	up, err := net.Dial("tcp", target)
	if err != nil {
		c.Close()
		return
	}
	go func() { defer up.Close(); copyAll(up, c) }()
	defer c.Close()
	copyAll(c, up)
}

func copyAll(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func TestAnEmailAlreadySentIsNotSentAgain(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	id := queueEmail(t, app, "camille@example.org")
	waitStatus(t, app, id, repository.EmailSent, 20*time.Second)
	// asynq delivers at least once: a second task for the same email
	// (after its first is done) must not send a second copy.
	if err := app.Enqueuer.Enqueue(context.Background(), tasks.Outgoing{ID: id}); err != nil {
		t.Fatal(err)
	}
	app.WaitIdle()
	if got := len(app.SMTP.Messages()); got != 1 {
		t.Fatalf("SMTP server got %d copies, want 1", got)
	}
}

// An email whose task asynq archived (its retries ran out while the
// database was away, say) is still pending: the sweep sends it anyway.
func TestSweepRevivesAnEmailWhoseTaskWasArchived(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	id := queueEmail(t, app, "camille@example.org")
	if err := app.Sweeper.Inspector.ArchiveTask(tasks.QueueDefault, tasks.EmailTaskID(id)); err != nil {
		t.Fatalf("archive the task: %v", err)
	}
	app.StartWorker()
	if n, err := app.Sweeper.SweepOnce(context.Background()); err != nil || n != 1 {
		t.Fatalf("sweep: %d, %v", n, err)
	}
	waitStatus(t, app, id, repository.EmailSent, 20*time.Second)
	if got := len(app.SMTP.Messages()); got != 1 {
		t.Fatalf("SMTP server got %d copies, want 1", got)
	}
}

// A name with quotes or a trailing backslash still makes a valid header.
func TestOddNamesMakeValidAddresses(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	e := &repository.Email{Kind: "acknowledgement", ToAddress: "camille@example.org", ToName: `Camille "Cam" Durand\`,
		Subject: "Essai", TextBody: "Bonjour", HTMLBody: "<p>Bonjour</p>"}
	if err := app.Repo.InsertEmails(context.Background(), []*repository.Email{e}); err != nil {
		t.Fatal(err)
	}
	app.Enqueuer.Enqueue(context.Background(), tasks.Outgoing{ID: e.ID})
	waitStatus(t, app, e.ID, repository.EmailSent, 20*time.Second)
	if to := app.SMTP.Messages()[0].Header.Get("To"); !strings.Contains(to, "camille@example.org") {
		t.Errorf("To header %q", to)
	}
}

// A batch sent through a relay so slow that its claim would go stale
// hands the rest back instead of sending on that claim: every email is
// still sent, once.
func TestASlowBatchHandsBackWhatItCannotSendInTime(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	app.Repo.ClaimTimeout = 600 * time.Millisecond
	app.SMTP.SetFault(func(string, []string) *smtp.SMTPError {
		time.Sleep(100 * time.Millisecond)
		return nil
	})
	var ids []int64
	for i := range 8 {
		e := &repository.Email{Kind: "close_in_review", ToAddress: fmt.Sprintf("p%d@example.org", i), Subject: "Candidatures closes",
			TextBody: "Bonjour,\n\nLes candidatures sont closes."}
		if err := app.Repo.InsertEmails(context.Background(), []*repository.Email{e}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	if err := app.Enqueuer.EnqueueBatches(context.Background(), tasks.QueueDefault, ids); err != nil {
		t.Fatal(err)
	}
	app.StartWorker()
	// The sweep runs meanwhile, as in production: it hands stale claims to
	// other slots.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	swept := make(chan struct{})
	go func() { defer close(swept); app.Sweeper.Run(ctx, 100*time.Millisecond) }()
	for _, id := range ids {
		waitStatus(t, app, id, repository.EmailSent, 30*time.Second)
	}
	// The sweep stopped, and the worker done: a wrong extra send is in.
	cancel()
	<-swept
	app.WaitIdle()
	copies := map[string]int{}
	for _, m := range app.SMTP.Messages() {
		copies[m.To[0]]++
	}
	for i := range 8 {
		if n := copies[fmt.Sprintf("p%d@example.org", i)]; n != 1 {
			t.Errorf("p%d@example.org received %d copies, want 1", i, n)
		}
	}
}
