package repository_test

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"vivier/internal/catalog"
	"vivier/repository"
)

// The right of access reads everything held about an application: the
// row, its posting, the CV with its content, the history, the notes, the
// ratings, the emails and the audit lines about it.
func TestPersonalDataOf(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	a := e.apply(p, "Camille", "Durand")
	other := e.apply(p, "Dominique", "Martin")
	if err := e.Repo.AddNote(t.Context(), a.ID, "contact@anct.gouv.fr", "Bon profil"); err != nil {
		t.Fatal(err)
	}
	if err := e.Repo.AddNote(t.Context(), other.ID, "contact@anct.gouv.fr", "Autre personne"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Repo.SaveScorecard(t.Context(), p.ID, a.ID, "contact@anct.gouv.fr", repository.ScorecardInput{Recommendation: catalog.Yes}); err != nil {
		t.Fatal(err)
	}
	ch := repository.StatusChange{To: catalog.StatusInReview, Actor: "contact@anct.gouv.fr"}
	if _, err := e.Repo.ChangeStatus(t.Context(), p.ID, ids(a), ch); err != nil {
		t.Fatal(err)
	}
	d, err := e.Repo.PersonalDataOf(t.Context(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Application.ID != a.ID || d.Application.Email != a.Email || d.Posting.ID != p.ID || d.Posting.Title != p.Title {
		t.Errorf("application %d of posting %d", d.Application.ID, d.Posting.ID)
	}
	if d.Document == nil || !bytes.Equal(d.Document.Content, cv().Content) {
		t.Errorf("CV: %+v", d.Document)
	}
	if len(d.Events) != 2 || d.Events[1].Kind != repository.EventStatusChanged {
		t.Errorf("history: %+v", d.Events)
	}
	if len(d.Notes) != 1 || d.Notes[0].Body != "Bon profil" {
		t.Errorf("notes: %+v", d.Notes)
	}
	if len(d.Scorecards) != 1 || d.Scorecards[0].Recommendation != catalog.Yes || d.Scorecards[0].Reviewer != "contact@anct.gouv.fr" {
		t.Errorf("scorecards: %+v", d.Scorecards)
	}
	if len(d.Emails) != 1 || d.Emails[0].Kind != "acknowledgement" {
		t.Errorf("emails: %+v", d.Emails)
	}
	if _, err := e.Repo.PersonalDataOf(t.Context(), 999_999); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("unknown application: %v, want ErrNotFound", err)
	}
	if err := e.Repo.Erase(t.Context(), a.ID, repository.ActorApplicant, nil, nil); err != nil {
		t.Fatal(err)
	}
	d, err = e.Repo.PersonalDataOf(t.Context(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Document != nil || len(d.Notes) != 0 || d.Application.Email != "" {
		t.Errorf("after erasure: CV %v, %d notes, address %q", d.Document, len(d.Notes), d.Application.Email)
	}
}

// The audit lines of an application are its own and those about its
// whole posting or a group it was in; not those of another application,
// of a group without it or of another posting.
func TestPersonalDataAudit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p, q := e.openPosting(), e.openPosting()
	a := e.apply(p, "Camille", "Durand")
	other := e.apply(p, "Dominique", "Martin")
	contact := "contact@anct.gouv.fr"
	want := []int64{
		e.audit(contact, repository.AuditCVOpened, p.ID, a.ID, nil),
		e.audit(contact, repository.AuditExported, p.ID, 0, map[string]any{"lignes": 2}),
		e.audit(contact, repository.AuditReviewerAdded, p.ID, 0, map[string]any{"relecteur": "autre@anct.gouv.fr"}),
		e.audit(contact, repository.AuditStatusChanged, p.ID, 0, map[string]any{"candidatures": []int64{other.ID, a.ID}}),
		// Retention lines count the people told or erased; they name no one.
		e.audit(repository.ActorSystem, repository.AuditRetentionNotified, p.ID, 0, map[string]any{"candidatures": 2}),
		e.audit(repository.ActorSystem, repository.AuditRetentionNotified, p.ID, 0, map[string]any{"candidatures": a.ID}),
	}
	e.audit(contact, repository.AuditCVOpened, p.ID, other.ID, nil)
	e.audit(contact, repository.AuditStatusChanged, p.ID, 0, map[string]any{"candidatures": []int64{other.ID}})
	e.audit(contact, repository.AuditExported, q.ID, 0, nil)
	d, err := e.Repo.PersonalDataOf(t.Context(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := auditIDs(d.Audit); !slices.Equal(got, want) {
		t.Errorf("audit of the application: %v, want %v", got, want)
	}
}
