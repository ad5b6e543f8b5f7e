package handlers_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"vivier/internal/frfmt"
	"vivier/internal/testkit"
)

// checkClosedAt fetches the public page of a posting, its inbox page and
// the inbox list of postings, and checks that each says it closed at
// want and none shows notWant.
func checkClosedAt(t *testing.T, app *testkit.App, c *http.Client, slug string, id int64, want, notWant time.Time) {
	t.Helper()
	pages := []struct{ name, path, says string }{
		{"the public page", "/offres/" + slug, "Les candidatures ne sont plus acceptées depuis le " + frfmt.DateTime(want)},
		{"the posting's inbox", "/boite/offres/" + strconv.FormatInt(id, 10), "close le " + frfmt.DateTime(want)},
		{"the list of postings", "/boite", "close le " + frfmt.DateTime(want)},
	}
	for _, pg := range pages {
		resp, body := testkit.Get(t, c, app.URL+pg.path)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", pg.name, resp.StatusCode)
		}
		if !strings.Contains(body, pg.says) {
			t.Errorf("%s does not say %q", pg.name, pg.says)
		}
		// The posting's history lists each change as it was recorded.
		if i := strings.Index(body, "Historique de l'offre"); i >= 0 {
			body = body[:i]
		}
		if strings.Contains(body, frfmt.DateTime(notWant)) {
			t.Errorf("%s shows %s, when it did not close", pg.name, frfmt.DateTime(notWant))
		}
	}
}

// Closed by hand a month before its closing date, a posting shows when
// it closed, not the date it would have closed, before and after that date.
func TestAPostingClosedByHandShowsWhenItClosed(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	closesAt := time.Now().AddDate(0, 1, 0)
	p := app.OpenPosting(closesAt)
	c := app.Client()
	app.SignIn(c, p.ContactEmail)
	closeURL := app.URL + "/boite/offres/" + strconv.FormatInt(p.ID, 10) + "/cloture"
	_, preview := testkit.Get(t, c, closeURL)
	if resp, _ := testkit.PostForm(t, c, closeURL, closeForm(t, preview)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("close by hand: %d", resp.StatusCode)
	}
	var closedAt time.Time
	if err := app.DB.Get(&closedAt, `SELECT created_at FROM posting_events WHERE posting_id = $1 AND to_status = 'closed'`, p.ID); err != nil {
		t.Fatal(err)
	}
	checkClosedAt(t, app, c, p.Slug, p.ID, closedAt, closesAt)
	// After the date it would have closed at, the same.
	app.Clock.Set(closesAt.AddDate(0, 0, 10))
	checkClosedAt(t, app, c, p.Slug, p.ID, closedAt, closesAt)
}

// Closed at its date, a posting shows that date, not when the scheduler
// got to it; before the scheduler does, the page already says so.
func TestAPostingClosedByDateShowsItsDate(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Now().AddDate(0, 0, 1))
	c := app.Client()
	app.SignIn(c, p.ContactEmail)
	// The date passes; the scheduler has not run yet.
	closesAt := time.Now().Add(-2 * time.Hour)
	if err := app.Repo.SetClosingDate(t.Context(), p.ID, &closesAt); err != nil {
		t.Fatal(err)
	}
	_, body := testkit.Get(t, c, app.URL+"/offres/"+p.Slug)
	if want := "Les candidatures ne sont plus acceptées depuis le " + frfmt.DateTime(closesAt); !strings.Contains(body, want) {
		t.Errorf("before the scheduler, the public page does not say %q", want)
	}
	if n, err := app.Closing.RunOnce(t.Context()); err != nil || n != 1 {
		t.Fatalf("scheduler closed %d postings, %v", n, err)
	}
	var recorded time.Time
	if err := app.DB.Get(&recorded, `SELECT created_at FROM posting_events WHERE posting_id = $1 AND to_status = 'closed'`, p.ID); err != nil {
		t.Fatal(err)
	}
	checkClosedAt(t, app, c, p.Slug, p.ID, closesAt, recorded)
	app.Clock.Set(time.Now().AddDate(0, 2, 0))
	checkClosedAt(t, app, c, p.Slug, p.ID, closesAt, recorded)
}
