package assembly

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/alexedwards/scs/postgresstore"
	"github.com/hibiken/asynqmon"

	"vivier/handlers"
	"vivier/internal/metrics"
	"vivier/internal/proconnect"
	"vivier/repository"
	"vivier/workers/tasks"
)

// Web is the web site of a process.
type Web struct {
	// Handler holds the site's dependencies and routes.
	Handler *handlers.Handler
	// Engine serves every route.
	Engine http.Handler

	log       *slog.Logger
	closeOnce sync.Once
	close     func()
}

// Web builds the web site: its handler, its sessions in PostgreSQL, the
// queues' dashboard, and the figures of the outbox and the queues on the
// process's metrics.
func (p *Process) Web() (*Web, error) {
	if err := p.Metrics.Register(metrics.NewStateCollector(p.Repo, repository.EmailStatuses(), p.Inspector, queueNames())); err != nil {
		return nil, err
	}
	queues := asynqmon.New(asynqmon.Options{RootPath: handlers.QueuesPath, RedisConnOpt: p.Queue})
	sessions := handlers.NewSessions(p.DB.DB, p.Config.Secure(), 30*time.Minute)
	closeAll := func() {
		queues.Close()
		if s, ok := sessions.Store.(*postgresstore.PostgresStore); ok {
			s.StopCleanup()
		}
	}
	enqueuer := &tasks.Enqueuer{Client: p.Client, Timeout: webEnqueueTimeout, Now: p.Now}
	h, err := handlers.New(handlers.Deps{
		Config: p.Config, Repo: p.Repo, Emails: p.Emails, Log: p.Log, Now: p.Now, MailCatcher: p.MailCatcher,
		Enqueuer: enqueuer, Closer: p.closer(enqueuer), Sessions: sessions, Limiter: p.Limiter,
		Views: p.Views, Redis: p.Redis, Metrics: p.Metrics, Queues: queues, ProConnect: proconnect.New(p.Config, p.Now),
		Inbound: p.inboundFor(enqueuer),
	})
	if err != nil {
		closeAll()
		return nil, err
	}
	engine, err := h.Engine()
	if err != nil {
		closeAll()
		return nil, err
	}
	return &Web{Handler: h, Engine: engine, log: p.Log, close: closeAll}, nil
}

// Close stops what the site runs besides its requests (the dashboard, the
// sessions' clean-up).
func (w *Web) Close() { w.closeOnce.Do(w.close) }

// Run serves on addr until ctx ends, then lets the requests in flight
// finish (25 s at most) while refusing new connections.
func (w *Web) Run(ctx context.Context, addr string) error {
	srv := &http.Server{
		Addr: addr, Handler: w.Engine,
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
	w.log.Info("shutting down the web server")
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
