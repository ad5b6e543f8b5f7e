// Package handlers is Vivier's web layer: the Gin engine, the route table
// (routes.go), middleware and one file per page or resource.
package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"vivier/internal/closing"
	"vivier/internal/compose"
	"vivier/internal/config"
	"vivier/internal/inbound"
	"vivier/internal/mailcatcher"
	"vivier/internal/metrics"
	"vivier/internal/privatelink"
	"vivier/internal/proconnect"
	"vivier/internal/ratelimit"
	"vivier/internal/signin"
	"vivier/internal/views"
	"vivier/repository"
	"vivier/workers/tasks"
)

// Deps are everything the handlers need; internal/assembly builds them.
type Deps struct {
	Config   *config.Config
	Repo     *repository.Repo
	Emails   *compose.Composer
	Enqueuer *tasks.Enqueuer
	// Closer closes postings and writes the close's emails.
	Closer *closing.Closer
	Log    *slog.Logger
	// Now is the server's clock: the repository's when nil, so that pages
	// and the statements they run agree (tests set it).
	Now func() time.Time
	// MailCatcher is set in dev mode only: /dev/mail lists its messages.
	MailCatcher *mailcatcher.Catcher
	// Sessions keeps reviewers signed in (PostgreSQL store).
	Sessions *scs.SessionManager
	// Limiter counts requests in Redis; nil disables rate limits.
	Limiter *ratelimit.Limiter
	// Views counts views of postings' pages; nil counts none.
	Views *views.Counter
	// Redis is pinged by /readyz (the client the limiter uses).
	Redis redis.UniversalClient
	// Metrics are served at /metrics; nil records nothing.
	Metrics *metrics.Metrics
	// Queues is the asynq dashboard (asynqmon, rooted at /admin/queues);
	// nil answers 404.
	Queues http.Handler
	// ProConnect signs reviewers in with ProConnect; nil when it is not
	// configured (its routes answer 404, and /connexion shows no button).
	ProConnect *proconnect.Client
	// Inbound stores what comes back from applicants; development mode
	// hands it the replies written on /dev/mail.
	Inbound *inbound.Processor
}

// Handler serves every route.
type Handler struct {
	Deps
	pages  *pages
	routes gin.RoutesInfo
	// signInMailer does a sign-in request's work in the request itself
	// when it cannot be handed to a worker.
	signInMailer *signin.Mailer
	// lostLinkMailer does the work of a request on /lien-perdu in the
	// request itself when Redis is down.
	lostLinkMailer *privatelink.Mailer
}

// New parses the page templates and returns the handler.
func New(d Deps) (*Handler, error) {
	if d.Closer == nil {
		return nil, errors.New("handlers: Deps.Closer is missing")
	}
	if d.Now == nil && d.Repo != nil {
		d.Now = d.Repo.Now
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	return &Handler{Deps: d, pages: p, signInMailer: &signin.Mailer{Repo: d.Repo, Emails: d.Emails, Config: d.Config,
		Limiter: d.Limiter, Enqueuer: d.Enqueuer, Log: d.Log},
		lostLinkMailer: &privatelink.Mailer{Repo: d.Repo, Emails: d.Emails, Limiter: d.Limiter, Enqueuer: d.Enqueuer, Log: d.Log}}, nil
}
