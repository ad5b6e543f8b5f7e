package workers

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/hibiken/asynq"

	"vivier/repository"
	"vivier/workers/tasks"
)

// CloseFanoutHandler enqueues, in batches, the emails a close wrote.
type CloseFanoutHandler struct {
	Repo     *repository.Repo
	Enqueuer *tasks.Enqueuer
	Log      *slog.Logger
}

// ProcessTask implements asynq.Handler for tasks.TypeCloseFanout.
func (h *CloseFanoutHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p tasks.CloseFanoutPayload
	if err := jsonUnmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("bad %s payload: %w: %w", tasks.TypeCloseFanout, err, asynq.SkipRetry)
	}
	// The emails carry the id of the request that closed the posting.
	ctx = tasks.WithRequestID(ctx, p.RequestID)
	items, err := h.Repo.PendingCloseEmails(ctx, p.PostingID)
	if err != nil {
		return err
	}
	const batch = 500
	for start := 0; start < len(items); start += batch {
		end := min(start+batch, len(items))
		out := make([]tasks.Outgoing, 0, end-start)
		for _, it := range items[start:end] {
			out = append(out, tasks.Outgoing{ID: it.ID, Queue: tasks.QueueFor(it.Kind)})
		}
		if err := h.Enqueuer.Enqueue(ctx, out...); err != nil {
			return err // retried; emails already queued are conflicts, not copies
		}
	}
	h.Log.Info("close emails enqueued", "posting_id", p.PostingID, "round", p.Round, "count", len(items))
	return nil
}
