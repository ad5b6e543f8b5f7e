package repository_test

import (
	"slices"
	"testing"

	"vivier/internal/catalog"
	"vivier/repository"
)

func auditIDs(es []repository.AuditEntry) []int64 {
	out := make([]int64, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

// audit records a line and returns its id.
func (e *env) audit(actor, action string, postingID, appID int64, details any) int64 {
	e.t.Helper()
	if err := e.Repo.Audit(e.t.Context(), actor, action, postingID, appID, details); err != nil {
		e.t.Fatal(err)
	}
	return int64(e.count(`SELECT max(id) FROM audit_log`))
}

// A line keeps who, what, about which posting and application (none
// when 0) and its details.
func TestAudit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	a := e.apply(p, "Camille", "Durand")
	e.audit("contact@anct.gouv.fr", repository.AuditCVOpened, p.ID, a.ID, map[string]any{"telechargement": true})
	e.audit("contact@anct.gouv.fr", repository.AuditExported, p.ID, 0, nil)
	es, next, err := e.Repo.AuditLog(t.Context(), repository.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || next != 0 {
		t.Fatalf("log: %+v, next %d", es, next)
	}
	export, cv := es[0], es[1] // newest first
	if cv.Actor != "contact@anct.gouv.fr" || cv.Action != repository.AuditCVOpened || *cv.PostingID != p.ID ||
		*cv.ApplicationID != a.ID || cv.DetailsMap()["telechargement"] != true || cv.At.IsZero() {
		t.Errorf("CV line: %+v", cv)
	}
	if export.ApplicationID != nil || *export.PostingID != p.ID || len(export.DetailsMap()) != 0 {
		t.Errorf("export line: %+v (%s)", export, export.Details)
	}
}

// The journal filters by actor (case and spaces ignored), action and
// posting, newest first, by pages that neither repeat nor skip a line.
func TestAuditLogFiltersAndPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p, q := e.openPosting(), e.openPosting()
	var byContact, byApplicant, cvOpened, aboutP, all []int64
	add := func(actor, action string, postingID int64) {
		id := e.audit(actor, action, postingID, 0, nil)
		all = append([]int64{id}, all...)
		if actor == "Contact@anct.gouv.fr" {
			byContact = append([]int64{id}, byContact...)
		}
		if actor == repository.ActorApplicant {
			byApplicant = append([]int64{id}, byApplicant...)
		}
		if action == repository.AuditCVOpened {
			cvOpened = append([]int64{id}, cvOpened...)
		}
		if postingID == p.ID {
			aboutP = append([]int64{id}, aboutP...)
		}
	}
	for i := range 3 {
		add("Contact@anct.gouv.fr", repository.AuditCVOpened, p.ID)
		add("autre@anct.gouv.fr", repository.AuditNoteAdded, q.ID)
		add(repository.ActorSystem, repository.AuditRetentionErased, p.ID)
		if i == 0 {
			add(repository.ActorApplicant, repository.AuditErased, 0)
		}
	}
	cases := []struct {
		name string
		f    repository.AuditFilter
		want []int64
	}{
		{"everything", repository.AuditFilter{}, all},
		{"actor", repository.AuditFilter{Actor: "  contact@ANCT.gouv.fr "}, byContact},
		{"applicant", repository.AuditFilter{Actor: repository.ActorApplicant}, byApplicant},
		{"action", repository.AuditFilter{Action: repository.AuditCVOpened}, cvOpened},
		{"posting", repository.AuditFilter{PostingID: p.ID}, aboutP},
		{"posting and action", repository.AuditFilter{PostingID: p.ID, Action: repository.AuditNoteAdded}, nil},
	}
	for _, c := range cases {
		for _, size := range []int{1, 4, 100} {
			c.f.Limit = size
			c.f.Before = 0
			var got []int64
			for range 20 {
				es, next, err := e.Repo.AuditLog(t.Context(), c.f)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, auditIDs(es)...)
				if next == 0 {
					break
				}
				c.f.Before = next
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("%s, pages of %d: %v, want %v", c.name, size, got, c.want)
			}
		}
	}
}

// Choosers list every posting, newest first.
func TestPostingTitles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := e.openPosting(), e.posting(catalog.PostingDraft)
	got, err := e.Repo.PostingTitles(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != b.ID || got[1].ID != a.ID || got[1].Title != a.Title {
		t.Errorf("titles: %+v", got)
	}
}
