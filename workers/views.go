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

// RunOnce flushes every batch waiting, and returns how many events
// (views, forms started and sent) it added.
func (f *ViewsFlusher) RunOnce(ctx context.Context) (int64, error) {
	batches, err := f.Counter.Take(ctx)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, b := range batches {
		counts := map[int64]repository.PageCounts{}
		for k, n := range b.Counts {
			c := counts[k.PostingID]
			switch k.Kind {
			case views.View:
				c.Views += n
			case views.FormStarted:
				c.Started += n
			case views.FormSent:
				c.Sent += n
			}
			counts[k.PostingID] = c
		}
		added, err := f.Repo.AddViews(ctx, b.ID, b.Day, counts)
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
