package assembly

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"vivier/internal/config"
	"vivier/internal/inbound"
	"vivier/internal/metrics"
	"vivier/internal/privatelink"
	"vivier/internal/sendrate"
	"vivier/internal/signin"
	"vivier/workers"
	"vivier/workers/tasks"
)

// WorkerOptions tune a worker; zero values take the product's settings.
type WorkerOptions struct {
	// Concurrency is how many emails it sends at once (and SMTP
	// connections it keeps); 0 is WORKER_CONCURRENCY.
	Concurrency int
	// RetryBase is the delay before the first retry (5 s).
	RetryBase time.Duration
	// ShutdownTimeout and DelayedTaskCheckInterval override asynq's
	// settings (tests stop and retry faster).
	ShutdownTimeout, DelayedTaskCheckInterval time.Duration
}

// Worker sends the outbox's emails, fans a close's emails out and
// answers sign-in requests: asynq's server with Vivier's handlers.
type Worker struct {
	Server *asynq.Server
	Mux    *asynq.ServeMux

	p         *Process
	sender    *workers.Sender
	started   bool
	closeOnce sync.Once
	// Reader reads the mailbox of INBOUND_IMAP_URL while the worker runs
	// (nil without one).
	Reader     *inbound.Reader
	stopReader context.CancelFunc
	readerDone chan struct{}
}

// Worker builds the worker; its send and record times go to the
// process's metrics.
func (p *Process) Worker(o WorkerOptions) (*Worker, error) {
	if o.Concurrency <= 0 {
		o.Concurrency = p.Config.WorkerConcurrency
	}
	if o.RetryBase <= 0 {
		o.RetryBase = 5 * time.Second
	}
	sender, err := workers.NewSender(p.Config.SMTPURL, p.Config.MailFrom, o.Concurrency)
	if err != nil {
		return nil, err
	}
	if p.Config.Inbound() {
		cfg, key := p.Config, p.Repo.Links
		sender.Replies = &workers.Replies{Address: cfg.InboundAddress,
			RoutingAddress: func(id int64) string { return cfg.RoutingAddress(key.Route(id)) }}
	}
	signIn := &signin.Mailer{Repo: p.Repo, Emails: p.Emails, Config: p.Config, Limiter: p.Limiter,
		Enqueuer: p.Enqueuer, Log: p.Log}
	mux := workers.NewMux(&workers.EmailHandler{Repo: p.Repo, Sender: sender, Log: p.Log, Metrics: p.Metrics,
		Enqueuer: p.Enqueuer, RetryDelay: o.RetryBase, Rate: p.SendRate()},
		&workers.CloseFanoutHandler{Repo: p.Repo, Enqueuer: p.Enqueuer, Log: p.Log}, signIn,
		&privatelink.Mailer{Repo: p.Repo, Emails: p.Emails, Limiter: p.Limiter, Enqueuer: p.Enqueuer, Log: p.Log}, p.Log)
	cfg := workers.ServerConfig(o.Concurrency, o.RetryBase, p.Log)
	if o.ShutdownTimeout > 0 {
		cfg.ShutdownTimeout = o.ShutdownTimeout
	}
	if o.DelayedTaskCheckInterval > 0 {
		cfg.DelayedTaskCheckInterval = o.DelayedTaskCheckInterval
	}
	w := &Worker{Server: asynq.NewServer(p.Queue, cfg), Mux: mux, p: p, sender: sender}
	if p.Config.Inbound() {
		box, err := config.ParseIMAPURL(p.Config.InboundIMAPURL)
		if err != nil {
			return nil, fmt.Errorf("INBOUND_IMAP_URL: %w", err)
		}
		w.Reader = &inbound.Reader{IMAP: box, Processor: p.Inbound(), Repo: p.Repo, Metrics: p.Metrics,
			Log: p.Log.With("component", "inbound"), Poll: p.Config.InboundPoll}
	}
	return w, nil
}

// Inbound is the processor of inbound messages: the mailbox reader's,
// and development mode's "reply as the applicant".
func (p *Process) Inbound() *inbound.Processor { return p.inboundFor(p.Enqueuer) }

func (p *Process) inboundFor(enq *tasks.Enqueuer) *inbound.Processor {
	return &inbound.Processor{Repo: p.Repo, Emails: p.Emails, Config: p.Config, Key: p.Repo.Links,
		Enqueuer: enq, Log: p.Log.With("component", "inbound")}
}

// Start starts taking tasks.
func (w *Worker) Start() error {
	if err := w.Server.Start(w.Mux); err != nil {
		return err
	}
	w.started = true
	if w.Reader != nil {
		ctx, cancel := context.WithCancel(context.Background())
		w.stopReader, w.readerDone = cancel, make(chan struct{})
		go func() {
			defer close(w.readerDone)
			w.Reader.Run(ctx)
		}()
	}
	return nil
}

// Close stops the worker: the messages being sent finish, the other tasks
// go back to the queue; then the SMTP connections close. A worker does
// not start again: build another.
func (w *Worker) Close() {
	w.closeOnce.Do(func() {
		if w.stopReader != nil {
			w.stopReader()
			<-w.readerDone
		}
		if w.started {
			w.Server.Shutdown()
		}
		w.sender.Close()
	})
}

// Run works until ctx ends, then closes the worker.
func (w *Worker) Run(ctx context.Context) error {
	if err := w.Start(); err != nil {
		w.Close()
		return err
	}
	<-ctx.Done()
	w.Close()
	return nil
}

// ServeMetrics serves /metrics and /healthz on METRICS_PORT (none when
// 0) until stop. A port already taken is logged, not fatal: sending email
// matters more than being watched.
func (w *Worker) ServeMetrics(ctx context.Context) (stop func()) {
	cfg, log := w.p.Config, w.p.Log
	if cfg.MetricsPort == 0 {
		return func() {}
	}
	prom := w.p.Metrics.Handler(log)
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

// SendRate is the schedule every worker shares in Redis to hand emails to
// the relay at SMTP_RATE at most, halved (down to a sixteenth) for a
// minute after each "too many" from the relay.
func (p *Process) SendRate() *sendrate.Limiter {
	return &sendrate.Limiter{Redis: p.Redis, Key: "vivier:smtp-rate", Rate: p.Config.SMTPRate,
		SlowFor: time.Minute, MaxFactor: 16}
}
