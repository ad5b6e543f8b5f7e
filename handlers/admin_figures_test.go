package handlers_test

import (
	"encoding/csv"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vivier/internal/frfmt"
	"vivier/internal/testkit"
	"vivier/repository"
)

var (
	rowPattern  = regexp.MustCompile(`(?s)<tr><th scope="row">(.*?)</th>(.*?)</tr>`)
	cellPattern = regexp.MustCompile(`(?s)<td>(.*?)</td>`)
	tagPattern  = regexp.MustCompile(`<[^>]*>`)
)

// tableCells reads a table's body rows: the row's header (tags removed)
// and its cells' text, in order, one row after the other.
func tableCells(t *testing.T, body, id string) [][]string {
	t.Helper()
	i := strings.Index(body, `<table id="`+id+`">`)
	if i < 0 {
		t.Fatalf("no table %q", id)
	}
	table := body[i : i+strings.Index(body[i:], "</table>")]
	var out [][]string
	text := func(s string) string {
		return html.UnescapeString(strings.TrimSpace(tagPattern.ReplaceAllString(s, "")))
	}
	for _, m := range rowPattern.FindAllStringSubmatch(table, -1) {
		row := []string{text(m[1])}
		for _, c := range cellPattern.FindAllStringSubmatch(m[2], -1) {
			row = append(row, text(c[1]))
		}
		out = append(out, row)
	}
	return out
}

// Every posting's figures over a period, against data made for them:
// views and forms of the period's days only, applications received in it
// (Paris days) and where they stand now, answer times, those still
// waiting, sources; a posting without activity in the period is left
// out; the totals; the CSV says the same.
func TestFiguresAcrossPostingsOverAPeriod(t *testing.T) {
	t.Parallel()
	const adminEmail = "admin@anct.gouv.fr"
	app := testkit.NewApp(t, testkit.Options{AdminEmails: adminEmail})
	a := app.OpenPosting(time.Time{})
	b := secondPosting(t, app, "autre@anct.gouv.fr")
	c := app.Posting("tests/2024-01-01-troisieme-offre.md", []byte("---\ntitle: Troisième offre\ncontact: trois@anct.gouv.fr\nopen: true\n---\nUne troisième mission.\n"))
	quiet := app.Posting("tests/2024-01-01-offre-calme.md", []byte("---\ntitle: Offre calme\ncontact: calme@anct.gouv.fr\nopen: true\n---\nRien ce mois-là.\n"))
	at := func(day, hour, minute int) time.Time { return time.Date(2026, 3, day, hour, minute, 0, 0, frfmt.Paris) }
	admin := app.Client()
	app.SignIn(admin, adminEmail)
	move := func(id int64, to string, when time.Time) {
		t.Helper()
		app.Clock.Set(when)
		resp, _ := testkit.PostForm(t, admin, app.URL+"/boite/candidatures/"+strconv.FormatInt(id, 10)+"/statut", url.Values{"vers": {to}, "motif": {"Hors du périmètre"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("move %d to %s: %d", id, to, resp.StatusCode)
		}
	}
	// The period: 10 to 12 March 2026.
	app.Clock.Set(at(9, 23, 30)) // the 9th in Paris: before the period
	seedFrom(t, app, a.ID, "Avant", "avant@example.org", "LinkedIn")
	app.Clock.Set(at(10, 9, 30))
	a1 := seedFrom(t, app, a.ID, "Alix", "alix@example.org", "LinkedIn")
	app.Clock.Set(at(12, 23, 30)) // still the 12th in Paris
	seedApplication(t, app, a.ID, "Basile", "Martin", "basile@example.org")
	app.Clock.Set(at(13, 9, 30)) // after the period
	a3 := seedFrom(t, app, a.ID, "Après", "apres@example.org", "LinkedIn")
	app.Clock.Set(at(11, 9, 30))
	b1 := seedFrom(t, app, b.ID, "Claude", "claude@example.org", "Mailing beta.gouv")
	app.Clock.Set(at(11, 10, 30))
	b2 := seedFrom(t, app, b.ID, "Dana", "dana@example.org", "LinkedIn")
	app.Clock.Set(at(20, 9, 30))
	seedFrom(t, app, c.ID, "Eden", "eden@example.org", "LinkedIn")
	app.Clock.Set(at(2, 9, 30))
	seedFrom(t, app, quiet.ID, "Fabien", "fabien@example.org", "LinkedIn")
	views := func(batch, day string, counts map[int64]repository.PageCounts) {
		t.Helper()
		if _, err := app.Repo.AddViews(t.Context(), batch, day, counts); err != nil {
			t.Fatal(err)
		}
	}
	views("v1", "2026-03-10", map[int64]repository.PageCounts{a.ID: {Views: 5, Started: 3, Sent: 2}})
	views("v2", "2026-03-13", map[int64]repository.PageCounts{a.ID: {Views: 100, Started: 9, Sent: 9}})
	views("v3", "2026-03-11", map[int64]repository.PageCounts{b.ID: {Views: 7, Started: 1, Sent: 1}})
	views("v4", "2026-03-09", map[int64]repository.PageCounts{b.ID: {Views: 50, Started: 5, Sent: 5}, quiet.ID: {Views: 8}})
	views("v5", "2026-03-12", map[int64]repository.PageCounts{c.ID: {Views: 4}})
	// Alix: examined 2 hours after, retained 26 hours after. Claude:
	// turned down after 4 hours. Dana withdrew. Basile waits.
	move(a1.ID, "in_review", at(10, 11, 30))
	move(a1.ID, "accepted", at(11, 11, 30))
	move(b1.ID, "rejected", at(11, 13, 30))
	move(a3.ID, "shortlisted", at(13, 10, 0))
	app.Clock.Set(at(11, 12, 0))
	if err := app.Repo.Withdraw(t.Context(), b2.ID, nil, nil); err != nil {
		t.Fatal(err)
	}
	// Seen on 24 March: Basile waits since 12 days.
	app.Clock.Set(at(24, 10, 0))

	_, boite := testkit.Get(t, admin, app.URL+"/boite")
	if !strings.Contains(boite, `href="/boite/statistiques"`) {
		t.Error("the admin's list of postings does not link to the figures of every posting")
	}
	resp, body := testkit.Get(t, admin, app.URL+"/boite/statistiques?du=2026-03-10&au=12%2F03%2F2026")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("figures across postings: %d", resp.StatusCode)
	}
	if !strings.Contains(body, "Période du 10 mars 2026 au 12 mars 2026") {
		t.Error("the page does not name the period")
	}
	check := func(id string, want [][]string) {
		t.Helper()
		got := tableCells(t, body, id)
		sortRows := func(rows [][]string) {
			slices.SortFunc(rows, func(x, y []string) int { return strings.Compare(strings.Join(x, "|"), strings.Join(y, "|")) })
		}
		sortRows(got)
		sortRows(want)
		if !slices.EqualFunc(got, want, slices.Equal[[]string]) {
			t.Errorf("table %s:\n got %q\nwant %q", id, got, want)
		}
	}
	ta, tb, tc := a.Title, b.Title, c.Title
	check("activite", [][]string{
		{ta, "5", "3", "2", "2", "2 heures", "26 heures", "1", "0", "0"},
		{tb, "7", "1", "1", "2", "4 heures", "4 heures", "0", "0", "0"},
		{tc, "4", "0", "0", "0", "—", "—", "0", "0", "0"},
		{"Toutes les offres", "16", "4", "3", "4", "3 heures", "15 heures", "1", "0", "0"},
	})
	check("etapes", [][]string{
		{ta, "2", "1 (50 %)", "1 (100 %)", "1 (100 %)", "1 (100 %)"},
		{tb, "2", "0 (0 %)", "0 (—)", "0 (—)", "0 (—)"},
		{tc, "0", "0 (—)", "0 (—)", "0 (—)", "0 (—)"},
		{"Toutes les offres", "4", "1 (25 %)", "1 (100 %)", "1 (100 %)", "1 (100 %)"},
	})
	check("statuts", [][]string{
		{ta, "1", "0", "0", "0", "1", "0", "0"},
		{tb, "0", "0", "0", "0", "0", "1", "1"},
		{tc, "0", "0", "0", "0", "0", "0", "0"},
		{"Toutes les offres", "1", "0", "0", "0", "1", "1", "1"},
	})
	check("sources", [][]string{
		{ta, "LinkedIn", "1"}, {ta, "Inconnue", "1"},
		{tb, "LinkedIn", "1"}, {tb, "Mailing beta.gouv", "1"},
		{"Toutes les offres", "LinkedIn", "2"}, {"Toutes les offres", "Inconnue", "1"}, {"Toutes les offres", "Mailing beta.gouv", "1"},
	})
	if strings.Contains(body, "Offre calme") {
		t.Error("a posting without activity in the period is listed")
	}
	if !strings.Contains(body, `href="/boite/offres/`+strconv.FormatInt(a.ID, 10)+`/statistiques"`) {
		t.Error("a posting's row does not link to its own figures")
	}

	// The CSV says the same.
	link := regexp.MustCompile(`href="(/boite/statistiques\.csv\?[^"]+)"`).FindStringSubmatch(body)
	if link == nil {
		t.Fatal("no CSV link")
	}
	resp, raw := testkit.Get(t, admin, app.URL+html.UnescapeString(link[1]))
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(raw, "\ufeff")))
	r.Comma = ';'
	records, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 5 {
		t.Fatalf("CSV has %d lines, want a header, 3 postings and the totals: %q", len(records), records)
	}
	head := records[0]
	col := func(rec []string, name string) string {
		t.Helper()
		i := slices.Index(head, name)
		if i < 0 {
			t.Fatalf("CSV has no column %q: %q", name, head)
		}
		return rec[i]
	}
	byTitle := map[string][]string{}
	for _, rec := range records[1:] {
		byTitle[col(rec, "Offre")] = rec
	}
	for _, w := range []struct{ title, column, want string }{
		{ta, "N° de l'offre", strconv.FormatInt(a.ID, 10)},
		{ta, "Du", "2026-03-10"}, {ta, "Au", "2026-03-12"},
		{ta, "Vues", "5"}, {ta, "Formulaires commencés", "3"}, {ta, "Formulaires envoyés", "2"}, {ta, "Candidatures reçues", "2"},
		{ta, "Statut actuel : Reçue", "1"}, {ta, "Statut actuel : Retenue", "1"}, {ta, "Étape atteinte : En cours d'examen", "1"},
		{ta, "Délai médian jusqu'au premier changement de statut (heures)", "2,0"},
		{ta, "Délai médian jusqu'à la décision (heures)", "26,0"},
		{ta, "Toujours reçues depuis 7 jours ou plus", "1"}, {ta, "Toujours reçues depuis 14 jours ou plus", "0"},
		{ta, "Sources", "Inconnue : 1 ; LinkedIn : 1"},
		{tb, "Statut actuel : Retirée", "1"}, {tb, "Délai médian jusqu'à la décision (heures)", "4,0"},
		{tc, "Vues", "4"}, {tc, "Délai médian jusqu'à la décision (heures)", ""},
		{"Toutes les offres", "Vues", "16"}, {"Toutes les offres", "Candidatures reçues", "4"},
		{"Toutes les offres", "Délai médian jusqu'au premier changement de statut (heures)", "3,0"},
		{"Toutes les offres", "Délai médian jusqu'à la décision (heures)", "15,0"},
		{"Toutes les offres", "Sources", "LinkedIn : 2 ; Inconnue : 1 ; Mailing beta.gouv : 1"},
	} {
		rec, ok := byTitle[w.title]
		if !ok {
			t.Errorf("CSV has no line for %q", w.title)
			continue
		}
		if got := col(rec, w.column); got != w.want {
			t.Errorf("CSV %s, %s = %q, want %q", w.title, w.column, got, w.want)
		}
	}

	// Without a period: the last 30 days, today included.
	_, body = testkit.Get(t, admin, app.URL+"/boite/statistiques")
	if !strings.Contains(body, "Période du 23 février 2026 au 24 mars 2026") || !strings.Contains(body, "Offre calme") {
		t.Error("the default period is not the last 30 days")
	}

	// In a browser: the page and its tables pass axe-core.
	ctx := testkit.Browser(t)
	signIn := app.SignInLink(app.Client(), adminEmail)
	if err := chromedp.Do(ctx, chromedp.Navigate(app.URL+signIn), testkit.WaitVisible(`main button[type=submit]`),
		chromedp.Click(`main button[type=submit]`), testkit.WaitVisible(`main a[href^="/boite/offres/"]`),
		chromedp.Navigate(app.URL+"/boite/statistiques?du=2026-03-10&au=2026-03-12"), testkit.WaitVisible(`table#activite`)); err != nil {
		t.Fatal(err)
	}
	testkit.CheckAccessibility(t, ctx, "the figures of every posting")
	if err := chromedp.Do(ctx, chromedp.Navigate(app.URL+"/boite/statistiques?du=2026-03-12&au=2026-03-10"),
		testkit.WaitVisible(`#au-erreur`)); err != nil {
		t.Fatal(err)
	}
	testkit.CheckAccessibility(t, ctx, "the figures of every posting, with a wrong period")
}

// A wrong period is named next to its field, in French, with what was
// typed kept; the CSV refuses it the same way; nobody else may see them.
func TestFiguresAcrossPostingsRefuseABadPeriod(t *testing.T) {
	t.Parallel()
	const adminEmail = "admin@anct.gouv.fr"
	app := testkit.NewApp(t, testkit.Options{AdminEmails: adminEmail})
	p := app.OpenPosting(time.Time{})
	app.Clock.Set(time.Date(2026, 3, 24, 10, 0, 0, 0, frfmt.Paris))
	admin := app.Client()
	app.SignIn(admin, adminEmail)
	for _, c := range []struct {
		query, field, message, kept string
	}{
		{"du=2026-02-30&au=2026-03-10", "du", "« Du » doit être une date, par exemple 24/03/2026.", `value="2026-02-30"`},
		{"du=hier&au=2026-03-10", "du", "« Du » doit être une date, par exemple 24/03/2026.", `value="hier"`},
		{"du=2026-03-10&au=31/02/2026", "au", "« Au » doit être une date, par exemple 24/03/2026.", `value="31/02/2026"`},
		{"du=1850-03-10&au=2026-03-10", "du", "« Du » doit être une date entre l'an 2000 et l'an 2100.", `value="1850-03-10"`},
		{"du=2026-03-12&au=2026-03-10", "au", "« Au » doit être le même jour que « Du » ou un jour après.", `value="2026-03-12"`},
	} {
		resp, body := testkit.Get(t, admin, app.URL+"/boite/statistiques?"+c.query)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", c.query, resp.StatusCode)
		}
		next := `<p class="fr-error-text" id="` + c.field + `-erreur">` + html.EscapeString(c.message) + `</p>`
		if !strings.Contains(body, next) {
			t.Errorf("%s: no %q next to the field", c.query, c.message)
		}
		if !strings.Contains(body, c.kept) || !strings.Contains(body, `id="`+c.field+`" name="`+c.field+`"`) {
			t.Errorf("%s: what was typed is not kept", c.query)
		}
		if strings.Contains(body, `<table id="activite">`) {
			t.Errorf("%s: figures shown for a wrong period", c.query)
		}
		resp, body = testkit.Get(t, admin, app.URL+"/boite/statistiques.csv?"+c.query)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, html.EscapeString(c.message)) {
			t.Errorf("CSV %s: %d, want 400 saying %q", c.query, resp.StatusCode, c.message)
		}
	}
	reviewer := app.Client()
	app.SignIn(reviewer, p.ContactEmail)
	for _, path := range []string{"/boite/statistiques", "/boite/statistiques.csv"} {
		if resp, _ := testkit.Get(t, reviewer, app.URL+path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("a reviewer who is not an admin gets %d for %s, want 404", resp.StatusCode, path)
		}
	}
}
