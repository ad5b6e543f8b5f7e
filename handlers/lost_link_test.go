package handlers_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vivier/internal/privatelink"
	"vivier/internal/testkit"
)

// An applicant who lost their private link asks for it on /lien-perdu:
// the page answers the same for an address that applied and for one that
// did not (the worker decides, and writes only to the first); the
// applicant gets one email a live application, each with a new link that
// opens it, and the old links stop working, their page pointing to
// /lien-perdu; an erased application gets nothing. A malformed address
// is refused in French, next to the field, keeping what was typed.
func TestALostLinkIsSentAgainToTheAddressThatApplied(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	first := app.OpenPosting(time.Now().Add(30 * 24 * time.Hour))
	second := secondPosting(t, app, "autre@anct.gouv.fr")
	_, oldFirst := applyThroughTheForm(t, app, first)
	_, oldSecond := applyThroughTheForm(t, app, second)
	app.WaitIdle()
	if resp, _ := testkit.Get(t, app.Client(), app.URL+oldFirst); resp.StatusCode != http.StatusOK {
		t.Fatalf("the first private link before: %d (%s, %s)", resp.StatusCode, oldFirst, oldSecond)
	}
	sentBefore := len(app.SMTP.Messages())

	resp, body := testkit.Get(t, app.Client(), app.URL+"/lien-perdu")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `action="/lien-perdu"`) {
		t.Fatalf("GET /lien-perdu: %d", resp.StatusCode)
	}
	resp, body = testkit.PostForm(t, app.Client(), app.URL+"/lien-perdu", url.Values{"email": {"camille.durand@"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(body), "Saisissez une adresse email valide") ||
		!strings.Contains(body, `value="camille.durand@"`) {
		t.Errorf("a malformed address: %d, want 422 with the reason next to the field and the address kept", resp.StatusCode)
	}

	answer := func(email string) string {
		t.Helper()
		resp, body := testkit.PostForm(t, app.Client(), app.URL+"/lien-perdu", url.Values{"email": {email}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST /lien-perdu for %s: %d", email, resp.StatusCode)
		}
		return strings.ReplaceAll(html.UnescapeString(body), strings.ToLower(strings.TrimSpace(email)), "ADRESSE")
	}
	known, unknown := answer("Camille.Durand@example.org "), answer("personne@example.org")
	if known != unknown {
		t.Errorf("the page answers an address that applied otherwise than one that did not")
	}
	if !strings.Contains(known, "Regardez vos emails") {
		t.Errorf("the page does not say an email may have left")
	}
	app.WaitIdle()

	var got []string
	for _, m := range app.SMTP.Messages()[sentBefore:] {
		got = append(got, strings.Join(m.To, ",")+" "+m.Subject)
		if strings.Contains(strings.Join(m.To, ","), "personne@example.org") {
			t.Errorf("an address that never applied got an email: %s", m.Subject)
		}
	}
	if len(got) != 2 {
		t.Fatalf("emails after the requests: %q, want one a posting to camille.durand@example.org", got)
	}
	newLink := app.LinkTo("camille.durand@example.org")
	if newLink == oldFirst || newLink == oldSecond {
		t.Fatalf("the new link is an old one")
	}
	if resp, _ := testkit.Get(t, app.Client(), app.URL+newLink); resp.StatusCode != http.StatusOK {
		t.Errorf("the new link: %d", resp.StatusCode)
	}
	for _, old := range []string{oldFirst, oldSecond} {
		resp, body := testkit.Get(t, app.Client(), app.URL+old)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, `href="/lien-perdu"`) {
			t.Errorf("an old link after the new ones: %d, want 404 pointing to /lien-perdu", resp.StatusCode)
		}
	}
}

// In Chromium, from an old link's page: its button leads to /lien-perdu,
// a malformed address gets its reason next to the field, a good one the
// message to look at one's emails; axe-core finds nothing on the way.
func TestALostLinkInABrowser(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Now().Add(30 * 24 * time.Hour))
	_, old := applyThroughTheForm(t, app, p)
	app.WaitIdle()
	testkit.PostForm(t, app.Client(), app.URL+"/lien-perdu", url.Values{"email": {"camille.durand@example.org"}})
	app.WaitIdle()
	ctx := testkit.Browser(t)
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		testkit.CheckAccessibility(t, ctx, name)
	}
	step("an old link", chromedp.Navigate(app.URL+old), testkit.WaitVisible(`main a[href="/lien-perdu"]`))
	step("the lost link's page", chromedp.Click(`main a[href="/lien-perdu"]`), testkit.WaitVisible(`#email`))
	step("a malformed address", chromedp.SendKeys(`#email`, "camille.durand@"), chromedp.Submit(`#email`), testkit.WaitVisible(`#email-erreur`))
	step("a good one", chromedp.SetValue(`#email`, "camille.durand@example.org"), chromedp.Submit(`#email`), testkit.WaitVisible(`.fr-alert--success`))
	if text, err := chromedp.Run(ctx, chromedp.Text(`.fr-alert--success`)); err != nil || !strings.Contains(text, "camille.durand@example.org") {
		t.Errorf("the message after asking: %q, %v", text, err)
	}
}

// With Redis down the request cannot be handed to a worker: it is done in
// the request, and the new link waits in the outbox until Redis is back.
func TestALostLinkWhileRedisIsDown(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{RedisURL: "redis://127.0.0.1:1/0", NoWorker: true})
	p := app.OpenPosting(time.Now().Add(30 * 24 * time.Hour))
	applyThroughTheForm(t, app, p)
	resp, body := testkit.PostForm(t, app.Client(), app.URL+"/lien-perdu", url.Values{"email": {"camille.durand@example.org"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Regardez vos emails") {
		t.Fatalf("ask with Redis down: %d", resp.StatusCode)
	}
	var pending int
	app.DB.Get(&pending, `SELECT count(*) FROM emails WHERE kind = 'lost_link' AND to_address = 'camille.durand@example.org' AND status = 'pending'`)
	if pending != 1 {
		t.Errorf("%d new links waiting in the outbox, want 1", pending)
	}
}

// An address gets its new links at most privatelink.PerAddress times an
// hour, however often it is asked for: past that, the page answers as
// always and nothing more is written.
func TestALostLinkIsSentAtMostThreeTimesAnHour(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Now().Add(30 * 24 * time.Hour))
	applyThroughTheForm(t, app, p)
	for range privatelink.PerAddress + 2 {
		if resp, body := testkit.PostForm(t, app.Client(), app.URL+"/lien-perdu", url.Values{"email": {"camille.durand@example.org"}}); resp.StatusCode != http.StatusOK ||
			!strings.Contains(body, "Regardez vos emails") {
			t.Fatalf("ask: %d", resp.StatusCode)
		}
	}
	app.WaitIdle()
	var written int
	app.DB.Get(&written, `SELECT count(*) FROM emails WHERE kind = 'lost_link'`)
	if written != privatelink.PerAddress {
		t.Errorf("%d new links written for %d requests, want %d", written, privatelink.PerAddress+2, privatelink.PerAddress)
	}
}
