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

// In Chromium: an admin adds two criteria and reviews a posting blind
// until « Présélectionnée »; a freelancer applies; two reviewers fill
// scorecards, the second seeing the first's only after submitting; the
// application shows no name until it is shortlisted; the selection report
// lists it all. Every new page passes axe-core.
func TestScorecardsInABrowser(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{AdminEmails: "admin@anct.gouv.fr"})
	p := app.OpenPosting(time.Time{})
	pid := strconv.FormatInt(p.ID, 10)
	for _, who := range []string{"premiere@anct.gouv.fr", "second@anct.gouv.fr"} {
		if err := app.Repo.AddReviewer(t.Context(), p.ID, who, "admin@anct.gouv.fr"); err != nil {
			t.Fatal(err)
		}
	}
	ctx := testkit.Browser(t)
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		testkit.CheckAccessibility(t, ctx, name)
	}
	signIn := func(who string) {
		t.Helper()
		link := app.SignInLink(app.Client(), who)
		// The sign-in pages are checked by their own tests.
		if err := chromedp.Do(ctx, chromedp.Navigate(app.URL+link), testkit.WaitVisible(`main button[type=submit]`),
			chromedp.Click(`main button[type=submit]`), testkit.WaitVisible(`main a[href^="/boite/offres/"]`)); err != nil {
			t.Fatalf("sign in as %s: %v", who, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}

	signIn("admin@anct.gouv.fr")
	step("the evaluation page", chromedp.Navigate(app.URL+"/boite/offres/"+pid+"/evaluation"), testkit.WaitVisible(`#nouveau-nom`))
	step("a criterion without a name", chromedp.Submit(`#nouveau-nom`), testkit.WaitVisible(`#nouveau-nom-erreur`))
	for _, c := range []struct{ name, weight string }{{"Animation d'ateliers", "3"}, {"Qualité de l'écrit", "1"}} {
		step("the criterion "+c.name, chromedp.SendKeys(`#nouveau-nom`, c.name), chromedp.SetValue(`#nouveau-poids`, c.weight),
			chromedp.Submit(`#nouveau-nom`), testkit.WaitVisible(`.fr-alert--success`))
	}
	if got := text(`#criteres tbody`); !strings.Contains(got, "Animation d'ateliers") || !strings.Contains(got, "Qualité de l'écrit") {
		t.Fatalf("criteria listed: %q", got)
	}
	step("blind until shortlisted", chromedp.Click(`label[for="jusqu_a-2"]`), chromedp.Submit(`#jusqu_a-2`), testkit.WaitVisible(`.fr-alert--success`))

	// A freelancer applies; the form asks them not to name themselves.
	step("the blind posting's form", chromedp.Navigate(app.URL+"/offres/"+p.Slug), testkit.WaitVisible(`#candidature-anonyme`))
	if resp, _ := testkit.PostMultipart(t, app.Client(), app.URL+"/offres/"+p.Slug+"/candidature", validForm(), cv()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply: %d", resp.StatusCode)
	}
	var aid int64
	app.DB.Get(&aid, `SELECT id FROM applications WHERE posting_id = $1`, p.ID)
	page := app.URL + "/boite/candidatures/" + strconv.FormatInt(aid, 10)
	number := "Candidature n° " + strconv.FormatInt(aid, 10)

	signIn("premiere@anct.gouv.fr")
	step("the blind list", chromedp.Navigate(app.URL+"/boite/offres/"+pid), testkit.WaitVisible(`#aveugle`))
	if row := text(`tbody`); !strings.Contains(row, number) || strings.Contains(row, "Durand") {
		t.Errorf("the blind list's row: %q", row)
	}
	step("the blind application", chromedp.Navigate(page), testkit.WaitVisible(`#grilles`))
	if main := text(`main`); strings.Contains(main, "Durand") || strings.Contains(main, "camille.durand@example.org") || !strings.Contains(main, number) {
		t.Errorf("the blind application page shows the person or not the number")
	}
	step("a scorecard left half-filled", chromedp.Click(`label[for="avis-4"]`), chromedp.Submit(`#commentaire`),
		testkit.WaitVisible(`.fr-fieldset--error .fr-message--error`))
	step("the first scorecard", chromedp.Click(`#grilles fieldset:nth-of-type(1) label[for$="-4"]`),
		chromedp.Click(`#grilles fieldset:nth-of-type(2) label[for$="-4"]`), chromedp.SendKeys(`#commentaire`, "Ateliers nombreux et variés"),
		chromedp.Submit(`#commentaire`), testkit.WaitVisible(`#grilles-table`))

	signIn("second@anct.gouv.fr")
	step("the second reviewer, before submitting", chromedp.Navigate(page), testkit.WaitVisible(`#grilles-attente`))
	// The scorecards' section (the page names the other reviewers elsewhere, to mention them in a note).
	if grilles := text(`#grilles`); strings.Contains(grilles, "premiere@anct.gouv.fr") || strings.Contains(text(`main`), "Ateliers nombreux") {
		t.Errorf("the second reviewer sees the first's scorecard before submitting")
	}
	step("the second scorecard", chromedp.Click(`#grilles fieldset:nth-of-type(1) label[for$="-1"]`),
		chromedp.Click(`#grilles fieldset:nth-of-type(2) label[for$="-3"]`), chromedp.Click(`label[for="avis-2"]`),
		chromedp.Submit(`#commentaire`), testkit.WaitVisible(`#grilles-table`))
	if table := text(`#grilles-table`); !strings.Contains(table, "premiere@anct.gouv.fr") || !strings.Contains(table, "second@anct.gouv.fr (vous)") {
		t.Errorf("after submitting, the scorecards table: %q", table)
	}
	if d := text(`#desaccords`); !strings.Contains(d, "Animation d'ateliers") {
		t.Errorf("disagreements: %q", d)
	}
	step("the status editor", chromedp.Click(`a[href*="vers=shortlisted"]`), testkit.WaitVisible(`#message`))
	step("shortlisted", chromedp.Submit(`#message`), testkit.WaitVisible(`.fr-alert--success`))
	if h1 := text(`main h1`); h1 != "Camille Durand" {
		t.Errorf("after shortlisting, the page's title is %q", h1)
	}
	step("the rejection form", chromedp.Click(`a[href*="vers=rejected"]`), testkit.WaitVisible(`#motif`))
	step("a rejection without its reason", chromedp.Submit(`#message`), testkit.WaitVisible(`#motif-erreur`))
	step("rejected", chromedp.SendKeys(`#motif`, "Moins d'ateliers que les autres"), chromedp.Submit(`#message`), testkit.WaitVisible(`.fr-alert--success`))

	signIn("admin@anct.gouv.fr")
	step("the selection report", chromedp.Navigate(app.URL+"/boite/offres/"+pid+"/rapport"), testkit.WaitVisible(`#rapport-criteres`))
	report := text(`main`)
	for _, s := range []string{"Animation d'ateliers", "Camille Durand", "premiere@anct.gouv.fr", "second@anct.gouv.fr",
		"Présélectionnée → Non retenue", "Moins d'ateliers que les autres", "second@anct.gouv.fr"} {
		if !strings.Contains(report, s) {
			t.Errorf("the selection report lacks %q", s)
		}
	}
}
