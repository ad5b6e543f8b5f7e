package repository_test

import (
	"errors"
	"testing"
	"time"

	"vivier/internal/catalog"
	"vivier/repository"
)

// The repository keeps time by its clock alone, never by PostgreSQL's:
// what it records carries the clock's time, and what falls due falls due
// by it. A clock set years ahead shows it, the database's own now() being
// today.
func TestTheRepositoryKeepsTimeByItsClock(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	now := time.Date(2031, 5, 4, 10, 30, 0, 0, time.UTC)
	e.Repo.Now = func() time.Time { return now }

	closes := now.Add(time.Hour)
	p := e.posting(catalog.PostingOpen, func(p *repository.Posting) { p.ClosesAt = &closes })
	a := e.apply(p, "Camille", "Durand")
	for what, query := range map[string]string{
		"the posting's creation":         `SELECT created_at FROM postings WHERE id = $1`,
		"the posting's last change":      `SELECT updated_at FROM postings WHERE id = $1`,
		"the contact made a reviewer":    `SELECT created_at FROM posting_reviewers WHERE posting_id = $1`,
		"the application":                `SELECT created_at FROM applications WHERE posting_id = $1`,
		"its CV":                         `SELECT d.created_at FROM documents d JOIN applications a ON a.id = d.application_id WHERE a.posting_id = $1`,
		"its history's first line":       `SELECT v.created_at FROM application_events v JOIN applications a ON a.id = v.application_id WHERE a.posting_id = $1`,
		"its acknowledgement, written":   `SELECT created_at FROM emails WHERE posting_id = $1`,
		"its acknowledgement, due":       `SELECT send_after FROM emails WHERE posting_id = $1`,
		"its acknowledgement, last seen": `SELECT updated_at FROM emails WHERE posting_id = $1`,
	} {
		var at time.Time
		if err := e.DB.Get(&at, query, p.ID); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if !at.Equal(now) {
			t.Errorf("%s is stamped %s, want the clock's %s", what, at, now)
		}
	}

	// An email due in an hour is not claimed before the clock gets there.
	later := email("status_update", a, "Plus tard")
	later.SendAfter = now.Add(time.Hour)
	e.insertEmails(later)
	if claimed, err := e.Repo.ClaimEmails(ctx, []int64{later.ID}); err != nil || len(claimed) != 0 {
		t.Fatalf("claimed an hour early: %d, %v", len(claimed), err)
	}
	// A sign-in link lasts a quarter of an hour by the clock.
	hash := tokenHash("lien de connexion")
	if err := e.Repo.CreateSignInToken(ctx, hash, p.ContactEmail, 15*time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	if ok, err := e.Repo.SignInTokenUsable(ctx, hash); err != nil || !ok {
		t.Fatalf("a fresh sign-in link is not usable: %v", err)
	}
	if due, err := e.Repo.PostingsDueToClose(ctx); err != nil || len(due) != 0 {
		t.Fatalf("due to close before its date: %v, %v", due, err)
	}

	// The hour passes on the clock.
	now = closes
	if due, err := e.Repo.PostingsDueToClose(ctx); err != nil || len(due) != 1 || due[0] != p.ID {
		t.Errorf("due to close at its date: %v, %v; want posting %d", due, err, p.ID)
	}
	late := newApplication(p.ID, "Dominique", "Martin")
	if _, err := e.Repo.CreateApplication(ctx, late, cv(), acknowledgement); !errors.Is(err, repository.ErrPostingClosed) {
		t.Errorf("an application at the closing date: %v, want ErrPostingClosed", err)
	}
	if ok, err := e.Repo.SignInTokenUsable(ctx, hash); err != nil || ok {
		t.Errorf("a sign-in link an hour old is still usable (%v)", err)
	}
	if _, err := e.Repo.ConsumeSignInToken(ctx, hash); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("a sign-in link an hour old signs in: %v", err)
	}
	claimed, err := e.Repo.ClaimEmails(ctx, []int64{later.ID})
	if err != nil || len(claimed) != 1 {
		t.Fatalf("not claimed once due: %d, %v", len(claimed), err)
	}
	if c := claimed[0].ClaimedAt; c == nil || !c.Equal(now) {
		t.Errorf("claimed at %v, want the clock's %s", c, now)
	}
}
