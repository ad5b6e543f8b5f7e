package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"vivier/internal/testkit"
)

// Asking for a sign-in link does the same work in the request for a
// known and an unknown address: the page, and what is written while the
// visitor waits (nothing), are the same. The lookup and the email come
// after, in a worker.
func TestSignInRequestIsTheSameForAnyAddress(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	p := app.OpenPosting(time.Time{})
	known, unknown := p.ContactEmail, "inconnu@example.org"
	rows := func() (n int) {
		app.DB.Get(&n, `SELECT (SELECT count(*) FROM emails) + (SELECT count(*) FROM sign_in_tokens)`)
		return n
	}
	before := rows()
	pages := map[string]string{}
	for _, email := range []string{known, unknown} {
		resp, body := testkit.PostForm(t, app.Client(), app.URL+"/connexion", url.Values{"email": {email}})
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Regardez vos emails") {
			t.Fatalf("ask for %s: %d", email, resp.StatusCode)
		}
		pages[email] = strings.ReplaceAll(body, email, "ADRESSE")
		if n := rows(); n != before {
			t.Errorf("asking for %s wrote %d rows during the request, want none", email, n-before)
		}
	}
	if pages[known] != pages[unknown] {
		t.Error("the page differs for a known and an unknown address")
	}

	// The worker does the rest: a link to the known address only.
	app.StartWorker()
	link := app.LinkTo(known)
	app.WaitQueuesEmpty()
	for _, m := range app.SMTP.Messages() {
		if m.To[0] != known {
			t.Errorf("an email went to %v", m.To)
		}
	}
	var toUnknown int
	app.DB.Get(&toUnknown, `SELECT count(*) FROM emails WHERE to_address = $1`, unknown)
	if n := len(app.SMTP.Messages()); n != 1 || toUnknown != 0 {
		t.Errorf("%d messages sent and %d emails written to the unknown address, want 1 and 0", n, toUnknown)
	}
	if resp, _ := testkit.PostForm(t, app.Client(), app.URL+link, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("sign in with the link: %d", resp.StatusCode)
	}
}

// With Redis down the request cannot be handed over: it is done in the
// request, and the link leaves once Redis is back.
func TestSignInRequestWhileRedisIsDown(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{RedisURL: "redis://127.0.0.1:1/0", NoWorker: true})
	p := app.OpenPosting(time.Time{})
	resp, body := testkit.PostForm(t, app.Client(), app.URL+"/connexion", url.Values{"email": {p.ContactEmail}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Regardez vos emails") {
		t.Fatalf("ask with Redis down: %d", resp.StatusCode)
	}
	var pending int
	app.DB.Get(&pending, `SELECT count(*) FROM emails WHERE kind = 'sign_in_link' AND to_address = $1 AND status = 'pending'`, p.ContactEmail)
	if pending != 1 {
		t.Errorf("%d sign-in links waiting in the outbox, want 1", pending)
	}
}

// A sign-in link already used, or past its time, says so as soon as it is
// opened (without being used), with a way to ask for a new one.
func TestUsedSignInLinkSaysSoWhenOpened(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Time{})
	link := app.SignInLink(app.Client(), p.ContactEmail)
	// Opening it, even twice, does not use it.
	for range 2 {
		if resp, body := testkit.Get(t, app.Client(), app.URL+link); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Vous y êtes presque") {
			t.Fatalf("fresh link: %d", resp.StatusCode)
		}
	}
	if resp, _ := testkit.PostForm(t, app.Client(), app.URL+link, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", resp.StatusCode)
	}
	expired := func(what, u, ask string) {
		t.Helper()
		resp, body := testkit.Get(t, app.Client(), u)
		if resp.StatusCode != http.StatusGone || strings.Contains(body, "Vous y êtes presque") ||
			!strings.Contains(body, "Lien de connexion expiré") || !strings.Contains(body, `href="`+ask+`"`) ||
			!strings.Contains(body, "Recevoir un nouveau lien") {
			t.Errorf("%s: %d, want 410 with a link to %s:\n%s", what, resp.StatusCode, ask, body)
		}
	}
	expired("used link", app.URL+link, "/connexion")
	expired("used link with a page to return to", app.URL+link+"?suite=/boite/offres/1", "/connexion?suite=%2fboite%2foffres%2f1")
	late := app.SignInLink(app.Client(), p.ContactEmail)
	app.DB.MustExec(`UPDATE sign_in_tokens SET expires_at = now() - interval '1 second' WHERE used_at IS NULL`)
	expired("expired link", app.URL+late, "/connexion")
	expired("unknown link", app.URL+"/connexion/lien/"+strings.Repeat("A", 43), "/connexion")
	// The button of a page opened before the link expired answers the same.
	if resp, body := testkit.PostForm(t, app.Client(), app.URL+late, nil); resp.StatusCode != http.StatusGone ||
		!strings.Contains(body, "Recevoir un nouveau lien") {
		t.Errorf("expired link's button: %d", resp.StatusCode)
	}
}
