// Package metrics holds Vivier's Prometheus collectors. Each process builds
// its own Metrics on its own registry (never the global one); every method
// is safe on a nil *Metrics, so code that records metrics runs unchanged
// where nobody collects them.
package metrics

import (
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the collectors a Vivier process records into.
type Metrics struct {
	Registry     *prometheus.Registry
	httpDuration *prometheus.HistogramVec
	applications prometheus.Counter
	sendDuration *prometheus.HistogramVec
	// recordDuration is the wait after the relay answered: a worker slot
	// sends its next email only once the last one's outcome is committed,
	// so a slow database slows every email.
	recordDuration prometheus.Histogram
	// The mailbox reader (INBOUND_IMAP_URL): whether it reaches the
	// mailbox, its failures and the messages it read, by outcome.
	inboundUp       prometheus.Gauge
	inboundFailures prometheus.Counter
	inboundMessages *prometheus.CounterVec
}

// New builds the collectors on a fresh registry, with the Go runtime's and
// the process's own.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "vivier_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route (the pattern, never the path), method and status.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method", "status"}),
		applications: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vivier_applications_received_total",
			Help: "Applications stored (with their CV and emails) by this process.",
		}),
		sendDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "vivier_email_send_duration_seconds",
			Help:    "Time to hand one email to the SMTP relay, by outcome (sent, temporary, permanent).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"outcome"}),
		recordDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "vivier_email_record_duration_seconds",
			Help:    "Time to record in PostgreSQL what the SMTP relay answered for one email (sent, refused or to retry).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, 1, 5, 30},
		}),
		inboundUp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vivier_inbound_mailbox_up",
			Help: "1 while this process's mailbox reader reaches the mailbox of INBOUND_IMAP_URL, 0 while it fails.",
		}),
		inboundFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vivier_inbound_mailbox_failures_total",
			Help: "Times the mailbox reader lost or could not reach the mailbox (it retries with backoff).",
		}),
		inboundMessages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vivier_inbound_messages_total",
			Help: "Messages read from the mailbox, by outcome (stored, duplicate, dropped, unmatched).",
		}, []string{"outcome"}),
	}
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpDuration, m.applications, m.sendDuration, m.recordDuration,
		m.inboundUp, m.inboundFailures, m.inboundMessages,
	)
	return m
}

// knownMethods keeps the method label bounded: anything else is "other".
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// ObserveHTTP records one request. route must be the route's pattern
// (Gin's FullPath), "" for a request that matched none.
func (m *Metrics) ObserveHTTP(route, method string, status int, d time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "unmatched"
	}
	if !knownMethods[method] {
		method = "other"
	}
	m.httpDuration.WithLabelValues(route, method, strconv.Itoa(status)).Observe(d.Seconds())
}

// ApplicationReceived counts one stored application.
func (m *Metrics) ApplicationReceived() {
	if m == nil {
		return
	}
	m.applications.Inc()
}

// Outcomes of a send, for ObserveSend.
const (
	SendOK        = "sent"
	SendTemporary = "temporary"
	SendPermanent = "permanent"
)

// ObserveSend records how long handing one email to the relay took.
func (m *Metrics) ObserveSend(outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.sendDuration.WithLabelValues(outcome).Observe(d.Seconds())
}

// ObserveRecord records how long writing one email's outcome took.
func (m *Metrics) ObserveRecord(d time.Duration) {
	if m == nil {
		return
	}
	m.recordDuration.Observe(d.Seconds())
}

// InboundUp records whether the mailbox reader reaches the mailbox; a
// change to down counts a failure.
func (m *Metrics) InboundUp(up bool) {
	if m == nil {
		return
	}
	if up {
		m.inboundUp.Set(1)
		return
	}
	m.inboundUp.Set(0)
	m.inboundFailures.Inc()
}

// InboundMessage counts a message read from the mailbox.
func (m *Metrics) InboundMessage(outcome string) {
	if m == nil {
		return
	}
	m.inboundMessages.WithLabelValues(outcome).Inc()
}

// Register adds a collector (such as a StateCollector) to the registry.
func (m *Metrics) Register(c prometheus.Collector) error {
	if m == nil {
		return nil
	}
	return m.Registry.Register(c)
}

// Handler serves the registry in Prometheus' text format. A collector
// that fails (the database is down at scrape time) is logged and left
// out; the others are still served.
func (m *Metrics) Handler(log *slog.Logger) http.Handler {
	if m == nil {
		return http.NotFoundHandler()
	}
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{
		ErrorHandling:     promhttp.ContinueOnError,
		ErrorLog:          errorLog{log},
		Registry:          m.Registry,
		Timeout:           10 * time.Second,
		EnableOpenMetrics: false,
	})
}

// BearerOK reports whether r carries "Authorization: Bearer token". An
// empty token never matches.
func BearerOK(r *http.Request, token string) bool {
	if token == "" {
		return false
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) == 1
}

// errorLog sends promhttp's errors to slog.
type errorLog struct{ log *slog.Logger }

func (l errorLog) Println(v ...any) {
	if l.log != nil {
		l.log.Warn("metrics: a collector failed", "error", strings.TrimSpace(fmt.Sprintln(v...)))
	}
}
