package repository_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"vivier/internal/catalog"
	"vivier/repository"
)

// An application is stored with its CV, its "received" line of history
// and its emails, linked to its id.
func TestCreateApplicationWritesEverythingTogether(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	a := newApplication(p.ID, "Camille", "Durand")
	doc := cv()
	var seen *repository.Application
	emails, err := e.Repo.CreateApplication(t.Context(), a, doc, func(app *repository.Application) ([]*repository.Email, error) {
		seen = app
		ack, _ := acknowledgement(app)
		contact := &repository.Email{Kind: "contact_notification", PostingID: &app.PostingID, ApplicationID: &app.ID,
			ToAddress: p.ContactEmail, Subject: "Nouvelle candidature", TextBody: "t", HTMLBody: "h"}
		return append(ack, contact), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == 0 || a.Status != catalog.StatusReceived || a.CreatedAt.IsZero() {
		t.Fatalf("stored application not filled in: id %d, status %q, created %v", a.ID, a.Status, a.CreatedAt)
	}
	if seen != a || seen.ID == 0 {
		t.Fatalf("emails were built before the application had its id")
	}
	if len(emails) != 2 || emails[0].ID == 0 || emails[1].ID == 0 || emails[0].Status != repository.EmailPending {
		t.Fatalf("emails returned: %+v", emails)
	}
	stored, err := e.Repo.ApplicationByID(t.Context(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Email != "camille.durand@example.org" || stored.DaysPerWeek != 3 || len(stored.Links) != 1 ||
		!bytes.Equal(stored.AccessTokenHash, a.AccessTokenHash) || stored.SubmissionNonce != a.SubmissionNonce {
		t.Errorf("stored application: %+v", stored)
	}
	got, err := e.Repo.DocumentByApplication(t.Context(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Content, doc.Content) || got.FileName != "cv.pdf" || got.SizeBytes != doc.SizeBytes {
		t.Errorf("stored CV: %s, %d bytes", got.FileName, len(got.Content))
	}
	info, err := e.Repo.DocumentInfo(t.Context(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if info.Content != nil || info.SizeBytes != doc.SizeBytes || !bytes.Equal(info.SHA256, doc.SHA256) {
		t.Errorf("CV info: %+v", info)
	}
	events, err := e.Repo.Events(t.Context(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Kind != repository.EventReceived || *events[0].ToStatus != catalog.StatusReceived ||
		events[0].FromStatus != nil || events[0].Actor != repository.ActorApplicant {
		t.Errorf("history: %+v", events)
	}
	stored2, err := e.Repo.EmailsOfApplication(t.Context(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored2) != 2 || stored2[0].Kind != "acknowledgement" || stored2[1].ToAddress != p.ContactEmail {
		t.Errorf("emails of the application: %+v", stored2)
	}
}

// An application without a CV is stored without one.
func TestCreateApplicationWithoutCV(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	a := newApplication(p.ID, "Camille", "Durand")
	if _, err := e.Repo.CreateApplication(t.Context(), a, nil, acknowledgement); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Repo.DocumentByApplication(t.Context(), a.ID); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("CV of an application without one: %v, want ErrNotFound", err)
	}
	if _, err := e.Repo.DocumentInfo(t.Context(), a.ID); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("CV info of an application without one: %v, want ErrNotFound", err)
	}
}

// When an email cannot be written, or cannot be built, nothing of the
// application stays: no row, no CV, no history, no email.
func TestCreateApplicationIsAllOrNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	missing := int64(999_999)
	failures := map[string]repository.EmailsFor{
		"email refused by the database": func(a *repository.Application) ([]*repository.Email, error) {
			ack, _ := acknowledgement(a)
			bad := &repository.Email{Kind: "contact_notification", PostingID: &missing, ApplicationID: &a.ID,
				ToAddress: p.ContactEmail, Subject: "s", TextBody: "t", HTMLBody: "h"}
			return append(ack, bad), nil
		},
		"email not built": func(*repository.Application) ([]*repository.Email, error) {
			return nil, errors.New("template broken")
		},
	}
	for name, emails := range failures {
		a := newApplication(p.ID, "Camille", "Durand")
		if _, err := e.Repo.CreateApplication(t.Context(), a, cv(), emails); err == nil {
			t.Fatalf("%s: application stored", name)
		}
		apps, docs, mails, err := e.Repo.Counts(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if apps != 0 || docs != 0 || mails != 0 || e.count(`SELECT count(*) FROM application_events`) != 0 {
			t.Fatalf("%s: left %d applications, %d CVs, %d emails", name, apps, docs, mails)
		}
	}
	// The same person may then apply: nothing half-written stands in the way.
	e.apply(p, "Camille", "Durand")
}

// A posting takes applications only while open and before its closing
// date (on the database's clock); an unknown posting is not found.
func TestCreateApplicationRefusesPostingsNotOpen(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	past := time.Now().Add(-time.Minute)
	future := time.Now().Add(time.Hour)
	cases := []struct {
		name    string
		posting *repository.Posting
		want    error
	}{
		{"draft", e.posting(catalog.PostingDraft), repository.ErrPostingClosed},
		{"closed", e.posting(catalog.PostingClosed), repository.ErrPostingClosed},
		{"archived", e.posting(catalog.PostingArchived), repository.ErrPostingClosed},
		{"open past its date", e.posting(catalog.PostingOpen, func(p *repository.Posting) { p.ClosesAt = &past }), repository.ErrPostingClosed},
		{"open until later", e.posting(catalog.PostingOpen, func(p *repository.Posting) { p.ClosesAt = &future }), nil},
		{"unknown", &repository.Posting{ID: 999_999}, repository.ErrNotFound},
	}
	for _, c := range cases {
		_, err := e.Repo.CreateApplication(t.Context(), newApplication(c.posting.ID, "Camille", "Durand"), cv(), acknowledgement)
		if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("%s posting: %v, want %v", c.name, err, c.want)
		}
	}
	if !errors.Is(repository.ErrPostingClosed, repository.ErrConflict) {
		t.Errorf("ErrPostingClosed is not an ErrConflict")
	}
	if apps, _, _, _ := e.Repo.Counts(t.Context()); apps != 1 {
		t.Errorf("%d applications stored, want the one to the open posting", apps)
	}
}

// One live application per address and posting, whatever the case of the
// address; an erased one does not count, another posting neither.
func TestCreateApplicationRefusesDuplicates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	first := e.apply(p, "Camille", "Durand")
	again := newApplication(p.ID, "Camille", "Durand", func(a *repository.Application) {
		a.Email = "Camille.DURAND@example.org"
		a.AccessTokenHash = tokenHash("autre jeton")
	})
	_, err := e.Repo.CreateApplication(t.Context(), again, cv(), acknowledgement)
	if !errors.Is(err, repository.ErrDuplicateApplication) || !errors.Is(err, repository.ErrConflict) {
		t.Fatalf("second application: %v, want ErrDuplicateApplication", err)
	}
	e.apply(e.openPosting(), "Camille", "Durand") // another posting
	if err := e.Repo.Erase(t.Context(), first.ID, repository.ActorApplicant, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Repo.CreateApplication(t.Context(), again, cv(), acknowledgement); err != nil {
		t.Errorf("application after the first was erased: %v", err)
	}
}

// A private link finds its application; a new link replaces every older
// one; an erased application is found by none.
func TestApplicationByTokenHash(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	a := e.apply(p, "Camille", "Durand")
	other := e.apply(p, "Dominique", "Martin")
	got, err := e.Repo.ApplicationByTokenHash(t.Context(), a.AccessTokenHash)
	if err != nil || got.ID != a.ID {
		t.Fatalf("by first token: %v, %v", got, err)
	}
	added := tokenHash("second jeton")
	link := email("private_link", a, "Votre lien")
	if err := e.Repo.ReplaceAccessTokens(t.Context(), a.ID, added, []*repository.Email{link}); err != nil {
		t.Fatal(err)
	}
	if link.ID == 0 {
		t.Errorf("the email carrying the new link was not written")
	}
	if got, err := e.Repo.ApplicationByTokenHash(t.Context(), added); err != nil || got.ID != a.ID {
		t.Errorf("by the new token: %v, %v; want application %d", got, err, a.ID)
	}
	if _, err := e.Repo.ApplicationByTokenHash(t.Context(), a.AccessTokenHash); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("the replaced token still works: %v", err)
	}
	if _, err := e.Repo.ApplicationByTokenHash(t.Context(), tokenHash("inconnu")); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("unknown token: %v, want ErrNotFound", err)
	}
	if err := e.Repo.Erase(t.Context(), a.ID, repository.ActorApplicant, nil, nil); err != nil {
		t.Fatal(err)
	}
	for _, h := range [][]byte{a.AccessTokenHash, added} {
		if _, err := e.Repo.ApplicationByTokenHash(t.Context(), h); !errors.Is(err, repository.ErrNotFound) {
			t.Errorf("token of an erased application: %v, want ErrNotFound", err)
		}
	}
	if got, err := e.Repo.ApplicationByTokenHash(t.Context(), other.AccessTokenHash); err != nil || got.ID != other.ID {
		t.Errorf("another applicant's token after the erasure: %v, %v", got, err)
	}
}

// A link is added only to a live application, with its email, or not at all.
func TestReplaceAccessTokensOfMissingApplication(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	a := e.apply(p, "Camille", "Durand")
	if err := e.Repo.Erase(t.Context(), a.ID, repository.ActorApplicant, nil, nil); err != nil {
		t.Fatal(err)
	}
	before := e.count(`SELECT count(*) FROM emails`)
	for _, id := range []int64{a.ID, 999_999} {
		err := e.Repo.ReplaceAccessTokens(t.Context(), id, tokenHash("jeton"), []*repository.Email{email("private_link", a, "Votre lien")})
		if !errors.Is(err, repository.ErrNotFound) {
			t.Errorf("link to application %d: %v, want ErrNotFound", id, err)
		}
	}
	if n := e.count(`SELECT count(*) FROM emails`); n != before {
		t.Errorf("%d emails written for links never made", n-before)
	}
}

// The live application of an address is found whatever the case; an
// erased one, or one to another posting, is not.
func TestApplicationByEmail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p, q := e.openPosting(), e.openPosting()
	a := e.apply(p, "Camille", "Durand")
	got, err := e.Repo.ApplicationByEmail(t.Context(), p.ID, "CAMILLE.Durand@example.org")
	if err != nil || got.ID != a.ID {
		t.Fatalf("by address: %v, %v", got, err)
	}
	if _, err := e.Repo.ApplicationByEmail(t.Context(), q.ID, a.Email); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("other posting: %v, want ErrNotFound", err)
	}
	if err := e.Repo.Erase(t.Context(), a.ID, repository.ActorApplicant, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Repo.ApplicationByEmail(t.Context(), p.ID, a.Email); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("erased application: %v, want ErrNotFound", err)
	}
}

// A withdrawal changes the status once, with its history line and the
// email to the contact; a second one is a conflict and writes nothing.
func TestWithdraw(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	a := e.apply(p, "Camille", "Durand")
	e.setStatus(a, catalog.StatusShortlisted)
	tell := &repository.Email{Kind: "withdrawn_contact", PostingID: &p.ID, ApplicationID: &a.ID, ToAddress: p.ContactEmail,
		Subject: "Candidature retirée", TextBody: "t", HTMLBody: "h"}
	if err := e.Repo.Withdraw(t.Context(), a.ID, []*repository.Email{tell}, nil); err != nil {
		t.Fatal(err)
	}
	got, _ := e.Repo.ApplicationByID(t.Context(), a.ID)
	if got.Status != catalog.StatusWithdrawn || got.WithdrawnAt == nil {
		t.Errorf("after withdrawal: status %q, withdrawn at %v", got.Status, got.WithdrawnAt)
	}
	events, _ := e.Repo.Events(t.Context(), a.ID)
	last := events[len(events)-1]
	if last.Kind != repository.EventWithdrawn || *last.FromStatus != catalog.StatusShortlisted ||
		*last.ToStatus != catalog.StatusWithdrawn || last.Actor != repository.ActorApplicant {
		t.Errorf("history line: %+v", last)
	}
	if tell.ID == 0 {
		t.Errorf("the contact's email was not written")
	}
	before := e.count(`SELECT count(*) FROM emails`)
	err := e.Repo.Withdraw(t.Context(), a.ID, []*repository.Email{email("withdrawn_contact", a, "encore")}, nil)
	if !errors.Is(err, repository.ErrConflict) {
		t.Errorf("second withdrawal: %v, want ErrConflict", err)
	}
	if n := e.count(`SELECT count(*) FROM emails`); n != before {
		t.Errorf("second withdrawal wrote %d emails", n-before)
	}
	if err := e.Repo.Withdraw(t.Context(), 999_999, nil, nil); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("unknown application: %v, want ErrNotFound", err)
	}
}

// Erasure blanks the personal fields and removes the CV, the notes and
// the private links; pending mail to the person is cancelled and every
// email about them loses its words; ratings stay for the counts. Another
// applicant keeps everything.
func TestEraseBlanksPersonalData(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	a := e.apply(p, "Camille", "Durand")
	other := e.apply(p, "Dominique", "Martin")
	if err := e.Repo.ReplaceAccessTokens(t.Context(), a.ID, tokenHash("second jeton"), nil); err != nil {
		t.Fatal(err)
	}
	if err := e.Repo.AddNote(t.Context(), a.ID, "contact@anct.gouv.fr", "Très bon profil"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Repo.SaveScorecard(t.Context(), p.ID, a.ID, "contact@anct.gouv.fr",
		repository.ScorecardInput{Recommendation: catalog.DefinitelyYes, Comment: "Camille a déjà coaché"}); err != nil {
		t.Fatal(err)
	}
	e.exec(`UPDATE emails SET status = 'sent' WHERE application_id = $1`, a.ID) // the acknowledgement left
	later := email("status_update", a, "Votre candidature avance")
	e.insertEmails(later)
	tell := &repository.Email{Kind: "erased_contact", PostingID: &p.ID, ToAddress: p.ContactEmail,
		Subject: "Données effacées", TextBody: "t", HTMLBody: "h"}

	if err := e.Repo.Erase(t.Context(), a.ID, repository.ActorApplicant, []*repository.Email{tell}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := e.Repo.ApplicationByID(t.Context(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ErasedAt == nil || got.FirstName != "" || got.LastName != "" || got.Email != "" || got.Phone != "" ||
		got.Location != "" || got.SIRET != "" || len(got.Links) != 0 || got.Motivation != "" {
		t.Errorf("erased application keeps personal data: %+v", got)
	}
	if bytes.Equal(got.AccessTokenHash, a.AccessTokenHash) {
		t.Errorf("erased application keeps its link's hash")
	}
	if got.DailyRate != a.DailyRate || got.Status != catalog.StatusReceived {
		t.Errorf("erasure changed what counts keep: rate %d, status %q", got.DailyRate, got.Status)
	}
	if _, err := e.Repo.DocumentByApplication(t.Context(), a.ID); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("CV after erasure: %v, want ErrNotFound", err)
	}
	notes, _ := e.Repo.Notes(t.Context(), a.ID)
	tokens := e.count(`SELECT count(*) FROM application_tokens WHERE application_id = $1`, a.ID)
	if len(notes) != 0 || tokens != 0 {
		t.Errorf("after erasure: %d notes, %d private links", len(notes), tokens)
	}
	if cards, _ := e.Repo.ScorecardsOf(t.Context(), a.ID); len(cards) != 1 || cards[0].Comment != "" || cards[0].Recommendation != catalog.DefinitelyYes {
		t.Errorf("scorecards after erasure: %+v, want the one kept for counts, without its comment", cards)
	}
	emails, _ := e.Repo.EmailsOfApplication(t.Context(), a.ID)
	status := map[string]string{}
	for _, m := range emails {
		status[m.Kind] = m.Status
		if m.ToAddress != "" || m.ToName != "" || m.TextBody != "" || m.HTMLBody != "" || m.Subject != "(effacé)" {
			t.Errorf("%s email keeps its words: %+v", m.Kind, m)
		}
	}
	if status["acknowledgement"] != repository.EmailSent || status["status_update"] != repository.EmailCancelled {
		t.Errorf("email states after erasure: %v", status)
	}
	events, _ := e.Repo.Events(t.Context(), a.ID)
	if last := events[len(events)-1]; last.Kind != repository.EventErased || last.Actor != repository.ActorApplicant {
		t.Errorf("history line: %+v", last)
	}
	if tell.ID == 0 {
		t.Errorf("the contact's email was not written")
	}
	if err := e.Repo.Erase(t.Context(), a.ID, repository.ActorApplicant, nil, nil); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("second erasure: %v, want ErrNotFound", err)
	}
	if err := e.Repo.Erase(t.Context(), 999_999, repository.ActorApplicant, nil, nil); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("unknown application: %v, want ErrNotFound", err)
	}
	kept, _ := e.Repo.ApplicationByID(t.Context(), other.ID)
	if kept.Email != other.Email || kept.ErasedAt != nil {
		t.Errorf("another applicant was erased too: %+v", kept)
	}
	if _, err := e.Repo.DocumentByApplication(t.Context(), other.ID); err != nil {
		t.Errorf("another applicant's CV: %v", err)
	}
}

// Counts counts every application, CV and email.
func TestCounts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	e.apply(p, "Camille", "Durand")
	e.apply(p, "Dominique", "Martin")
	apps, docs, mails, err := e.Repo.Counts(t.Context())
	if err != nil || apps != 2 || docs != 2 || mails != 2 {
		t.Errorf("counts: %d applications, %d CVs, %d emails (%v); want 2 of each", apps, docs, mails, err)
	}
}
