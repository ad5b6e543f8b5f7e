package handlers_test

import (
	"html"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vivier/internal/frfmt"
	"vivier/internal/testkit"
)

// figureRows reads the rows of a figures table: label to number.
func figureRows(t *testing.T, body, id string) map[string]string {
	t.Helper()
	i := strings.Index(body, `<table id="`+id+`">`)
	if i < 0 {
		t.Fatalf("no table %q", id)
	}
	table := body[i : i+strings.Index(body[i:], "</table>")]
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`<tr><th scope="row">([^<]*)</th><td>(\d+)</td></tr>`).FindAllStringSubmatch(table, -1) {
		out[html.UnescapeString(m[1])] = m[2]
	}
	return out
}

// A posting's figures, against data made for them: views and
// applications per day (days without any at zero), by source, by status.
func TestPostingFiguresPage(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Time{})
	pid := strconv.FormatInt(p.ID, 10)
	day := func(d, hour int) time.Time { return time.Date(2026, 3, d, hour, 30, 0, 0, frfmt.Paris) }

	// Applications: two on 10 March from LinkedIn (one at 23:30, still the
	// 10th in Paris), one on the 11th from a mailing, one on the 12th from
	// nowhere known.
	app.Clock.Set(day(10, 9))
	a := seedFrom(t, app, p.ID, "Alix", "alix@example.org", "LinkedIn")
	app.Clock.Set(day(10, 23))
	seedFrom(t, app, p.ID, "Basile", "basile@example.org", "LinkedIn")
	app.Clock.Set(day(11, 9))
	b := seedFrom(t, app, p.ID, "Claude", "claude@example.org", "Mailing beta.gouv")
	app.Clock.Set(day(12, 9))
	seedApplication(t, app, p.ID, "Dana", "Martin", "dana@example.org")
	app.DB.MustExec(`UPDATE applications SET status = 'shortlisted' WHERE id = $1`, a.ID)
	app.DB.MustExec(`UPDATE applications SET status = 'rejected' WHERE id = $1`, b.ID)
	// Views: 5 on the 10th, 2 on the 12th, none on the 11th.
	if _, err := app.Repo.AddViews(t.Context(), "b1", "2026-03-10", map[int64]int64{p.ID: 5}); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Repo.AddViews(t.Context(), "b2", "2026-03-12", map[int64]int64{p.ID: 2}); err != nil {
		t.Fatal(err)
	}

	reviewer := app.Client()
	app.SignIn(reviewer, p.ContactEmail)
	_, list := testkit.Get(t, reviewer, app.URL+"/boite/offres/"+pid)
	if !strings.Contains(list, `href="/boite/offres/`+pid+`/statistiques"`) {
		t.Error("the list does not link to the figures")
	}
	resp, body := testkit.Get(t, reviewer, app.URL+"/boite/offres/"+pid+"/statistiques")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("figures: %d", resp.StatusCode)
	}
	check := func(id string, want map[string]string) {
		t.Helper()
		got := figureRows(t, body, id)
		if len(got) != len(want) {
			t.Errorf("%s: %v, want %v", id, got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s %q = %q, want %q", id, k, got[k], v)
			}
		}
	}
	check("vues", map[string]string{"10 mars 2026": "5", "11 mars 2026": "0", "12 mars 2026": "2"})
	check("candidatures", map[string]string{"10 mars 2026": "2", "11 mars 2026": "1", "12 mars 2026": "1"})
	check("sources", map[string]string{"LinkedIn": "2", "Mailing beta.gouv": "1", "Inconnue": "1"})
	check("statuts", map[string]string{"Reçue": "2", "En cours d'examen": "0", "Présélectionnée": "1", "Entretien": "0",
		"Retenue": "0", "Non retenue": "1", "Retirée": "0"})

	// In a browser: the charts and their tables pass axe-core.
	ctx := testkit.Browser(t)
	link := app.SignInLink(app.Client(), p.ContactEmail)
	if err := chromedp.Do(ctx, chromedp.Navigate(app.URL+link), chromedp.WaitVisible(`main button[type=submit]`),
		chromedp.Click(`main button[type=submit]`), chromedp.WaitVisible(`main a[href^="/boite/offres/"]`),
		chromedp.Navigate(app.URL+"/boite/offres/"+pid+"/statistiques"), chromedp.WaitVisible(`svg.vivier-chart`)); err != nil {
		t.Fatal(err)
	}
	testkit.CheckAccessibility(t, ctx, "the figures of a posting")
}
