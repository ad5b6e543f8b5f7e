package handlers_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vivier/internal/testkit"
)

// In a browser, a reviewer chooses the daily digest for a posting from
// its list, then mentions another reviewer in a note: typing "@" and the
// start of their address offers them, a click writes the address, and
// they get the email. Each page passes axe-core.
func TestNotificationsAndMentionsInABrowser(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Time{})
	for _, r := range []string{"lea.dupont@anct.gouv.fr", "paul@anct.gouv.fr"} {
		if err := app.Repo.AddReviewer(context.Background(), p.ID, r, "test"); err != nil {
			t.Fatal(err)
		}
	}
	a := seedApplication(t, app, p.ID, "Camille", "Durand", "camille@example.org")
	ctx := testkit.Browser(t)
	link := app.SignInLink(app.Client(), p.ContactEmail)
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		testkit.CheckAccessibility(t, ctx, name)
	}
	step("signed in", chromedp.Navigate(app.URL+link), testkit.WaitVisible(`main button[type=submit]`),
		chromedp.Click(`main button[type=submit]`), testkit.WaitVisible(`main a[href^="/boite/offres/"]`),
		chromedp.Navigate(app.URL+"/boite/offres/"+strconv.FormatInt(p.ID, 10)), testkit.WaitVisible(`#lien-notifications`))
	step("the notifications page", chromedp.Click(`#lien-notifications`), testkit.WaitVisible(`#frequence`))
	step("the daily digest chosen", chromedp.Click(`label[for="frequence-daily"]`), chromedp.Submit(`#frequence-daily`),
		testkit.WaitVisible(`.fr-alert--success`))
	said, err := chromedp.Run(ctx, chromedp.Text(`.fr-alert--success`))
	if err != nil || !strings.Contains(said, "Votre choix est enregistré : un récapitulatif par jour.") {
		t.Errorf("after saving, the page says %q (%v)", said, err)
	}
	if on, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("frequence-daily").checked`)); !on {
		t.Errorf("the daily digest is not shown as chosen")
	}

	step("the application", chromedp.Navigate(app.URL+"/boite/candidatures/"+strconv.FormatInt(a.ID, 10)), testkit.WaitVisible(`#note`))
	if shown, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.getElementById("suggestions-mention").hidden`)); shown {
		t.Errorf("suggestions shown before anything is typed")
	}
	step("suggestions after @", chromedp.SendKeys(`#note`, "Peux-tu regarder ce profil @le"),
		testkit.WaitVisible(`button[data-mention="lea.dupont@anct.gouv.fr"]`))
	if paul, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('button[data-mention="paul@anct.gouv.fr"]').offsetParent !== null`)); paul {
		t.Errorf("paul is offered for @le")
	}
	step("a reviewer chosen", chromedp.Click(`button[data-mention="lea.dupont@anct.gouv.fr"]`), testkit.WaitNotVisible(`#suggestions-mention`))
	typed, err := chromedp.Run(ctx, chromedp.Value(`#note`))
	if err != nil || typed != "Peux-tu regarder ce profil @lea.dupont@anct.gouv.fr " {
		t.Fatalf("the note reads %q (%v)", typed, err)
	}
	step("the note added", chromedp.SendKeys(`#note`, "?"), chromedp.Submit(`#note`), testkit.WaitVisible(`.fr-alert--success`))
	said, _ = chromedp.Run(ctx, chromedp.Text(`.fr-alert--success`))
	if !strings.Contains(said, "lea.dupont@anct.gouv.fr est prévenu·e par email.") {
		t.Errorf("after the note, the page says %q", said)
	}
	app.WaitEmails("sent", 2, 20*time.Second) // the sign-in link and the mention
	if got := messagesTo(app, "lea.dupont@anct.gouv.fr"); len(got) != 1 || !strings.Contains(got[0].Text, "Peux-tu regarder ce profil @lea.dupont@anct.gouv.fr ?") {
		t.Errorf("Léa got %d emails, want the mention", len(got))
	}
}
