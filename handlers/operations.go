package handlers

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"vivier/internal/metrics"
	"vivier/migrations"
	"vivier/workers/tasks"
)

// Operations: request ids and the request log, health and readiness,
// metrics, the queues dashboard.

const requestIDHeader = "X-Request-Id"

// validRequestID accepts an id from a proxy only if it cannot garble a log
// line or a header: at most 64 characters of [A-Za-z0-9-_.].
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// requestIDOf is the proxy's X-Request-Id when sane, else a fresh id.
func requestIDOf(r *http.Request) string {
	if id := r.Header.Get(requestIDHeader); validRequestID(id) {
		return id
	}
	b := make([]byte, 12)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// quietRoute tells the routes machines ask for all the time: logged at debug.
func quietRoute(route string) bool {
	switch route {
	case "/healthz", "/readyz", "/metrics", "/static/*filepath":
		return true
	}
	return false
}

// observe gives each request an id (the proxy's X-Request-Id when sane),
// returns it in the response, carries it in the request's context (the
// enqueuer copies it into tasks) and in its logger (h.logger), then
// records the request's latency and logs one line. Routes, never paths:
// paths hold private tokens.
func (h *Handler) observe() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		id := requestIDOf(c.Request)
		c.Header(requestIDHeader, id)
		c.Request = c.Request.WithContext(tasks.WithRequestID(c.Request.Context(), id))
		log := h.Log.With(slog.String("request_id", id))
		c.Set(loggerKey, log)
		c.Next()

		d, route, status := time.Since(start), c.FullPath(), c.Writer.Status()
		h.Metrics.ObserveHTTP(route, c.Request.Method, status, d)
		level := slog.LevelInfo
		if quietRoute(route) {
			level = slog.LevelDebug
		}
		if route == "" {
			route = "unmatched"
		}
		log.LogAttrs(c.Request.Context(), level, "request",
			slog.String("method", c.Request.Method), slog.String("route", route), slog.Int("status", status),
			slog.Duration("duration", d))
	}
}

// healthz says the process is up; it checks nothing else.
func (h *Handler) healthz(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readiness is /readyz's answer: each check's word, never an error text.
type readiness struct {
	Status   string `json:"status"`
	Postgres string `json:"postgres"`
	Redis    string `json:"redis"`
	Schema   string `json:"schema"`
	// Mailbox, with INBOUND_IMAP_URL: "ok", "unreachable" (the reader
	// retries; no mail is lost) or "unknown" (not read yet). It does not
	// make the site unready: applications and emails go on without it.
	Mailbox string `json:"mailbox,omitempty"`
}

// readyz says whether this process can serve: PostgreSQL and Redis
// answer and the schema has every migration this binary knows.
func (h *Handler) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	r := readiness{Status: "ok", Postgres: "ok", Redis: "ok", Schema: "ok"}
	var pgErr, redisErr, schemaErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		db := h.Repo.DB().DB
		if pgErr = db.PingContext(ctx); pgErr != nil {
			r.Postgres, r.Schema = "unreachable", "unknown"
			return
		}
		if schemaErr = migrations.Check(ctx, db); errors.Is(schemaErr, migrations.ErrSchemaBehind) {
			r.Schema = "behind"
		} else if schemaErr != nil {
			r.Schema = "unknown"
		}
	})
	wg.Go(func() {
		if h.Redis == nil {
			r.Redis, redisErr = "unconfigured", errors.New("no Redis client")
			return
		}
		if redisErr = h.Redis.Ping(ctx).Err(); redisErr != nil {
			r.Redis = "unreachable"
		}
	})
	wg.Wait()
	if h.Config.Inbound() && pgErr == nil {
		r.Mailbox = "unknown"
		if states, err := h.Repo.InboundStates(ctx); err == nil {
			for _, st := range states {
				switch {
				case st.FailingSince != nil:
					r.Mailbox = "unreachable"
				case r.Mailbox == "unknown" && st.LastOKAt != nil:
					r.Mailbox = "ok"
				}
			}
		}
		if r.Mailbox == "unreachable" {
			h.logger(c).Warn("mailbox unreachable", "mailbox", r.Mailbox)
		}
	}
	c.Header("Cache-Control", "no-store")
	if err := errors.Join(pgErr, redisErr, schemaErr); err != nil {
		r.Status = "unavailable"
		h.logger(c).Warn("not ready", "error", err, "postgres", r.Postgres, "redis", r.Redis, "schema", r.Schema)
		c.JSON(http.StatusServiceUnavailable, r)
		return
	}
	c.JSON(http.StatusOK, r)
}

// serveMetrics answers a scraper carrying METRICS_TOKEN as a bearer token
// or a signed-in admin; a wrong token gets 401, anyone else a 404.
func (h *Handler) serveMetrics(promHandler http.Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.GetHeader("Authorization") != "" {
			if !metrics.BearerOK(c.Request, h.Config.MetricsToken) {
				c.Header("WWW-Authenticate", `Bearer realm="vivier metrics"`)
				c.String(http.StatusUnauthorized, "jeton de métriques refusé\n")
				c.Abort()
				return
			}
		} else if email := h.currentEmail(c); email == "" || !h.Config.IsAdmin(email) {
			h.notFound(c)
			return
		}
		if h.Metrics == nil {
			h.notFound(c)
			return
		}
		c.Header("Cache-Control", "no-store")
		promHandler.ServeHTTP(c.Writer, c.Request)
	}
}

// QueuesPath is where the asynq dashboard is mounted: asynqmon's RootPath.
const QueuesPath = "/admin/queues"

// serveQueues hands the request to asynqmon under its own CSP: its page
// has two inline scripts, allowed by their hashes and nothing more.
func (h *Handler) serveQueues(csp string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if h.Queues == nil {
			h.notFound(c)
			return
		}
		c.Header("Content-Security-Policy", csp)
		h.Queues.ServeHTTP(c.Writer, c.Request)
	}
}

var inlineScriptRe = regexp.MustCompile(`(?s)<script>(.*?)</script>`)

// queuesPolicy is our CSP with the hashes of the inline scripts of
// asynqmon's page added to script-src. The page is rendered once here, as
// asynqmon serves it, so an upgrade that changes the scripts changes the
// hashes too.
func (h *Handler) queuesPolicy() string {
	if h.Queues == nil {
		return contentSecurityPolicy
	}
	rec := httptest.NewRecorder()
	h.Queues.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, QueuesPath+"/", nil))
	var hashes []string
	for _, m := range inlineScriptRe.FindAllStringSubmatch(rec.Body.String(), -1) {
		sum := sha256.Sum256([]byte(m[1]))
		hashes = append(hashes, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
	}
	if len(hashes) == 0 {
		return contentSecurityPolicy
	}
	return strings.Replace(contentSecurityPolicy, "script-src 'self'", "script-src 'self' "+strings.Join(hashes, " "), 1)
}
