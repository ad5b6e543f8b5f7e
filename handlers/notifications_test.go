package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"vivier/internal/mailcatcher"
	"vivier/internal/testkit"
)

// messagesTo lists the messages the SMTP server got for address, sign-in
// links left out.
func messagesTo(app *testkit.App, address string) []*mailcatcher.Message {
	var out []*mailcatcher.Message
	for _, m := range app.SMTP.Messages() {
		if strings.Contains(m.Text, "/connexion/lien/") {
			continue
		}
		for _, to := range m.To {
			if to == address {
				out = append(out, m)
			}
		}
	}
	return out
}

func checked(body, value string) bool {
	return regexp.MustCompile(`value="` + value + `" checked`).MatchString(body)
}

// Each reviewer chooses how they hear of a posting's new applications:
// the contact is told at once until they choose otherwise, other
// reviewers not at all; a new application then goes to exactly those who
// chose "at once". A value that is not a choice is refused next to the
// field.
func TestReviewersChooseHowTheyHearOfNewApplications(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Time{})
	ctx := context.Background()
	for _, r := range []string{"paul@anct.gouv.fr", "lea@anct.gouv.fr"} {
		if err := app.Repo.AddReviewer(ctx, p.ID, r, "test"); err != nil {
			t.Fatal(err)
		}
	}
	page := app.URL + "/boite/offres/" + strconv.FormatInt(p.ID, 10) + "/notifications"
	contact := app.Client()
	app.SignIn(contact, p.ContactEmail)

	_, list := testkit.Get(t, contact, app.URL+"/boite/offres/"+strconv.FormatInt(p.ID, 10))
	if !strings.Contains(list, `id="lien-notifications">Notifications&nbsp;: À chaque nouveauté</a>`) {
		t.Errorf("the posting's list does not link to the contact's notifications")
	}
	resp, body := testkit.Get(t, contact, page)
	if resp.StatusCode != http.StatusOK || !checked(body, "at_once") || !strings.Contains(body, "À chaque nouveauté (par défaut)") {
		t.Fatalf("contact's page: %d, at once not chosen by default", resp.StatusCode)
	}
	resp, body = testkit.PostForm(t, contact, page, url.Values{"frequence": {"hebdomadaire"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="frequence-erreur"`) ||
		!strings.Contains(body, "Choisissez l&#39;une des trois possibilités") || !checked(body, "at_once") {
		t.Fatalf("unknown frequency: %d, want 422 with the message next to the field and the current choice kept", resp.StatusCode)
	}
	resp, _ = testkit.PostForm(t, contact, page, url.Values{"frequence": {"daily"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("choose daily: %d", resp.StatusCode)
	}
	_, body = testkit.Get(t, contact, page)
	if !strings.Contains(body, "Votre choix est enregistré : un récapitulatif par jour.") || !checked(body, "daily") {
		t.Errorf("after choosing the daily digest, the page does not say so")
	}

	paul := app.Client()
	app.SignIn(paul, "paul@anct.gouv.fr")
	_, body = testkit.Get(t, paul, page)
	if !checked(body, "none") || !strings.Contains(body, "Aucun email (par défaut)") {
		t.Errorf("another reviewer is not told by default")
	}
	if resp, _ := testkit.PostForm(t, paul, page, url.Values{"frequence": {"at_once"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("paul chooses at once: %d", resp.StatusCode)
	}
	// Someone taken off the posting has no choice to make there.
	lea := app.Client()
	app.SignIn(lea, "lea@anct.gouv.fr")
	if err := app.Repo.RemoveReviewer(ctx, p.ID, "lea@anct.gouv.fr"); err != nil {
		t.Fatal(err)
	}
	if resp, _ := testkit.PostForm(t, lea, page, url.Values{"frequence": {"at_once"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a former reviewer sets a preference: %d, want 404", resp.StatusCode)
	}

	// An application: paul is told at once, the contact (daily) is not.
	before := len(app.SMTP.Messages())
	resp, _ = testkit.PostMultipart(t, app.Client(), app.URL+"/offres/"+p.Slug+"/candidature", validForm(), cv())
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply: %d", resp.StatusCode)
	}
	app.SMTP.WaitFor(before+2, 20*time.Second)
	app.WaitQueuesEmpty()
	var appID int64
	app.DB.Get(&appID, `SELECT id FROM applications`)
	told := messagesTo(app, "paul@anct.gouv.fr")
	if len(told) != 1 || !strings.Contains(told[0].Text, "Camille") ||
		!strings.Contains(told[0].Text, "http://vivier.test/boite/candidatures/"+strconv.FormatInt(appID, 10)) ||
		!strings.Contains(told[0].Text, "http://vivier.test/boite/offres/"+strconv.FormatInt(p.ID, 10)+"/notifications") {
		t.Fatalf("paul got %d notifications, want one with the application's link and the settings' link", len(told))
	}
	if n := len(messagesTo(app, p.ContactEmail)); n != 0 {
		t.Errorf("the contact, who chose the daily digest, got %d notifications, want none", n)
	}
	if n := len(messagesTo(app, "lea@anct.gouv.fr")); n != 0 {
		t.Errorf("a former reviewer got %d notifications, want none", n)
	}
}

// A note mentions reviewers of the posting by "@" and their address, or
// what comes before its "@": each one mentioned gets an email with a link
// to the note; a mention that designates nobody, or several people, is
// said in a warning after the note is added, and nobody is told of it.
func TestNoteMentionsTellTheReviewersMentioned(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Time{})
	ctx := context.Background()
	for _, r := range []string{"paul.martin@anct.gouv.fr", "paul.durand@anct.gouv.fr", "lea@anct.gouv.fr"} {
		if err := app.Repo.AddReviewer(ctx, p.ID, r, "test"); err != nil {
			t.Fatal(err)
		}
	}
	a := seedApplication(t, app, p.ID, "Camille", "Durand", "camille@example.org")
	page := app.URL + "/boite/candidatures/" + strconv.FormatInt(a.ID, 10)
	c := app.Client()
	app.SignIn(c, p.ContactEmail)
	_, body := testkit.Get(t, c, page)
	if !strings.Contains(body, "@lea@anct.gouv.fr") || !strings.Contains(body, `data-mention="paul.martin@anct.gouv.fr"`) ||
		strings.Contains(body, `data-mention="`+p.ContactEmail+`"`) {
		t.Errorf("the note's field does not offer the other reviewers to mention")
	}

	self, _, _ := strings.Cut(p.ContactEmail, "@")
	note := "@lea et @Paul.Martin@anct.gouv.fr, pouvez-vous regarder ? Cc @paul, @inconnu.fr et moi-même @" + self + ". Écrire à camille@example.org."
	resp, _ := testkit.PostForm(t, c, page+"/notes", url.Values{"note": {note}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add note: %d", resp.StatusCode)
	}
	_, body = testkit.Get(t, c, app.URL+resp.Header.Get("Location"))
	for _, want := range []string{"fr-alert--warning", "Note ajoutée. lea@anct.gouv.fr et paul.martin@anct.gouv.fr sont prévenu·es par email.",
		"« @inconnu.fr » ne désigne aucune personne qui relit cette offre", "« @paul » désigne plusieurs personnes qui relisent cette offre"} {
		if !strings.Contains(body, strings.ReplaceAll(want, "'", "&#39;")) {
			t.Errorf("after the note, the page does not say %q", want)
		}
	}
	var noteID int64
	app.DB.Get(&noteID, `SELECT id FROM notes WHERE application_id = $1`, a.ID)
	if !strings.Contains(body, `id="note-`+strconv.FormatInt(noteID, 10)+`"`) {
		t.Errorf("the note has no anchor for the emails' link")
	}
	var kinds []string
	app.DB.Select(&kinds, `SELECT to_address FROM emails WHERE kind = 'note_mention' ORDER BY to_address`)
	if strings.Join(kinds, ",") != "lea@anct.gouv.fr,paul.martin@anct.gouv.fr" {
		t.Fatalf("mention emails written to %v, want lea and paul.martin only", kinds)
	}
	app.WaitEmails("sent", 2, 20*time.Second)
	app.WaitQueuesEmpty()
	got := messagesTo(app, "lea@anct.gouv.fr")
	if len(got) != 1 {
		t.Fatalf("lea got %d emails, want 1", len(got))
	}
	m := got[0]
	if m.HeaderText("Subject") != p.ContactEmail+" vous mentionne dans une note sur Camille Durand" ||
		!strings.Contains(m.Text, "http://vivier.test/boite/candidatures/"+strconv.FormatInt(a.ID, 10)+"#note-"+strconv.FormatInt(noteID, 10)) ||
		!strings.Contains(m.Text, "pouvez-vous regarder ?") || m.Header.Get("Reply-To") != "<"+p.ContactEmail+">" {
		t.Errorf("mention email: %q, Reply-To %q\n%s", m.HeaderText("Subject"), m.Header.Get("Reply-To"), m.Text)
	}
	var details string
	app.DB.Get(&details, `SELECT details::text FROM audit_log WHERE action = 'note_added'`)
	if !strings.Contains(details, "lea@anct.gouv.fr") {
		t.Errorf("the audit log does not say who was mentioned: %s", details)
	}

	// A note refused keeps what was typed.
	long := "@lea " + strings.Repeat("très long ", 600)
	resp, body = testkit.PostForm(t, c, page+"/notes", url.Values{"note": {long}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Une note ne doit pas dépasser 5000 caractères.") ||
		!strings.Contains(body, ">@lea très long très long") {
		t.Errorf("a note too long: %d, the message or the text typed missing", resp.StatusCode)
	}
	var n int
	app.DB.Get(&n, `SELECT count(*) FROM emails WHERE kind = 'note_mention'`)
	if n != 2 {
		t.Errorf("%d mention emails after a refused note, want 2", n)
	}
}
