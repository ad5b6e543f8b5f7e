package metrics

import (
	"context"
	"slices"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
)

// EmailCounter counts the outbox's rows by status (repository.Repo).
type EmailCounter interface {
	EmailCountsByStatus(ctx context.Context) (map[string]int, error)
}

// QueueInspector reads asynq's queues (*asynq.Inspector).
type QueueInspector interface {
	Queues() ([]string, error)
	GetQueueInfo(queue string) (*asynq.QueueInfo, error)
}

// StateCollector reads, at scrape time, what PostgreSQL and Redis hold:
// the outbox's emails by status and the tasks of each queue. The numbers
// are the same from every web process (take max(), not sum()).
type StateCollector struct {
	emails     EmailCounter
	statuses   []string
	queues     QueueInspector
	queueNames []string
	timeout    time.Duration

	emailsDesc, tasksDesc, latencyDesc *prometheus.Desc
}

// NewStateCollector reports every status in statuses and every queue in
// queueNames, at zero when there are none, so dashboards see the series.
func NewStateCollector(emails EmailCounter, statuses []string, queues QueueInspector, queueNames []string) *StateCollector {
	return &StateCollector{
		emails: emails, statuses: statuses, queues: queues, queueNames: queueNames, timeout: 5 * time.Second,
		emailsDesc: prometheus.NewDesc("vivier_emails", "Emails of the outbox by status (from PostgreSQL).",
			[]string{"status"}, nil),
		tasksDesc: prometheus.NewDesc("vivier_queue_tasks", "Tasks in each asynq queue by state (from Redis).",
			[]string{"queue", "state"}, nil),
		latencyDesc: prometheus.NewDesc("vivier_queue_latency_seconds", "How long the oldest pending task of each queue has waited.",
			[]string{"queue"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (s *StateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- s.emailsDesc
	ch <- s.tasksDesc
	ch <- s.latencyDesc
}

// Collect implements prometheus.Collector. A service that does not answer
// makes its own metrics invalid (logged by the handler), not the others.
func (s *StateCollector) Collect(ch chan<- prometheus.Metric) {
	if s.emails != nil {
		s.collectEmails(ch)
	}
	if s.queues != nil {
		s.collectQueues(ch)
	}
}

func (s *StateCollector) collectEmails(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	counts, err := s.emails.EmailCountsByStatus(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(s.emailsDesc, err)
		return
	}
	for _, st := range s.statuses {
		if _, ok := counts[st]; !ok {
			counts[st] = 0
		}
	}
	for st, n := range counts {
		ch <- prometheus.MustNewConstMetric(s.emailsDesc, prometheus.GaugeValue, float64(n), st)
	}
}

func (s *StateCollector) collectQueues(ch chan<- prometheus.Metric) {
	existing, err := s.queues.Queues()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(s.tasksDesc, err)
		return
	}
	names := slices.Clone(s.queueNames)
	for _, q := range existing {
		if !slices.Contains(names, q) {
			names = append(names, q)
		}
	}
	for _, q := range names {
		info := &asynq.QueueInfo{}
		// A queue asynq has never seen holds nothing.
		if slices.Contains(existing, q) {
			if info, err = s.queues.GetQueueInfo(q); err != nil {
				ch <- prometheus.NewInvalidMetric(s.tasksDesc, err)
				return
			}
		}
		for state, n := range map[string]int{"pending": info.Pending, "active": info.Active, "scheduled": info.Scheduled,
			"retry": info.Retry, "archived": info.Archived, "completed": info.Completed} {
			ch <- prometheus.MustNewConstMetric(s.tasksDesc, prometheus.GaugeValue, float64(n), q, state)
		}
		ch <- prometheus.MustNewConstMetric(s.latencyDesc, prometheus.GaugeValue, info.Latency.Seconds(), q)
	}
}
