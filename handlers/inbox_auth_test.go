package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"vivier/internal/signin"
	"vivier/internal/testkit"
	"vivier/repository"
)

// seedApplication stores one application to a posting, through the
// repository, and returns it.
func seedApplication(t *testing.T, app *testkit.App, postingID int64, first, last, email string) *repository.Application {
	t.Helper()
	a := &repository.Application{PostingID: postingID, FirstName: first, LastName: last, Email: email, Location: "Lyon",
		DailyRate: 600, DaysPerWeek: 3, AvailableFrom: time.Now(), Links: []string{}, ConsentAt: time.Now(),
		Motivation: "Une motivation assez longue pour passer les contrôles du formulaire.", AccessTokenHash: []byte(email)}
	doc := &repository.Document{FileName: "cv.pdf", ContentType: "application/pdf", SizeBytes: 100, SHA256: make([]byte, 32), Content: testkit.PDF(100)}
	if _, err := app.Repo.CreateApplication(context.Background(), a, doc, func(*repository.Application) ([]*repository.Email, error) {
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	return a
}

// secondPosting imports another open posting with its own contact.
func secondPosting(t *testing.T, app *testkit.App, contact string) *repository.Posting {
	t.Helper()
	p := app.Posting("tests/2024-01-01-autre-offre.md", []byte("---\ntitle: Autre offre\ncontact: "+contact+"\nopen: true\n---\nUne autre mission.\n"))
	return p
}

// authRoute is a line of the authorization table: a concrete request for
// a route as registered.
type authRoute struct {
	method, path string
	form         url.Values
	adminOnly    bool
	ownList      bool // everyone's own list: 200, without other people's postings
	// reviewerOnly: for the posting's reviewers alone, an admin who does
	// not review it included (their own notifications).
	reviewerOnly bool
}

// Every inbox route, for every kind of visitor. A route added to the
// engine without a line here fails the test.
func TestInboxAuthorizationTable(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{AdminEmails: "admin@anct.gouv.fr"})
	mine := app.OpenPosting(time.Time{})
	other := secondPosting(t, app, "autre@anct.gouv.fr")
	a := seedApplication(t, app, mine.ID, "Camille", "Durand", "camille@example.org")
	failed := &repository.Email{Kind: "status_update", PostingID: &mine.ID, ApplicationID: &a.ID, ToAddress: a.Email,
		Subject: "s", TextBody: "t", HTMLBody: "h", SendAfter: time.Now().Add(time.Hour)}
	if err := app.Repo.InsertEmails(context.Background(), []*repository.Email{failed}); err != nil {
		t.Fatal(err)
	}
	app.DB.MustExec(`UPDATE emails SET status = 'failed' WHERE id = $1`, failed.ID)
	pending := &repository.Email{Kind: "status_update", PostingID: &mine.ID, ApplicationID: &a.ID, ToAddress: a.Email,
		Subject: "s", TextBody: "t", HTMLBody: "h", SendAfter: time.Now().Add(time.Hour)}
	app.Repo.InsertEmails(context.Background(), []*repository.Email{pending})

	bounced := &repository.Email{Kind: "status_update", PostingID: &mine.ID, ApplicationID: &a.ID, ToAddress: a.Email,
		Subject: "s", TextBody: "t", HTMLBody: "h"}
	app.Repo.InsertEmails(context.Background(), []*repository.Email{bounced})
	app.DB.MustExec(`UPDATE emails SET status = 'sent', bounced_at = now(), bounce_reason = '5.1.1 unknown' WHERE id = $1`, bounced.ID)
	var attachment int64
	app.DB.QueryRow(`WITH m AS (INSERT INTO inbound_messages (message_key, kind, application_id, posting_id, from_address, body, created_at)
		VALUES ('<r@example.org>', 'reply', $1, $2, $3, 'Voici mon CV.', now()) RETURNING id)
		INSERT INTO inbound_attachments (inbound_id, file_name, content_type, size_bytes, sha256, content)
		SELECT id, 'cv.pdf', 'application/pdf', 8, '\x00', '%PDF-1.4' FROM m RETURNING id`, a.ID, mine.ID, a.Email).Scan(&attachment)

	pid, aid := strconv.FormatInt(mine.ID, 10), strconv.FormatInt(a.ID, 10)
	type route = authRoute
	// The table: the route as registered, and a concrete request.
	table := map[string]route{
		"GET /boite":                                {method: "GET", path: "/boite", ownList: true},
		"GET /boite/offres/:id":                     {method: "GET", path: "/boite/offres/" + pid},
		"GET /boite/offres/:id/export.csv":          {method: "GET", path: "/boite/offres/" + pid + "/export.csv"},
		"POST /boite/offres/:id/statuts":            {method: "POST", path: "/boite/offres/" + pid + "/statuts", form: url.Values{"ids": {aid}, "vers": {"in_review"}}},
		"POST /boite/offres/:id/relecteurs":         {method: "POST", path: "/boite/offres/" + pid + "/relecteurs", form: url.Values{"email": {"x@anct.gouv.fr"}}, adminOnly: true},
		"POST /boite/offres/:id/relecteurs/retrait": {method: "POST", path: "/boite/offres/" + pid + "/relecteurs/retrait", form: url.Values{"email": {"x@anct.gouv.fr"}}, adminOnly: true},
		"POST /boite/offres/:id/liens":              {method: "POST", path: "/boite/offres/" + pid + "/liens", form: url.Values{"canal": {"LinkedIn"}}},
		"GET /boite/offres/:id/statistiques":        {method: "GET", path: "/boite/offres/" + pid + "/statistiques"},
		"GET /boite/offres/:id/notifications":       {method: "GET", path: "/boite/offres/" + pid + "/notifications", reviewerOnly: true},
		"POST /boite/offres/:id/notifications":      {method: "POST", path: "/boite/offres/" + pid + "/notifications", form: url.Values{"frequence": {"daily"}}, reviewerOnly: true},
		"GET /boite/statistiques":                   {method: "GET", path: "/boite/statistiques", adminOnly: true},
		"GET /boite/statistiques.csv":               {method: "GET", path: "/boite/statistiques.csv", adminOnly: true},
		"GET /boite/candidatures/:id":               {method: "GET", path: "/boite/candidatures/" + aid},
		"GET /boite/candidatures/:id/cv":            {method: "GET", path: "/boite/candidatures/" + aid + "/cv"},
		"POST /boite/candidatures/:id/notes":        {method: "POST", path: "/boite/candidatures/" + aid + "/notes", form: url.Values{"note": {"Profil solide."}}},
		"POST /boite/candidatures/:id/evaluation":   {method: "POST", path: "/boite/candidatures/" + aid + "/evaluation", form: url.Values{"avis": {"3"}}},
		"GET /boite/candidatures/:id/statut":        {method: "GET", path: "/boite/candidatures/" + aid + "/statut?vers=shortlisted"},
		"POST /boite/candidatures/:id/statut":       {method: "POST", path: "/boite/candidatures/" + aid + "/statut", form: url.Values{"vers": {"shortlisted"}}},
		"POST /boite/emails/:id/annulation":         {method: "POST", path: "/boite/emails/" + strconv.FormatInt(pending.ID, 10) + "/annulation"},
		"POST /boite/emails/:id/renvoi":             {method: "POST", path: "/boite/emails/" + strconv.FormatInt(failed.ID, 10) + "/renvoi"},
		"GET /boite/candidatures/:id/message":       {method: "GET", path: "/boite/candidatures/" + aid + "/message?modele=message_details"},
		"POST /boite/candidatures/:id/message":      {method: "POST", path: "/boite/candidatures/" + aid + "/message", form: url.Values{"objet": {"Une question"}, "message": {"Pouvez-vous préciser vos dates ?"}}},
		"GET /boite/pieces-jointes/:id":             {method: "GET", path: "/boite/pieces-jointes/" + strconv.FormatInt(attachment, 10)},
		"POST /boite/emails/:id/correction":         {method: "POST", path: "/boite/emails/" + strconv.FormatInt(bounced.ID, 10) + "/correction", form: url.Values{"adresse": {"camille.durand@example.org"}}},
	}
	for k, v := range personalDataRoutes(pid, aid) {
		table[k] = v
	}
	for k, v := range postingEditorRoutes(pid) {
		table[k] = v
	}
	for k, v := range lifecycleRoutes(pid) {
		table[k] = v
	}
	routes := questionRoutes(t, app, mine.ID, a.ID)
	for k, v := range evaluationRoutes(t, app, mine.ID) {
		routes[k] = v
	}
	for k, v := range interviewRoutes(pid, aid) {
		routes[k] = v
	}
	for k, v := range routes {
		table[k] = v
	}
	for _, r := range app.Handler.Routes() {
		if strings.HasPrefix(strings.SplitN(r, " ", 2)[1], "/boite") {
			if _, ok := table[r]; !ok {
				t.Errorf("route %s has no line in the authorization table", r)
			}
		}
	}

	do := func(c *http.Client, rt route) *http.Response {
		var resp *http.Response
		if rt.method == "GET" {
			resp, _ = testkit.Get(t, c, app.URL+rt.path)
		} else {
			resp, _ = testkit.PostForm(t, c, app.URL+rt.path, rt.form)
		}
		return resp
	}
	anonymous := app.Client()
	outsider, reviewer, admin := app.Client(), app.Client(), app.Client()
	app.SignIn(outsider, other.ContactEmail)
	app.SignIn(reviewer, mine.ContactEmail)
	app.SignIn(admin, "admin@anct.gouv.fr")

	for name, rt := range table {
		t.Run(name, func(t *testing.T) {
			if resp := do(anonymous, rt); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/connexion") {
				t.Errorf("anonymous: %d to %q, want 303 to /connexion", resp.StatusCode, resp.Header.Get("Location"))
			}
			// "Through" means past the checks: neither sent to sign in nor
			// told the page does not exist (a 409 on an email already
			// cancelled by the previous visitor is through).
			through := func(resp *http.Response) bool {
				return resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusForbidden &&
					!strings.HasPrefix(resp.Header.Get("Location"), "/connexion") && resp.StatusCode < 500
			}
			if rt.ownList {
				_, body := testkit.Get(t, outsider, app.URL+rt.path)
				if strings.Contains(body, "/boite/offres/"+pid+`"`) {
					t.Errorf("a reviewer of another posting sees this posting in their list")
				}
			} else if resp := do(outsider, rt); resp.StatusCode != http.StatusNotFound {
				t.Errorf("reviewer of another posting: %d, want 404", resp.StatusCode)
			}
			resp := do(reviewer, rt)
			if rt.adminOnly {
				if resp.StatusCode != http.StatusNotFound {
					t.Errorf("reviewer on an admin route: %d, want 404", resp.StatusCode)
				}
			} else if !through(resp) {
				t.Errorf("reviewer: %d, want through", resp.StatusCode)
			}
			if resp := do(admin, rt); rt.reviewerOnly && resp.StatusCode != http.StatusNotFound {
				t.Errorf("admin who does not review the posting: %d, want 404", resp.StatusCode)
			} else if !rt.reviewerOnly && !through(resp) {
				t.Errorf("admin: %d, want through", resp.StatusCode)
			}
		})
	}
}

func TestSignInLink(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Time{})
	c := app.Client()

	// Known and unknown addresses get the same page; only the known one gets mail.
	_, known := testkit.PostForm(t, c, app.URL+"/connexion", url.Values{"email": {p.ContactEmail}})
	_, unknown := testkit.PostForm(t, c, app.URL+"/connexion", url.Values{"email": {"inconnu@example.org"}})
	strip := func(s, email string) string { return strings.ReplaceAll(s, email, "ADRESSE") }
	if strip(known, p.ContactEmail) != strip(unknown, "inconnu@example.org") {
		t.Error("the page differs for a known and an unknown address")
	}
	app.SMTP.WaitFor(1, 20*time.Second)
	app.WaitQueuesEmpty()
	if msgs := app.SMTP.Messages(); len(msgs) != 1 || msgs[0].To[0] != p.ContactEmail {
		t.Fatalf("want one email to the contact, got %d", len(msgs))
	}

	link := app.SignInLink(c, p.ContactEmail)
	// Opening the link does not sign in (mail scanners open links); the button does.
	if resp, body := testkit.Get(t, c, app.URL+link); resp.StatusCode != 200 || !strings.Contains(body, "Me connecter") {
		t.Fatalf("link page: %d", resp.StatusCode)
	}
	if resp, _ := testkit.Get(t, c, app.URL+"/boite"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("signed in by merely opening the link: %d", resp.StatusCode)
	}
	resp, _ := testkit.PostForm(t, c, app.URL+link, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", resp.StatusCode)
	}
	var cookie *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "vivier_session" {
			cookie = ck
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie: %+v", cookie)
	}
	if resp, body := testkit.Get(t, c, app.URL+"/boite"); resp.StatusCode != 200 || !strings.Contains(body, "/boite/offres/"+strconv.FormatInt(p.ID, 10)) {
		t.Fatalf("inbox after sign-in: %d", resp.StatusCode)
	}

	// Used once: a second use, from anyone, is refused.
	if resp, _ := testkit.PostForm(t, app.Client(), app.URL+link, nil); resp.StatusCode != http.StatusGone {
		t.Errorf("second use of the link: %d, want 410", resp.StatusCode)
	}
	// Valid 15 minutes, refused after.
	late := app.SignInLink(app.Client(), p.ContactEmail)
	var ttl float64
	app.DB.Get(&ttl, `SELECT extract(epoch FROM expires_at - created_at) FROM sign_in_tokens ORDER BY created_at DESC LIMIT 1`)
	if ttl != 15*60 {
		t.Errorf("links last %v s, want 900", ttl)
	}
	app.DB.MustExec(`UPDATE sign_in_tokens SET expires_at = now() - interval '1 second' WHERE used_at IS NULL`)
	if resp, _ := testkit.PostForm(t, app.Client(), app.URL+late, nil); resp.StatusCode != http.StatusGone {
		t.Errorf("expired link: %d, want 410", resp.StatusCode)
	}

	// Signing out ends the session.
	testkit.PostForm(t, c, app.URL+"/deconnexion", nil)
	if resp, _ := testkit.Get(t, c, app.URL+"/boite"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("inbox after sign-out: %d", resp.StatusCode)
	}
}

// Asking for a link is limited per client (a French 429), not per
// address: whoever asks for a reviewer's address, from wherever, the page
// is the same, at most signin.PerAddress links an hour are emailed to it,
// and its owner can still sign in.
func TestSignInRequestsAreRateLimited(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{Env: map[string]string{"TRUSTED_PROXIES": "127.0.0.1"}})
	p := app.OpenPosting(time.Time{})
	victim := p.ContactEmail
	ask := func(c *http.Client, from, email string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, app.URL+"/connexion", strings.NewReader(url.Values{"email": {email}}.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", from) // the client's address, as the trusted proxy tells it
		return testkit.Do(t, c, req)
	}
	linksTo := func() int {
		var n int
		app.DB.Get(&n, `SELECT count(*) FROM emails WHERE kind = 'sign_in_link' AND to_address = $1`, victim)
		return n
	}

	// Ten clients ask for the reviewer's address, then the reviewer does.
	var first string
	for i := range 11 {
		from := "198.51.100." + strconv.Itoa(i+1)
		resp, body := ask(app.Client(), from, victim)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Regardez vos emails") {
			t.Fatalf("request %d, from %s: %d", i+1, from, resp.StatusCode)
		}
		if i == 0 {
			first = body
		} else if body != first {
			t.Errorf("request %d got another page than the first", i+1)
		}
	}
	app.WaitQueuesEmpty()
	if n := linksTo(); n != signin.PerAddress {
		t.Errorf("%d links written to the address, want %d (the limit per address and hour)", n, signin.PerAddress)
	}
	// One of the links received still signs its owner in.
	link := app.LinkTo(victim)
	if resp, _ := testkit.PostForm(t, app.Client(), app.URL+link, nil); resp.StatusCode != http.StatusSeeOther ||
		resp.Header.Get("Location") != "/boite" {
		t.Errorf("sign in with a link received: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if n := linksTo(); n != signin.PerAddress {
		t.Errorf("%d links written to the address after all, want %d", n, signin.PerAddress)
	}

	// One client asking more than 20 times in the hour gets the 429 page.
	c := app.Client()
	for i := range 20 {
		if resp, _ := ask(c, "192.0.2.9", "quelqu.un"+strconv.Itoa(i)+"@example.org"); resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d of one client: %d", i+1, resp.StatusCode)
		}
	}
	if resp, body := ask(c, "192.0.2.9", "quelqu.un@example.org"); resp.StatusCode != http.StatusTooManyRequests ||
		!strings.Contains(body, "Trop de demandes") {
		t.Fatalf("21st request of one client within the hour: %d, want the 429 page", resp.StatusCode)
	}
}

func pqArray(s []string) interface{} { return pq.Array(s) }
