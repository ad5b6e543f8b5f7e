package repository_test

import (
	"crypto/sha256"
	"database/sql"
	"errors"
	"slices"
	"testing"
	"time"

	"vivier/internal/catalog"
	"vivier/repository"
)

// importedPosting is a posting as read from a file of that name.
func importedPosting(file, title, contact, body string) *repository.Posting {
	h := sha256.Sum256([]byte(title + contact + body))
	return &repository.Posting{Slug: "coach-pni", SourceName: sql.NullString{String: file, Valid: true}, SourceHash: h[:],
		Title: title, ContactEmail: contact, Status: catalog.PostingOpen, Domains: []string{"Accompagnement"},
		Technos: []string{}, BodyMD: body, BodyHTML: "<p>" + body + "</p>"}
}

// A file imported again updates its posting, which keeps its id and
// slug; the same file again changes nothing; a dry run writes nothing.
func TestImportPosting(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const file = "2024-01-01-coach-pni.md"
	dry := importedPosting(file, "Coach PNI", "contact@anct.gouv.fr", "Une mission.")
	if got, err := e.Repo.ImportPosting(t.Context(), dry, true); err != nil || got != repository.ImportCreated {
		t.Fatalf("dry run of a new file: %q, %v", got, err)
	}
	if _, err := e.Repo.PostingBySourceName(t.Context(), file); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("dry run wrote the posting: %v", err)
	}
	first := importedPosting(file, "Coach PNI", "contact@anct.gouv.fr", "Une mission.")
	if got, err := e.Repo.ImportPosting(t.Context(), first, false); err != nil || got != repository.ImportCreated {
		t.Fatalf("first import: %q, %v", got, err)
	}
	if first.ID == 0 || first.Slug != "coach-pni" {
		t.Errorf("created: id %d, slug %q", first.ID, first.Slug)
	}
	same := importedPosting(file, "Coach PNI", "contact@anct.gouv.fr", "Une mission.")
	if got, err := e.Repo.ImportPosting(t.Context(), same, false); err != nil || got != repository.ImportUnchanged || same.ID != first.ID {
		t.Errorf("same file again: %q, %v, id %d", got, err, same.ID)
	}
	changed := importedPosting(file, "Coach PNI (2e vague)", "nouveau@anct.gouv.fr", "Une autre mission.")
	changed.Slug = "coach-pni-2e-vague"
	if got, err := e.Repo.ImportPosting(t.Context(), changed, true); err != nil || got != repository.ImportUpdated {
		t.Errorf("dry run of a changed file: %q, %v", got, err)
	}
	if p, _ := e.Repo.PostingByID(t.Context(), first.ID); p.Title != "Coach PNI" {
		t.Errorf("dry run changed the title to %q", p.Title)
	}
	if got, err := e.Repo.ImportPosting(t.Context(), changed, false); err != nil || got != repository.ImportUpdated {
		t.Fatalf("changed file: %q, %v", got, err)
	}
	p, err := e.Repo.PostingBySourceName(t.Context(), file)
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != first.ID || p.Slug != "coach-pni" || p.Title != "Coach PNI (2e vague)" || p.BodyMD != "Une autre mission." ||
		p.ContactEmail != "nouveau@anct.gouv.fr" || !slices.Equal(p.Domains, []string{"Accompagnement"}) {
		t.Errorf("updated posting: %+v", p)
	}
	// The new contact reviews it; the former one still does.
	got, _ := e.Repo.Reviewers(t.Context(), p.ID)
	if !slices.Equal(got, []string{"contact@anct.gouv.fr", "nouveau@anct.gouv.fr"}) {
		t.Errorf("reviewers: %v", got)
	}
}

// A new posting whose slug is taken gets the first free numbered one.
func TestImportPostingUniqueSlugs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var slugs []string
	for _, file := range []string{"a.md", "b.md", "c.md"} {
		p := importedPosting(file, "Coach PNI", "", "Mission "+file)
		if _, err := e.Repo.ImportPosting(t.Context(), p, false); err != nil {
			t.Fatal(err)
		}
		slugs = append(slugs, p.Slug)
	}
	if !slices.Equal(slugs, []string{"coach-pni", "coach-pni-2", "coach-pni-3"}) {
		t.Errorf("slugs: %v", slugs)
	}
	p, err := e.Repo.PostingBySlug(t.Context(), "coach-pni-2")
	if err != nil || p.SourceName.String != "b.md" {
		t.Errorf("by slug: %+v, %v", p, err)
	}
	if got, _ := e.Repo.Reviewers(t.Context(), p.ID); len(got) != 0 {
		t.Errorf("a posting without contact has reviewers %v", got)
	}
}

func TestPostingLookupsNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.openPosting()
	if _, err := e.Repo.PostingBySlug(t.Context(), "inconnue"); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("by slug: %v, want ErrNotFound", err)
	}
	if _, err := e.Repo.PostingByID(t.Context(), 999_999); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("by id: %v, want ErrNotFound", err)
	}
	if _, err := e.Repo.PostingBySourceName(t.Context(), "inconnue.md"); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("by file: %v, want ErrNotFound", err)
	}
	if err := e.Repo.SetPostingStatus(t.Context(), 999_999, catalog.PostingOpen, nil); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("status of an unknown posting: %v, want ErrNotFound", err)
	}
}

// The public pages list open postings, and as closed those closed or
// past their closing date at the instant given; drafts and archived
// postings are in neither. The newest come first.
func TestPublicPostings(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(opens time.Time, closes *time.Time) func(*repository.Posting) {
		return func(p *repository.Posting) { p.OpensAt, p.ClosesAt = &opens, closes }
	}
	day := func(d int) time.Time { return now.AddDate(0, 0, d) }
	ptr := func(t time.Time) *time.Time { return &t }
	open := e.posting(catalog.PostingOpen, at(day(-30), nil))
	openUntil := e.posting(catalog.PostingOpen, at(day(-10), ptr(day(1))))
	pastDate := e.posting(catalog.PostingOpen, at(day(-20), ptr(now)))
	closed := e.posting(catalog.PostingClosed, at(day(-5), nil))
	e.posting(catalog.PostingDraft, at(day(-1), nil))
	e.posting(catalog.PostingArchived, at(day(-1), nil))
	list := func(status catalog.PostingState) []int64 {
		ps, err := e.Repo.PublicPostings(t.Context(), status, now)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]int64, len(ps))
		for i, p := range ps {
			out[i] = p.ID
		}
		return out
	}
	if got, want := list(catalog.PostingOpen), []int64{openUntil.ID, open.ID}; !slices.Equal(got, want) {
		t.Errorf("open: %v, want %v", got, want)
	}
	if got, want := list(catalog.PostingClosed), []int64{closed.ID, pastDate.ID}; !slices.Equal(got, want) {
		t.Errorf("closed: %v, want %v", got, want)
	}
	if _, err := e.Repo.PublicPostings(t.Context(), catalog.PostingDraft, now); err == nil {
		t.Errorf("drafts listed publicly")
	}
	nOpen, nClosed, err := e.Repo.CountPublicPostings(t.Context(), now)
	if err != nil || nOpen != 2 || nClosed != 2 {
		t.Errorf("counts: %d open, %d closed, %v; want 2 and 2", nOpen, nClosed, err)
	}
	for p, want := range map[*repository.Posting]bool{open: true, openUntil: true, pastDate: false, closed: false} {
		if p.AcceptsApplications(now) != want {
			t.Errorf("%s takes applications: %v, want %v", p.Title, !want, want)
		}
	}
}

// Opening a posting sets its status and closing date.
func TestSetPostingStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.posting(catalog.PostingDraft)
	closes := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := e.Repo.SetPostingStatus(t.Context(), p.ID, catalog.PostingOpen, &closes); err != nil {
		t.Fatal(err)
	}
	got, _ := e.Repo.PostingByID(t.Context(), p.ID)
	if got.Status != catalog.PostingOpen || got.ClosesAt == nil || !got.ClosesAt.Equal(closes) {
		t.Errorf("after opening: %s until %v", got.Status, got.ClosesAt)
	}
}
