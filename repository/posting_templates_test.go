package repository_test

import (
	"errors"
	"testing"

	"vivier/internal/catalog"
	"vivier/repository"
)

// A posting's own wording of an email replaces the previous one, and
// deleting it goes back to the default; other postings keep theirs.
func TestPostingTemplates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p, q := e.openPosting(), e.openPosting()
	save := func(postingID int64, kind, subject string) {
		t.Helper()
		err := e.Repo.SavePostingTemplate(t.Context(), repository.PostingTemplate{PostingID: postingID, Kind: kind,
			Subject: subject, Body: "Bonjour {{.Prenom}}", UpdatedBy: "contact@anct.gouv.fr"})
		if err != nil {
			t.Fatal(err)
		}
	}
	save(p.ID, "acknowledgement", "Premier objet")
	save(p.ID, "acknowledgement", "Second objet")
	save(p.ID, string(catalog.CloseRejected), "Refus")
	save(q.ID, "acknowledgement", "Autre offre")
	got, err := e.Repo.PostingTemplates(t.Context(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	ack := got["acknowledgement"]
	if len(got) != 2 || ack.Subject != "Second objet" || ack.Body != "Bonjour {{.Prenom}}" || ack.UpdatedBy != "contact@anct.gouv.fr" ||
		got[string(catalog.CloseRejected)].Subject != "Refus" {
		t.Errorf("wordings: %+v", got)
	}
	if err := e.Repo.DeletePostingTemplate(t.Context(), p.ID, "acknowledgement"); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.Repo.PostingTemplates(t.Context(), p.ID); len(got) != 1 {
		t.Errorf("wordings after going back to the default: %+v", got)
	}
	if got, _ := e.Repo.PostingTemplates(t.Context(), q.ID); got["acknowledgement"].Subject != "Autre offre" {
		t.Errorf("another posting's wording: %+v", got)
	}
}

// Previews use the latest application still holding its data.
func TestLatestApplication(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	if _, err := e.Repo.LatestApplication(t.Context(), p.ID); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("posting without applications: %v, want ErrNotFound", err)
	}
	first := e.apply(p, "Camille", "Durand")
	last := e.apply(p, "Dominique", "Martin")
	e.exec(`UPDATE applications SET created_at = now() - interval '1 day' WHERE id = $1`, first.ID)
	if got, err := e.Repo.LatestApplication(t.Context(), p.ID); err != nil || got.ID != last.ID {
		t.Errorf("latest: %v, %v; want %d", got, err, last.ID)
	}
	if err := e.Repo.Erase(t.Context(), last.ID, repository.ActorApplicant, nil, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := e.Repo.LatestApplication(t.Context(), p.ID); err != nil || got.ID != first.ID {
		t.Errorf("latest once the last is erased: %v, %v; want %d", got, err, first.ID)
	}
}
