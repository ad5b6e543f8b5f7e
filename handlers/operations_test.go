package handlers_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"vivier/internal/testkit"
	"vivier/repository"
	"vivier/workers/tasks"
)

const metricsToken = "jeton-de-test-0123456789"

// scrape reads /metrics with the bearer token.
func scrape(t *testing.T, app *testkit.App, token string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, app.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, body := testkit.Do(t, app.Client(), req)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics with the token: %d", resp.StatusCode)
	}
	return body
}

// metricValue finds one series (name and labels, as Prometheus prints
// them) in a scrape.
func metricValue(body, series string) (float64, bool) {
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return f, err == nil
		}
	}
	return 0, false
}

func TestHealthzAnswersWithoutServices(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	resp, body := testkit.Get(t, app.Client(), app.URL+"/healthz")
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(body) != `{"status":"ok"}` {
		t.Fatalf("/healthz: %d %s", resp.StatusCode, body)
	}
}

func TestReadyzNamesRedisWhenItIsCut(t *testing.T) {
	t.Parallel()
	proxy := testkit.NewProxy(t, testkit.RedisAddr())
	redisURL := testkit.Redis(t)
	u, _ := url.Parse(redisURL)
	u.Host = proxy.Addr()
	app := testkit.NewApp(t, testkit.Options{RedisURL: u.String(), NoWorker: true})
	c := app.Client()

	resp, body := testkit.Get(t, c, app.URL+"/readyz")
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(body) != `{"status":"ok","postgres":"ok","redis":"ok","schema":"ok"}` {
		t.Fatalf("/readyz with everything up: %d %s", resp.StatusCode, body)
	}

	proxy.Down()
	resp, body = testkit.Get(t, c, app.URL+"/readyz")
	if resp.StatusCode != http.StatusServiceUnavailable ||
		strings.TrimSpace(body) != `{"status":"unavailable","postgres":"ok","redis":"unreachable","schema":"ok"}` {
		t.Fatalf("/readyz with Redis cut: %d %s", resp.StatusCode, body)
	}
	// Nothing about where the services are.
	if strings.Contains(body, proxy.Addr()) || strings.Contains(body, "127.0.0.1") || strings.Contains(body, "postgres://") {
		t.Errorf("/readyz says too much: %s", body)
	}

	proxy.Up()
	if resp, body := testkit.Get(t, c, app.URL+"/readyz"); resp.StatusCode != http.StatusOK {
		t.Fatalf("/readyz once Redis is back: %d %s", resp.StatusCode, body)
	}
}

func TestReadyzSaysWhenTheSchemaIsBehind(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	// Forget the latest migration, as if this binary were newer than the database.
	app.DB.MustExec(`DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)`)
	resp, body := testkit.Get(t, app.Client(), app.URL+"/readyz")
	if resp.StatusCode != http.StatusServiceUnavailable ||
		strings.TrimSpace(body) != `{"status":"unavailable","postgres":"ok","redis":"ok","schema":"behind"}` {
		t.Fatalf("/readyz on an old schema: %d %s", resp.StatusCode, body)
	}
}

// After one application and a visit to its private page, /metrics counts
// the application, labels latency by route (never by path: the private
// token never shows), and reports the outbox and the queues as they are.
func TestMetricsAfterAnApplication(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true, Env: map[string]string{"METRICS_TOKEN": metricsToken}})
	p := app.OpenPosting(time.Time{})
	resp, _ := testkit.PostMultipart(t, app.Client(), app.URL+"/offres/"+p.Slug+"/candidature", validForm(), cv())
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply: %d", resp.StatusCode)
	}
	private := app.LinkTo("camille.durand@example.org")
	token := strings.TrimPrefix(private, "/candidature/")
	if resp, _ := testkit.Get(t, app.Client(), app.URL+private); resp.StatusCode != http.StatusOK {
		t.Fatalf("private page: %d", resp.StatusCode)
	}

	body := scrape(t, app, metricsToken)
	if !strings.Contains(body, "\nvivier_applications_received_total 1\n") {
		t.Errorf("applications counter missing or wrong:\n%s", grepLines(body, "vivier_applications"))
	}
	if n, ok := metricValue(body, `vivier_http_request_duration_seconds_count{method="POST",route="/offres/:slug/candidature",status="303"}`); !ok || n != 1 {
		t.Errorf("latency of the application route: %v %v\n%s", n, ok, grepLines(body, "vivier_http_request_duration_seconds_count"))
	}
	if _, ok := metricValue(body, `vivier_http_request_duration_seconds_count{method="GET",route="/candidature/:token",status="200"}`); !ok {
		t.Errorf("latency of the private page not labelled by its route:\n%s", grepLines(body, "vivier_http_request_duration_seconds_count"))
	}
	if strings.Contains(body, token) || strings.Contains(body, "/offres/"+p.Slug) {
		t.Error("a path (with its private token) shows in the metrics")
	}

	// The outbox and the queues, as PostgreSQL and Redis hold them.
	checkEmailGauges(t, app, body)
	if n, ok := metricValue(body, `vivier_queue_tasks{queue="default",state="pending"}`); !ok || n != 2 {
		t.Errorf("pending tasks of the default queue: %v %v\n%s", n, ok, grepLines(body, "vivier_queue"))
	}
	if _, ok := metricValue(body, `vivier_queue_tasks{queue="critical",state="pending"}`); !ok {
		t.Errorf("the critical queue is not reported:\n%s", grepLines(body, "vivier_queue"))
	}

	// Once the worker has sent them: the send latency and the new states.
	app.StartWorker()
	app.WaitEmails("sent", 2, 20*time.Second)
	app.StopWorker()
	body = scrape(t, app, metricsToken)
	checkEmailGauges(t, app, body)
	if n, ok := metricValue(body, `vivier_email_send_duration_seconds_count{outcome="sent"}`); !ok || n != 2 {
		t.Errorf("send latency count: %v %v\n%s", n, ok, grepLines(body, "vivier_email_send"))
	}
	if n, ok := metricValue(body, `vivier_email_record_duration_seconds_count`); !ok || n != 2 {
		t.Errorf("record latency count: %v %v\n%s", n, ok, grepLines(body, "vivier_email_record"))
	}
}

// checkEmailGauges compares vivier_emails with the database, status by status.
func checkEmailGauges(t *testing.T, app *testkit.App, body string) {
	t.Helper()
	for _, status := range repository.EmailStatuses() {
		var want int
		app.DB.Get(&want, `SELECT count(*) FROM emails WHERE status = $1`, status)
		if got, ok := metricValue(body, `vivier_emails{status="`+status+`"}`); !ok || int(got) != want {
			t.Errorf("vivier_emails{status=%q} = %v (%v), the database has %d", status, got, ok, want)
		}
	}
}

func grepLines(body, prefix string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestMetricsAreForAdminsOrTheToken(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{AdminEmails: "admin@anct.gouv.fr",
		Env: map[string]string{"METRICS_TOKEN": metricsToken}})
	p := app.OpenPosting(time.Time{})

	if resp, _ := testkit.Get(t, app.Client(), app.URL+"/metrics"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("anonymous /metrics: %d, want 404", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, app.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer pas-le-bon-jeton-du-tout")
	if resp, _ := testkit.Do(t, app.Client(), req); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("/metrics with a wrong token: %d, want 401", resp.StatusCode)
	}
	reviewer := app.Client()
	app.SignIn(reviewer, p.ContactEmail)
	if resp, _ := testkit.Get(t, reviewer, app.URL+"/metrics"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("reviewer /metrics: %d, want 404", resp.StatusCode)
	}
	admin := app.Client()
	app.SignIn(admin, "admin@anct.gouv.fr")
	if resp, body := testkit.Get(t, admin, app.URL+"/metrics"); resp.StatusCode != http.StatusOK ||
		!strings.Contains(body, "vivier_applications_received_total") {
		t.Errorf("admin /metrics: %d", resp.StatusCode)
	}
	if body := scrape(t, app, metricsToken); !strings.Contains(body, "go_goroutines") {
		t.Error("the Go runtime's metrics are missing")
	}
}

func TestQueuesDashboardIsForAdminsOnly(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{AdminEmails: "admin@anct.gouv.fr"})
	p := app.OpenPosting(time.Time{})

	for _, path := range []string{"/admin/queues", "/admin/queues/api/queues"} {
		resp, _ := testkit.Get(t, app.Client(), app.URL+path)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/connexion") {
			t.Errorf("anonymous %s: %d to %q, want 303 to /connexion", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	reviewer := app.Client()
	app.SignIn(reviewer, p.ContactEmail)
	for _, path := range []string{"/admin/queues", "/admin/queues/api/queues"} {
		if resp, _ := testkit.Get(t, reviewer, app.URL+path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("reviewer %s: %d, want 404", path, resp.StatusCode)
		}
	}
	if resp, _ := testkit.PostForm(t, reviewer, app.URL+"/admin/queues/api/queues/default:pause", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("reviewer pausing a queue: %d, want 404", resp.StatusCode)
	}

	admin := app.Client()
	app.SignIn(admin, "admin@anct.gouv.fr")
	resp, body := testkit.Get(t, admin, app.URL+"/admin/queues")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `window.FLAG_ROOT_PATH="\/admin\/queues"`) {
		t.Fatalf("admin /admin/queues: %d\n%.300s", resp.StatusCode, body)
	}
	// asynqmon's inline scripts are allowed by their hashes, not by 'unsafe-inline'.
	csp := resp.Header.Get("Content-Security-Policy")
	scriptSrc := directive(csp, "script-src")
	if strings.Count(scriptSrc, "'sha256-") != 2 || strings.Contains(scriptSrc, "unsafe") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("dashboard CSP: %q", csp)
	}
	if other, _ := testkit.Get(t, admin, app.URL+"/boite"); strings.Contains(other.Header.Get("Content-Security-Policy"), "sha256-") {
		t.Error("the dashboard's script hashes leak into the other pages' CSP")
	}
	resp, body = testkit.Get(t, admin, app.URL+"/admin/queues/api/queues")
	var queues struct {
		Queues []struct {
			Queue string `json:"queue"`
		} `json:"queues"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &queues) != nil {
		t.Fatalf("admin queues API: %d %.300s", resp.StatusCode, body)
	}
	found := false
	for _, q := range queues.Queues {
		found = found || q.Queue == tasks.QueueCritical // the sign-in links went there
	}
	if !found {
		t.Errorf("the critical queue is not listed: %s", body)
	}
}

func directive(csp, name string) string {
	for _, d := range strings.Split(csp, ";") {
		if d = strings.TrimSpace(d); strings.HasPrefix(d, name+" ") {
			return d
		}
	}
	return ""
}

// A request id sent by the proxy comes back in the response and travels
// in the payload of the emails that request enqueued; a garbled one is
// replaced.
func TestRequestIDReachesTheTasks(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	p := app.OpenPosting(time.Time{})

	body, ct := testkit.Multipart(t, validForm(), cv())
	req, _ := http.NewRequest(http.MethodPost, app.URL+"/offres/"+p.Slug+"/candidature", body)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("X-Request-Id", "proxy-7f3a.42_b")
	resp, _ := testkit.Do(t, app.Client(), req)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("X-Request-Id") != "proxy-7f3a.42_b" {
		t.Fatalf("apply: %d, X-Request-Id %q", resp.StatusCode, resp.Header.Get("X-Request-Id"))
	}
	var ids []int64
	if err := app.DB.Select(&ids, `SELECT id FROM emails ORDER BY id`); err != nil || len(ids) != 2 {
		t.Fatalf("emails: %v, %v", ids, err)
	}
	for _, id := range ids {
		info, err := app.Sweeper.Inspector.GetTaskInfo(tasks.QueueDefault, tasks.EmailTaskID(id))
		if err != nil {
			t.Fatalf("task of email %d: %v", id, err)
		}
		var payload tasks.SendEmailPayload
		if err := json.Unmarshal(info.Payload, &payload); err != nil || payload.EmailID != id || payload.RequestID != "proxy-7f3a.42_b" {
			t.Errorf("payload of email %d: %s", id, info.Payload)
		}
	}

	for _, bad := range []string{"a b", strings.Repeat("x", 65), "x\"y", "é"} {
		req, _ := http.NewRequest(http.MethodGet, app.URL+"/healthz", nil)
		req.Header.Set("X-Request-Id", bad)
		resp, _ := testkit.Do(t, app.Client(), req)
		if got := resp.Header.Get("X-Request-Id"); got == bad || got == "" || len(got) > 64 {
			t.Errorf("request id %q came back as %q, want a fresh one", bad, got)
		}
	}
	// Without one, each request gets its own.
	r1, _ := testkit.Get(t, app.Client(), app.URL+"/healthz")
	r2, _ := testkit.Get(t, app.Client(), app.URL+"/healthz")
	if a, b := r1.Header.Get("X-Request-Id"), r2.Header.Get("X-Request-Id"); a == "" || a == b {
		t.Errorf("fresh request ids %q and %q", a, b)
	}
}
