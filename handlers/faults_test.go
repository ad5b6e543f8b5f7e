package handlers_test

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"vivier/internal/testkit"
)

// PostgreSQL goes away under load: requests get the French "service
// momentarily unavailable" page (503), never a 500 or a panic, and the
// service recovers by itself when the database is back.
func TestDatabaseOutageAnswers503AndRecovers(t *testing.T) {
	t.Parallel()
	pg := testkit.NewProxy(t, testkit.PostgresAddr())
	app := testkit.NewApp(t, testkit.Options{PostgresProxy: pg, NoWorker: true})
	p := app.OpenPosting(time.Time{})
	c := app.Client()
	pages := []string{"/", "/offres/" + p.Slug, "/offres-closes"}

	var stop atomic.Bool
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				req, _ := http.NewRequest(http.MethodGet, app.URL+pages[i%len(pages)], nil)
				resp, err := c.Do(req)
				if err != nil {
					continue
				}
				resp.Body.Close()
				mu.Lock()
				statuses[resp.StatusCode]++
				mu.Unlock()
			}
		}()
	}
	seen := func(status int) func() bool {
		return func() bool { mu.Lock(); defer mu.Unlock(); return statuses[status] > 0 }
	}
	waitFor(t, "pages served before the outage", seen(http.StatusOK))
	pg.Down()
	waitFor(t, "the load to meet the outage", seen(http.StatusServiceUnavailable))
	// During the outage, a page and a submission each get the French 503.
	resp, body := testkit.Get(t, c, app.URL+"/offres/"+p.Slug)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "Service momentanément indisponible") {
		t.Errorf("page during the outage: %d", resp.StatusCode)
	}
	resp, body = testkit.PostMultipart(t, c, app.URL+"/offres/"+p.Slug+"/candidature", validForm(), cv())
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "n&#39;a pas été enregistré") {
		t.Errorf("submission during the outage: %d", resp.StatusCode)
	}
	pg.Up()
	// Back by itself: no restart of the app.
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, _ := testkit.Get(t, c, app.URL+"/offres/"+p.Slug)
		if resp.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %d 15 s after the database came back", resp.StatusCode)
		}
		time.Sleep(200 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("statuses under load: %v", statuses)
	for code, n := range statuses {
		if code != 200 && code != http.StatusServiceUnavailable {
			t.Errorf("%d responses with status %d", n, code)
		}
	}
	if statuses[http.StatusServiceUnavailable] == 0 {
		t.Error("no request saw the outage: the test proves nothing")
	}
	if resp, _ := testkit.PostMultipart(t, c, app.URL+"/offres/"+p.Slug+"/candidature", validForm(), cv()); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("submission after recovery: %d", resp.StatusCode)
	}
}

// Redis is unreachable while a posting closes: the close succeeds, and
// every update goes out once Redis is back.
func TestCloseWhileRedisIsDown(t *testing.T) {
	t.Parallel()
	proxy := testkit.NewProxy(t, testkit.RedisAddr())
	redisURL := testkit.Redis(t)
	app := testkit.NewApp(t, testkit.Options{RedisURL: strings.Replace(redisURL, testkit.RedisAddr(), proxy.Addr(), 1), NoWorker: true})
	p := app.OpenPosting(time.Time{})
	for i := 0; i < 20; i++ {
		seedApplication(t, app, p.ID, "P", strconv.Itoa(i), "p"+strconv.Itoa(i)+"@example.org")
	}
	c := app.Client()
	// Sign in while Redis is up (the link is an email), then cut it.
	app.StartWorker()
	app.SignIn(c, p.ContactEmail)
	app.StopWorker()
	signInMails := len(app.SMTP.Messages())
	proxy.Down()

	closeURL := app.URL + "/boite/offres/" + strconv.FormatInt(p.ID, 10) + "/cloture"
	_, body := testkit.Get(t, c, closeURL)
	resp, _ := testkit.PostForm(t, c, closeURL, closeForm(t, body))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("close with Redis down: %d", resp.StatusCode)
	}
	var pending int
	app.DB.Get(&pending, `SELECT count(*) FROM emails WHERE status = 'pending' AND kind LIKE 'close_%'`)
	if pending != 21 {
		t.Fatalf("%d close emails in the outbox, want 20 updates and the summary", pending)
	}

	proxy.Up()
	app.StartWorker()
	if _, err := app.Sweeper.SweepOnce(t.Context()); err != nil {
		t.Fatalf("sweep once Redis is back: %v", err)
	}
	app.WaitEmails("sent", 21, 30*time.Second)
	app.WaitIdle()
	if got := len(app.SMTP.Messages()) - signInMails; got != 21 {
		t.Fatalf("SMTP server got %d close messages, want 21", got)
	}
}

// waitFor waits up to 15 seconds for cond, named what in the failure.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 15s for %s", what)
		}
	}
}

// The application form's per-client limit is counted in Redis, so two web
// processes share it; past it, a French 429 page.
func TestApplicationRateLimitIsSharedAcrossProcesses(t *testing.T) {
	t.Parallel()
	first := testkit.NewApp(t, testkit.Options{NoWorker: true, Env: map[string]string{"APPLY_RATE_LIMIT": "3"}})
	second := testkit.NewApp(t, testkit.Options{NoWorker: true, RedisURL: first.Config.RedisURL, Env: map[string]string{"APPLY_RATE_LIMIT": "3"}})
	var statuses []int
	for i, app := range []*testkit.App{first, second, first, second} {
		p := app.OpenPosting(time.Time{})
		form := validForm()
		form.Set("email", "p"+strconv.Itoa(i)+"@example.org")
		resp, body := testkit.PostMultipart(t, app.Client(), app.URL+"/offres/"+p.Slug+"/candidature", form, cv())
		statuses = append(statuses, resp.StatusCode)
		if resp.StatusCode == http.StatusTooManyRequests && !strings.Contains(body, "Trop de demandes") {
			t.Error("the 429 page is not the French one")
		}
	}
	if statuses[0] != 303 || statuses[1] != 303 || statuses[2] != 303 || statuses[3] != http.StatusTooManyRequests {
		t.Fatalf("statuses %v, want three accepted then 429", statuses)
	}
}
