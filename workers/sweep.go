package workers

import (
	"context"
	"log/slog"
	"time"

	"vivier/repository"
	"vivier/workers/tasks"
)

// Sweeper re-enqueues outbox emails still pending after a delay: those
// whose enqueue failed (Redis down) or whose worker died. asynq refuses a
// task id already queued, so a sweep never doubles a send.
type Sweeper struct {
	Repo     *repository.Repo
	Enqueuer *tasks.Enqueuer
	Log      *slog.Logger
	// After is how long an email may stay pending before it is swept.
	After time.Duration
}

// SweepOnce enqueues every due email and returns how many it found.
func (s *Sweeper) SweepOnce(ctx context.Context) (int, error) {
	total := 0
	for {
		items, err := s.Repo.EmailsToSweep(ctx, s.After, 1000)
		if err != nil {
			return total, err
		}
		if len(items) == 0 {
			return total, nil
		}
		out := make([]tasks.Outgoing, len(items))
		ids := make([]int64, len(items))
		for i, it := range items {
			out[i] = tasks.Outgoing{ID: it.ID, Queue: tasks.QueueFor(it.Kind)}
			ids[i] = it.ID
		}
		if err := s.Enqueuer.Enqueue(ctx, out...); err != nil {
			return total, err
		}
		// Touch the rows so the next batch (and the next sweep) moves on.
		if err := s.Repo.TouchEmails(ctx, ids); err != nil {
			return total, err
		}
		total += len(ids)
		if len(ids) < 1000 {
			return total, nil
		}
	}
}

// Run sweeps every interval until ctx ends.
func (s *Sweeper) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := s.SweepOnce(ctx); err != nil {
			s.Log.Warn("outbox sweep failed; will try again", "error", err)
		} else if n > 0 {
			s.Log.Info("outbox sweep re-enqueued emails", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
