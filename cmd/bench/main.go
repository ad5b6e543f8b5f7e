// Command bench measures Vivier on this machine: it builds and starts the
// real product (`vivier serve` and `vivier worker` as separate processes,
// assembled by internal/assembly as in production, on a fresh database
// and a Redis index of its own from the tests' harness, sending to the
// tests' SMTP catcher run in-process), runs three scenarios, prints each
// figure next to a baseline measured in the same run, and writes
// BENCHMARKS.md (keeping its hand-written history of changes).
// PostgreSQL and Redis are found as the tests find them
// (TEST_DATABASE_URL, TEST_REDIS_ADDR).
//
//	go run ./cmd/bench            (or: make bench)
//
// Scenarios: 1. applications received over HTTP; 2. the inbox with
// 100,000 applications on one posting; 3. the close of a posting with
// 10,000 applicants, until the last status update reaches the SMTP
// server; 4. a posting's figures with 100,000 applications and a million
// views; 5. a close at a set SMTP_RATE on two workers. Flags scale them down for a quick try.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"

	"vivier/internal/assembly"
	"vivier/internal/config"
	"vivier/internal/testkit"
)

type options struct {
	Applications int
	Clients      int
	OpenLoop     time.Duration
	Inbox        int
	Requests     int
	Closing      int
	Figures      int
	FigureViews  int
	RateClose    int
	SMTPRate     float64
	Concurrency  []int
	Out          string
	KeepLogs     bool
	KeepDB       bool
	Scenarios    map[int]bool
}

// bench is one run: the services it started and what it measured.
type bench struct {
	opts   options
	root   string
	bin    string
	logDir string
	db     *testkit.Database
	sql    *sqlx.DB
	redis  *testkit.RedisIndex
	smtp   *mailbox
	// cfg is the processes' configuration; product is the benchmark's own
	// process of Vivier, assembled as theirs: its repository reads, its
	// email renderer writes the baseline's emails.
	cfg     *config.Config
	product *assembly.Process
	server  *proc
	worker  *proc
	port    int
	baseURL string
	admin   string
	contact string
	// workerConcurrency is the running worker's WORKER_CONCURRENCY.
	workerConcurrency int
	// workerMetrics is the running worker's /metrics, behind metricsToken.
	workerMetrics, metricsToken string
	reviewer                    *http.Client
	report                      *report
}

const mailFrom = "Vivier banc d'essai <ne-pas-repondre@bench.vivier.localhost>"

func main() {
	var o options
	var conc string
	flag.IntVar(&o.Applications, "applications", 5000, "scenario 1: submissions over HTTP")
	flag.IntVar(&o.Clients, "clients", 32, "scenario 1: concurrent clients (and baseline connections)")
	flag.DurationVar(&o.OpenLoop, "open-loop", 20*time.Second, "scenario 1: how long the open loop offers submissions at half the closed loop's rate")
	flag.IntVar(&o.Inbox, "inbox", 100000, "scenario 2: applications loaded on one posting")
	flag.IntVar(&o.Requests, "requests", 1000, "scenario 2: requests of each page")
	flag.IntVar(&o.Closing, "close", 10000, "scenario 3: applicants of the posting closed")
	flag.IntVar(&o.Figures, "figures", 100000, "scenario 4: applications on the posting whose figures are shown")
	flag.IntVar(&o.FigureViews, "figure-views", 1000000, "scenario 4: views of that posting's page, over a year")
	flag.IntVar(&o.RateClose, "rate-close", 3000, "scenario 5: applicants of the posting closed at a set SMTP_RATE")
	flag.Float64Var(&o.SMTPRate, "smtp-rate", 300, "scenario 5: SMTP_RATE of its two workers, messages per second")
	flag.StringVar(&conc, "concurrency", fmt.Sprintf("%d,10,32", config.DefaultWorkerConcurrency),
		"scenario 3: worker concurrencies to compare (the first makes the table; the product's default first)")
	flag.StringVar(&o.Out, "out", "BENCHMARKS.md", "where to write the report (empty: nowhere)")
	flag.BoolVar(&o.KeepLogs, "keep-logs", false, "keep the processes' logs after the run")
	flag.BoolVar(&o.KeepDB, "keep-db", false, "keep the benchmark's database after the run, to look at its plans")
	only := flag.String("scenarios", "1,2,3,4,5", "which scenarios to run")
	flag.Parse()
	o.Scenarios = map[int]bool{}
	for _, s := range strings.Split(*only, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 5 {
			fmt.Fprintf(os.Stderr, "bench: -scenarios: %q is not 1, 2, 3, 4 or 5\n", s)
			os.Exit(2)
		}
		o.Scenarios[n] = true
	}
	for _, s := range strings.Split(conc, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bench: -concurrency: %q is not a positive number\n", s)
			os.Exit(2)
		}
		o.Concurrency = append(o.Concurrency, n)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) (err error) {
	start := time.Now()
	b := &bench{opts: o, report: &report{Started: start, Load: loadAverage()}, admin: "admin@bench.vivier.localhost",
		contact: "recrutement@bench.vivier.localhost"}
	defer func() {
		if cerr := b.cleanup(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	if err := b.setup(ctx); err != nil {
		return err
	}
	if o.Scenarios[1] {
		if err := b.scenarioApply(ctx); err != nil {
			return fmt.Errorf("scenario 1: %w", err)
		}
	}
	if b.reviewer, err = signIn(ctx, b.baseURL, b.admin, b.smtp); err != nil {
		return err
	}
	if o.Scenarios[2] {
		if err := b.scenarioInbox(ctx); err != nil {
			return fmt.Errorf("scenario 2: %w", err)
		}
	}
	if o.Scenarios[3] {
		if err := b.scenarioClose(ctx); err != nil {
			return fmt.Errorf("scenario 3: %w", err)
		}
	}
	if o.Scenarios[4] {
		if err := b.scenarioFigures(ctx); err != nil {
			return fmt.Errorf("scenario 4: %w", err)
		}
	}
	if o.Scenarios[5] {
		if err := b.scenarioRate(ctx); err != nil {
			return fmt.Errorf("scenario 5: %w", err)
		}
	}
	b.report.Machine = append(machine(ctx, b.sql, b.redis), b.report.Load)
	b.report.Total = time.Since(start)
	fmt.Printf("\n%s\nTotal run time: %s\n", b.report.Table(), b.report.Total.Round(time.Second))
	if o.Out != "" {
		path := o.Out
		if !filepath.IsAbs(path) {
			path = filepath.Join(b.root, path)
		}
		if err := b.report.Write(path); err != nil {
			return err
		}
		fmt.Println("Written:", path)
	}
	return nil
}

// setup builds the binary and starts everything the scenarios need.
func (b *bench) setup(ctx context.Context) error {
	var err error
	if b.root, err = moduleRoot(); err != nil {
		return err
	}
	if b.logDir, err = os.MkdirTemp("", "vivier-bench-"); err != nil {
		return err
	}
	b.bin = filepath.Join(b.root, "bin", "vivier")
	step("building bin/vivier")
	if err := buildBinary(ctx, b.root, b.bin); err != nil {
		return err
	}
	step("creating the database, reserving a Redis index, starting the SMTP server")
	if b.db, err = testkit.NewDatabase(ctx); err != nil {
		return err
	}
	b.sql = b.db.DB
	b.sql.SetMaxOpenConns(b.opts.Clients + 4)
	// Held for longer than a run takes, so that no test takes it meanwhile.
	if b.redis, err = testkit.ReserveRedis(ctx, "bench "+strconv.Itoa(os.Getpid()), 30*time.Minute); err != nil {
		return err
	}
	if b.smtp, err = startMailbox(b.admin); err != nil {
		return err
	}
	if b.port, err = freePort(); err != nil {
		return err
	}
	b.baseURL = "http://127.0.0.1:" + strconv.Itoa(b.port)
	if b.cfg, err = config.Load(b.getenv(nil)); err != nil {
		return err
	}
	if b.product, err = assembly.New(b.cfg, b.sql, assembly.Options{}); err != nil {
		return err
	}
	step("starting vivier serve and vivier worker")
	if b.server, err = startProc(b.bin, "serve", b.env(nil), b.logDir, "serve"); err != nil {
		return err
	}
	if err := waitHTTP(ctx, b.baseURL+"/", b.server, 30*time.Second); err != nil {
		return err
	}
	return b.startWorker(ctx, config.DefaultWorkerConcurrency)
}

// settings are the run's own settings, and extra.
func (b *bench) settings(extra map[string]string) map[string]string {
	set := map[string]string{
		"DATABASE_URL": b.db.URL, "REDIS_URL": b.redis.URL(), "SMTP_URL": b.smtp.URL(), "MAIL_FROM": mailFrom,
		"BASE_URL": b.baseURL, "PORT": strconv.Itoa(b.port), "ADMIN_EMAILS": b.admin, "APPLY_RATE_LIMIT": "0",
		"LOG_FORMAT": "text", "METRICS_PORT": "0",
	}
	for k, v := range extra {
		set[k] = v
	}
	return set
}

// getenv reads the processes' environment: this one's, with the run's
// settings (and none of Scalingo's).
func (b *bench) getenv(extra map[string]string) config.Getenv {
	set := b.settings(extra)
	return func(k string) string {
		if v, ours := set[k]; ours {
			return v
		}
		if strings.HasPrefix(k, "SCALINGO_") {
			return ""
		}
		return os.Getenv(k)
	}
}

// env is the processes' environment, as getenv reads it.
func (b *bench) env(extra map[string]string) []string {
	set := b.settings(extra)
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, ours := set[k]; !ours && !strings.HasPrefix(k, "SCALINGO_") {
			out = append(out, kv)
		}
	}
	for k, v := range set {
		out = append(out, k+"="+v)
	}
	return out
}

// startWorker (re)starts `vivier worker` with WORKER_CONCURRENCY set.
func (b *bench) startWorker(ctx context.Context, concurrency int) error {
	b.worker.Stop()
	port, err := freePort()
	if err != nil {
		return err
	}
	b.metricsToken = rand.Text()
	extra := map[string]string{"METRICS_PORT": strconv.Itoa(port), "METRICS_TOKEN": b.metricsToken,
		"WORKER_CONCURRENCY": strconv.Itoa(concurrency)}
	b.workerMetrics = "http://127.0.0.1:" + strconv.Itoa(port) + "/metrics"
	w, err := startProc(b.bin, "worker-"+strconv.Itoa(concurrency), b.env(extra), b.logDir, "worker")
	if err != nil {
		return err
	}
	b.worker = w
	b.workerConcurrency = concurrency
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(w.LogTail(50), "worker started") {
		if exited, err := w.Exited(); exited {
			return fmt.Errorf("vivier worker stopped: %v\n%s", err, w.LogTail(20))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("vivier worker did not start within 15 s\n%s", w.LogTail(20))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

// cleanup stops the processes, drops the database and empties the Redis
// index, whatever happened before.
func (b *bench) cleanup() error {
	var errs []error
	b.worker.Stop()
	b.server.Stop()
	if b.smtp != nil {
		b.smtp.Close()
	}
	if b.product != nil {
		b.product.Close()
	}
	if b.db != nil && b.opts.KeepDB {
		b.sql.Close()
		fmt.Println("Database kept:", b.db.URL)
	} else if b.db != nil {
		if err := b.db.Drop(); err != nil {
			errs = append(errs, fmt.Errorf("drop database %s: %w", b.db.Name, err))
		}
	}
	if b.redis != nil {
		b.redis.Release()
	}
	if b.logDir != "" {
		if b.opts.KeepLogs {
			fmt.Println("Logs kept in", b.logDir)
		} else {
			os.RemoveAll(b.logDir)
		}
	}
	return errors.Join(errs...)
}

// waitOutboxEmpty waits until no email is pending or being sent, so a
// scenario does not measure the tail of the one before.
func (b *bench) waitOutboxEmpty(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var n int
		if err := b.sql.GetContext(ctx, &n, `SELECT count(*) FROM emails WHERE status IN ('pending', 'sending')`); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d emails still waiting after %s\n%s", n, timeout, b.worker.LogTail(10))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module vivier\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run the benchmark from inside the vivier module")
		}
		dir = parent
	}
}

func step(msg string) { slog.Info(msg) }

// createPosting inserts an open posting whose contact and admin review it.
func (b *bench) createPosting(ctx context.Context, slug, title string) (int64, error) {
	var id int64
	err := b.sql.GetContext(ctx, &id, `INSERT INTO postings (slug, title, organisation, contact_email, contract, status,
		opens_at, body_md, body_html, excerpt_html)
		VALUES ($1, $2, 'Incubateur des Territoires', $3, 'Prestation (freelance)', 'open', $6,
		$4, $5, $5) RETURNING id`, slug, title, b.contact,
		"## La mission\n\nAccompagner les collectivités dans l'investigation de leurs problèmes.",
		"<h2>La mission</h2><p>Accompagner les collectivités dans l'investigation de leurs problèmes.</p>",
		b.product.Repo.Now().AddDate(0, 0, -1))
	if err != nil {
		return 0, fmt.Errorf("create posting %s: %w", slug, err)
	}
	_, err = b.sql.ExecContext(ctx, `INSERT INTO posting_reviewers (posting_id, email) VALUES ($1, $2)`, id, b.contact)
	return id, err
}
