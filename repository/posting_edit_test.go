package repository_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"vivier/internal/catalog"
	"vivier/repository"
)

// A posting written in the inbox is a draft, with a slug made from its
// title, its contact as a reviewer and its creation in its history, all
// signed by who wrote it.
func TestCreatePosting(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const admin = "admin@anct.gouv.fr"
	var slugs []string
	for range 2 {
		p := &repository.Posting{Title: "Développeur·se Go (freelance)", ContactEmail: "contact@anct.gouv.fr",
			Status: catalog.PostingOpen, BodyMD: "Une mission."}
		if err := e.Repo.CreatePosting(t.Context(), p, admin); err != nil {
			t.Fatal(err)
		}
		if p.ID == 0 || p.Status != catalog.PostingDraft || p.SourceName.Valid || p.Domains == nil {
			t.Errorf("created: %+v", p)
		}
		slugs = append(slugs, p.Slug)
		stored, err := e.Repo.PostingBySlug(t.Context(), p.Slug)
		if err != nil || stored.ID != p.ID || stored.Status != catalog.PostingDraft {
			t.Errorf("stored: %+v, %v", stored, err)
		}
		events, _ := e.Repo.PostingEvents(t.Context(), p.ID)
		if len(events) != 1 || events[0].FromStatus != "" || events[0].ToStatus != catalog.PostingDraft || events[0].Actor != admin {
			t.Errorf("history: %+v", events)
		}
		if ok, _ := e.Repo.CanReview(t.Context(), p.ID, "contact@anct.gouv.fr"); !ok {
			t.Errorf("the contact does not review the posting")
		}
		if n := e.count(`SELECT count(*) FROM posting_reviewers WHERE posting_id = $1 AND added_by = $2`, p.ID, admin); n != 1 {
			t.Errorf("the contact was not added by the posting's author")
		}
		if n := e.count(`SELECT count(*) FROM postings WHERE id = $1 AND created_by = $2`, p.ID, admin); n != 1 {
			t.Errorf("the posting's author was not recorded")
		}
	}
	if !slices.Equal(slugs, []string{"developpeur-se-go-freelance", "developpeur-se-go-freelance-2"}) {
		t.Errorf("slugs: %v", slugs)
	}
}

// An edit saves the fields an admin edits and keeps the status, the slug
// and the source; a new contact reviews too, the former one stays.
func TestUpdatePosting(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	closes := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	edit := &repository.Posting{ID: p.ID, Title: "Nouveau titre", Organisation: "ANCT", ContactEmail: "Nouveau@ANCT.gouv.fr",
		Contract: "Freelance", ExternalURL: "https://example.org/offre", ClosesAt: &closes, Junior: true,
		Domains: []string{"Numérique"}, BodyMD: "Nouveau texte.", BodyHTML: "<p>Nouveau texte.</p>", ExcerptHTML: "<p>Nouveau</p>",
		Status: catalog.PostingArchived, Slug: "autre-slug"}
	previous, err := e.Repo.UpdatePosting(t.Context(), edit, "admin@anct.gouv.fr", repository.FormerContactKept)
	if err != nil {
		t.Fatal(err)
	}
	if previous != p.ContactEmail {
		t.Errorf("previous contact %q, want %q", previous, p.ContactEmail)
	}
	got, _ := e.Repo.PostingByID(t.Context(), p.ID)
	if got.Title != "Nouveau titre" || got.ContactEmail != "nouveau@anct.gouv.fr" || got.ClosesAt == nil || !got.ClosesAt.Equal(closes) ||
		!got.Junior || !slices.Equal(got.Domains, []string{"Numérique"}) || got.Technos == nil || got.BodyHTML != "<p>Nouveau texte.</p>" {
		t.Errorf("saved: %+v", got)
	}
	if got.Status != catalog.PostingOpen || got.Slug != p.Slug || got.SourceName != p.SourceName {
		t.Errorf("the edit changed status %q, slug %q or source %v", got.Status, got.Slug, got.SourceName)
	}
	if edit.Status != catalog.PostingOpen || edit.Slug != p.Slug {
		t.Errorf("the edited posting was not reloaded: %+v", edit)
	}
	reviewers, _ := e.Repo.Reviewers(t.Context(), p.ID)
	if !slices.Equal(reviewers, []string{p.ContactEmail, "nouveau@anct.gouv.fr"}) {
		t.Errorf("reviewers: %v", reviewers)
	}
	// A contact changed again, the one leaving removed: only the new one reviews.
	again := *edit
	again.ContactEmail = "troisieme@anct.gouv.fr"
	if _, err := e.Repo.UpdatePosting(t.Context(), &again, "admin@anct.gouv.fr", repository.FormerContactRemoved); err != nil {
		t.Fatal(err)
	}
	reviewers, _ = e.Repo.Reviewers(t.Context(), p.ID)
	if slices.Contains(reviewers, "nouveau@anct.gouv.fr") || !slices.Contains(reviewers, "troisieme@anct.gouv.fr") {
		t.Errorf("reviewers after a change removing the contact who left: %v", reviewers)
	}
	if _, err := e.Repo.UpdatePosting(t.Context(), &repository.Posting{ID: 999_999, Title: "x"}, "admin@anct.gouv.fr", repository.FormerContactKept); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("unknown posting: %v, want ErrNotFound", err)
	}
}
