package handlers_test

import (
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"vivier/internal/testkit"
)

// The attack of the report: Go's templates ran it, each level
// multiplying the work, until the server held hundreds of megabytes.
const templateBomb = `{{range $}}{{range $}}{{range $}}{{printf "%01000000d" 1}}{{end}}{{end}}{{end}}`

// Every form that takes a reviewer's words (a posting's wordings and
// their preview, a status change, a close) takes the wordings' language
// only: code is refused with the reason naming the field and where, and
// what is rendered stays within its bound.
func TestWordingsRefuseCodeAndStayBounded(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Time{})
	a := seedApplication(t, app, p.ID, "Dominique", "Martin", "dominique@example.org")
	c := app.Client()
	app.SignIn(c, p.ContactEmail)
	base := app.URL + "/boite/offres/" + strconv.FormatInt(p.ID, 10)
	reason := html.EscapeString("illisible, ligne 1 : « {{range $}} » n'est pas permis : « $ » ne l'est pas.")

	// The editor: preview and save, as message and as subject.
	for _, action := range []string{"apercu", "enregistrer"} {
		for _, words := range [][2]string{{"Merci", templateBomb}, {templateBomb, "Merci"}} {
			resp, body := testkit.PostForm(t, c, base+"/modeles/acknowledgement", url.Values{"objet": {words[0]}, "message": {words[1]}, "action": {action}})
			field := "Message "
			if words[0] == templateBomb {
				field, reason = "Objet ", strings.Replace(reason, ", ligne 1", "", 1)
			}
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, field+reason) {
				t.Errorf("%s of %.10q / %.10q: %d, reason %q missing", action, words[0], words[1], resp.StatusCode, field+reason)
			}
			if strings.Contains(body, "0000000000") {
				t.Errorf("%s: the attack was run", action)
			}
			reason = html.EscapeString("illisible, ligne 1 : « {{range $}} » n'est pas permis : « $ » ne l'est pas.")
		}
	}
	var saved int
	app.DB.Get(&saved, `SELECT count(*) FROM posting_templates`)
	if saved != 0 {
		t.Fatalf("%d refused wordings saved", saved)
	}

	// The rendered bound: 1,000 titles are refused...
	resp, body := testkit.PostForm(t, c, base+"/modeles/acknowledgement", url.Values{"objet": {"Merci"},
		"message": {strings.Repeat("{{.Offre}}", 1000)}, "action": {"apercu"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "au-delà des 10 000 permis") {
		t.Errorf("a message of 1,000 titles: %d", resp.StatusCode)
	}
	// ... and a subject too long once rendered is cut, and said to be.
	resp, body = testkit.PostForm(t, c, base+"/modeles/acknowledgement", url.Values{"objet": {strings.Repeat("{{.Offre}} ", 10)},
		"message": {"Bien reçu, {{.Prenom}}."}, "action": {"apercu"}})
	if resp.StatusCode != 200 || !strings.Contains(body, "l&#39;objet dépasse 200 caractères : il est coupé") ||
		!strings.Contains(body, "Bien reçu, Dominique.") {
		t.Errorf("a long subject's preview: %d", resp.StatusCode)
	}

	// A status change: the form shows the wording with its variables;
	// code is refused and the status stays.
	page := app.URL + "/boite/candidatures/" + strconv.FormatInt(a.ID, 10)
	if _, body := testkit.Get(t, c, page+"/statut?vers=rejected"); !strings.Contains(body, "l&#39;offre « {{.Offre}} »") || !strings.Contains(body, "<code>{{.Prenom}}</code>") {
		t.Error("the status form does not show the wording with its variables")
	}
	resp, body = testkit.PostForm(t, c, page+"/statut", url.Values{"vers": {"rejected"}, "envoyer": {"oui"},
		"objet": {"Votre candidature"}, "message": {"Bonjour,\n" + templateBomb}, "delai": {"0"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, html.EscapeString("Message illisible, ligne 2 : « {{range $}} »")) {
		t.Errorf("status change with the attack: %d", resp.StatusCode)
	}
	var status string
	app.DB.Get(&status, `SELECT status FROM applications WHERE id = $1`, a.ID)
	if status != "received" {
		t.Errorf("status %s after a refused change", status)
	}
	// Accepted words are rendered for the person.
	before := len(app.SMTP.Messages())
	resp, _ = testkit.PostForm(t, c, page+"/statut", url.Values{"vers": {"shortlisted"}, "envoyer": {"oui"},
		"objet": {"{{.Prenom}}, bonne nouvelle"}, "message": {"Votre candidature à « {{ .Offre }} » avance{{if .Organisation}} chez {{.Organisation}}{{end}}."}, "delai": {"0"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("status change: %d", resp.StatusCode)
	}
	msgs := app.SMTP.WaitFor(before+1, 20*time.Second)[before:]
	if msgs[0].Subject != "Dominique, bonne nouvelle" || !strings.Contains(msgs[0].Text, "Votre candidature à « "+p.Title+" » avance") {
		t.Errorf("status email %q:\n%s", msgs[0].Subject, msgs[0].Text)
	}

	// A status without a wording of its own (back to "received") has a
	// default too.
	if resp, body := testkit.Get(t, c, page+"/statut?vers=received"); resp.StatusCode != 200 || !strings.Contains(body, "a changé d&#39;état") {
		t.Errorf("back to received: %d", resp.StatusCode)
	}

	// A wording saved when wordings were Go templates, that the language
	// refuses: the editor says so, and the default goes out instead.
	app.DB.MustExec(`INSERT INTO posting_templates (posting_id, kind, subject, body, updated_by)
		VALUES ($1, 'close_in_review', 'Clôture', '{{with .Prenom}}Bonjour {{.}}{{end}}', 'x')`, p.ID)
	if _, body := testkit.Get(t, c, base+"/modeles"); !strings.Contains(body, "Ce texte n&#39;est plus accepté : le texte par défaut part à sa place") ||
		!strings.Contains(body, html.EscapeString("« with » ne l'est pas")) {
		t.Error("the editor does not say that the old wording is refused")
	}

	// A close: the hint names the variables, code is refused per group,
	// and the posting stays open.
	_, body = testkit.Get(t, c, base+"/cloture")
	if !strings.Contains(body, "Vous n&#39;avez rien à faire d&#39;ici là") {
		t.Error("the close form does not fall back to the default wording")
	}
	if !strings.Contains(body, "<code>{{.Prenom}}</code>") || strings.Contains(body, "⟦") {
		t.Error("the close form does not name the variables")
	}
	form := closeForm(t, body)
	form.Set("message_close_in_review", templateBomb)
	resp, body = testkit.PostForm(t, c, base+"/cloture", form)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, html.EscapeString("Message illisible, ligne 1 : « {{range $}} »")) {
		t.Errorf("close with the attack: %d", resp.StatusCode)
	}
	app.DB.Get(&status, `SELECT status FROM postings WHERE id = $1`, p.ID)
	if status != "open" {
		t.Errorf("posting %s after a refused close", status)
	}
}
