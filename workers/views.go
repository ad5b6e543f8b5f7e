package workers

import (
	"context"
	"log/slog"
	"time"

	"vivier/internal/views"
	"vivier/repository"
)

// ViewsFlusher adds the view counts waiting in Redis to PostgreSQL.
type ViewsFlusher struct {
	Counter *views.Counter
	Repo    *repository.Repo
	Log     *slog.Logger
}

// RunOnce flushes every batch waiting, and returns how many views it added.
func (f *ViewsFlusher) RunOnce(ctx context.Context) (int64, error) {
	batches, err := f.Counter.Take(ctx)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, b := range batches {
		added, err := f.Repo.AddViews(ctx, b.ID, b.Day, b.Counts)
		if err != nil {
			return total, err // the batch stays in Redis for the next run
		}
		if added {
			for _, n := range b.Counts {
				total += n
			}
		}
		if err := f.Counter.Done(ctx, b); err != nil {
			return total, err // PostgreSQL holds it: the next run only deletes it
		}
	}
	return total, nil
}

// Run flushes every interval until ctx ends.
func (f *ViewsFlusher) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := f.RunOnce(ctx); err != nil {
			f.Log.Warn("flushing posting views failed; will try again", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
