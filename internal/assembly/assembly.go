// Package assembly builds Vivier's processes from a configuration: the
// web site, the worker and the scheduler, each a value with its Close.
// `vivier` (every subcommand), the tests' harness (internal/testkit) and
// the benchmark all build them here, so the wiring exists once. Within a
// process, the web, the worker and the scheduler share one repository,
// one email renderer, one closer of postings and one set of Redis
// clients. Nothing here is package-level state.
package assembly

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"

	"vivier/internal/closing"
	"vivier/internal/compose"
	"vivier/internal/config"
	"vivier/internal/links"
	"vivier/internal/mailcatcher"
	"vivier/internal/metrics"
	"vivier/internal/ratelimit"
	"vivier/internal/views"
	"vivier/migrations"
	"vivier/repository"
	"vivier/workers/tasks"
)

// Options is what differs between the binary, the tests and the
// benchmark; the rest comes from the configuration.
type Options struct {
	// Log receives every line; nil discards them.
	Log *slog.Logger
	// Now is the process's one clock, read by the repository, the web
	// site, the worker and the scheduler; nil is time.Now (tests set it).
	Now func() time.Time
	// Metrics is the process's registry; nil starts a new one. `vivier dev`
	// and the tests share one between web and worker, as one process.
	Metrics *metrics.Metrics
	// MailCatcher, in dev mode only, is listed at /dev/mail.
	MailCatcher *mailcatcher.Catcher
}

// Process holds what one process shares between its web site, worker and
// scheduler. Build it with Open (or New on a database already open), then
// its Web, Worker or Scheduler; Close it last.
type Process struct {
	Config      *config.Config
	Log         *slog.Logger
	Now         func() time.Time
	Metrics     *metrics.Metrics
	MailCatcher *mailcatcher.Catcher

	DB   *sqlx.DB
	Repo *repository.Repo
	// Emails renders every email the process writes.
	Emails *compose.Composer

	// Queue reaches asynq's Redis, with short timeouts.
	Queue     asynq.RedisConnOpt
	Client    *asynq.Client
	Inspector *asynq.Inspector
	// Redis is the client of the rate limits and of /readyz.
	Redis   *redis.Client
	Limiter *ratelimit.Limiter
	// Views counts views of postings' pages in that Redis.
	Views *views.Counter
	// Enqueuer hands tasks to the workers from the worker and the
	// scheduler; the web site has its own, with a shorter wait.
	Enqueuer *tasks.Enqueuer

	closers []func() error
}

// Enqueue timeouts: past them an email stays pending and the outbox sweep
// enqueues it later. A request waits less than a background job.
const (
	webEnqueueTimeout        = 2 * time.Second
	backgroundEnqueueTimeout = 5 * time.Second
)

// Open connects to the database, waiting up to SCHEMA_WAIT for `vivier
// migrate` on a schema that is behind, and builds the process on it. The
// process closes the database with the rest.
func Open(ctx context.Context, cfg *config.Config, opts Options) (*Process, error) {
	db, err := OpenDB(ctx, cfg, WaitForSchema, opts.Log)
	if err != nil {
		return nil, err
	}
	p, err := New(cfg, db, opts)
	if err != nil {
		db.Close()
		return nil, err
	}
	p.closers = append(p.closers, db.Close)
	return p, nil
}

// New builds a process on db, which stays the caller's to close.
func New(cfg *config.Config, db *sqlx.DB, opts Options) (*Process, error) {
	p := &Process{Config: cfg, Log: opts.Log, Now: opts.Now, Metrics: opts.Metrics, MailCatcher: opts.MailCatcher, DB: db}
	if p.Log == nil {
		p.Log = slog.New(slog.DiscardHandler)
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Metrics == nil {
		p.Metrics = metrics.New()
	}
	var err error
	if p.Repo, err = NewRepo(cfg, db); err != nil {
		return nil, err
	}
	p.Repo.Now = p.Now
	if p.Emails, err = compose.New(cfg); err != nil {
		return nil, err
	}
	if p.Queue, err = queueRedis(cfg); err != nil {
		return nil, err
	}
	if p.Redis, err = limiterRedis(cfg); err != nil {
		return nil, err
	}
	p.Client = asynq.NewClient(p.Queue)
	p.Inspector = asynq.NewInspector(p.Queue)
	p.closers = append(p.closers, p.Client.Close, p.Inspector.Close, p.Redis.Close)
	p.Limiter = &ratelimit.Limiter{Redis: p.Redis, Prefix: "vivier:rl"}
	p.Views = &views.Counter{Redis: p.Redis, Prefix: "vivier:views"}
	p.Enqueuer = &tasks.Enqueuer{Client: p.Client, Timeout: backgroundEnqueueTimeout, Now: p.Now}
	return p, nil
}

// Close closes the Redis clients, and the database when Open opened it.
func (p *Process) Close() error {
	var errs []error
	for _, c := range slices.Backward(p.closers) {
		if err := c(); err != nil {
			errs = append(errs, err)
		}
	}
	p.closers = nil
	return errors.Join(errs...)
}

// closer closes postings, enqueuing the emails of a close with enq.
func (p *Process) closer(enq *tasks.Enqueuer) *closing.Closer {
	return &closing.Closer{Repo: p.Repo, Emails: p.Emails, Enqueue: enq.EnqueueCloseFanout}
}

// NewRepo is the data layer with the configured claim timeout and link
// key: the one way to get a repository for a process.
func NewRepo(cfg *config.Config, db *sqlx.DB) (*repository.Repo, error) {
	r := repository.New(db)
	r.ClaimTimeout = cfg.EmailClaimTimeout
	key, err := links.NewKey(cfg.LinkKey)
	if err != nil {
		return nil, fmt.Errorf("LINK_KEY: %w", err)
	}
	r.Links = key
	if from, err := mail.ParseAddress(cfg.MailFrom); err == nil {
		r.MailDomain = from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	}
	return r, nil
}

// Schema is what a process requires of the database's schema.
type Schema int

const (
	// AnySchema accepts any schema: `vivier migrate` and `vivier dev`
	// migrate it themselves.
	AnySchema Schema = iota
	// CurrentSchema refuses a schema that is behind (`vivier import`).
	CurrentSchema
	// WaitForSchema waits up to SCHEMA_WAIT for `vivier migrate` on a
	// schema that is behind (serve, worker, scheduler): a platform may
	// start the new processes before its post-deploy hook migrates.
	WaitForSchema
)

// OpenDB connects to DATABASE_URL and checks the schema as asked; log
// says what a wait is waiting for.
func OpenDB(ctx context.Context, cfg *config.Config, schema Schema, log *slog.Logger) (*sqlx.DB, error) {
	db, err := repository.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, Unreachable("PostgreSQL", cfg.DatabaseURL, err)
	}
	switch schema {
	case CurrentSchema:
		err = migrations.Check(ctx, db.DB)
	case WaitForSchema:
		err = waitForSchema(ctx, db, cfg.SchemaWait, log)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func waitForSchema(ctx context.Context, db *sqlx.DB, wait time.Duration, log *slog.Logger) error {
	deadline := time.Now().Add(wait)
	for {
		err := migrations.Check(ctx, db.DB)
		if err == nil || !errors.Is(err, migrations.ErrSchemaBehind) || time.Now().After(deadline) {
			return err
		}
		if log != nil {
			log.Warn("the database schema is behind: waiting for `vivier migrate`", "wait_left", time.Until(deadline).Round(time.Second))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Second):
		}
	}
}

// Unreachable explains which service does not answer, where, and how to
// start it on a developer's machine.
func Unreachable(service, rawURL string, err error) error {
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

// queueRedis is asynq's connection to REDIS_URL. Short timeouts: a Redis
// outage must not hold a submission for long.
func queueRedis(cfg *config.Config) (asynq.RedisConnOpt, error) {
	opt, err := asynq.ParseRedisURI(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	if o, ok := opt.(asynq.RedisClientOpt); ok {
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout = time.Second, 2*time.Second, 2*time.Second
		opt = o
	}
	return opt, nil
}

// limiterRedis is the Redis client of the rate limits (and /readyz).
func limiterRedis(cfg *config.Config) (*redis.Client, error) {
	opts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = time.Second, time.Second, time.Second
	return redis.NewClient(opts), nil
}

// queueNames are asynq's queues, reported by the metrics even when empty.
func queueNames() []string {
	names := make([]string, 0, len(tasks.Queues()))
	for q := range tasks.Queues() {
		names = append(names, q)
	}
	slices.Sort(names)
	return names
}
