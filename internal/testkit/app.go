package testkit

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"

	"vivier/handlers"
	"vivier/internal/assembly"
	"vivier/internal/catalog"
	"vivier/internal/config"
	"vivier/internal/demo"
	"vivier/internal/importer"
	"vivier/internal/links"
	"vivier/internal/mailcatcher"
	"vivier/internal/metrics"
	"vivier/internal/ratelimit"
	"vivier/repository"
	"vivier/workers"
	"vivier/workers/tasks"
)

// App is the whole product running for one test: the web app behind a real
// HTTP server, a worker sending to a real SMTP server, on a database and a
// Redis index of the test's own.
type App struct {
	tb     testing.TB
	URL    string
	Config *config.Config
	DB     *sqlx.DB
	// Repo is the app's own repository, or, when the app reaches
	// PostgreSQL through a proxy, one straight to the database.
	Repo     *repository.Repo
	SMTP     *mailcatcher.Catcher
	Redis    asynq.RedisConnOpt
	Enqueuer *tasks.Enqueuer
	Sweeper  *workers.Sweeper
	Limiter  *ratelimit.Limiter
	Handler  *handlers.Handler
	// Metrics is the app's registry, shared by its web app and worker.
	Metrics *metrics.Metrics
	// Closing closes postings at their date, as the scheduler does.
	Closing *workers.ClosingScheduler
	// Views adds the posting views counted in Redis to PostgreSQL, as the
	// scheduler does every minute.
	Views *workers.ViewsFlusher
	// Digests writes the reviewers' digests and the contacts' reminders
	// due, as the scheduler does every minute.
	Digests *workers.DigestScheduler
	// Reminders writes interview reminders, as the scheduler does every
	// minute.
	Reminders *workers.InterviewReminders
	Log       *slog.Logger
	// Clock is the app's one clock: the web app, the repository, the
	// worker and the scheduler's jobs read it; tests set it.
	Clock *Clock

	process *assembly.Process
	worker  *assembly.Worker
}

// Options change an App before it starts.
type Options struct {
	// RedisURL overrides the test's own Redis (e.g. an address nobody listens on).
	RedisURL string
	// PostgresProxy, when set, is where the app reaches PostgreSQL: a
	// proxy the test can cut to simulate an outage. The test's own checks
	// (App.DB) still go straight to the database.
	PostgresProxy *Proxy
	// NoWorker leaves the worker stopped; StartWorker starts it.
	NoWorker bool
	// UploadMaxBytes overrides the 10 MiB default.
	UploadMaxBytes int64
	// AdminEmails is ADMIN_EMAILS.
	AdminEmails string
	// Env sets other settings, by their environment name.
	Env map[string]string
	// DevMail runs the web app as `vivier dev` does: /dev/mail lists the
	// messages of the test's SMTP server.
	DevMail bool
	// ProConnect, when set, signs reviewers in with this provider; the app
	// is then served at its BASE_URL (its own address), where the provider
	// sends browsers back.
	ProConnect *ProConnect
	// Log, when set, receives the app's log as JSON lines (info and up),
	// for a test that reads them.
	Log io.Writer
}

// NewApp starts the product for tb.
func NewApp(tb testing.TB, opts Options) *App {
	tb.Helper()
	db, dbURL := DB(tb)
	appDB, appDBURL := db, dbURL
	if opts.PostgresProxy != nil {
		u, _ := url.Parse(dbURL)
		u.Host = opts.PostgresProxy.Addr()
		appDBURL = u.String()
		var err error
		if appDB, err = repository.Open(context.Background(), appDBURL); err != nil {
			tb.Fatalf("open the database through the proxy: %v", err)
		}
		tb.Cleanup(func() { appDB.Close() })
	}
	smtp := SMTP(tb)
	redisURL := opts.RedisURL
	if redisURL == "" {
		redisURL = Redis(tb)
	}
	env := map[string]string{
		"DATABASE_URL": appDBURL, "REDIS_URL": redisURL, "SMTP_URL": smtp.URL(),
		"MAIL_FROM": "Vivier <ne-pas-repondre@vivier.test>", "BASE_URL": "http://vivier.test",
	}
	var srv *httptest.Server
	if opts.ProConnect != nil {
		srv = httptest.NewUnstartedServer(nil)
		env["BASE_URL"] = "http://" + srv.Listener.Addr().String()
		for k, v := range opts.ProConnect.Env() {
			env[k] = v
		}
	}
	for k, v := range opts.Env {
		env[k] = v
	}
	if opts.AdminEmails != "" {
		env["ADMIN_EMAILS"] = opts.AdminEmails
	}
	if opts.UploadMaxBytes > 0 {
		env["UPLOAD_MAX_BYTES"] = itoa(opts.UploadMaxBytes)
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		tb.Fatalf("config: %v", err)
	}
	level := slog.LevelWarn
	if os.Getenv("VIVIER_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(testWriter{tb}, &slog.HandlerOptions{Level: level}))
	if opts.Log != nil {
		log = slog.New(slog.NewJSONHandler(opts.Log, &slog.HandlerOptions{Level: min(level, slog.LevelInfo)}))
	}

	// The product's own assembly, as `vivier dev` runs it: web, worker and
	// scheduler in one process, on the test's one clock.
	a := &App{tb: tb, Config: cfg, DB: db, SMTP: smtp, Log: log, Clock: &Clock{}}
	assembled := assembly.Options{Log: log, Now: a.Clock.Now}
	if opts.DevMail {
		assembled.MailCatcher = smtp
	}
	p, err := assembly.New(cfg, appDB, assembled)
	if err != nil {
		tb.Fatalf("assemble the app: %v", err)
	}
	tb.Cleanup(func() { p.Close() })
	web, err := p.Web()
	if err != nil {
		tb.Fatalf("web: %v", err)
	}
	tb.Cleanup(web.Close)
	sched := p.Scheduler()
	sched.Sweep.After = 0
	a.process = p
	a.Repo, a.Redis, a.Limiter, a.Metrics = p.Repo, p.Queue, p.Limiter, p.Metrics
	a.Enqueuer, a.Sweeper, a.Closing, a.Handler = p.Enqueuer, sched.Sweep, sched.Closing, web.Handler
	a.Views, a.Digests, a.Reminders = sched.Views, sched.Digests, sched.Reminders
	if appDB != db {
		// The test's own checks go straight to the database.
		if a.Repo, err = assembly.NewRepo(cfg, db); err != nil {
			tb.Fatal(err)
		}
		a.Repo.Now = a.Clock.Now
	}
	if srv == nil {
		srv = httptest.NewServer(web.Engine)
	} else {
		srv.Config.Handler = web.Engine
		srv.Start()
	}
	tb.Cleanup(srv.Close)
	a.URL = srv.URL
	if !opts.NoWorker {
		a.StartWorker()
	}
	return a
}

// StartWorker starts the email worker (fast retries, for tests).
func (a *App) StartWorker() {
	a.tb.Helper()
	if a.worker != nil {
		return
	}
	w, err := a.process.Worker(assembly.WorkerOptions{Concurrency: 4, RetryBase: 200 * time.Millisecond,
		ShutdownTimeout: 5 * time.Second, DelayedTaskCheckInterval: 100 * time.Millisecond})
	if err != nil {
		a.tb.Fatalf("worker: %v", err)
	}
	if w.Reader != nil {
		w.Reader.MaxBackoff = time.Second // a mailbox back up is read again soon
	}
	if err := w.Start(); err != nil {
		w.Close()
		a.tb.Fatalf("start worker: %v", err)
	}
	a.worker = w
	a.tb.Cleanup(a.StopWorker)
}

// StopWorker stops the worker, letting a message being sent finish.
func (a *App) StopWorker() {
	if a.worker == nil {
		return
	}
	a.worker.Close()
	a.worker = nil
}

// Client is an HTTP client that keeps cookies and does not follow redirects.
func (a *App) Client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// WaitEmails waits until n emails are recorded sent, and fails the test
// after timeout.
func (a *App) WaitEmails(status string, n int, timeout time.Duration) {
	a.tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var got int
		if err := a.DB.Get(&got, `SELECT count(*) FROM emails WHERE status = $1`, status); err != nil {
			a.tb.Fatalf("count emails: %v", err)
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			a.tb.Fatalf("waited %s for %d %s email(s), got %d", timeout, n, status, got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// testWriter sends log lines to the test's log.
type testWriter struct{ tb testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.tb.Log(string(p))
	return len(p), nil
}

var _ io.Writer = testWriter{}

// OpenPosting imports the demo posting, opens it until closesAt (or with
// no closing date when zero) and returns it.
func (a *App) OpenPosting(closesAt time.Time) *repository.Posting {
	a.tb.Helper()
	p := a.Posting(demo.SourceName, demo.Posting)
	var closes *time.Time
	if !closesAt.IsZero() {
		closes = &closesAt
	}
	if err := a.Repo.SetPostingStatus(context.Background(), p.ID, catalog.PostingOpen, closes); err != nil {
		a.tb.Fatalf("open posting: %v", err)
	}
	p, err := a.Repo.PostingByID(context.Background(), p.ID)
	if err != nil {
		a.tb.Fatal(err)
	}
	return p
}

// Posting imports a posting file and returns it.
func (a *App) Posting(name string, data []byte) *repository.Posting {
	a.tb.Helper()
	im := &importer.Importer{Repo: a.Repo, Now: a.Clock.Now, Out: io.Discard}
	if _, err := im.File(context.Background(), name, data); err != nil {
		a.tb.Fatalf("import %s: %v", name, err)
	}
	p, err := a.Repo.PostingBySourceName(context.Background(), name)
	if err != nil {
		a.tb.Fatal(err)
	}
	return p
}

// Counts returns how many applications, documents and emails are stored.
func (a *App) Counts() (apps, docs, emails int) {
	a.tb.Helper()
	apps, docs, emails, err := a.Repo.Counts(context.Background())
	if err != nil {
		a.tb.Fatal(err)
	}
	return apps, docs, emails
}

var personalLinkRe = regexp.MustCompile(`http://(?:vivier\.test|127\.0\.0\.1:\d+)(/(?:candidature|connexion/lien)/[A-Za-z0-9_-]{43})`)

// LinkTo returns the path of the personal link (a private or a sign-in
// link) of the latest email written to address that carries one, as its
// recipient gets it: from the message the SMTP server received when the
// worker runs (waiting for it), else opened from the outbox as the worker
// opens it. The outbox itself never holds it in clear.
func (a *App) LinkTo(address string) string {
	a.tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var e repository.Email
	for {
		// A worker may still be writing it (a sign-in request).
		err := a.DB.Get(&e, `SELECT id, to_address, text_body, link_sealed FROM emails
			WHERE lower(to_address) = lower($1) AND strpos(text_body, $2) > 0 ORDER BY id DESC LIMIT 1`, address, links.Marker)
		if err == nil {
			break
		}
		if a.worker == nil || time.Now().After(deadline) {
			a.tb.Fatalf("no email carrying a link to %s: %v", address, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if a.worker == nil {
		sendable, err := a.Repo.WithLink(&e)
		if err != nil || len(e.LinkSealed) == 0 {
			a.tb.Fatalf("the link of email %d to %s does not open (sealed: %d bytes): %v", e.ID, address, len(e.LinkSealed), err)
		}
		if m := personalLinkRe.FindStringSubmatch(sendable.TextBody); m != nil {
			return m[1]
		}
		a.tb.Fatalf("email %d to %s: no link in\n%s", e.ID, address, sendable.TextBody)
	}
	messageID := "<vivier.email." + strconv.FormatInt(e.ID, 10) + "@"
	for ; time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, m := range a.SMTP.Messages() {
			if strings.HasPrefix(m.Header.Get("Message-Id"), messageID) {
				if l := personalLinkRe.FindStringSubmatch(m.Text); l != nil {
					return l[1]
				}
				a.tb.Fatalf("email %d to %s arrived without a link:\n%s", e.ID, address, m.Text)
			}
		}
	}
	a.tb.Fatalf("email %d to %s did not reach the SMTP server", e.ID, address)
	return ""
}

// WaitQueuesEmpty waits until asynq holds no task (pending, running,
// scheduled or to retry) in any queue: every task enqueued so far has
// been handled, and the tasks it enqueued too.
func (a *App) WaitQueuesEmpty() {
	a.tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		queues, err := a.Sweeper.Inspector.Queues()
		if err != nil {
			a.tb.Fatalf("queues: %v", err)
		}
		left := 0
		for _, q := range queues {
			info, err := a.Sweeper.Inspector.GetQueueInfo(q)
			if err != nil {
				a.tb.Fatalf("queue %s: %v", q, err)
			}
			left += info.Size
		}
		if left == 0 {
			return
		}
		if time.Now().After(deadline) {
			a.tb.Fatalf("waited 20s for the queues to empty: %d tasks left", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var signInLinkRe = regexp.MustCompile(`http://(?:vivier\.test|127\.0\.0\.1:\d+)(/connexion/lien/[A-Za-z0-9_-]{43})`)

// SignInLink asks for a sign-in link for email through the page, as a
// person would, and returns the link's path caught at the SMTP server.
func (a *App) SignInLink(c *http.Client, email string) string {
	a.tb.Helper()
	before := len(a.SMTP.Messages())
	resp, body := PostForm(a.tb, c, a.URL+"/connexion", url.Values{"email": {email}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Regardez vos emails") {
		a.tb.Fatalf("ask for a sign-in link: %d", resp.StatusCode)
	}
	deadline := time.Now().Add(20 * time.Second)
	for seen := before; time.Now().Before(deadline); {
		msgs := a.SMTP.WaitFor(seen+1, time.Until(deadline))
		for _, m := range msgs[seen:] {
			if len(m.To) == 1 && m.To[0] == email {
				if l := signInLinkRe.FindStringSubmatch(m.Text); l != nil {
					return l[1]
				}
			}
		}
		seen = len(msgs)
	}
	a.tb.Fatalf("no sign-in link reached %s", email)
	return ""
}

// SignIn signs email in on client through the emailed link.
func (a *App) SignIn(c *http.Client, email string) {
	a.tb.Helper()
	link := a.SignInLink(c, email)
	resp, _ := PostForm(a.tb, c, a.URL+link, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/boite" {
		a.tb.Fatalf("sign in as %s: %d to %q", email, resp.StatusCode, resp.Header.Get("Location"))
	}
}
