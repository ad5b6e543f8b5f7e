package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"vivier/internal/testkit"
)

func TestPostingWordsItsOwnEmails(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Time{})
	c := app.Client()
	app.SignIn(c, p.ContactEmail)
	base := app.URL + "/boite/offres/" + strconv.FormatInt(p.ID, 10) + "/modeles"

	// The editor lists the variables and shows the default words with them.
	resp, body := testkit.Get(t, c, base)
	if resp.StatusCode != 200 || !strings.Contains(body, "{{.Prenom}}") || !strings.Contains(body, "Nous avons bien reçu votre candidature pour l&#39;offre « {{.Offre}} »") {
		t.Fatalf("editor: %d", resp.StatusCode)
	}

	// Refused on save, with the reason: an unknown variable, a broken template.
	for _, tc := range []struct{ body, reason string }{
		{"Bonjour {{.Prénom}} !", "la variable « Prénom » n&#39;existe pas"},
		{"Bonjour {{.Prenom !", "Message illisible"},
	} {
		resp, page := testkit.PostForm(t, c, base+"/acknowledgement", url.Values{"objet": {"Merci"}, "message": {tc.body}, "action": {"enregistrer"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, tc.reason) {
			t.Errorf("%q: %d, reason %q missing", tc.body, resp.StatusCode, tc.reason)
		}
	}
	var saved int
	app.DB.Get(&saved, `SELECT count(*) FROM posting_templates`)
	if saved != 0 {
		t.Fatalf("%d refused templates saved", saved)
	}

	// A preview renders it for a real application.
	seedApplication(t, app, p.ID, "Dominique", "Martin", "dominique@example.org")
	custom := url.Values{"objet": {"Bien reçu, {{.Prenom}}"}, "message": {"Merci {{.Prenom}} {{.Nom}} pour votre intérêt pour « {{.Offre}} »."}}
	custom.Set("action", "apercu")
	resp, page := testkit.PostForm(t, c, base+"/acknowledgement", custom)
	if resp.StatusCode != 200 || !strings.Contains(page, "Bien reçu, Dominique") || !strings.Contains(page, "Merci Dominique Martin pour votre intérêt") {
		t.Fatalf("preview: %d", resp.StatusCode)
	}

	// Saved, it words the next acknowledgement; the private link stays.
	custom.Set("action", "enregistrer")
	if resp, _ := testkit.PostForm(t, c, base+"/acknowledgement", custom); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	before := len(app.SMTP.Messages())
	if resp, _ := testkit.PostMultipart(t, app.Client(), app.URL+"/offres/"+p.Slug+"/candidature", validForm(), cv()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply: %d", resp.StatusCode)
	}
	var ack *string
	for _, m := range app.SMTP.WaitFor(before+2, 20*time.Second)[before:] {
		if m.To[0] == "camille.durand@example.org" {
			ack = &m.Text
			if m.Subject != "Bien reçu, Camille" {
				t.Errorf("subject %q", m.Subject)
			}
		}
	}
	if ack == nil || !strings.Contains(*ack, "Merci Camille Durand pour votre intérêt") || linkRe.FindString(*ack) == "" {
		t.Fatalf("acknowledgement not worded by the posting, or without its link")
	}

	// Back to the default.
	testkit.PostForm(t, c, base+"/acknowledgement", url.Values{"action": {"defaut"}})
	app.DB.Get(&saved, `SELECT count(*) FROM posting_templates`)
	if saved != 0 {
		t.Errorf("reset left %d templates", saved)
	}
}

func TestACloseUsesThePostingsWording(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	p := app.OpenPosting(time.Time{})
	a := seedApplication(t, app, p.ID, "Dominique", "Martin", "dominique@example.org")
	app.DB.MustExec(`UPDATE applications SET status = 'rejected' WHERE id = $1`, a.ID)
	c := app.Client()
	app.StartWorker()
	app.SignIn(c, p.ContactEmail)
	app.StopWorker()
	base := app.URL + "/boite/offres/" + strconv.FormatInt(p.ID, 10)
	testkit.PostForm(t, c, base+"/modeles/close_rejected", url.Values{"objet": {"Merci {{.Prenom}}"},
		"message": {"Nous avons choisi un autre profil pour « {{.Offre}} », {{.Prenom}}."}, "action": {"enregistrer"}})
	_, body := testkit.Get(t, c, base+"/cloture")
	if resp, _ := testkit.PostForm(t, c, base+"/cloture", closeForm(t, body)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("close: %d", resp.StatusCode)
	}
	var subject, text string
	app.DB.QueryRow(`SELECT subject, text_body FROM emails WHERE kind = 'close_rejected'`).Scan(&subject, &text)
	if subject != "Merci Dominique" || !strings.Contains(text, "Nous avons choisi un autre profil pour « Coach pour le Programme national d'investigation », Dominique.") {
		t.Errorf("close notice: %q\n%s", subject, text)
	}
}
