package handlers_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"vivier/internal/links"
	"vivier/internal/testkit"
)

var anyLinkRe = regexp.MustCompile(`/(?:candidature|connexion/lien)/([A-Za-z0-9_-]{43})`)

// The links emails carry work only from the recipient's mailbox: the
// outbox stores them sealed and says in clear that they were removed, so
// a read of the database, an export or a page gives no working token.
func TestNoWorkingTokenIsStored(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{AdminEmails: "admin@anct.gouv.fr"})
	p := app.OpenPosting(time.Time{})

	// An application (its acknowledgement), the same address again (a
	// fresh private link) and a reviewer's sign-in request.
	a, private := applyThroughTheForm(t, app, p)
	testkit.PostMultipart(t, app.Client(), app.URL+"/offres/"+p.Slug+"/candidature", validForm(), cv())
	signIn := app.SignInLink(app.Client(), p.ContactEmail)
	app.WaitQueuesEmpty()

	// What the recipients received: every token of every message.
	tokens := map[string]bool{}
	for _, m := range app.SMTP.Messages() {
		for _, l := range anyLinkRe.FindAllStringSubmatch(m.Text+m.HTML, -1) {
			tokens[l[1]] = true
		}
	}
	if len(tokens) < 3 || !tokens[strings.TrimPrefix(private, "/candidature/")] || !tokens[strings.TrimPrefix(signIn, "/connexion/lien/")] {
		t.Fatalf("%d tokens received, want the acknowledgement's, the second private link's and the sign-in link's", len(tokens))
	}
	// None is anywhere in the outbox, whatever the column.
	for token := range tokens {
		var rows int
		app.DB.Get(&rows, `SELECT count(*) FROM emails e WHERE strpos(e::text, $1) > 0`, token)
		if rows != 0 {
			t.Errorf("%d rows of emails hold the token %s…", rows, token[:6])
		}
	}
	var masked, sealed int
	app.DB.Get(&masked, `SELECT count(*) FROM emails WHERE strpos(text_body, '/candidature/' || $1) > 0
		AND strpos(html_body, '/candidature/' || $1) > 0 AND kind IN ('acknowledgement', 'private_link')`, links.Marker)
	app.DB.Get(&sealed, `SELECT count(*) FROM emails WHERE link_sealed IS NOT NULL`)
	if masked < 2 || sealed != 0 {
		t.Errorf("%d emails say their private link was removed (want 2); %d keep a sealed link once sent (want 0)", masked, sealed)
	}

	// Every link received works but those the second application
	// replaced: the newest private link opens the application, the
	// acknowledgement's link answers 404 since, and the sign-in link signs in.
	working, first := 0, strings.TrimPrefix(private, "/candidature/")
	for token := range tokens {
		if token == strings.TrimPrefix(signIn, "/connexion/lien/") {
			continue
		}
		resp, body := testkit.Get(t, app.Client(), app.URL+"/candidature/"+token)
		switch {
		case resp.StatusCode == http.StatusOK && strings.Contains(body, "Camille Durand"):
			working++
			private = "/candidature/" + token
		case resp.StatusCode == http.StatusNotFound && token == first:
		default:
			t.Errorf("a private link received: %d", resp.StatusCode)
		}
	}
	if working != 1 {
		t.Errorf("%d private links work, want the newest only", working)
	}
	reviewer := app.Client()
	if resp, _ := testkit.PostForm(t, reviewer, app.URL+signIn, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in with the link received: %d", resp.StatusCode)
	}

	// The exports and the application's page show none either.
	admin := app.Client()
	app.SignIn(admin, "admin@anct.gouv.fr")
	page := app.URL + "/boite/candidatures/" + strconv.FormatInt(a.ID, 10)
	for what, got := range map[string]string{
		"the applicant's export": get(t, app.Client(), app.URL+private+"/donnees.json"),
		"the admin's export":     get(t, admin, page+"/donnees.json"),
		"the application's page": get(t, reviewer, page),
	} {
		if l := anyLinkRe.FindString(got); l != "" {
			t.Errorf("%s shows a link %s", what, l)
		}
		for token := range tokens {
			if strings.Contains(got, token) {
				t.Errorf("%s shows a working token", what)
			}
		}
	}
}

func get(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, body := testkit.Get(t, c, u)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", u, resp.StatusCode)
	}
	return body
}
