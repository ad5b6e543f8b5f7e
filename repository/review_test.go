package repository_test

import (
	"errors"
	"testing"

	"vivier/internal/catalog"
	"vivier/repository"
)

func TestApplicationByID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.apply(e.openPosting(), "Camille", "Durand")
	got, err := e.Repo.ApplicationByID(t.Context(), a.ID)
	if err != nil || got.Email != a.Email {
		t.Errorf("by id: %+v, %v", got, err)
	}
	if _, err := e.Repo.ApplicationByID(t.Context(), 999_999); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("unknown application: %v, want ErrNotFound", err)
	}
}

// Notes are listed oldest first, with their author.
func TestNotes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.apply(e.openPosting(), "Camille", "Durand")
	for _, body := range []string{"Premier échange", "Deuxième échange"} {
		if err := e.Repo.AddNote(t.Context(), a.ID, "contact@anct.gouv.fr", body); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Repo.AddNote(t.Context(), a.ID, "contact@anct.gouv.fr", ""); err == nil {
		t.Errorf("empty note stored")
	}
	ns, err := e.Repo.Notes(t.Context(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 2 || ns[0].Body != "Premier échange" || ns[1].Body != "Deuxième échange" || ns[0].Author != "contact@anct.gouv.fr" {
		t.Errorf("notes: %+v", ns)
	}
}

// Opening an application twice marks it read once.
func TestMarkRead(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.apply(e.openPosting(), "Camille", "Durand")
	for _, who := range []string{"contact@anct.gouv.fr", "Contact@anct.gouv.fr"} {
		if err := e.Repo.MarkRead(t.Context(), a.ID, who); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.count(`SELECT count(*) FROM application_reads WHERE application_id = $1`, a.ID); n != 1 {
		t.Errorf("%d read marks, want 1", n)
	}
}

// A reviewer's move writes, for each application of the posting that
// changes, its status, its history line and its email; withdrawn and
// erased applications, those already there and those of other postings
// are left alone.
func TestChangeStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	received := e.apply(p, "Alice", "Martin")
	inReview := e.apply(p, "Basile", "Durand")
	e.setStatus(inReview, catalog.StatusInReview)
	already := e.apply(p, "Chloé", "Bernard")
	e.setStatus(already, catalog.StatusShortlisted)
	withdrawn := e.apply(p, "Driss", "Petit")
	e.setStatus(withdrawn, catalog.StatusWithdrawn)
	erased := e.apply(p, "Eva", "Moreau")
	if err := e.Repo.Erase(t.Context(), erased.ID, repository.ActorApplicant, nil, nil); err != nil {
		t.Fatal(err)
	}
	elsewhere := e.apply(e.openPosting(), "Farid", "Lambert")
	var asked []int64
	ch := repository.StatusChange{To: catalog.StatusShortlisted, Actor: "contact@anct.gouv.fr",
		EmailFor: func(a *repository.Application) (*repository.Email, error) {
			asked = append(asked, a.ID)
			if a.Status != catalog.StatusShortlisted {
				t.Errorf("email built from status %q, want the new one", a.Status)
			}
			if a.ID == inReview.ID {
				return nil, nil // no email for this one
			}
			m := email("status_update", a, "Présélection")
			m.AboutStatus = a.Status
			return m, nil
		}}
	res, err := e.Repo.ChangeStatus(t.Context(), p.ID, ids(received, inReview, already, withdrawn, erased, elsewhere), ch)
	if err != nil {
		t.Fatal(err)
	}
	emails, changed := res.Emails, res.Changed
	if len(res.Skipped) != 4 {
		t.Errorf("skipped %+v, want the one already there, the withdrawn, the erased and the other posting's", res.Skipped)
	}
	if changed != 2 || len(asked) != 2 || len(emails) != 1 || emails[0].ID == 0 || *emails[0].ApplicationID != received.ID {
		t.Fatalf("changed %d, emails built for %v, written %+v", changed, asked, emails)
	}
	want := map[*repository.Application]catalog.Status{
		received: catalog.StatusShortlisted, inReview: catalog.StatusShortlisted, already: catalog.StatusShortlisted,
		withdrawn: catalog.StatusWithdrawn, erased: catalog.StatusReceived, elsewhere: catalog.StatusReceived,
	}
	for a, status := range want {
		got, _ := e.Repo.ApplicationByID(t.Context(), a.ID)
		if got.Status != status {
			t.Errorf("%s: %s, want %s", a.FirstName, got.Status, status)
		}
	}
	events, _ := e.Repo.Events(t.Context(), inReview.ID)
	last := events[len(events)-1]
	if last.Kind != repository.EventStatusChanged || *last.FromStatus != catalog.StatusInReview ||
		*last.ToStatus != catalog.StatusShortlisted || last.Actor != "contact@anct.gouv.fr" {
		t.Errorf("history line: %+v", last)
	}
	if events, _ := e.Repo.Events(t.Context(), already.ID); len(events) != 1 {
		t.Errorf("%d history lines for an application already shortlisted, want only its receipt", len(events))
	}
}

// A move is refused for a status a reviewer may not set, and for ids none
// of which is the posting's; one that fails on its way writes nothing.
func TestChangeStatusRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	a := e.apply(p, "Alice", "Martin")
	b := e.apply(p, "Basile", "Durand")
	other := e.apply(e.openPosting(), "Farid", "Lambert")
	for _, to := range []catalog.Status{catalog.StatusWithdrawn, "hired", ""} {
		if _, err := e.Repo.ChangeStatus(t.Context(), p.ID, ids(a), repository.StatusChange{To: to}); !errors.Is(err, repository.ErrConflict) {
			t.Errorf("move to %q: %v, want ErrConflict", to, err)
		}
	}
	if catalog.StatusWithdrawn.ReviewerMaySet() || !catalog.StatusInterview.ReviewerMaySet() {
		t.Errorf("ReviewerMaySet disagrees with ChangeStatus")
	}
	ch := repository.StatusChange{To: catalog.StatusRejected, Actor: "x", Reason: "Hors sujet"}
	if _, err := e.Repo.ChangeStatus(t.Context(), p.ID, ids(other), ch); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("ids of another posting: %v, want ErrNotFound", err)
	}
	emails := e.count(`SELECT count(*) FROM emails`)
	ch.EmailFor = func(app *repository.Application) (*repository.Email, error) {
		if app.ID == b.ID {
			return nil, errors.New("template broken")
		}
		return email("status_update", app, "Refus"), nil
	}
	if _, err := e.Repo.ChangeStatus(t.Context(), p.ID, ids(a, b), ch); err == nil {
		t.Fatal("move with an email that fails succeeded")
	}
	for _, app := range []*repository.Application{a, b, other} {
		if got, _ := e.Repo.ApplicationByID(t.Context(), app.ID); got.Status != catalog.StatusReceived {
			t.Errorf("%s is %s after refused moves", app.FirstName, got.Status)
		}
	}
	if n := e.count(`SELECT count(*) FROM emails`); n != emails {
		t.Errorf("a failed move wrote %d emails", n-emails)
	}
	if n := e.count(`SELECT count(*) FROM application_events WHERE kind = $1`, repository.EventStatusChanged); n != 0 {
		t.Errorf("refused moves wrote %d history lines", n)
	}
}

// Only an email that has not left can be cancelled.
func TestCancelEmail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ms := e.pendingEmails(3)
	if err := e.Repo.CancelEmail(t.Context(), ms[0].ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.Repo.EmailByID(t.Context(), ms[0].ID); got.Status != repository.EmailCancelled {
		t.Errorf("cancelled email is %s", got.Status)
	}
	e.claim(ms[1].ID)
	if err := e.Repo.MarkEmailSent(t.Context(), e.claim(ms[2].ID), "<id>"); err != nil {
		t.Fatal(err)
	}
	for i, m := range ms {
		if err := e.Repo.CancelEmail(t.Context(), m.ID); !errors.Is(err, repository.ErrConflict) {
			t.Errorf("cancel email %d again, being sent or sent: %v, want ErrConflict", i, err)
		}
	}
	if err := e.Repo.CancelEmail(t.Context(), 999_999); !errors.Is(err, repository.ErrConflict) {
		t.Errorf("cancel an unknown email: %v, want ErrConflict", err)
	}
}

// A failed email is sent again as a new copy; any other, or one whose
// address was erased, is not.
func TestResendEmail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ms := e.pendingEmails(2)
	failed := e.claim(ms[0].ID)
	if err := e.Repo.MarkEmailFailed(t.Context(), failed, "550 mailbox unavailable"); err != nil {
		t.Fatal(err)
	}
	resent, err := e.Repo.ResendEmail(t.Context(), failed.ID)
	if err != nil {
		t.Fatal(err)
	}
	if resent.ID == failed.ID || resent.Status != repository.EmailPending || resent.Attempts != 0 || resent.Subject != failed.Subject ||
		resent.ToAddress != failed.ToAddress || resent.HTMLBody != failed.HTMLBody || *resent.ApplicationID != *failed.ApplicationID {
		t.Errorf("copy: %+v", resent)
	}
	if got, _ := e.Repo.EmailByID(t.Context(), failed.ID); got.Status != repository.EmailFailed {
		t.Errorf("the failed email became %s", got.Status)
	}
	if _, err := e.Repo.ResendEmail(t.Context(), ms[1].ID); !errors.Is(err, repository.ErrConflict) {
		t.Errorf("resend a pending email: %v, want ErrConflict", err)
	}
	if _, err := e.Repo.ResendEmail(t.Context(), 999_999); !errors.Is(err, repository.ErrConflict) {
		t.Errorf("resend an unknown email: %v, want ErrConflict", err)
	}
	if err := e.Repo.Erase(t.Context(), *failed.ApplicationID, repository.ActorApplicant, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Repo.ResendEmail(t.Context(), failed.ID); !errors.Is(err, repository.ErrConflict) {
		t.Errorf("resend to an erased applicant: %v, want ErrConflict", err)
	}
}
