package repository_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"vivier/internal/catalog"
	"vivier/repository"
)

// listed are the ids of a list's rows.
func listed(rows []repository.ListRow) []int64 {
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = r.ID
	}
	return out
}

// listAll reads every page of the list f describes, size rows a page,
// and returns the ids in order.
func (e *env) listAll(f repository.ListFilter, size int) []int64 {
	e.t.Helper()
	f.Limit = size
	var all []int64
	for page := 0; ; page++ {
		if page > 50 {
			e.t.Fatalf("more than 50 pages: the cursor does not move")
		}
		rows, next, err := e.Repo.ListApplications(e.t.Context(), f)
		if err != nil {
			e.t.Fatal(err)
		}
		if len(rows) > size {
			e.t.Fatalf("page of %d rows, limit %d", len(rows), size)
		}
		all = append(all, listed(rows)...)
		if next == "" {
			return all
		}
		f.After = next
	}
}

// sortFixture is seven applications whose order differs in each sort,
// with ties on every key (the date, the name, the rate) that the id breaks.
type sortFixture struct {
	p                   *repository.Posting
	byDate, byName, tjm []*repository.Application
}

func (e *env) sortFixture() sortFixture {
	e.t.Helper()
	p := e.openPosting()
	day := func(d int) time.Time { return time.Date(2025, 1, d, 9, 0, 0, 0, time.UTC) }
	type row struct {
		first, last string
		rate        int
		received    time.Time
	}
	rows := []row{
		{"Anne", "Martin", 500, day(3)},    // 0
		{"Bruno", "Durand", 700, day(1)},   // 1
		{"Chloe", "Bernard", 500, day(5)},  // 2
		{"Anne", "Martin", 650, day(3)},    // 3: same name and date as 0
		{"Eric", "Petit", 400, day(2)},     // 4
		{"Farid", "Moreau", 700, day(5)},   // 5: same date as 2, same rate as 1
		{"Gaelle", "Lambert", 500, day(4)}, // 6
	}
	apps := make([]*repository.Application, len(rows))
	for i, r := range rows {
		apps[i] = e.apply(p, r.first, r.last, func(a *repository.Application) {
			a.DailyRate = r.rate
			a.Email = fmt.Sprintf("candidat-%d@example.org", i)
		})
		e.exec(`UPDATE applications SET created_at = $2 WHERE id = $1`, apps[i].ID, r.received)
	}
	at := func(is ...int) []*repository.Application {
		out := make([]*repository.Application, len(is))
		for k, i := range is {
			out[k] = apps[i]
		}
		return out
	}
	return sortFixture{p: p,
		// Newest first; same date: highest id first.
		byDate: at(5, 2, 6, 3, 0, 4, 1),
		// Last name, then first name; same name: lowest id first.
		byName: at(2, 1, 6, 0, 3, 5, 4),
		// Lowest rate first; same rate: lowest id first.
		tjm: at(4, 0, 2, 6, 3, 1, 5)}
}

// Each sort lists every application once, in its order, whatever the
// page size: no application is repeated or skipped across pages.
func TestListApplicationsSortsAndPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.sortFixture()
	sorts := map[string][]*repository.Application{
		"": s.byDate, repository.SortDate: s.byDate, repository.SortName: s.byName, repository.SortRate: s.tjm,
	}
	for sort, want := range sorts {
		for _, size := range []int{1, 2, 3, 7, 50} {
			got := e.listAll(repository.ListFilter{PostingID: s.p.ID, Sort: sort}, size)
			if !slices.Equal(got, ids(want...)) {
				t.Errorf("sort %q, pages of %d: %v, want %v", sort, size, got, ids(want...))
			}
		}
	}
}

// A page as large as what is left is the last one: no empty page follows.
func TestListApplicationsLastPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.sortFixture()
	rows, next, err := e.Repo.ListApplications(t.Context(), repository.ListFilter{PostingID: s.p.ID, Limit: 7})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 7 || next != "" {
		t.Errorf("page of all 7: %d rows, next %q; want 7 and no next page", len(rows), next)
	}
	rows, next, err = e.Repo.ListApplications(t.Context(), repository.ListFilter{PostingID: s.p.ID, Limit: 6})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 || next == "" {
		t.Errorf("page of 6 of 7: %d rows, next %q; want a next page", len(rows), next)
	}
	// A cursor that does not decode (a hand-edited address) is the first page.
	rows, _, err = e.Repo.ListApplications(t.Context(), repository.ListFilter{PostingID: s.p.ID, After: "n'importe quoi", Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(listed(rows), ids(s.byDate[:3]...)) {
		t.Errorf("bad cursor: %v, want the first page %v", listed(rows), ids(s.byDate[:3]...))
	}
}

// The previous and next application of each one are its neighbours in
// the list's order, in each sort; the ends have none.
func TestNeighboursFollowTheListOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.sortFixture()
	sorts := map[string][]*repository.Application{
		repository.SortDate: s.byDate, repository.SortName: s.byName, repository.SortRate: s.tjm,
	}
	for sort, order := range sorts {
		for i, a := range order {
			var wantPrev, wantNext int64
			if i > 0 {
				wantPrev = order[i-1].ID
			}
			if i < len(order)-1 {
				wantNext = order[i+1].ID
			}
			prev, next, err := e.Repo.Neighbours(t.Context(), repository.ListFilter{PostingID: s.p.ID, Sort: sort}, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if prev != wantPrev || next != wantNext {
				t.Errorf("sort %q, application %d: previous %d, next %d; want %d, %d", sort, a.ID, prev, next, wantPrev, wantNext)
			}
		}
	}
}

// Neighbours stay within the filter; an application outside it has none.
func TestNeighboursWithinFilter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.sortFixture()
	// byDate is 5, 2, 6, 3, 0, 4, 1: shortlist 2, 3 and 4.
	for _, a := range []*repository.Application{s.byDate[1], s.byDate[3], s.byDate[5]} {
		e.setStatus(a, catalog.StatusShortlisted)
	}
	f := repository.ListFilter{PostingID: s.p.ID, Status: catalog.StatusShortlisted}
	prev, next, err := e.Repo.Neighbours(t.Context(), f, s.byDate[3].ID)
	if err != nil {
		t.Fatal(err)
	}
	if prev != s.byDate[1].ID || next != s.byDate[5].ID {
		t.Errorf("within the shortlist: %d, %d; want %d, %d", prev, next, s.byDate[1].ID, s.byDate[5].ID)
	}
	prev, next, err = e.Repo.Neighbours(t.Context(), f, s.byDate[0].ID)
	if err != nil || prev != 0 || next != 0 {
		t.Errorf("outside the shortlist: %d, %d, %v; want none", prev, next, err)
	}
	other := e.apply(e.openPosting(), "Hugo", "Roux")
	prev, next, err = e.Repo.Neighbours(t.Context(), repository.ListFilter{PostingID: s.p.ID}, other.ID)
	if err != nil || prev != 0 || next != 0 {
		t.Errorf("application of another posting: %d, %d, %v; want none", prev, next, err)
	}
}

// Each filter keeps only the applications that match it, and only the
// posting's live ones.
func TestListApplicationsFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	jan := func(d int) time.Time { return time.Date(2025, 1, d, 12, 0, 0, 0, time.UTC) }
	mk := func(first string, rate int, days float64, received time.Time, status catalog.Status) *repository.Application {
		a := e.apply(p, first, "Durand", func(a *repository.Application) { a.DailyRate, a.DaysPerWeek = rate, days })
		e.exec(`UPDATE applications SET created_at = $2 WHERE id = $1`, a.ID, received)
		e.setStatus(a, status)
		return a
	}
	cheap := mk("Alice", 400, 1, jan(1), catalog.StatusReceived)
	mid := mk("Basile", 600, 2.5, jan(10), catalog.StatusInReview)
	dear := mk("Cyril", 900, 5, jan(20), catalog.StatusRejected)
	gone := mk("Daphne", 600, 3, jan(10), catalog.StatusWithdrawn)
	erased := mk("Emile", 600, 3, jan(10), catalog.StatusReceived)
	if err := e.Repo.Erase(t.Context(), erased.ID, repository.ActorApplicant, nil, nil); err != nil {
		t.Fatal(err)
	}
	e.apply(e.openPosting(), "Fanny", "Durand") // another posting
	from, to := jan(10), jan(20)
	cases := []struct {
		name string
		f    repository.ListFilter
		want []*repository.Application
	}{
		{"none", repository.ListFilter{}, []*repository.Application{dear, gone, mid, cheap}},
		{"status", repository.ListFilter{Status: catalog.StatusInReview}, []*repository.Application{mid}},
		{"withdrawn", repository.ListFilter{Status: catalog.StatusWithdrawn}, []*repository.Application{gone}},
		{"days from 2.5", repository.ListFilter{DaysMin: 2.5}, []*repository.Application{dear, gone, mid}},
		{"days up to 2.5", repository.ListFilter{DaysMax: 2.5}, []*repository.Application{mid, cheap}},
		{"rate from 600", repository.ListFilter{RateMin: 600}, []*repository.Application{dear, gone, mid}},
		{"rate up to 600", repository.ListFilter{RateMax: 600}, []*repository.Application{gone, mid, cheap}},
		{"rate 500 to 700", repository.ListFilter{RateMin: 500, RateMax: 700}, []*repository.Application{gone, mid}},
		{"received from the 10th", repository.ListFilter{ReceivedFrom: &from}, []*repository.Application{dear, gone, mid}},
		{"received before the 20th", repository.ListFilter{ReceivedTo: &to}, []*repository.Application{gone, mid, cheap}},
		{"everything at once", repository.ListFilter{Status: catalog.StatusInReview, RateMin: 500, DaysMax: 3,
			ReceivedFrom: &from, ReceivedTo: &to}, []*repository.Application{mid}},
	}
	for _, c := range cases {
		c.f.PostingID = p.ID
		if got := e.listAll(c.f, 50); !slices.Equal(got, ids(c.want...)) {
			t.Errorf("filter %s: %v, want %v", c.name, got, ids(c.want...))
		}
	}
}

// The search finds names, places and words of the motivation, accents
// and case ignored either way, and French word forms.
func TestListApplicationsSearchIgnoresAccents(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	helene := e.apply(p, "Hélène", "Lefèvre", func(a *repository.Application) { a.Location = "Besançon" })
	cedric := e.apply(p, "Cedric", "Francois", func(a *repository.Application) {
		a.Motivation = "J'ai développé des outils numériques pour les collectivités territoriales."
	})
	e.apply(p, "Paul", "Durand")
	cases := map[string][]*repository.Application{
		"helene":                 {helene},
		"HÉLÈNE":                 {helene},
		"lefevre":                {helene},
		"besancon":               {helene},
		"cédric françois":        {cedric},
		"developpe":              {cedric},
		"collectivité numérique": {cedric},
		"collectivite -outil":    {},
		"inconnu":                {},
	}
	for q, want := range cases {
		got := e.listAll(repository.ListFilter{PostingID: p.ID, Query: q}, 50)
		if !slices.Equal(got, ids(want...)) {
			t.Errorf("search %q: %v, want %v", q, got, ids(want...))
		}
	}
}

// A reader sees as unread the applications they have not opened, and
// each row carries the mean of its scorecards.
func TestListApplicationsUnreadAndRating(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	a := e.apply(p, "Camille", "Durand")
	b := e.apply(p, "Dominique", "Martin")
	if err := e.Repo.MarkRead(t.Context(), a.ID, "Contact@ANCT.gouv.fr"); err != nil {
		t.Fatal(err)
	}
	for reviewer, score := range map[string]int{"contact@anct.gouv.fr": 4, "autre@anct.gouv.fr": 1} {
		if _, err := e.Repo.SaveScorecard(t.Context(), p.ID, a.ID, reviewer, repository.ScorecardInput{Recommendation: catalog.Recommendation(score)}); err != nil {
			t.Fatal(err)
		}
	}
	rows, _, err := e.Repo.ListApplications(t.Context(), repository.ListFilter{PostingID: p.ID, Reader: "contact@anct.gouv.fr", Sort: repository.SortName})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].ID != a.ID || rows[1].ID != b.ID {
		t.Fatalf("rows: %v", listed(rows))
	}
	if rows[0].Unread || !rows[1].Unread {
		t.Errorf("unread marks for the contact: %v, %v; want read, unread", rows[0].Unread, rows[1].Unread)
	}
	if rows[0].ScoreMean != 2.5 || rows[0].Scorecards != 2 || !rows[0].MyScorecard || rows[1].Scorecards != 0 || rows[1].MyScorecard {
		t.Errorf("scorecards: %+v, %+v; want 2 averaging 2.5 (one the reader's) and none", rows[0], rows[1])
	}
	rows, _, _ = e.Repo.ListApplications(t.Context(), repository.ListFilter{PostingID: p.ID, Reader: "autre@anct.gouv.fr"})
	for _, r := range rows {
		if !r.Unread {
			t.Errorf("application %d read by a reviewer who never opened it", r.ID)
		}
	}
}

// The tabs count every status, the status filter aside and the other
// filters applied, live applications only.
func TestStatusCounts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	statuses := []catalog.Status{catalog.StatusReceived, catalog.StatusReceived, catalog.StatusInReview,
		catalog.StatusRejected, catalog.StatusWithdrawn}
	for i, s := range statuses {
		a := e.apply(p, fmt.Sprint("Prenom", i), "Durand", func(a *repository.Application) { a.DailyRate = 400 + 100*i })
		e.setStatus(a, s)
	}
	erased := e.apply(p, "Emile", "Zola")
	if err := e.Repo.Erase(t.Context(), erased.ID, repository.ActorApplicant, nil, nil); err != nil {
		t.Fatal(err)
	}
	e.apply(e.openPosting(), "Fanny", "Durand")
	counts, err := e.Repo.StatusCounts(t.Context(), repository.ListFilter{PostingID: p.ID, Status: catalog.StatusRejected})
	if err != nil {
		t.Fatal(err)
	}
	want := map[catalog.Status]repository.StatusCount{
		catalog.StatusReceived: {N: 2}, catalog.StatusInReview: {N: 1}, catalog.StatusShortlisted: {},
		catalog.StatusInterview: {}, catalog.StatusAccepted: {}, catalog.StatusRejected: {N: 1},
		catalog.StatusWithdrawn: {N: 1},
	}
	if !mapsEqual(counts, want) {
		t.Errorf("counts: %v, want %v", counts, want)
	}
	counts, err = e.Repo.StatusCounts(t.Context(), repository.ListFilter{PostingID: p.ID, RateMin: 500})
	if err != nil {
		t.Fatal(err)
	}
	if counts[catalog.StatusReceived] != (repository.StatusCount{N: 1}) || counts[catalog.StatusWithdrawn] != (repository.StatusCount{N: 1}) {
		t.Errorf("counts from 500 a day: %v", counts)
	}
}

// Under a search, a count stops at CountCap and says there are more.
func TestStatusCountsCappedUnderSearch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	// More applications than the cap, written at once: the fixture's
	// one by one would make this test slow for no gain.
	e.exec(`INSERT INTO applications (posting_id, first_name, last_name, email, location, daily_rate, days_per_week,
		available_from, motivation, consent_at, access_token_hash)
		SELECT $1, 'Anne', 'Nom' || i, 'anne' || i || '@example.org', 'Brest', 500, 2, '2025-01-01',
			'Une motivation', now(), sha256(convert_to(i::text, 'UTF8'))
		FROM generate_series(1, $2::int) i`, p.ID, repository.CountCap+1)
	a := e.apply(p, "Anne", "Durand", func(a *repository.Application) { a.Location = "Brest" })
	e.setStatus(a, catalog.StatusInReview)
	counts, err := e.Repo.StatusCounts(t.Context(), repository.ListFilter{PostingID: p.ID, Query: "brest"})
	if err != nil {
		t.Fatal(err)
	}
	if got := counts[catalog.StatusReceived]; got != (repository.StatusCount{N: repository.CountCap, More: true}) {
		t.Errorf("received under a search: %+v, want the cap and more", got)
	}
	if got := counts[catalog.StatusInReview]; got != (repository.StatusCount{N: 1}) {
		t.Errorf("in review under a search: %+v, want 1", got)
	}
	counts, err = e.Repo.StatusCounts(t.Context(), repository.ListFilter{PostingID: p.ID})
	if err != nil {
		t.Fatal(err)
	}
	if got := counts[catalog.StatusReceived]; got != (repository.StatusCount{N: repository.CountCap + 1}) {
		t.Errorf("received without a search: %+v, want the exact count", got)
	}
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
