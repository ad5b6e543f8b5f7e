package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"

	"vivier/handlers"
	"vivier/internal/closing"
	"vivier/internal/compose"
	"vivier/internal/config"
	"vivier/internal/frfmt"
	"vivier/internal/links"
	"vivier/internal/mailcatcher"
	"vivier/internal/metrics"
	"vivier/internal/ratelimit"
	"vivier/internal/signin"
	"vivier/migrations"
	"vivier/repository"
	"vivier/workers"
	"vivier/workers/tasks"
)

// openDB connects and, unless migrating, refuses a schema that is behind.
func openDB(ctx context.Context, cfg *config.Config, checkSchema bool) (*sqlx.DB, error) {
	db, err := repository.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, unreachable("PostgreSQL", cfg.DatabaseURL, err)
	}
	if checkSchema {
		if err := migrations.Check(ctx, db.DB); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// openDBWhenMigrated is openDB for the long-running processes: on a
// schema that is behind they do not start, but wait up to SCHEMA_WAIT for
// `vivier migrate` (a platform may start the new processes before its
// post-deploy hook migrates), then give up.
func openDBWhenMigrated(ctx context.Context, cfg *config.Config, log *slog.Logger) (*sqlx.DB, error) {
	db, err := openDB(ctx, cfg, false)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(cfg.SchemaWait)
	for {
		err := migrations.Check(ctx, db.DB)
		if err == nil {
			return db, nil
		}
		if !errors.Is(err, migrations.ErrSchemaBehind) || time.Now().After(deadline) {
			db.Close()
			return nil, err
		}
		log.Warn("the database schema is behind: waiting for `vivier migrate`", "wait_left", time.Until(deadline).Round(time.Second))
		select {
		case <-ctx.Done():
			db.Close()
			return nil, ctx.Err()
		case <-time.After(5 * time.Second):
		}
	}
}

// unreachable explains which service does not answer, where, and how to
// start it on a developer's machine.
func unreachable(service, rawURL string, err error) error {
	addr := rawURL
	if u, perr := url.Parse(rawURL); perr == nil {
		addr = u.Host
	}
	var how string
	switch service {
	case "PostgreSQL":
		how = "démarrez-le (par exemple `sudo service postgresql start`, ou `docker compose up -d postgres`) ou corrigez DATABASE_URL"
	case "Redis":
		how = "démarrez-le (par exemple `redis-server --daemonize yes`, ou `docker compose up -d redis`) ou corrigez REDIS_URL"
	}
	return fmt.Errorf("%s ne répond pas à l'adresse %s : %s.\n  détail : %v", service, addr, how, err)
}

func redisOpt(cfg *config.Config) (asynq.RedisConnOpt, error) {
	opt, err := asynq.ParseRedisURI(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	// Short timeouts: a Redis outage must not hold a submission for long.
	if o, ok := opt.(asynq.RedisClientOpt); ok {
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout = time.Second, 2*time.Second, 2*time.Second
		opt = o
	}
	return opt, nil
}

// limiterRedis is the Redis client of the rate limits (and /readyz).
func limiterRedis(cfg *config.Config) (*redis.Client, error) {
	redisOpts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	redisOpts.DialTimeout, redisOpts.ReadTimeout, redisOpts.WriteTimeout = time.Second, time.Second, time.Second
	return redis.NewClient(redisOpts), nil
}

// webApp builds the HTTP handler and what it holds open. m collects the
// process's metrics (dev mode shares it with its worker).
func webApp(cfg *config.Config, db *sqlx.DB, log *slog.Logger, catcher *mailcatcher.Catcher, m *metrics.Metrics) (http.Handler, func(), error) {
	opt, err := redisOpt(cfg)
	if err != nil {
		return nil, nil, err
	}
	renderer, err := compose.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	rdb, err := limiterRedis(cfg)
	if err != nil {
		return nil, nil, err
	}
	client := asynq.NewClient(opt)
	inspector := asynq.NewInspector(opt)
	queues := asynqmon.New(asynqmon.Options{RootPath: handlers.QueuesPath, RedisConnOpt: opt})
	closeAll := func() { client.Close(); rdb.Close(); inspector.Close(); queues.Close() }
	repo := newRepo(cfg, db)
	if err := m.Register(metrics.NewStateCollector(repo, repository.EmailStatuses(), inspector, queueNames())); err != nil {
		closeAll()
		return nil, nil, err
	}
	h, err := handlers.New(handlers.Deps{
		Config: cfg, Repo: repo, Emails: renderer, Log: log, MailCatcher: catcher,
		Enqueuer: &tasks.Enqueuer{Client: client, Timeout: 2 * time.Second},
		Sessions: handlers.NewSessions(db.DB, cfg.Secure(), 30*time.Minute),
		Limiter:  &ratelimit.Limiter{Redis: rdb, Prefix: "vivier:rl"},
		Redis:    rdb, Metrics: m, Queues: queues,
	})
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	engine, err := h.Engine()
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	return engine, closeAll, nil
}

// queueNames are asynq's queues, reported even when empty.
func queueNames() []string {
	names := make([]string, 0, len(tasks.Queues()))
	for q := range tasks.Queues() {
		names = append(names, q)
	}
	slices.Sort(names)
	return names
}

// runHTTP serves until ctx ends, then lets requests in flight finish.
func runHTTP(ctx context.Context, addr string, handler http.Handler, log *slog.Logger) error {
	srv := &http.Server{
		Addr: addr, Handler: handler,
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute, WriteTimeout: 2 * time.Minute,
		IdleTimeout: time.Minute, BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down the web server")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func serve(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	db, err := openDBWhenMigrated(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	handler, closeApp, err := webApp(cfg, db, log, nil, metrics.New())
	if err != nil {
		return err
	}
	defer closeApp()
	log.Info("web server listening", "port", cfg.Port, "base_url", cfg.BaseURL)
	return runHTTP(ctx, fmt.Sprintf(":%d", cfg.Port), handler, log)
}

// workerServer builds the asynq server that sends the outbox's emails and
// answers sign-in requests; m records send latency.
func workerServer(cfg *config.Config, db *sqlx.DB, log *slog.Logger, m *metrics.Metrics, concurrency int, retryBase time.Duration) (*asynq.Server, *asynq.ServeMux, func(), error) {
	opt, err := redisOpt(cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	renderer, err := compose.New(cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	sender, err := workers.NewSender(cfg.SMTPURL, cfg.MailFrom, concurrency)
	if err != nil {
		return nil, nil, nil, err
	}
	rdb, err := limiterRedis(cfg)
	if err != nil {
		sender.Close()
		return nil, nil, nil, err
	}
	client := asynq.NewClient(opt)
	repo := newRepo(cfg, db)
	enqueuer := &tasks.Enqueuer{Client: client, Timeout: 5 * time.Second}
	signIn := &signin.Mailer{Repo: repo, Emails: renderer, Config: cfg, Limiter: &ratelimit.Limiter{Redis: rdb, Prefix: "vivier:rl"},
		Enqueuer: enqueuer, Log: log}
	mux := workers.NewMux(&workers.EmailHandler{Repo: repo, Sender: sender, Log: log, Metrics: m, Enqueuer: enqueuer, RetryDelay: retryBase},
		&workers.CloseFanoutHandler{Repo: repo, Enqueuer: enqueuer, Log: log}, signIn, log)
	srv := asynq.NewServer(opt, workers.ServerConfig(concurrency, retryBase, log))
	return srv, mux, func() { sender.Close(); client.Close(); rdb.Close() }, nil
}

func worker(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	db, err := openDBWhenMigrated(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	m := metrics.New()
	srv, mux, closeSender, err := workerServer(cfg, db, log, m, cfg.WorkerConcurrency, 5*time.Second)
	if err != nil {
		return err
	}
	defer closeSender()
	if err := srv.Start(mux); err != nil {
		return err
	}
	log.Info("worker started", "smtp", config.Redact(cfg.SMTPURL))
	stopMetrics := serveWorkerMetrics(ctx, cfg, m, log)
	<-ctx.Done()
	// Shutdown waits for messages being sent and puts the rest back in the queue.
	srv.Shutdown()
	stopMetrics()
	return nil
}

// serveWorkerMetrics serves /metrics and /healthz on METRICS_PORT (none
// when 0). A port already taken is logged, not fatal: sending email
// matters more than being watched.
func serveWorkerMetrics(ctx context.Context, cfg *config.Config, m *metrics.Metrics, log *slog.Logger) (stop func()) {
	if cfg.MetricsPort == 0 {
		return func() {}
	}
	prom := m.Handler(log)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		io.WriteString(w, `{"status":"ok"}`)
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		// Without METRICS_TOKEN the port is trusted: keep it off the public network.
		if cfg.MetricsToken != "" && !metrics.BearerOK(r, cfg.MetricsToken) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="vivier metrics"`)
			http.Error(w, "jeton de métriques refusé", http.StatusUnauthorized)
			return
		}
		prom.ServeHTTP(w, r)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second,
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) }}
	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", cfg.MetricsPort))
	if err != nil {
		log.Error("worker metrics not served: the worker goes on without them", "error", err, "port", cfg.MetricsPort)
		return func() {}
	}
	log.Info("worker metrics listening", "port", cfg.MetricsPort)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("worker metrics server stopped", "error", err)
		}
	}()
	return func() {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdownCtx)
	}
}

// sweeper builds the outbox sweep.
func sweeper(cfg *config.Config, db *sqlx.DB, log *slog.Logger) (*workers.Sweeper, func(), error) {
	opt, err := redisOpt(cfg)
	if err != nil {
		return nil, nil, err
	}
	client := asynq.NewClient(opt)
	inspector := asynq.NewInspector(opt)
	return &workers.Sweeper{Repo: newRepo(cfg, db), Enqueuer: &tasks.Enqueuer{Client: client, Timeout: 5 * time.Second},
			Inspector: inspector, Log: log, After: 30 * time.Second},
		func() { client.Close(); inspector.Close() }, nil
}

func scheduler(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	db, err := openDBWhenMigrated(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	jobs, closeJobs, err := newSchedulerJobs(cfg, db, log)
	if err != nil {
		return err
	}
	defer closeJobs()
	log.Info("scheduler started")
	jobs.run(ctx, 10*time.Second)
	return nil
}

// schedulerJobs are the scheduler's periodic jobs, for `vivier scheduler`
// and `vivier dev` alike.
type schedulerJobs struct {
	sweep     *workers.Sweeper
	closer    *workers.ClosingScheduler
	retention *workers.RetentionScheduler
}

func newSchedulerJobs(cfg *config.Config, db *sqlx.DB, log *slog.Logger) (*schedulerJobs, func(), error) {
	sw, closeSweeper, err := sweeper(cfg, db, log)
	if err != nil {
		return nil, nil, err
	}
	closer, err := closingScheduler(cfg, db, log, sw.Enqueuer)
	if err != nil {
		closeSweeper()
		return nil, nil, err
	}
	retention, err := retentionScheduler(cfg, db, log, sw.Enqueuer)
	if err != nil {
		closeSweeper()
		return nil, nil, err
	}
	return &schedulerJobs{sweep: sw, closer: closer, retention: retention}, closeSweeper, nil
}

// run runs the jobs until ctx ends: the sweep every sweepEvery, closings
// every 15 seconds, retention every hour.
// It returns once each has finished what it was doing.
func (j *schedulerJobs) run(ctx context.Context, sweepEvery time.Duration) {
	var wg sync.WaitGroup
	wg.Go(func() { j.closer.Run(ctx, 15*time.Second) })
	wg.Go(func() { j.retention.Run(ctx, time.Hour) })
	j.sweep.Run(ctx, sweepEvery)
	wg.Wait()
}

// closingScheduler builds the job that closes postings at their date.
func closingScheduler(cfg *config.Config, db *sqlx.DB, log *slog.Logger, enq *tasks.Enqueuer) (*workers.ClosingScheduler, error) {
	renderer, err := compose.New(cfg)
	if err != nil {
		return nil, err
	}
	repo := newRepo(cfg, db)
	return &workers.ClosingScheduler{Repo: repo, Log: log, Closer: &closing.Closer{Repo: repo, Emails: renderer,
		Enqueue: enq.EnqueueCloseFanout}}, nil
}

// retentionScheduler builds the job that erases applications past their
// retention period and tells applicants and contacts a month before.
func retentionScheduler(cfg *config.Config, db *sqlx.DB, log *slog.Logger, enq *tasks.Enqueuer) (*workers.RetentionScheduler, error) {
	renderer, err := compose.New(cfg)
	if err != nil {
		return nil, err
	}
	return &workers.RetentionScheduler{Repo: newRepo(cfg, db), Emails: renderer, Config: cfg, Enqueuer: enq, Log: log}, nil
}

func migrate(ctx context.Context, cfg *config.Config, stdout interface{ Write([]byte) (int, error) }) error {
	db, err := openDB(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := migrations.Up(ctx, db.DB)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "schéma à jour (%d %s)\n", n, frfmt.Plural(float64(n), "migration appliquée", "migrations appliquées"))
	return nil
}

// newRepo is the data layer with the configured claim timeout and link key.
func newRepo(cfg *config.Config, db *sqlx.DB) *repository.Repo {
	r := repository.New(db)
	r.ClaimTimeout = cfg.EmailClaimTimeout
	// config.Load checked the key's length: NewKey cannot fail on it.
	r.Links, _ = links.NewKey(cfg.LinkKey)
	return r
}
