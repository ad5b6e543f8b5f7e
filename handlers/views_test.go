package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"vivier/internal/frfmt"
	"vivier/internal/testkit"
	"vivier/internal/views"
	"vivier/repository"
)

const browserUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// view opens a posting's page with a user agent.
func view(t *testing.T, app *testkit.App, path, userAgent string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, app.URL+path, nil)
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Referer", "https://www.linkedin.com/feed/")
	resp, _ := testkit.Do(t, app.Client(), req)
	return resp.StatusCode
}

// Views of a posting's page are counted per day (Paris), robots left out,
// through Redis and then PostgreSQL by the scheduler's flush, which adds
// each batch once; nothing about a visitor is stored anywhere.
func TestPostingViewsAreCountedPerDayWithoutPersonalData(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Time{})
	other := secondPosting(t, app, "autre@anct.gouv.fr")
	// 23:30 in Paris on 10 March: the next view, an hour later, is on the 11th.
	day1 := time.Date(2026, 3, 10, 23, 30, 0, 0, frfmt.Paris)
	app.Clock.Set(day1)

	for range 3 {
		view(t, app, "/offres/"+p.Slug+"?utm_source=LinkedIn", browserUA)
	}
	for _, bot := range []string{"", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "curl/8.5.0",
		"facebookexternalhit/1.1", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36"} {
		view(t, app, "/offres/"+p.Slug, bot)
	}
	view(t, app, "/offres/"+other.Slug, browserUA)
	if code := view(t, app, "/offres/inconnue", browserUA); code != http.StatusNotFound {
		t.Fatalf("unknown posting: %d", code)
	}

	// Nothing is in PostgreSQL before the flush; Redis holds counters only.
	var rows int
	app.DB.Get(&rows, `SELECT count(*) FROM posting_views`)
	if rows != 0 {
		t.Errorf("%d rows of views before the flush: a view was written in the request", rows)
	}
	rdb := redis.NewClient(mustRedisOptions(t, app))
	defer rdb.Close()
	dump := func() string {
		var b strings.Builder
		keys, err := rdb.Keys(t.Context(), "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if strings.HasPrefix(k, "asynq:") || strings.HasPrefix(k, "vivier:rl:") {
				continue // the queues and the rate limits, not views
			}
			b.WriteString(k + "\n")
			if typ, _ := rdb.Type(t.Context(), k).Result(); typ == "hash" {
				for f, v := range rdb.HGetAll(t.Context(), k).Val() {
					b.WriteString(f + "=" + v + "\n")
				}
			}
		}
		return b.String()
	}
	held := dump()
	for _, personal := range []string{"127.0.0.1", "Chrome", "Mozilla", "linkedin", "LinkedIn"} {
		if strings.Contains(held, personal) {
			t.Errorf("Redis holds %q for views:\n%s", personal, held)
		}
	}

	app.Clock.Set(day1.Add(time.Hour))
	view(t, app, "/offres/"+p.Slug, browserUA)
	// On the 11th, two forms started (the page's script says so), one by a
	// robot, and one sent (refused for its errors: sent all the same).
	for _, ua := range []string{browserUA, browserUA, "curl/8.5.0"} {
		req, _ := http.NewRequest(http.MethodPost, app.URL+"/offres/"+p.Slug+"/formulaire-commence", nil)
		req.Header.Set("User-Agent", ua)
		if resp, _ := testkit.Do(t, app.Client(), req); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("form started: %d, want 204", resp.StatusCode)
		}
	}
	body, ct := testkit.Multipart(t, url.Values{"prenom": {"Camille"}})
	req, _ := http.NewRequest(http.MethodPost, app.URL+"/offres/"+p.Slug+"/candidature", body)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("User-Agent", browserUA)
	if resp, _ := testkit.Do(t, app.Client(), req); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("form sent: %d, want 422", resp.StatusCode)
	}

	added, err := app.Views.RunOnce(t.Context())
	if err != nil || added != 8 {
		t.Fatalf("flush added %d counts (%v), want 8: 5 views (one of the other posting), 2 forms started, 1 sent", added, err)
	}
	got, err := app.Repo.PostingViews(t.Context(), p.ID)
	if err != nil || len(got) != 2 || got[0].Day.Format(time.DateOnly) != "2026-03-10" || got[0] != (repository.DayViews{Day: got[0].Day, Views: 3}) ||
		got[1].Day.Format(time.DateOnly) != "2026-03-11" || got[1] != (repository.DayViews{Day: got[1].Day, Views: 1, Started: 2, Sent: 1}) {
		t.Errorf("counts of the posting = %+v (%v), want 3 views on 10 March; 1 view, 2 forms started and 1 sent on the 11th", got, err)
	}
	if o, _ := app.Repo.PostingViews(t.Context(), other.ID); len(o) != 1 || o[0].Views != 1 {
		t.Errorf("views of the other posting = %+v", o)
	}
	if left := dump(); left != "" {
		t.Errorf("Redis still holds after the flush:\n%s", left)
	}
	// The table holds counts and nothing else.
	var cols []string
	app.DB.Select(&cols, `SELECT column_name FROM information_schema.columns WHERE table_name = 'posting_views' ORDER BY ordinal_position`)
	if strings.Join(cols, ",") != "posting_id,day,views,forms_started,forms_sent" {
		t.Errorf("posting_views has columns %v", cols)
	}

	// More views, flushed again: added to the day's count.
	view(t, app, "/offres/"+p.Slug, browserUA)
	if added, err := app.Views.RunOnce(t.Context()); err != nil || added != 1 {
		t.Fatalf("second flush added %d (%v), want 1", added, err)
	}
	if got, _ := app.Repo.PostingViews(t.Context(), p.ID); len(got) != 2 || got[1].Views != 2 {
		t.Errorf("views after a second flush = %+v", got)
	}
}

// A batch that reached PostgreSQL but was not forgotten in Redis (the
// flush stopped in between) is not added a second time.
func TestAViewBatchIsAddedOnce(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Time{})
	view(t, app, "/offres/"+p.Slug, browserUA)
	counter := app.Views.Counter
	batches, err := counter.Take(t.Context())
	if err != nil || len(batches) != 1 {
		t.Fatalf("take: %v, %v", batches, err)
	}
	n := batches[0].Counts[views.Key{PostingID: p.ID, Kind: views.View}]
	if added, err := app.Repo.AddViews(t.Context(), batches[0].ID, batches[0].Day, map[int64]repository.PageCounts{p.ID: {Views: n}}); err != nil || !added {
		t.Fatalf("add: %v, %v", added, err)
	}
	// The flush stopped here: the batch is still in Redis.
	if added, err := app.Views.RunOnce(t.Context()); err != nil || added != 0 {
		t.Errorf("the next flush added %d (%v), want 0", added, err)
	}
	if got, _ := app.Repo.PostingViews(t.Context(), p.ID); len(got) != 1 || got[0].Views != 1 {
		t.Errorf("views = %+v, want 1", got)
	}
	if left, _ := counter.Take(t.Context()); len(left) != 0 {
		t.Errorf("batches left in Redis: %v", left)
	}
}

// mustRedisOptions reaches the app's own Redis index.
func mustRedisOptions(t *testing.T, app *testkit.App) *redis.Options {
	t.Helper()
	o, err := redis.ParseURL(app.Config.RedisURL)
	if err != nil {
		t.Fatal(err)
	}
	return o
}
