package workers_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"vivier/internal/assembly"
	"vivier/internal/mailcatcher"
	"vivier/internal/testkit"
	"vivier/repository"
	"vivier/workers"
	"vivier/workers/tasks"
)

// writeEmails writes n emails to the outbox and enqueues them, half one
// by one and half in batches, as applications and a close do.
func writeEmails(t *testing.T, app *testkit.App, n int) []int64 {
	t.Helper()
	es := make([]*repository.Email, n)
	for i := range es {
		es[i] = &repository.Email{Kind: "acknowledgement", ToAddress: fmt.Sprintf("candidat-%d@example.org", i),
			ToName: "Camille Durand", Subject: "Candidature reçue : essai", TextBody: "Bonjour Camille,", HTMLBody: "<p>Bonjour Camille,</p>"}
	}
	if err := app.Repo.InsertEmails(t.Context(), es); err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, n)
	for i, e := range es {
		ids[i] = e.ID
	}
	for _, id := range ids[:n/2] {
		if err := app.Enqueuer.Enqueue(t.Context(), tasks.Outgoing{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if err := app.Enqueuer.EnqueueBatches(t.Context(), tasks.QueueDefault, ids[n/2:]); err != nil {
		t.Fatal(err)
	}
	return ids
}

// secondWorker starts another worker process of app, on the same
// database and Redis.
func secondWorker(t *testing.T, app *testkit.App) {
	t.Helper()
	p, err := assembly.New(app.Config, app.DB, assembly.Options{Log: app.Log, Now: app.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	w, err := p.Worker(assembly.WorkerOptions{Concurrency: 4, RetryBase: 200 * time.Millisecond,
		ShutdownTimeout: 5 * time.Second, DelayedTaskCheckInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
}

// busiestWindow is the most messages the server received within any
// window of length w (each window starting at a message).
func busiestWindow(ms []*mailcatcher.Message, w time.Duration) int {
	times := make([]time.Time, len(ms))
	for i, m := range ms {
		times[i] = m.Received
	}
	slices.SortFunc(times, time.Time.Compare)
	most := 0
	for i := range times {
		n := 0
		for j := i; j < len(times) && times[j].Sub(times[i]) < w; j++ {
			n++
		}
		most = max(most, n)
	}
	return most
}

// allSentOnce checks that every email was sent, once, at its first
// counted attempt.
func allSentOnce(t *testing.T, app *testkit.App, ids []int64) {
	t.Helper()
	for _, id := range ids {
		if e := emailRow(t, app, id); e.Status != repository.EmailSent || e.Attempts != 1 {
			t.Errorf("email %d: %s after %d attempts (%s), want sent at the first", id, e.Status, e.Attempts, e.LastError)
		}
	}
	seen := map[string]int{}
	for _, m := range app.SMTP.Messages() {
		seen[m.To[0]]++
	}
	for to, n := range seen {
		if n != 1 {
			t.Errorf("%s received %d copies", to, n)
		}
	}
	if len(seen) != len(ids) {
		t.Errorf("the server received messages for %d addresses, want %d", len(seen), len(ids))
	}
}

// SMTP_RATE holds for every worker together: two workers of 4 slots each,
// on one Redis, hand a batch to the relay at no more than the rate.
func TestTwoWorkersShareTheSMTPRate(t *testing.T) {
	t.Parallel()
	const rate, n = 10, 40
	app := testkit.NewApp(t, testkit.Options{NoWorker: true, Env: map[string]string{"SMTP_RATE": fmt.Sprint(rate)}})
	ids := writeEmails(t, app, n)
	app.StartWorker()
	secondWorker(t, app)
	app.WaitEmails(repository.EmailSent, n, time.Minute)
	app.WaitIdle()
	allSentOnce(t, app, ids)
	// Over any two seconds, at most the rate's count, plus two for the
	// time each message takes from its turn to the server.
	const window = 2 * time.Second
	if most, limit := busiestWindow(app.SMTP.Messages(), window), rate*2+2; most > limit {
		t.Errorf("%d messages within %s at SMTP_RATE=%d, want %d at most", most, window, rate, limit)
	}
}

// A relay that says it receives too many (421 4.7.0, a quota of 3
// messages a second, under an SMTP_RATE of 12) slows every worker down:
// its refusals cost the emails no attempt, none is lost or sent twice,
// and once slowed the workers keep within its quota.
func TestRelayThatReceivesTooManySlowsTheWorkersDown(t *testing.T) {
	t.Parallel()
	const quota, n = 3, 16
	app := testkit.NewApp(t, testkit.Options{NoWorker: true, Env: map[string]string{"SMTP_RATE": "12"}})
	var mu sync.Mutex
	var accepted []time.Time
	var refused []time.Time
	app.SMTP.SetFault(func(string, []string) *smtp.SMTPError {
		mu.Lock()
		defer mu.Unlock()
		now := time.Now()
		recent := 0
		for _, at := range accepted {
			if now.Sub(at) < time.Second {
				recent++
			}
		}
		if recent >= quota {
			refused = append(refused, now)
			return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "Too many messages, slow down"}
		}
		accepted = append(accepted, now)
		return nil
	})
	ids := writeEmails(t, app, n)
	app.StartWorker()
	secondWorker(t, app)
	app.WaitEmails(repository.EmailSent, n, 2*time.Minute)
	app.WaitIdle()
	allSentOnce(t, app, ids)
	mu.Lock()
	defer mu.Unlock()
	if len(refused) == 0 {
		t.Fatal("the relay never refused: the test did not test the slowdown")
	}
	var failed int
	if err := app.DB.Get(&failed, `SELECT count(*) FROM emails WHERE status = 'failed'`); err != nil {
		t.Fatal(err)
	}
	if failed != 0 {
		t.Errorf("%d emails failed", failed)
	}
	// After the relay's last refusal, the workers kept to its quota.
	var after []*mailcatcher.Message
	last := refused[len(refused)-1]
	for _, m := range app.SMTP.Messages() {
		if m.Received.After(last) {
			after = append(after, m)
		}
	}
	if most := busiestWindow(after, 2*time.Second); most > 2*quota+1 {
		t.Errorf("after the last refusal, %d messages within 2 s, want %d at most (the relay's quota)", most, 2*quota+1)
	}
}

// Which relay replies say "too many": 421, 450, 451 and 452 in rate
// words, or any enhanced status 4.7.x; other temporary refusals are
// retried as before, and 5xx stay final.
func TestRelayRepliesThatMeanTooMany(t *testing.T) {
	t.Parallel()
	catcher := testkit.SMTP(t)
	sender, err := workers.NewSender(catcher.URL(), "Vivier <ne-pas-repondre@vivier.example>", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Close()
	cases := []struct {
		reply *smtp.SMTPError
		busy  bool
	}{
		{&smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "Too many messages, slow down"}, true},
		{&smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 2, 0}, Message: "Rate limit exceeded, try again in a minute"}, true},
		{&smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "Please retry later"}, true},
		{&smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 5, 3}, Message: "Too many recipients this hour"}, true},
		{&smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}, false},
		{&smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Service shutting down"}, false},
		{&smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Too many spam reports, rejected"}, false},
	}
	for i, c := range cases {
		catcher.SetFault(func(string, []string) *smtp.SMTPError { return c.reply })
		_, err := sender.Send(t.Context(), &repository.Email{ID: int64(i + 1), ToAddress: "camille@example.org", Subject: "Essai", TextBody: "Bonjour"})
		var busy *workers.RelayBusyError
		if got := errors.As(err, &busy); got != c.busy {
			t.Errorf("%d %s: too many = %t, want %t (%v)", c.reply.Code, c.reply.Message, got, c.busy, err)
		}
	}
}

// Without SMTP_RATE, a relay's "too many" pauses every worker for a
// moment instead of costing the emails their attempts: a relay over its
// quota for 1.5 s refuses only the messages already on their way (one a
// slot of the worker, 4 here), and nothing is lost.
func TestRelayThatReceivesTooManyPausesWorkersWithoutARate(t *testing.T) {
	t.Parallel()
	const n, slots = 12, 4
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	var mu sync.Mutex
	var busySince time.Time
	refused := 0
	app.SMTP.SetFault(func(string, []string) *smtp.SMTPError {
		mu.Lock()
		defer mu.Unlock()
		if busySince.IsZero() {
			busySince = time.Now()
		}
		if time.Since(busySince) < 1500*time.Millisecond {
			refused++
			return &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 2, 0}, Message: "Rate limit exceeded, slow down"}
		}
		return nil
	})
	ids := writeEmails(t, app, n)
	app.StartWorker()
	app.WaitEmails(repository.EmailSent, n, time.Minute)
	app.WaitIdle()
	allSentOnce(t, app, ids)
	mu.Lock()
	defer mu.Unlock()
	if refused == 0 || refused > slots {
		t.Errorf("the relay refused %d messages, want 1 to %d (those on their way when it first refused)", refused, slots)
	}
}
