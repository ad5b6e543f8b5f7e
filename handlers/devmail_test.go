package handlers_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vivier/internal/testkit"
)

// /dev/mail shows names as people write them, not as encoded words, and
// the whole of a message's HTML part, footer included.
func TestDevMailShowsNamesAndWholeMessages(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{DevMail: true})
	p := app.OpenPosting(time.Time{})
	f := validForm()
	f.Set("prenom", "Léa")
	f.Set("nom", "Dubois")
	f.Set("email", "lea.dubois@example.org")
	if resp, _ := testkit.PostMultipart(t, app.Client(), app.URL+"/offres/"+p.Slug+"/candidature", f, cv()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply: %d", resp.StatusCode)
	}
	msgs := app.SMTP.WaitFor(2, 20*time.Second)
	if len(msgs) < 2 {
		t.Fatalf("%d emails caught", len(msgs))
	}
	ack := 0
	for _, m := range msgs {
		if len(m.To) == 1 && m.To[0] == "lea.dubois@example.org" {
			ack = m.ID
		}
	}
	if ack == 0 || !strings.Contains(msgs[ack-1].Header.Get("To"), "=?") {
		t.Fatalf("the acknowledgement's To is not encoded, the test proves nothing: %q", msgs[ack-1].Header.Get("To"))
	}
	c := app.Client()
	if _, body := testkit.Get(t, c, app.URL+"/dev/mail"); !strings.Contains(body, "2 emails, du plus récent au plus ancien") {
		t.Errorf("the list does not count its emails in French:\n%s", body)
	}
	page := app.URL + "/dev/mail/" + strconv.Itoa(ack)
	_, body := testkit.Get(t, c, page)
	if !strings.Contains(body, "<dd>Léa Dubois &lt;lea.dubois@example.org&gt;</dd>") || strings.Contains(body, "=?") {
		t.Errorf("the recipient is not shown decoded:\n%s", body)
	}

	ctx := testkit.Browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitVisible(`main iframe`)); err != nil {
		t.Fatal(err)
	}
	// The frame grows to the message: its footer is inside, not cut.
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => {
		const f = document.querySelector("main iframe"), d = f.contentDocument;
		return !!d && d.readyState === "complete" && d.body.innerText.includes("pour le compte de l'Incubateur des Territoires") &&
			f.clientHeight >= d.documentElement.scrollHeight;
	})()`, chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
			const f = document.querySelector("main iframe"), d = f.contentDocument;
			return "frame " + f.clientHeight + " px, message " + (d ? d.readyState + " " + d.documentElement.scrollHeight + " px: " + d.body.innerText.slice(-200) : "out of reach");
		})()`))
		t.Fatalf("the HTML part's frame does not show the whole message (%v): %s", err, state)
	}
	testkit.CheckAccessibility(t, ctx, "an email caught in development")
}
