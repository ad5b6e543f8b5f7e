package repository_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"vivier/internal/catalog"
	"vivier/repository"
)

func summaryIDs(ps []repository.PostingSummary) []int64 {
	out := make([]int64, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

// A reviewer reviews the postings they were added to, and those only,
// whatever the case of their address; a posting's contact is one.
func TestReviewerAccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	mine, theirs := e.openPosting(), e.openPosting()
	if err := e.Repo.AddReviewer(t.Context(), mine.ID, "  Relecteur@ANCT.gouv.fr ", "admin@anct.gouv.fr"); err != nil {
		t.Fatal(err)
	}
	if err := e.Repo.AddReviewer(t.Context(), mine.ID, "relecteur@anct.gouv.fr", "admin@anct.gouv.fr"); err != nil {
		t.Errorf("adding a reviewer twice: %v", err)
	}
	check := func(who string, posting *repository.Posting, want bool) {
		t.Helper()
		ok, err := e.Repo.CanReview(t.Context(), posting.ID, who)
		if err != nil || ok != want {
			t.Errorf("%s reviews %s: %v (%v), want %v", who, posting.Title, ok, err, want)
		}
	}
	check("relecteur@anct.gouv.fr", mine, true)
	check("Relecteur@anct.gouv.fr", mine, true)
	check("relecteur@anct.gouv.fr", theirs, false)
	check(mine.ContactEmail, mine, true)
	check(theirs.ContactEmail, mine, false)
	check("inconnu@anct.gouv.fr", mine, false)
	for who, want := range map[string]bool{"RELECTEUR@anct.gouv.fr": true, theirs.ContactEmail: true, "inconnu@anct.gouv.fr": false} {
		if ok, err := e.Repo.IsReviewer(t.Context(), who); err != nil || ok != want {
			t.Errorf("%s is a reviewer: %v (%v), want %v", who, ok, err, want)
		}
	}
	got, err := e.Repo.Reviewers(t.Context(), mine.ID)
	if err != nil || !slices.Equal(got, []string{mine.ContactEmail, "relecteur@anct.gouv.fr"}) {
		t.Errorf("reviewers: %v, %v", got, err)
	}
	if err := e.Repo.RemoveReviewer(t.Context(), mine.ID, "Relecteur@anct.gouv.fr"); err != nil {
		t.Fatal(err)
	}
	check("relecteur@anct.gouv.fr", mine, false)
	if ok, _ := e.Repo.IsReviewer(t.Context(), "relecteur@anct.gouv.fr"); ok {
		t.Errorf("a reviewer removed from their only posting is still a reviewer")
	}
}

// The inbox lists a reviewer's own postings, open ones first then the
// newest, with their counts by status; an admin's lists every posting.
func TestReviewerPostings(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	day := func(d int) func(*repository.Posting) {
		return func(p *repository.Posting) { t := time.Date(2025, 1, d, 0, 0, 0, 0, time.UTC); p.OpensAt = &t }
	}
	older := e.posting(catalog.PostingOpen, day(1))
	newer := e.posting(catalog.PostingOpen, day(5))
	closed := e.posting(catalog.PostingClosed, day(9))
	notMine := e.posting(catalog.PostingOpen, day(7))
	const me = "relecteur@anct.gouv.fr"
	for _, p := range []*repository.Posting{older, newer, closed} {
		if err := e.Repo.AddReviewer(t.Context(), p.ID, me, "admin@anct.gouv.fr"); err != nil {
			t.Fatal(err)
		}
	}
	statuses := []catalog.Status{catalog.StatusReceived, catalog.StatusReceived, catalog.StatusShortlisted,
		catalog.StatusInterview, catalog.StatusRejected, catalog.StatusWithdrawn}
	for i, s := range statuses {
		a := e.apply(newer, "Prenom", "Nom"+string(rune('a'+i)))
		e.setStatus(a, s)
	}
	e.apply(notMine, "Camille", "Durand")

	got, err := e.Repo.ReviewerPostings(t.Context(), "Relecteur@anct.gouv.fr", false)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{newer.ID, older.ID, closed.ID}; !slices.Equal(summaryIDs(got), want) {
		t.Fatalf("reviewer's postings: %v, want %v", summaryIDs(got), want)
	}
	n := got[0]
	if n.Total != 6 || n.Received != 2 || n.InReview != 0 || n.Shortlisted != 1 || n.Interview != 1 || n.Accepted != 0 ||
		n.Rejected != 1 || n.Withdrawn != 1 || n.New != 6 || n.Title != newer.Title {
		t.Errorf("counts of %s: %+v", newer.Title, n)
	}
	if got[1].Total != 0 || got[1].New != 0 {
		t.Errorf("counts of a posting without applications: %+v", got[1])
	}
	all, err := e.Repo.ReviewerPostings(t.Context(), "admin@anct.gouv.fr", true)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{notMine.ID, newer.ID, older.ID, closed.ID}; !slices.Equal(summaryIDs(all), want) {
		t.Errorf("admin's postings: %v, want %v", summaryIDs(all), want)
	}
	if none, err := e.Repo.ReviewerPostings(t.Context(), "inconnu@anct.gouv.fr", false); err != nil || len(none) != 0 {
		t.Errorf("postings of someone reviewing none: %v, %v", summaryIDs(none), err)
	}
}

// "New" counts the applications received since the reviewer's last
// visit to the posting, their own visit only.
func TestReviewerPostingsNewSinceVisit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	before := e.apply(p, "Camille", "Durand")
	after := e.apply(p, "Dominique", "Martin")
	if err := e.Repo.RecordVisit(t.Context(), p.ID, strings.ToUpper(p.ContactEmail)); err != nil {
		t.Fatal(err)
	}
	e.exec(`UPDATE posting_visits SET visited_at = now() - interval '1 hour'`)
	e.exec(`UPDATE applications SET created_at = now() - interval '2 hours' WHERE id = $1`, before.ID)
	e.exec(`UPDATE applications SET created_at = now() - interval '30 minutes' WHERE id = $1`, after.ID)
	newFor := func(who string) int {
		t.Helper()
		ps, err := e.Repo.ReviewerPostings(t.Context(), who, true)
		if err != nil || len(ps) != 1 {
			t.Fatalf("postings: %v, %v", ps, err)
		}
		return ps[0].New
	}
	if n := newFor(p.ContactEmail); n != 1 {
		t.Errorf("new since the contact's visit: %d, want 1", n)
	}
	if n := newFor("admin@anct.gouv.fr"); n != 2 {
		t.Errorf("new for someone who never visited: %d, want 2", n)
	}
	if err := e.Repo.RecordVisit(t.Context(), p.ID, p.ContactEmail); err != nil {
		t.Fatal(err)
	}
	if n := newFor(p.ContactEmail); n != 0 {
		t.Errorf("new after another visit: %d, want 0", n)
	}
}

// A sign-in link works once, before it expires, and is written with the
// email that carries it or not at all.
func TestSignInTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	link := func(to string) []*repository.Email {
		return []*repository.Email{{Kind: "sign_in_link", ToAddress: to, Subject: "Votre lien", TextBody: "t", HTMLBody: "h"}}
	}
	good := tokenHash("lien de connexion")
	if err := e.Repo.CreateSignInToken(t.Context(), good, "Contact@ANCT.gouv.fr", 15*time.Minute, link("contact@anct.gouv.fr")); err != nil {
		t.Fatal(err)
	}
	if n := e.count(`SELECT count(*) FROM emails WHERE kind = 'sign_in_link'`); n != 1 {
		t.Errorf("%d sign-in emails written, want 1", n)
	}
	who, err := e.Repo.ConsumeSignInToken(t.Context(), good)
	if err != nil || who != "contact@anct.gouv.fr" {
		t.Errorf("sign in: %q, %v", who, err)
	}
	if _, err := e.Repo.ConsumeSignInToken(t.Context(), good); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("second use: %v, want ErrNotFound", err)
	}
	expired := tokenHash("lien expiré")
	if err := e.Repo.CreateSignInToken(t.Context(), expired, "contact@anct.gouv.fr", 15*time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	e.exec(`UPDATE sign_in_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, expired)
	if _, err := e.Repo.ConsumeSignInToken(t.Context(), expired); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("expired link: %v, want ErrNotFound", err)
	}
	if _, err := e.Repo.ConsumeSignInToken(t.Context(), tokenHash("inconnu")); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("unknown link: %v, want ErrNotFound", err)
	}
	// An email that cannot be written leaves no link.
	missing := int64(999_999)
	bad := link("contact@anct.gouv.fr")
	bad[0].PostingID = &missing
	orphan := tokenHash("lien sans email")
	if err := e.Repo.CreateSignInToken(t.Context(), orphan, "contact@anct.gouv.fr", 15*time.Minute, bad); err == nil {
		t.Fatal("link stored with an email refused")
	}
	if _, err := e.Repo.ConsumeSignInToken(t.Context(), orphan); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("link whose email failed: %v, want ErrNotFound", err)
	}
}
