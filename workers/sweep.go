package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"vivier/internal/compose"
	"vivier/repository"
	"vivier/workers/tasks"
)

// Sweeper re-enqueues outbox emails still pending after a delay: those
// whose enqueue failed (Redis down) or whose worker died. asynq refuses a
// task id already queued, so a sweep never doubles a send.
type Sweeper struct {
	Repo     *repository.Repo
	Enqueuer *tasks.Enqueuer
	// Inspector finds tasks asynq keeps after their end (archived after
	// the last retry, or completed), whose id would block a new enqueue.
	Inspector *asynq.Inspector
	Log       *slog.Logger
	// After is how long an email may stay pending before it is swept.
	After time.Duration
}

// SweepOnce enqueues every due email and returns how many it found.
func (s *Sweeper) SweepOnce(ctx context.Context) (int, error) {
	total := 0
	var afterID int64
	for {
		items, err := s.Repo.EmailsToSweep(ctx, s.After, afterID, 1000)
		if err != nil {
			return total, err
		}
		if len(items) == 0 {
			return total, nil
		}
		out := make([]tasks.Outgoing, len(items))
		ids := make([]int64, len(items))
		for i, it := range items {
			out[i] = tasks.Outgoing{ID: it.ID, Queue: compose.Kind(it.Kind).Queue()}
			ids[i] = it.ID
		}
		afterID = items[len(items)-1].ID
		conflicts, err := s.Enqueuer.EnqueueAll(ctx, out...)
		if err != nil {
			return total, err
		}
		if err := s.requeueEnded(ctx, conflicts); err != nil {
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

// requeueEnded enqueues again the emails whose task asynq kept after it
// ended (archived after its last retry, or completed) while the row still
// waits: the row, not the task, says whether the email is due.
func (s *Sweeper) requeueEnded(ctx context.Context, conflicts []tasks.Outgoing) error {
	if s.Inspector == nil {
		return nil
	}
	for _, o := range conflicts {
		info, err := s.Inspector.GetTaskInfo(o.Queue, tasks.EmailTaskID(o.ID))
		if errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound) {
			continue // gone meanwhile: the next sweep enqueues it
		}
		if err != nil {
			return fmt.Errorf("inspect task of email %d: %w", o.ID, err)
		}
		if info.State != asynq.TaskStateArchived && info.State != asynq.TaskStateCompleted {
			continue // queued, scheduled, retrying or running: it will be handled
		}
		if err := s.Inspector.DeleteTask(o.Queue, info.ID); err != nil && !errors.Is(err, asynq.ErrTaskNotFound) {
			return fmt.Errorf("delete ended task of email %d: %w", o.ID, err)
		}
		if err := s.Enqueuer.Enqueue(ctx, o); err != nil {
			return err
		}
		s.Log.Info("email re-enqueued after its task had ended", "email_id", o.ID, "state", info.State.String())
	}
	return nil
}
