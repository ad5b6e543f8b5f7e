package handlers_test

import (
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vivier/internal/testkit"
)

// An admin erases an application's data at a request received outside
// the site: the page asks who asked, how and when, and a confirmation,
// each refused in French next to its field with nothing erased; then the
// CV and personal fields are gone, the private link is dead, the contact
// is told, and the audit log holds the admin and the reason. A reviewer
// who is not an admin has no such page (404), and the application page
// offers it to admins only.
func TestAnAdminErasesAnApplicationOnRequest(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{AdminEmails: "admin@anct.gouv.fr"})
	p := app.OpenPosting(time.Now().Add(30 * 24 * time.Hour))
	a, private := applyThroughTheForm(t, app, p)
	app.WaitIdle()
	admin, contact := app.Client(), app.Client()
	app.SignIn(admin, "admin@anct.gouv.fr")
	app.SignIn(contact, p.ContactEmail)
	page := app.URL + "/boite/candidatures/" + strconv.FormatInt(a.ID, 10)

	if _, body := testkit.Get(t, contact, page); strings.Contains(body, "/effacement") {
		t.Errorf("the application page offers an erasure to a reviewer who is not an admin")
	}
	if resp, _ := testkit.PostForm(t, contact, page+"/effacement", url.Values{"motif": {"Email du 2 mars"}, "confirmation": {"oui"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a reviewer who is not an admin erases: %d, want 404", resp.StatusCode)
	}
	if _, body := testkit.Get(t, admin, page); !strings.Contains(body, `href="/boite/candidatures/`+strconv.FormatInt(a.ID, 10)+`/effacement"`) {
		t.Errorf("the application page does not offer the erasure to an admin")
	}
	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"no reason", url.Values{"confirmation": {"oui"}}, "Indiquez qui a demandé l'effacement"},
		{"a reason too long", url.Values{"motif": {strings.Repeat("é", 501)}, "confirmation": {"oui"}}, "Le motif fait 501 caractères : 500 au plus."},
		{"not confirmed", url.Values{"motif": {"Email du 2 mars"}}, "Cochez la case pour confirmer"},
	} {
		resp, body := testkit.PostForm(t, admin, page+"/effacement", tc.form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(body), tc.want) {
			t.Errorf("%s: %d, want 422 with %q", tc.name, resp.StatusCode, tc.want)
		}
	}
	if resp, _ := testkit.Get(t, app.Client(), app.URL+private); resp.StatusCode != http.StatusOK {
		t.Fatalf("a refused erasure erased: the private link answers %d", resp.StatusCode)
	}

	resp, _ := testkit.PostForm(t, admin, page+"/effacement", url.Values{"motif": {"Email de la personne à la contact, 2 mars"}, "confirmation": {"oui"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("erase: %d", resp.StatusCode)
	}
	app.WaitIdle()
	var left struct {
		Email, LastName string
		Documents       int
	}
	app.DB.QueryRow(`SELECT email, last_name, (SELECT count(*) FROM documents WHERE application_id = $1) FROM applications WHERE id = $1`, a.ID).
		Scan(&left.Email, &left.LastName, &left.Documents)
	if left.Email != "" || left.LastName != "" || left.Documents != 0 {
		t.Errorf("after the erasure: %+v, want nothing personal left", left)
	}
	if resp, _ := testkit.Get(t, app.Client(), app.URL+private); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the private link after the erasure: %d, want 404", resp.StatusCode)
	}
	var told int
	app.DB.Get(&told, `SELECT count(*) FROM emails WHERE kind = 'erased_contact' AND to_address = $1`, p.ContactEmail)
	if told != 1 {
		t.Errorf("%d emails telling the contact, want 1", told)
	}
	var reason string
	app.DB.Get(&reason, `SELECT details->>'motif' FROM audit_log WHERE action = 'application_erased' AND application_id = $1 AND actor = 'admin@anct.gouv.fr'`, a.ID)
	if reason != "Email de la personne à la contact, 2 mars" {
		t.Errorf("the audit log's reason: %q", reason)
	}
	if _, body := testkit.Get(t, admin, page); strings.Contains(body, `id="effacer"`) {
		t.Errorf("an erased application still offers its erasure")
	}
}

// The erasure page in Chromium: its errors next to their fields, then
// the application page once erased; axe-core finds nothing.
func TestAnAdminErasesInABrowser(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{AdminEmails: "admin@anct.gouv.fr"})
	p := app.OpenPosting(time.Now().Add(30 * 24 * time.Hour))
	a, _ := applyThroughTheForm(t, app, p)
	app.WaitIdle()
	ctx := testkit.Browser(t)
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		testkit.CheckAccessibility(t, ctx, name)
	}
	link := app.SignInLink(app.Client(), "admin@anct.gouv.fr")
	if err := chromedp.Do(ctx, chromedp.Navigate(app.URL+link), testkit.WaitVisible(`main button[type=submit]`),
		chromedp.Click(`main button[type=submit]`), testkit.WaitVisible(`main a[href^="/boite/offres/"]`)); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	step("the application page", chromedp.Navigate(app.URL+"/boite/candidatures/"+strconv.FormatInt(a.ID, 10)), testkit.WaitVisible(`#effacer`))
	step("the erasure page", chromedp.Click(`#effacer`), testkit.WaitVisible(`#motif`))
	step("without reason nor confirmation", chromedp.Submit(`#motif`), testkit.WaitVisible(`#motif-erreur`), testkit.WaitVisible(`#confirmation-erreur`))
	step("erased", chromedp.SendKeys(`#motif`, "Courrier reçu le 2 mars"), chromedp.Click(`label[for=confirmation]`),
		chromedp.Submit(`#motif`), testkit.WaitVisible(`.fr-alert--success`))
	if h1, err := chromedp.Run(ctx, chromedp.Text(`main h1`)); err != nil || !strings.Contains(h1, "(effacée)") {
		t.Errorf("the application page after the erasure: %q, %v", h1, err)
	}
}
