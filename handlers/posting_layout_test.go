package handlers_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vivier/internal/frfmt"
	"vivier/internal/testkit"
)

// The deadline and a "Candidater" link to the form come before the
// posting's body, which can be long: on a 375 px phone they are on the
// first screen.
func TestThePostingPageShowsTheDeadlineFirst(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	closesAt := time.Now().AddDate(0, 0, 20)
	p := app.OpenPosting(closesAt)
	_, page := testkit.Get(t, app.Client(), app.URL+"/offres/"+p.Slug)
	body := strings.Index(page, `class="vivier-body"`)
	deadline := strings.Index(page, "Candidatures jusqu'au <strong>"+frfmt.DateTime(closesAt)+"</strong>")
	jump := strings.Index(page, `<a class="fr-btn" href="#candidater">Candidater</a>`)
	if body < 0 || deadline < 0 || jump < 0 {
		t.Fatalf("body at %d, deadline at %d, jump link at %d: one is missing", body, deadline, jump)
	}
	if deadline > body || jump > body {
		t.Errorf("the deadline (%d) and the jump link (%d) come after the posting's body (%d)", deadline, jump, body)
	}

	ctx := testkit.Browser(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(375, 812), chromedp.Navigate(app.URL+"/offres/"+p.Slug),
		testkit.WaitVisible(`#echeance a`)); err != nil {
		t.Fatal(err)
	}
	onFirstScreen, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const r = document.querySelector("#echeance a").getBoundingClientRect();
		const d = document.querySelector("#echeance p").getBoundingClientRect();
		return window.innerWidth <= 375 && r.bottom <= window.innerHeight && d.bottom <= window.innerHeight && r.height > 0;
	})()`))
	if err != nil || !onFirstScreen {
		t.Fatalf("at 375 px the deadline and the Candidater link are not on the first screen (%v)", err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(`#echeance a`), testkit.WaitVisible(`#prenom`)); err != nil {
		t.Fatal(err)
	}
	if hash, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.hash`)); err != nil || hash != "#candidater" {
		t.Errorf("the Candidater link leads to %q, want the form (%v)", hash, err)
	}
}
