package workers

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/hibiken/asynq"

	"vivier/internal/compose"
	"vivier/repository"
	"vivier/workers/tasks"
)

// CloseFanoutHandler enqueues the emails a close wrote, as batch tasks.
type CloseFanoutHandler struct {
	Repo     *repository.Repo
	Enqueuer *tasks.Enqueuer
	Log      *slog.Logger
}

// ProcessTask implements asynq.Handler for tasks.TypeCloseFanout.
func (h *CloseFanoutHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p tasks.CloseFanoutPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("bad %s payload: %w: %w", tasks.TypeCloseFanout, err, asynq.SkipRetry)
	}
	// The emails carry the id of the request that closed the posting.
	ctx = tasks.WithRequestID(ctx, p.RequestID)
	items, err := h.Repo.PendingCloseEmails(ctx, p.PostingID, compose.CloseKinds())
	if err != nil {
		return err
	}
	byQueue := map[string][]int64{}
	for _, it := range items {
		q := compose.Kind(it.Kind).Queue()
		byQueue[q] = append(byQueue[q], it.ID)
	}
	for queue, ids := range byQueue {
		if err := h.Enqueuer.EnqueueBatches(ctx, queue, ids); err != nil {
			return err // retried; batches already queued are conflicts, not copies
		}
	}
	h.Log.Info("close emails enqueued", "posting_id", p.PostingID, "round", p.Round, "count", len(items))
	return nil
}
