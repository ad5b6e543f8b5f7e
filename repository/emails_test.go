package repository_test

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"vivier/internal/catalog"
	"vivier/repository"
)

// pendingEmails writes n emails about one application and returns them.
func (e *env) pendingEmails(n int) []*repository.Email {
	e.t.Helper()
	a := e.apply(e.openPosting(), "Camille", "Durand")
	out := make([]*repository.Email, n)
	for i := range out {
		out[i] = email("status_update", a, "Votre candidature")
	}
	e.insertEmails(out...)
	return out
}

// claim claims one email and fails the test if it cannot.
func (e *env) claim(id int64) *repository.Email {
	e.t.Helper()
	c, err := e.Repo.ClaimEmail(e.t.Context(), id)
	if err != nil {
		e.t.Fatalf("claim email %d: %v", id, err)
	}
	return c
}

// An email is written pending, due now unless told otherwise, and read
// back as written.
func TestInsertEmails(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.apply(e.openPosting(), "Camille", "Durand")
	now := email("status_update", a, "Tout de suite")
	later := email("status_update", a, "Plus tard")
	later.SendAfter = time.Now().Add(time.Hour).Truncate(time.Microsecond)
	later.AboutStatus = catalog.StatusShortlisted
	e.insertEmails(now, later)
	if now.ID == 0 || later.ID <= now.ID || now.Status != repository.EmailPending || now.SendAfter.IsZero() {
		t.Fatalf("written: %+v, %+v", now, later)
	}
	got, err := e.Repo.EmailByID(t.Context(), later.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != "Plus tard" || got.ToAddress != a.Email || *got.ApplicationID != a.ID || *got.PostingID != a.PostingID ||
		!got.SendAfter.Equal(later.SendAfter) || got.AboutStatus != catalog.StatusShortlisted || got.Attempts != 0 {
		t.Errorf("read back: %+v", got)
	}
	if _, err := e.Repo.EmailByID(t.Context(), 999_999); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("unknown email: %v, want ErrNotFound", err)
	}
	all, err := e.Repo.EmailsOfApplication(t.Context(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || all[0].Kind != "acknowledgement" || all[1].ID != now.ID || all[2].ID != later.ID {
		t.Errorf("emails of the application, oldest first: %+v", all)
	}
	// A batch with one bad email writes none.
	missing := int64(999_999)
	bad := email("status_update", a, "Mauvaise offre")
	bad.PostingID = &missing
	if err := e.Repo.InsertEmails(t.Context(), []*repository.Email{email("status_update", a, "Bonne"), bad}); err == nil {
		t.Errorf("batch with an email to an unknown posting written")
	}
	if n := e.count(`SELECT count(*) FROM emails`); n != 3 {
		t.Errorf("%d emails after a failed batch, want 3", n)
	}
}

// A claimed email is sending, counted as an attempt, and not claimed
// again while its claim lives.
func TestClaimEmailOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m := e.pendingEmails(1)[0]
	c := e.claim(m.ID)
	if c.Status != repository.EmailSending || c.Attempts != 1 || c.ClaimedAt == nil || c.Subject != m.Subject {
		t.Errorf("claimed: %+v", c)
	}
	if _, err := e.Repo.ClaimEmail(t.Context(), m.ID); !errors.Is(err, repository.ErrConflict) {
		t.Errorf("second claim: %v, want ErrConflict", err)
	}
	if _, err := e.Repo.ClaimEmail(t.Context(), 999_999); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("unknown email: %v, want ErrNotFound", err)
	}
}

// An email sent, failed, cancelled or due later is not claimed.
func TestClaimEmailSkipsWhatIsNotToSend(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ms := e.pendingEmails(4)
	sent, failed, cancelled, later := ms[0], ms[1], ms[2], ms[3]
	if err := e.Repo.MarkEmailSent(t.Context(), e.claim(sent.ID), "<id@vivier.test>"); err != nil {
		t.Fatal(err)
	}
	if err := e.Repo.MarkEmailFailed(t.Context(), e.claim(failed.ID), "550 no such user"); err != nil {
		t.Fatal(err)
	}
	if err := e.Repo.CancelEmail(t.Context(), cancelled.ID); err != nil {
		t.Fatal(err)
	}
	e.exec(`UPDATE emails SET send_after = now() + interval '1 hour' WHERE id = $1`, later.ID)
	for name, m := range map[string]*repository.Email{"sent": sent, "failed": failed, "cancelled": cancelled, "due later": later} {
		if _, err := e.Repo.ClaimEmail(t.Context(), m.ID); !errors.Is(err, repository.ErrConflict) {
			t.Errorf("claim of a %s email: %v, want ErrConflict", name, err)
		}
	}
	claimed, err := e.Repo.ClaimEmails(t.Context(), emailIDs(ms))
	if err != nil || len(claimed) != 0 {
		t.Errorf("batch claim of emails not to send: %d claimed, %v", len(claimed), err)
	}
	got, _ := e.Repo.EmailByID(t.Context(), sent.ID)
	if got.Status != repository.EmailSent || got.MessageID != "<id@vivier.test>" || got.SentAt == nil || got.Attempts != 1 {
		t.Errorf("sent email: %+v", got)
	}
	got, _ = e.Repo.EmailByID(t.Context(), failed.ID)
	if got.Status != repository.EmailFailed || got.LastError != "550 no such user" {
		t.Errorf("failed email: %+v", got)
	}
}

// A claim whose worker died (older than the claim timeout) is taken
// again; the dead claim can then record nothing.
func TestClaimEmailTakesStaleClaims(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ms := e.pendingEmails(2)
	first := e.claim(ms[0].ID)
	live := e.claim(ms[1].ID)
	past := repository.DefaultClaimTimeout + time.Minute
	e.exec(`UPDATE emails SET claimed_at = now() - $2::interval WHERE id = $1`, first.ID, past.String())
	second := e.claim(first.ID)
	if second.Attempts != 2 {
		t.Errorf("stale claim taken again: attempt %d, want 2", second.Attempts)
	}
	if err := e.Repo.MarkEmailSent(t.Context(), first, "<dead@vivier.test>"); !errors.Is(err, repository.ErrConflict) {
		t.Errorf("outcome recorded by the dead claim: %v, want ErrConflict", err)
	}
	for _, settle := range []func() error{
		func() error { return e.Repo.ReleaseEmail(t.Context(), first, "timeout") },
		func() error { return e.Repo.MarkEmailFailed(t.Context(), first, "550") },
	} {
		if err := settle(); !errors.Is(err, repository.ErrConflict) {
			t.Errorf("outcome recorded by the dead claim: %v, want ErrConflict", err)
		}
	}
	if err := e.Repo.MarkEmailSent(t.Context(), second, "<live@vivier.test>"); err != nil {
		t.Errorf("outcome of the live claim: %v", err)
	}
	got, _ := e.Repo.EmailByID(t.Context(), first.ID)
	if got.Status != repository.EmailSent || got.MessageID != "<live@vivier.test>" {
		t.Errorf("after both claims: %s, %q", got.Status, got.MessageID)
	}
	// A claim younger than the timeout is not taken.
	e.exec(`UPDATE emails SET claimed_at = now() - interval '5 minutes' WHERE id = $1`, live.ID)
	if _, err := e.Repo.ClaimEmail(t.Context(), live.ID); !errors.Is(err, repository.ErrConflict) {
		t.Errorf("claim of a live worker's email: %v, want ErrConflict", err)
	}
	// With a shorter EMAIL_CLAIM_TIMEOUT, the same claim is stale.
	short := repository.New(e.DB)
	short.ClaimTimeout = 2 * time.Minute
	if short.ClaimLifetime() != 2*time.Minute || e.Repo.ClaimLifetime() != repository.DefaultClaimTimeout {
		t.Errorf("claim lifetimes: %v, %v", short.ClaimLifetime(), e.Repo.ClaimLifetime())
	}
	if c, err := short.ClaimEmail(t.Context(), live.ID); err != nil || c.Attempts != 2 {
		t.Errorf("claim older than a 2-minute timeout: %+v, %v", c, err)
	}
}

// An email released after a failure worth a retry is pending again,
// with the reason, and claimed again.
func TestReleaseEmail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m := e.pendingEmails(1)[0]
	if err := e.Repo.ReleaseEmail(t.Context(), e.claim(m.ID), "421 try later"); err != nil {
		t.Fatal(err)
	}
	got, _ := e.Repo.EmailByID(t.Context(), m.ID)
	if got.Status != repository.EmailPending || got.ClaimedAt != nil || got.LastError != "421 try later" {
		t.Errorf("released: %+v", got)
	}
	again := e.claim(m.ID)
	if again.Attempts != 2 {
		t.Errorf("claimed again: attempt %d, want 2", again.Attempts)
	}
	if err := e.Repo.MarkEmailSent(t.Context(), again, "<id@vivier.test>"); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.Repo.EmailByID(t.Context(), m.ID); got.LastError != "" {
		t.Errorf("sent email keeps the last error %q", got.LastError)
	}
}

// A batch claim takes, in id order, those to send now; of workers
// claiming the same emails at once, each email goes to one.
func TestClaimEmailsBatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ms := e.pendingEmails(20)
	e.claim(ms[3].ID)
	e.exec(`UPDATE emails SET send_after = now() + interval '1 hour' WHERE id = $1`, ms[7].ID)
	reversed := emailIDs(ms)
	slices.Reverse(reversed)
	var wg sync.WaitGroup
	results := make([][]*repository.Email, 4)
	for w := range results {
		wg.Go(func() {
			c, err := e.Repo.ClaimEmails(t.Context(), append(reversed, 999_999))
			if err != nil {
				t.Error(err)
			}
			results[w] = c
		})
	}
	wg.Wait()
	seen := map[int64]int{}
	for _, claimed := range results {
		for i, c := range claimed {
			seen[c.ID]++
			if c.Status != repository.EmailSending {
				t.Errorf("claimed email %d is %s", c.ID, c.Status)
			}
			if i > 0 && claimed[i-1].ID >= c.ID {
				t.Errorf("batch not in id order: %d before %d", claimed[i-1].ID, c.ID)
			}
		}
	}
	for i, m := range ms {
		want := 1
		if i == 3 || i == 7 {
			want = 0
		}
		if seen[m.ID] != want {
			t.Errorf("email %d claimed %d times, want %d", i, seen[m.ID], want)
		}
	}
}

// The sweep finds the emails pending for longer than the delay and those
// whose claim is stale, due now, by id after a cursor; an email just
// enqueued again (touched) waits another delay.
func TestEmailsToSweep(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ms := e.pendingEmails(7)
	// ms[1] stays pending and fresh, as the applicant's acknowledgement.
	old, stale, live, later, sent, old2 := ms[0], ms[2], ms[3], ms[4], ms[5], ms[6]
	e.exec(`UPDATE emails SET updated_at = now() - interval '1 hour' WHERE id = ANY($1)`,
		pq.Array([]int64{old.ID, later.ID, old2.ID}))
	e.exec(`UPDATE emails SET send_after = now() + interval '1 hour' WHERE id = $1`, later.ID)
	e.claim(stale.ID)
	e.claim(live.ID)
	e.exec(`UPDATE emails SET claimed_at = now() - interval '1 hour' WHERE id = $1`, stale.ID)
	if err := e.Repo.MarkEmailSent(t.Context(), e.claim(sent.ID), "<id>"); err != nil {
		t.Fatal(err)
	}
	e.exec(`UPDATE emails SET updated_at = now() - interval '1 hour' WHERE id = $1`, sent.ID)
	sweep := func(after int64, limit int) []int64 {
		items, err := e.Repo.EmailsToSweep(t.Context(), time.Minute, after, limit)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]int64, len(items))
		for i, it := range items {
			out[i] = it.ID
			if it.Kind != "status_update" {
				t.Errorf("swept %d of kind %q", it.ID, it.Kind)
			}
		}
		return out
	}
	if got, want := sweep(0, 100), []int64{old.ID, stale.ID, old2.ID}; !slices.Equal(got, want) {
		t.Errorf("to sweep: %v, want %v", got, want)
	}
	if got, want := sweep(0, 2), []int64{old.ID, stale.ID}; !slices.Equal(got, want) {
		t.Errorf("first 2 to sweep: %v, want %v", got, want)
	}
	if got, want := sweep(stale.ID, 2), []int64{old2.ID}; !slices.Equal(got, want) {
		t.Errorf("to sweep after %d: %v, want %v", stale.ID, got, want)
	}
	before, _ := e.Repo.EmailByID(t.Context(), sent.ID)
	if err := e.Repo.TouchEmails(t.Context(), []int64{old.ID, sent.ID}); err != nil {
		t.Fatal(err)
	}
	if got, want := sweep(0, 100), []int64{stale.ID, old2.ID}; !slices.Equal(got, want) {
		t.Errorf("to sweep after touching %d: %v, want %v", old.ID, got, want)
	}
	// Touching leaves emails that are not pending alone.
	if got, _ := e.Repo.EmailByID(t.Context(), sent.ID); !got.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("touching a sent email changed it")
	}
}
