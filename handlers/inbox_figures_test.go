package handlers_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vivier/internal/frfmt"
	"vivier/internal/testkit"
	"vivier/repository"
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
	// Views: 5 on the 10th, 2 on the 12th, none on the 11th.
	if _, err := app.Repo.AddViews(t.Context(), "b1", "2026-03-10", map[int64]repository.PageCounts{p.ID: {Views: 5, Started: 3, Sent: 2}}); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Repo.AddViews(t.Context(), "b2", "2026-03-12", map[int64]repository.PageCounts{p.ID: {Views: 2, Started: 1, Sent: 1}}); err != nil {
		t.Fatal(err)
	}

	reviewer := app.Client()
	app.SignIn(reviewer, p.ContactEmail)
	move := func(id int64, to string, at time.Time) {
		t.Helper()
		app.Clock.Set(at)
		resp, _ := testkit.PostForm(t, reviewer, app.URL+"/boite/candidatures/"+strconv.FormatInt(id, 10)+"/statut", url.Values{"vers": {to}, "motif": {"Hors du périmètre"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("move %d to %s: %d", id, to, resp.StatusCode)
		}
	}
	// Alix: examined a day after, then shortlisted. Claude: turned down
	// two hours after. Basile and Dana: never answered.
	move(a.ID, "in_review", day(11, 9))
	move(a.ID, "shortlisted", day(12, 9))
	move(b.ID, "rejected", day(11, 11))
	// Seen on 24 March: Basile waits since 14 days, Dana since 12.
	app.Clock.Set(day(24, 10))

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
		if rows, ok := want["rows"]; ok {
			delete(want, "rows")
			if strconv.Itoa(len(got)) != rows {
				t.Errorf("%s: %d rows, want %s", id, len(got), rows)
			}
		} else if len(got) != len(want) {
			t.Errorf("%s: %v, want %v", id, got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s %q = %q, want %q", id, k, got[k], v)
			}
		}
	}
	// Every day from the first to today, 10 to 24 March.
	check("vues", map[string]string{"10 mars 2026": "5", "11 mars 2026": "0", "12 mars 2026": "2", "24 mars 2026": "0", "rows": "15"})
	check("commences", map[string]string{"10 mars 2026": "3", "11 mars 2026": "0", "12 mars 2026": "1", "rows": "15"})
	check("envoyes", map[string]string{"10 mars 2026": "2", "11 mars 2026": "0", "12 mars 2026": "1", "rows": "15"})
	check("candidatures", map[string]string{"10 mars 2026": "2", "11 mars 2026": "1", "12 mars 2026": "1", "24 mars 2026": "0", "rows": "15"})
	check("sources", map[string]string{"LinkedIn": "2", "Mailing beta.gouv": "1", "Inconnue": "1"})
	check("statuts", map[string]string{"Reçue": "2", "En cours d'examen": "0", "Présélectionnée": "1", "Entretien": "0",
		"Retenue": "0", "Non retenue": "1", "Retirée": "0"})
	// Stages reached: all four received, Alix on to review and shortlist.
	stages := regexp.MustCompile(`<tr><th scope="row">([^<]*)</th><td>(\d+)</td><td>([^<]*)</td></tr>`).FindAllStringSubmatch(body, -1)
	var gotStages []string
	for _, m := range stages {
		gotStages = append(gotStages, html.UnescapeString(m[1])+" "+m[2]+" "+m[3])
	}
	wantStages := []string{"Reçue 4 —", "En cours d'examen 1 25 %", "Présélectionnée 1 100 %", "Entretien 0 0 %", "Retenue 0 —"}
	if strings.Join(gotStages, "|") != strings.Join(wantStages, "|") {
		t.Errorf("stages = %q, want %q", gotStages, wantStages)
	}
	// Medians: first change after 24 h (Alix) and 2 h (Claude); one decision, after 2 h.
	for _, s := range []string{"<dd>13 heures</dd>", "<dd>2 heures</dd>"} {
		if !strings.Contains(body, s) {
			t.Errorf("figures page lacks %q", s)
		}
	}
	// Still without an answer: 2 since 7 days, 1 since 14 (Basile), none since 30; each links to its list.
	waits := regexp.MustCompile(`<li><a href="([^"]+)">(\d+) candidatures? reçues? depuis (\d+) jours ou plus</a></li>`).FindAllStringSubmatch(body, -1)
	if len(waits) != 3 || waits[0][2] != "2" || waits[1][2] != "1" || waits[2][2] != "0" {
		t.Fatalf("waiting = %q", waits)
	}
	_, waiting := testkit.Get(t, reviewer, app.URL+html.UnescapeString(waits[1][1]))
	if !strings.Contains(waiting, "Martin Basile") || strings.Contains(waiting, "Martin Dana") || strings.Contains(waiting, "Martin Alix") {
		t.Errorf("the list behind the 14 days' figure is not Basile alone (%s)", waits[1][1])
	}

	// In a browser: the charts and their tables pass axe-core.
	ctx := testkit.Browser(t)
	link := app.SignInLink(app.Client(), p.ContactEmail)
	if err := chromedp.Do(ctx, chromedp.Navigate(app.URL+link), testkit.WaitVisible(`main button[type=submit]`),
		chromedp.Click(`main button[type=submit]`), testkit.WaitVisible(`main a[href^="/boite/offres/"]`),
		chromedp.Navigate(app.URL+"/boite/offres/"+pid+"/statistiques"), testkit.WaitVisible(`svg.vivier-chart`)); err != nil {
		t.Fatal(err)
	}
	testkit.CheckAccessibility(t, ctx, "the figures of a posting")
}
