package assembly

import (
	"context"
	"sync"
	"time"

	"vivier/workers"
)

// Scheduler is the process of periodic jobs; only one runs.
type Scheduler struct {
	// Sweep re-enqueues the emails still pending after 30 s.
	Sweep *workers.Sweeper
	// Closing closes the postings whose closing date has passed.
	Closing *workers.ClosingScheduler
	// Retention tells applicants and contacts a month before, then erases
	// the applications past RETENTION_MONTHS.
	Retention *workers.RetentionScheduler
	// Views adds the posting views counted in Redis to PostgreSQL.
	Views *workers.ViewsFlusher
	// Digests writes the reviewers' daily digests and the contacts'
	// weekly reminders of applications waiting for an answer.
	Digests *workers.DigestScheduler
	// Reminders writes the reminders of interviews 24 hours before.
	Reminders *workers.InterviewReminders
	// Figures folds the changes behind postings' figures.
	Figures *workers.FiguresCompactor
}

// Scheduler builds the scheduler's jobs.
func (p *Process) Scheduler() *Scheduler {
	return &Scheduler{
		Sweep:   &workers.Sweeper{Repo: p.Repo, Enqueuer: p.Enqueuer, Inspector: p.Inspector, Log: p.Log, After: 30 * time.Second},
		Closing: &workers.ClosingScheduler{Repo: p.Repo, Log: p.Log, Closer: p.closer(p.Enqueuer)},
		Retention: &workers.RetentionScheduler{Repo: p.Repo, Emails: p.Emails, Config: p.Config,
			Enqueuer: p.Enqueuer, Log: p.Log},
		Views:     &workers.ViewsFlusher{Counter: p.Views, Repo: p.Repo, Log: p.Log},
		Digests:   &workers.DigestScheduler{Repo: p.Repo, Emails: p.Emails, Enqueuer: p.Enqueuer, Log: p.Log},
		Reminders: &workers.InterviewReminders{Repo: p.Repo, Emails: p.Emails, Enqueuer: p.Enqueuer, Log: p.Log},
		Figures:   &workers.FiguresCompactor{Repo: p.Repo, Log: p.Log},
	}
}

// Run runs the jobs until ctx ends: the sweep every sweepEvery, closings
// every 15 seconds, posting views, digests, interview reminders and the
// figures' totals every minute, retention every hour. It returns once
// each has finished what it was doing.
func (s *Scheduler) Run(ctx context.Context, sweepEvery time.Duration) {
	var wg sync.WaitGroup
	wg.Go(func() { s.Closing.Run(ctx, 15*time.Second) })
	wg.Go(func() { s.Retention.Run(ctx, time.Hour) })
	wg.Go(func() { s.Views.Run(ctx, time.Minute) })
	wg.Go(func() { s.Digests.Run(ctx, time.Minute) })
	wg.Go(func() { s.Reminders.Run(ctx, time.Minute) })
	wg.Go(func() { s.Figures.Run(ctx, time.Minute) })
	s.Sweep.Run(ctx, sweepEvery)
	wg.Wait()
}
