package handlers_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vivier/internal/proconnect"
	"vivier/internal/testkit"
)

// A reviewer signs in with ProConnect from /connexion and lands on their
// inbox; signing out ends the ProConnect session too and comes back to
// /connexion with its message. A replayed callback signs nobody in.
func TestProConnectSignInInABrowser(t *testing.T) {
	t.Parallel()
	pc := testkit.NewProConnect(t)
	app := testkit.NewApp(t, testkit.Options{ProConnect: pc})
	p := app.OpenPosting(time.Time{})
	ctx := testkit.Browser(t)
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	mainText := func() string {
		t.Helper()
		text, err := chromedp.Run(ctx, chromedp.Text(`main`))
		if err != nil {
			t.Fatalf("the page's text: %v", err)
		}
		return text
	}

	var mu sync.Mutex
	var callback string
	pc.Set(testkit.ProConnectBehaviour{User: testkit.ProConnectUser{Sub: "sub-camille", Email: strings.ToUpper(p.ContactEmail),
		GivenName: "Camille", UsualName: "Martin", UID: "42", SIRET: "13002603200016", IdpID: "fia1"},
		OnCode: func(_, cb string) { mu.Lock(); callback = cb; mu.Unlock() }})

	step("the sign-in page", chromedp.Navigate(app.URL+"/connexion"), testkit.WaitVisible(`a.fr-connect.fr-connect--pro`))
	testkit.CheckAccessibility(t, ctx, "the sign-in page with ProConnect")
	if text := mainText(); !strings.Contains(text, "S’identifier avec") || !strings.Contains(text, "ProConnect") {
		t.Fatalf("the ProConnect button is not there:\n%s", text)
	}
	step("signed in with ProConnect", chromedp.Click(`a.fr-connect`), testkit.WaitVisible(`main a[href^="/boite/offres/"]`))
	if where, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasSuffix(where, "/boite") {
		t.Fatalf("landed on %s, want /boite", where)
	}

	// The same callback again (a reload, or a stolen address) signs in
	// nobody: the flow it belonged to is over.
	mu.Lock()
	replay := callback
	mu.Unlock()
	if !strings.Contains(replay, proconnect.CallbackPath+"?") {
		t.Fatalf("no callback seen: %q", replay)
	}
	step("the callback replayed", chromedp.Navigate(replay), testkit.WaitVisible(`main a.fr-btn[href="/connexion"]`))
	if text := mainText(); !strings.Contains(text, "Erreur 400") || !strings.Contains(text, "Connexion interrompue") {
		t.Fatalf("the replayed callback shows:\n%s", text)
	}
	// ...and the reviewer is still signed in.
	step("still signed in", chromedp.Navigate(app.URL+"/boite"), testkit.WaitVisible(`main a[href^="/boite/offres/"]`))

	step("signed out", chromedp.Click(`.fr-header__tools-links button[type=submit]`), testkit.WaitVisible(`#email`))
	if text := mainText(); !strings.Contains(text, "Vous êtes déconnecté·e.") {
		t.Fatalf("after signing out, /connexion shows:\n%s", text)
	}
	if ended := pc.EndedSessions(); len(ended) != 1 {
		t.Fatalf("ProConnect sessions ended: %d, want 1", len(ended))
	}
	step("the inbox again", chromedp.Navigate(app.URL+"/boite"), testkit.WaitVisible(`#email`))
}

// Each way the flow can go wrong ends on a French page with its status,
// and signs nobody in.
func TestProConnectFailuresInABrowser(t *testing.T) {
	t.Parallel()
	pc := testkit.NewProConnect(t)
	app := testkit.NewApp(t, testkit.Options{ProConnect: pc})
	p := app.OpenPosting(time.Time{})
	ctx := testkit.Browser(t)
	reviewer := testkit.ProConnectUser{Sub: "sub-camille", Email: p.ContactEmail, GivenName: "Camille", UsualName: "Martin",
		UID: "42", SIRET: "13002603200016", IdpID: "fia1"}
	redirectURI := app.Config.BaseURL + proconnect.CallbackPath

	// A callback address from another browser's flow (a login forged by
	// someone else): this browser started no flow.
	thief := app.Client()
	pc.SignInAs(testkit.ProConnectUser{Sub: "sub-intrus", Email: "intrus@example.org"})
	resp, _ := testkit.Get(t, thief, app.URL+"/connexion/proconnect")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("start a flow: %d", resp.StatusCode)
	}
	resp, _ = testkit.Get(t, thief, resp.Header.Get("Location"))
	forged := resp.Header.Get("Location")
	if !strings.Contains(forged, "code=") {
		t.Fatalf("the provider answered %d to %q", resp.StatusCode, forged)
	}

	cases := []struct {
		name      string
		behaviour testkit.ProConnectBehaviour
		visit     string // instead of the button
		status    string
		heading   string
	}{
		{name: "an address with no access", behaviour: testkit.ProConnectBehaviour{User: testkit.ProConnectUser{Sub: "sub-x",
			Email: "Personne@Example.org"}}, status: "Erreur 403", heading: "Votre adresse n'a accès à aucune offre"},
		{name: "consent denied", behaviour: testkit.ProConnectBehaviour{User: reviewer, Deny: true},
			status: "Erreur 403", heading: "Connexion annulée"},
		{name: "a callback from another flow", visit: forged, status: "Erreur 400", heading: "Connexion interrompue"},
		{name: "a nonce that is not ours", behaviour: testkit.ProConnectBehaviour{User: reviewer, WrongNonce: true},
			status: "Erreur 400", heading: "Connexion refusée"},
		{name: "a userinfo signed with another key", behaviour: testkit.ProConnectBehaviour{User: reviewer, ForeignUserinfoKey: true},
			status: "Erreur 400", heading: "Connexion refusée"},
		{name: "a code used already", behaviour: testkit.ProConnectBehaviour{User: reviewer, OnCode: func(code, _ string) {
			if got := pc.Redeem(code, redirectURI); got != http.StatusOK {
				t.Errorf("redeem the code first: %d", got)
			}
		}}, status: "Erreur 400", heading: "Connexion expirée"},
		{name: "a code past its 30 seconds", behaviour: testkit.ProConnectBehaviour{User: reviewer, OnCode: func(string, string) {
			pc.Advance(31 * time.Second)
		}}, status: "Erreur 400", heading: "Connexion expirée"},
		{name: "the provider answers 502", behaviour: testkit.ProConnectBehaviour{User: reviewer, TokenStatus: http.StatusBadGateway},
			status: "Erreur 503", heading: "ProConnect ne répond pas"},
	}
	for _, tc := range cases {
		pc.Set(tc.behaviour)
		var err error
		if tc.visit != "" {
			err = chromedp.Do(ctx, chromedp.Navigate(tc.visit), testkit.WaitVisible(`main a.fr-btn[href="/connexion"]`))
		} else {
			err = chromedp.Do(ctx, chromedp.Navigate(app.URL+"/connexion"), chromedp.Click(`a.fr-connect`),
				testkit.WaitVisible(`main a.fr-btn[href="/connexion"]`))
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		text, err := chromedp.Run(ctx, chromedp.Text(`main`))
		if err != nil || !strings.Contains(text, tc.status) || !strings.Contains(text, tc.heading) {
			t.Errorf("%s: the page says (%v)\n%s\nwant %s, %q", tc.name, err, text, tc.status, tc.heading)
		}
		if tc.name == "an address with no access" && (!strings.Contains(text, "personne@example.org") || !strings.Contains(text, "l'Incubateur des Territoires")) {
			t.Errorf("%s: the page does not name the address and whom to ask:\n%s", tc.name, text)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(app.URL+"/boite"), testkit.WaitVisible(`#email`)); err != nil {
			t.Errorf("%s: /boite after it: %v, want the sign-in page", tc.name, err)
		}
	}
	testkit.CheckAccessibility(t, ctx, "the sign-in page after failures")

	// A form's trip to ProConnect left half-way, then a sign-in: the
	// sign-in is a sign-in.
	half := app.Client()
	pc.SignInAs(reviewer)
	draft, ctype := testkit.Multipart(t, url.Values{"localisation": {"Lyon"}})
	req, err := http.NewRequest(http.MethodPost, app.URL+"/offres/"+p.Slug+"/proconnect", draft)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	if resp, page := testkit.Do(t, half, req); resp.StatusCode != http.StatusOK || !strings.Contains(page, "Continuer vers ProConnect") {
		t.Fatalf("a form's trip to ProConnect: %d", resp.StatusCode)
	}
	resp, _ = testkit.Get(t, half, app.URL+"/connexion/proconnect")
	resp, _ = testkit.Get(t, half, resp.Header.Get("Location"))
	if resp, _ = testkit.Get(t, half, resp.Header.Get("Location")); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/boite" {
		t.Fatalf("a sign-in after a form's trip: %d to %q, want /boite", resp.StatusCode, resp.Header.Get("Location"))
	}

	// Two flows in one browser: the callback of the first no longer
	// matches once the second started.
	c := app.Client()
	pc.SignInAs(reviewer)
	resp, _ = testkit.Get(t, c, app.URL+"/connexion/proconnect")
	first, _ := testkit.Get(t, c, resp.Header.Get("Location"))
	resp, _ = testkit.Get(t, c, app.URL+"/connexion/proconnect")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("second flow: %d", resp.StatusCode)
	}
	resp, body := testkit.Get(t, c, first.Header.Get("Location"))
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Connexion interrompue") {
		t.Fatalf("the first flow's callback: %d", resp.StatusCode)
	}
}

// With the provider down, the button answers a French 503 page, /readyz
// is unaffected and the emailed link still signs in.
func TestProConnectDownInABrowser(t *testing.T) {
	t.Parallel()
	pc := testkit.NewProConnect(t)
	log := &logLines{}
	app := testkit.NewApp(t, testkit.Options{ProConnect: pc, Log: log})
	p := app.OpenPosting(time.Time{})
	// The button has worked once (the provider's configuration is read)
	// before the provider goes down: it must still answer our page.
	if resp, _ := testkit.Get(t, app.Client(), app.URL+"/connexion/proconnect"); resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound {
		t.Fatalf("the button with ProConnect up: %d", resp.StatusCode)
	}
	pc.Down()
	req, err := http.NewRequest(http.MethodGet, app.URL+"/connexion/proconnect", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Request-Id", "essai-proconnect")
	if resp, body := testkit.Do(t, app.Client(), req); resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "ProConnect ne répond pas") {
		t.Fatalf("the button with ProConnect down: %d", resp.StatusCode)
	}
	if line := log.find(t, "proconnect unavailable"); line["request_id"] != "essai-proconnect" || line["level"] != "WARN" {
		t.Errorf("log line %v, want a warning with request_id essai-proconnect", line)
	}
	if resp, body := testkit.Get(t, app.Client(), app.URL+"/readyz"); resp.StatusCode != http.StatusOK {
		t.Fatalf("/readyz with ProConnect down: %d %s", resp.StatusCode, body)
	}
	ctx := testkit.Browser(t)
	err = chromedp.Do(ctx, chromedp.Navigate(app.URL+"/connexion"), chromedp.Click(`a.fr-connect`),
		testkit.WaitVisible(`main a.fr-btn[href="/connexion"]`))
	if err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(`main`))
	if err != nil || !strings.Contains(text, "Erreur 503") || !strings.Contains(text, "ProConnect ne répond pas") ||
		!strings.Contains(text, "lien de connexion par email") {
		t.Fatalf("with ProConnect down the button shows (%v):\n%s", err, text)
	}
	link := app.SignInLink(app.Client(), p.ContactEmail)
	err = chromedp.Do(ctx, chromedp.Navigate(app.URL+link), testkit.WaitVisible(`main button[type=submit]`),
		chromedp.Click(`main button[type=submit]`), testkit.WaitVisible(`main a[href^="/boite/offres/"]`))
	if err != nil {
		t.Fatalf("the emailed link with ProConnect down: %v", err)
	}
	// A freelancer's "Remplir avec ProConnect" answers a French page too,
	// which leads back to the form with what was typed.
	err = chromedp.Do(ctx, chromedp.Navigate(app.URL+"/offres/"+p.Slug), testkit.WaitVisible(`#prenom`),
		chromedp.SendKeys(`#localisation`, "Brest"), chromedp.Click(`button.fr-connect`),
		testkit.WaitVisible(`main a.fr-btn[href$="#candidater"]`))
	if err != nil {
		t.Fatalf("the form's ProConnect button with ProConnect down: %v", err)
	}
	if text, err := chromedp.Run(ctx, chromedp.Text(`main`)); err != nil || !strings.Contains(text, "Erreur 503") ||
		!strings.Contains(text, "remplissez le formulaire vous-même") {
		t.Fatalf("the form's ProConnect button with ProConnect down (%v):\n%s", err, text)
	}
	err = chromedp.Do(ctx, chromedp.Click(`main a.fr-btn[href$="#candidater"]`), testkit.WaitVisible(`#prenom`))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := chromedp.Run(ctx, chromedp.Value(`#localisation`)); err != nil || got != "Brest" {
		t.Fatalf("what was typed, after ProConnect failed: %q (%v)", got, err)
	}

	// Signed in by email: signing out stays on this site.
	c := app.Client()
	app.SignIn(c, p.ContactEmail)
	resp, _ := testkit.PostForm(t, c, app.URL+"/deconnexion", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/connexion" {
		t.Fatalf("sign-out after the emailed link: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// Without ProConnect's settings, no button, and its routes are 404.
func TestProConnectOff(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	c := app.Client()
	if _, body := testkit.Get(t, c, app.URL+"/connexion"); strings.Contains(body, "fr-connect") {
		t.Fatal("a ProConnect button without ProConnect's settings")
	}
	for _, path := range []string{"/connexion/proconnect", proconnect.CallbackPath + "?" + url.Values{"code": {"x"}, "state": {"y"}}.Encode()} {
		if resp, _ := testkit.Get(t, c, app.URL+path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, resp.StatusCode)
		}
	}
}

// The sign-in routes, for anyone: a route under /connexion or
// /deconnexion without a line here fails the test (the inbox's routes are
// TestInboxAuthorizationTable's).
func TestSignInRoutesTable(t *testing.T) {
	t.Parallel()
	pc := testkit.NewProConnect(t)
	app := testkit.NewApp(t, testkit.Options{ProConnect: pc})
	p := app.OpenPosting(time.Time{})
	unknownToken := strings.Repeat("A", 43)
	table := map[string]struct {
		method, path string
		status       int
		location     string // prefix of the redirect's target
	}{
		"GET /connexion":                 {"GET", "/connexion", http.StatusOK, ""},
		"POST /connexion":                {"POST", "/connexion", http.StatusOK, ""},
		"GET /connexion/lien/:token":     {"GET", "/connexion/lien/" + unknownToken, http.StatusGone, ""},
		"POST /connexion/lien/:token":    {"POST", "/connexion/lien/" + unknownToken, http.StatusGone, ""},
		"GET /connexion/proconnect":      {"GET", "/connexion/proconnect", http.StatusSeeOther, pc.Issuer + "/authorize?"},
		"GET " + proconnect.CallbackPath: {"GET", proconnect.CallbackPath + "?code=x&state=" + unknownToken, http.StatusBadRequest, ""},
		"POST /deconnexion":              {"POST", "/deconnexion", http.StatusSeeOther, "/connexion"},
	}
	for _, r := range app.Handler.Routes() {
		path := strings.SplitN(r, " ", 2)[1]
		if strings.HasPrefix(path, "/connexion") || strings.HasPrefix(path, "/deconnexion") {
			if _, ok := table[r]; !ok {
				t.Errorf("route %s has no line in the sign-in routes' table", r)
			}
		}
	}
	reviewer := app.Client()
	app.SignIn(reviewer, p.ContactEmail)
	for name, rt := range table {
		for _, who := range []struct {
			name string
			c    *http.Client
		}{{"anonymous", app.Client()}, {"signed in", reviewer}} {
			if rt.path == "/deconnexion" && who.name == "signed in" {
				continue // below, last
			}
			var resp *http.Response
			form := url.Values{"email": {"personne@example.org"}}
			if rt.method == "GET" {
				resp, _ = testkit.Get(t, who.c, app.URL+rt.path)
			} else {
				resp, _ = testkit.PostForm(t, who.c, app.URL+rt.path, form)
			}
			want, location := rt.status, rt.location
			if name == "GET /connexion" && who.name == "signed in" {
				want, location = http.StatusSeeOther, "/boite"
			}
			if resp.StatusCode != want || !strings.HasPrefix(resp.Header.Get("Location"), location) {
				t.Errorf("%s, %s: %d to %q, want %d to %q", name, who.name, resp.StatusCode, resp.Header.Get("Location"), want, location)
			}
		}
	}
	// A callback that fails leaves a signed-in reviewer signed in.
	if resp, _ := testkit.Get(t, reviewer, app.URL+"/boite"); resp.StatusCode != http.StatusOK {
		t.Fatalf("the reviewer was signed out: %d", resp.StatusCode)
	}
	resp, _ := testkit.PostForm(t, reviewer, app.URL+"/deconnexion", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/connexion" {
		t.Fatalf("sign-out: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// A freelancer fills the form with ProConnect: what was typed is kept,
// names, email and SIRET come from ProConnect, and the application, sent
// with that SIRET, shows reviewers a SIRET verified by ProConnect.
// Another applicant who changes the SIRET gets no such mark.
func TestFillWithProConnectInABrowser(t *testing.T) {
	t.Parallel()
	pc := testkit.NewProConnect(t)
	app := testkit.NewApp(t, testkit.Options{ProConnect: pc})
	p := app.OpenPosting(time.Time{})
	cvPath := filepath.Join(t.TempDir(), "cv.pdf")
	if err := os.WriteFile(cvPath, testkit.PDF(20<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	pc.SignInAs(testkit.ProConnectUser{Sub: "sub-alex", Email: "Alex.Petit@Example.org", GivenName: "Alex", UsualName: "Petit",
		UID: "7", SIRET: "13002603200016", IdpID: "fia1"})
	ctx := testkit.Browser(t)
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	value := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Value(sel))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return v
	}
	motivation := "Développeuse indépendante depuis six ans auprès de collectivités, je voudrais rejoindre cette équipe."
	// Come from a tracked channel: the source survives the trip to ProConnect.
	step("the form", chromedp.Navigate(app.URL+"/offres/"+p.Slug+"?utm_source=LinkedIn&utm_campaign=rentree"), testkit.WaitVisible(`#prenom`))
	testkit.CheckAccessibility(t, ctx, "the form with ProConnect")
	// Enter in a field sends the form itself, not to ProConnect.
	step("Enter", chromedp.SendKeys(`#prenom`, "Alexandra\r"), testkit.WaitVisible(`#erreurs`))
	step("typed, then filled with ProConnect",
		chromedp.SendKeys(`#localisation`, "Lyon"),
		chromedp.SendKeys(`#tjm`, "650"),
		chromedp.SendKeys(`#motivation`, motivation),
		chromedp.Click(`button.fr-connect`),
		testkit.WaitVisible(`#rempli-proconnect`))
	testkit.CheckAccessibility(t, ctx, "the form filled with ProConnect")
	for sel, want := range map[string]string{`#prenom`: "Alex", `#nom`: "Petit", `#email`: "alex.petit@example.org",
		`#siret`: "13002603200016", `#localisation`: "Lyon", `#tjm`: "650", `#motivation`: motivation} {
		if got := value(sel); got != want {
			t.Errorf("%s after ProConnect: %q, want %q", sel, got, want)
		}
	}
	script := "document.querySelector('#disponible_le').value = '" + time.Now().AddDate(0, 0, 10).Format("2006-01-02") + "'; true"
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](script)); err != nil {
		t.Fatal(err)
	}
	step("sent", chromedp.SendKeys(`#jours_par_semaine`, "3 jours"), chromedp.SetUploadFiles(`#cv`, []string{cvPath}),
		chromedp.Click(`#consentement`), chromedp.Submit(`#prenom`), testkit.WaitVisible(`.fr-alert--success .fr-alert__title`))

	var verified bool
	var id int64
	var source, campaign string
	if err := app.DB.QueryRow(`SELECT id, siret_verified, utm_source, utm_campaign FROM applications WHERE email = 'alex.petit@example.org'`).Scan(&id, &verified, &source, &campaign); err != nil || !verified {
		t.Fatalf("the application's SIRET verified: %v (%v)", verified, err)
	}
	if source != "LinkedIn" || campaign != "rentree" {
		t.Errorf("the application's source after ProConnect: %q, %q; want LinkedIn, rentree", source, campaign)
	}
	reviewer := app.Client()
	app.SignIn(reviewer, p.ContactEmail)
	_, body := testkit.Get(t, reviewer, app.URL+"/boite/candidatures/"+strconv.FormatInt(id, 10))
	if !strings.Contains(body, "vérifié par ProConnect") {
		t.Fatal("the reviewer is not shown the SIRET as verified")
	}

	// Filled by ProConnect, but sent with another SIRET: not verified.
	pc.SignInAs(testkit.ProConnectUser{Sub: "sub-sam", Email: "sam@example.org", GivenName: "Sam", UsualName: "Roux",
		SIRET: "13002603200016"})
	step("another applicant", chromedp.Navigate(app.URL+"/offres/"+p.Slug), testkit.WaitVisible(`#prenom`),
		chromedp.Click(`button.fr-connect`), testkit.WaitVisible(`#rempli-proconnect`))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](script+" && (document.querySelector('#siret').value = '') === ''")); err != nil {
		t.Fatal(err)
	}
	step("sent with another SIRET", chromedp.SendKeys(`#siret`, "732 829 320 00074"), chromedp.SendKeys(`#localisation`, "Nantes"),
		chromedp.SendKeys(`#tjm`, "500"), chromedp.SendKeys(`#motivation`, motivation), chromedp.SendKeys(`#jours_par_semaine`, "2 jours"),
		chromedp.SetUploadFiles(`#cv`, []string{cvPath}), chromedp.Click(`#consentement`), chromedp.Submit(`#prenom`),
		testkit.WaitVisible(`.fr-alert--success .fr-alert__title`))
	if err := app.DB.QueryRow(`SELECT siret_verified FROM applications WHERE email = 'sam@example.org'`).Scan(&verified); err != nil || verified {
		t.Fatalf("an application with another SIRET than ProConnect's is marked verified: %v (%v)", verified, err)
	}
}
