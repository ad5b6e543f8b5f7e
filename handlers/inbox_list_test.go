package handlers_test

import (
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"vivier/internal/testkit"
	"vivier/repository"
)

type seeded struct {
	id         int64
	first      string
	last       string
	rate       int
	days       float64
	status     string
	created    time.Time
	motivation string
	location   string
}

// seedMany stores n varied applications straight into the database.
func seedMany(t *testing.T, app *testkit.App, postingID int64, n int) []seeded {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	firsts := []string{"Hélène", "Éric", "Camille", "Zoé", "Noël", "Anaïs", "Jérôme", "Léa"}
	lasts := []string{"Durand", "Lefèvre", "Martin", "Bernard", "Petit", "Roux", "Fournier", "Girard"}
	statuses := []string{"received", "in_review", "shortlisted", "interview", "accepted", "rejected", "withdrawn"}
	motivations := []string{"Je souhaite participer à l'accompagnement des collectivités.", "Développeuse expérimentée, j'aime les services publics.",
		"Coach agile, facilitation et design de services.", "Spécialiste des données ouvertes et des territoires ruraux."}
	base := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	var out []seeded
	for i := 0; i < n; i++ {
		s := seeded{first: firsts[rng.IntN(len(firsts))], last: lasts[rng.IntN(len(lasts))] + fmt.Sprintf("-%03d", i),
			rate: 300 + rng.IntN(15)*50, days: float64(1+rng.IntN(10)) / 2, status: statuses[rng.IntN(len(statuses))],
			created: base.Add(time.Duration(rng.IntN(40*24*60)) * time.Minute), motivation: motivations[rng.IntN(len(motivations))],
			location: []string{"Lyon", "Besançon", "Saint-Étienne"}[rng.IntN(3)]}
		err := app.DB.QueryRow(`INSERT INTO applications (posting_id, status, first_name, last_name, email, location, daily_rate,
			days_per_week, available_from, motivation, consent_at, access_token_hash, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now(), $9, now(), $10, $11) RETURNING id`,
			postingID, s.status, s.first, s.last, fmt.Sprintf("p%d@example.org", i), s.location, s.rate, s.days, s.motivation,
			[]byte(fmt.Sprintf("token-%d", i)), s.created).Scan(&s.id)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

var rowRe = regexp.MustCompile(`data-application="(\d+)"`)
var nextRe = regexp.MustCompile(`href="(\?[^"]*apres=[^"]*)" rel="next"`)

func TestApplicationListSearchFiltersSortAndPages(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	p := app.OpenPosting(time.Time{})
	apps := seedMany(t, app, p.ID, 300)
	c := app.Client()
	app.StartWorker()
	app.SignIn(c, p.ContactEmail)
	app.StopWorker()
	listURL := app.URL + "/boite/offres/" + strconv.FormatInt(p.ID, 10)

	// fetch follows every page of a view and returns its ids in order.
	fetch := func(query url.Values) ([]int64, int, string) {
		t.Helper()
		var ids []int64
		pages := 0
		next := "?" + query.Encode()
		first := ""
		for next != "" {
			resp, body := testkit.Get(t, c, listURL+strings.ReplaceAll(next, "&amp;", "&"))
			if resp.StatusCode != 200 {
				t.Fatalf("list %s: %d", next, resp.StatusCode)
			}
			if first == "" {
				first = body
			}
			pages++
			for _, m := range rowRe.FindAllStringSubmatch(body, -1) {
				id, _ := strconv.ParseInt(m[1], 10, 64)
				ids = append(ids, id)
			}
			next = ""
			if m := nextRe.FindStringSubmatch(body); m != nil {
				next = m[1]
			}
		}
		return ids, pages, first
	}
	expect := func(keep func(seeded) bool, less func(a, b seeded) bool) []int64 {
		var sel []seeded
		for _, a := range apps {
			if keep(a) {
				sel = append(sel, a)
			}
		}
		sort.SliceStable(sel, func(i, j int) bool { return less(sel[i], sel[j]) })
		ids := make([]int64, len(sel))
		for i, a := range sel {
			ids[i] = a.id
		}
		return ids
	}
	byDate := func(a, b seeded) bool {
		if !a.created.Equal(b.created) {
			return a.created.After(b.created)
		}
		return a.id > b.id
	}
	all := func(seeded) bool { return true }

	// Every application, newest first, 50 a page.
	ids, pages, first := fetch(url.Values{})
	if want := expect(all, byDate); !slices.Equal(ids, want) {
		t.Fatalf("default list: %d ids, want %d in date order", len(ids), len(want))
	}
	if pages != 6 {
		t.Errorf("300 applications over %d pages, want 6", pages)
	}
	if !strings.Contains(first, "Toutes (300)") {
		t.Error("the tab of every application does not count 300")
	}
	counts := map[string]int{}
	for _, a := range apps {
		counts[a.status]++
	}
	if want := fmt.Sprintf("Retenue (%d)", counts["accepted"]); !strings.Contains(first, want) {
		t.Errorf("tab counts: no %q", want)
	}

	// A status tab, a rate range and availability, sorted by rate.
	q := url.Values{"statut": {"in_review"}, "tjm_min": {"400"}, "tjm_max": {"800"}, "dispo_min": {"2"}, "tri": {"tjm"}}
	ids, _, _ = fetch(q)
	want := expect(func(a seeded) bool {
		return a.status == "in_review" && a.rate >= 400 && a.rate <= 800 && a.days >= 2
	}, func(a, b seeded) bool {
		if a.rate != b.rate {
			return a.rate < b.rate
		}
		return a.id < b.id
	})
	if !slices.Equal(ids, want) || len(want) == 0 {
		t.Errorf("filtered by status, rate and days, sorted by rate: got %v, want %v", ids, want)
	}

	// Previous and next on an application page walk that same list, in
	// its order, from the first to the last and back.
	walk := func(start int64, query url.Values, rel string, limit int) []int64 {
		t.Helper()
		linkRe := regexp.MustCompile(`href="/boite/candidatures/(\d+)[^"]*" id="[a-z]+" rel="` + rel + `"`)
		seen := []int64{start}
		for id := start; len(seen) < limit; {
			resp, body := testkit.Get(t, c, app.URL+"/boite/candidatures/"+strconv.FormatInt(id, 10)+"?"+query.Encode())
			if resp.StatusCode != 200 {
				t.Fatalf("application %d: %d", id, resp.StatusCode)
			}
			m := linkRe.FindStringSubmatch(body)
			if m == nil {
				return seen
			}
			id, _ = strconv.ParseInt(m[1], 10, 64)
			seen = append(seen, id)
		}
		return seen
	}
	if got := walk(want[0], q, "next", len(apps)); !slices.Equal(got, want) {
		t.Errorf("next links from the first of the filtered list: %v, want %v", got, want)
	}
	if got := walk(want[len(want)-1], q, "prev", len(apps)); !slices.Equal(got, reversed(want)) {
		t.Errorf("previous links from the last of the filtered list: %v, want the list backwards", got)
	}
	byDateIDs := expect(all, byDate)
	if got := walk(byDateIDs[0], url.Values{}, "next", 60); !slices.Equal(got, byDateIDs[:60]) {
		t.Errorf("next links from the newest application: %v, want %v", got, byDateIDs[:60])
	}
	outside := expect(func(a seeded) bool { return a.status != "in_review" }, byDate)[0]
	_, body := testkit.Get(t, c, app.URL+"/boite/candidatures/"+strconv.FormatInt(outside, 10)+"?"+q.Encode())
	if strings.Contains(body, `id="suivante"`) || strings.Contains(body, `id="precedente"`) {
		t.Error("an application outside the filtered list shows previous or next links within it")
	}

	// French search, accents ignored: "helene" finds "Hélène", "accompagner" finds "accompagnement".
	ids, _, _ = fetch(url.Values{"q": {"helene"}, "tri": {"nom"}})
	want = expect(func(a seeded) bool { return a.first == "Hélène" }, func(a, b seeded) bool {
		an, bn := strings.ToLower(a.last+" "+a.first), strings.ToLower(b.last+" "+b.first)
		if an != bn {
			return an < bn
		}
		return a.id < b.id
	})
	if !slices.Equal(ids, want) || len(want) == 0 {
		t.Errorf("search helene sorted by name: got %d ids, want %d", len(ids), len(want))
	}
	ids, _, _ = fetch(url.Values{"q": {"accompagner"}})
	want = expect(func(a seeded) bool { return strings.Contains(a.motivation, "accompagnement") }, byDate)
	if !slices.Equal(ids, want) || len(want) == 0 {
		t.Errorf("search accompagner: got %d ids, want %d", len(ids), len(want))
	}
	ids, _, _ = fetch(url.Values{"q": {"saint etienne"}})
	want = expect(func(a seeded) bool { return a.location == "Saint-Étienne" }, byDate)
	if !slices.Equal(ids, want) || len(want) == 0 {
		t.Errorf("search saint etienne: got %d ids, want %d", len(ids), len(want))
	}

	// Received between two dates (Paris days, inclusive).
	ids, _, _ = fetch(url.Values{"recu_du": {"2026-10-10"}, "recu_au": {"2026-10-19"}})
	from := time.Date(2026, 10, 10, 0, 0, 0, 0, parisTZ(t))
	to := time.Date(2026, 10, 20, 0, 0, 0, 0, parisTZ(t))
	want = expect(func(a seeded) bool { return !a.created.Before(from) && a.created.Before(to) }, byDate)
	if !slices.Equal(ids, want) || len(want) == 0 {
		t.Errorf("received between dates: got %d ids, want %d", len(ids), len(want))
	}

	// A bad filter value is named and refused (400), and the rest still applies.
	resp, body := testkit.Get(t, c, listURL+"?tjm_min=beaucoup&statut=accepted")
	if resp.StatusCode != 400 || !strings.Contains(body, "TJM minimal") {
		t.Errorf("bad filter: %d, message missing", resp.StatusCode)
	}

	// The CSV export holds the same list, safe for spreadsheets.
	resp, body = testkit.Get(t, c, listURL+"/export.csv?statut=in_review&tjm_min=400&tjm_max=800&dispo_min=2&tri=tjm")
	if resp.StatusCode != 200 || !strings.HasPrefix(body, "\ufeff") || !strings.Contains(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d, %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff")))
	r.Comma = ';'
	records, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != len(want2(apps))+1 {
		t.Errorf("export has %d rows, want %d and a header", len(records)-1, len(want2(apps)))
	}
}

// want2 is the in-review selection of the export check.
func want2(apps []seeded) []seeded {
	var out []seeded
	for _, a := range apps {
		if a.status == "in_review" && a.rate >= 400 && a.rate <= 800 && a.days >= 2 {
			out = append(out, a)
		}
	}
	return out
}

func parisTZ(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestExportNeutralisesFormulas(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Time{})
	seedApplication(t, app, p.ID, "=HYPERLINK(\"http://evil\")", "@SUM(1)", "formule@example.org")
	c := app.Client()
	app.SignIn(c, p.ContactEmail)
	_, body := testkit.Get(t, c, app.URL+"/boite/offres/"+strconv.FormatInt(p.ID, 10)+"/export.csv")
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff")))
	r.Comma = ';'
	records, err := r.ReadAll()
	if err != nil || len(records) != 2 {
		t.Fatalf("export: %d records, %v", len(records), err)
	}
	if records[1][3] != `'=HYPERLINK("http://evil")` || records[1][4] != "'@SUM(1)" {
		t.Errorf("cells not neutralised: %q %q", records[1][3], records[1][4])
	}
}

func reversed(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Reverse(out)
	return out
}

// A search matching more applications than CountCap says so in its
// tabs instead of counting them all; without a search, counts are exact.
func TestSearchCountsStopAtTheCap(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	p := app.OpenPosting(time.Time{})
	n := repository.CountCap + 5
	if _, err := app.DB.Exec(`INSERT INTO applications (posting_id, status, first_name, last_name, email, location, daily_rate,
		days_per_week, available_from, motivation, consent_at, access_token_hash)
		SELECT $1, 'in_review', 'Camille', 'Durand', 'p' || i || '@example.org', 'Lyon', 500, 3, now(),
			'J''accompagne les collectivités depuis dix ans.', now(), convert_to('token-' || i, 'UTF8')
		FROM generate_series(1, $2) i`, p.ID, n); err != nil {
		t.Fatal(err)
	}
	c := app.Client()
	app.StartWorker()
	app.SignIn(c, p.ContactEmail)
	app.StopWorker()
	listURL := app.URL + "/boite/offres/" + strconv.FormatInt(p.ID, 10)

	_, body := testkit.Get(t, c, listURL+"?statut=in_review")
	if want := fmt.Sprintf("En cours d&#39;examen (%d)", n); !strings.Contains(body, want) {
		t.Errorf("without a search the tab does not count %d exactly", n)
	}
	_, body = testkit.Get(t, c, listURL+"?statut=in_review&q=collectivite")
	if want := fmt.Sprintf("(%d+)", repository.CountCap); !strings.Contains(body, want) {
		t.Errorf("a search over %d matches: no tab %q", n, want)
	}
	if want := fmt.Sprintf("Plus de %d candidatures", repository.CountCap); !strings.Contains(body, want) {
		t.Errorf("a search over %d matches: no caption %q", n, want)
	}
	if got := len(rowRe.FindAllStringSubmatch(body, -1)); got != 50 {
		t.Errorf("the first page of the search shows %d applications, want 50", got)
	}
}

// My postings counts the applications received since the reviewer last
// opened the posting's list.
func TestMyPostingsCountsWhatIsNewSinceTheLastVisit(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	p := app.OpenPosting(time.Time{})
	seedApplication(t, app, p.ID, "Camille", "Durand", "camille@example.org")
	seedApplication(t, app, p.ID, "Noël", "Martin", "noel@example.org")
	c := app.Client()
	app.StartWorker()
	app.SignIn(c, p.ContactEmail)
	app.StopWorker()

	// The counts are read on a connection of their own, as a browser with
	// several may do: the list's connection being free again then says
	// nothing of whether its handler is done.
	counts := *c
	counts.Transport = &http.Transport{DisableKeepAlives: true}
	newOnMyPostings := func() string {
		t.Helper()
		_, body := testkit.Get(t, &counts, app.URL+"/boite")
		m := regexp.MustCompile(`(\d+) nouvelles?<`).FindStringSubmatch(body)
		if m == nil {
			return "0"
		}
		return m[1]
	}
	if got := newOnMyPostings(); got != "2" {
		t.Fatalf("before any visit: %s new, want 2", got)
	}
	testkit.Get(t, c, app.URL+"/boite/offres/"+strconv.FormatInt(p.ID, 10))
	// The visit is recorded before the page is sent.
	if got := newOnMyPostings(); got != "0" {
		t.Fatalf("after opening the list: %s new, want 0", got)
	}
	app.Clock.Advance(time.Second)
	seedApplication(t, app, p.ID, "Zoé", "Roux", "zoe@example.org")
	if got := newOnMyPostings(); got != "1" {
		t.Errorf("one application after the visit: %s new, want 1", got)
	}
}
