package workers

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"vivier/internal/closing"
	"vivier/repository"
)

// ClosingScheduler closes the postings whose closing date has passed.
// Two schedulers running by mistake close a posting once: the close
// locks the posting and refuses one that is no longer open.
type ClosingScheduler struct {
	Repo   *repository.Repo
	Closer *closing.Closer
	Log    *slog.Logger
}

// RunOnce closes every posting due, and returns how many it closed.
func (s *ClosingScheduler) RunOnce(ctx context.Context) (int, error) {
	ids, err := s.Repo.PostingsDueToClose(ctx)
	if err != nil {
		return 0, err
	}
	closed := 0
	for _, id := range ids {
		p, err := s.Repo.PostingByID(ctx, id)
		if err != nil {
			return closed, err
		}
		words, err := s.Closer.DefaultWords(ctx, p)
		if err != nil {
			return closed, err
		}
		res, err := s.Closer.Close(ctx, p, repository.ActorSystem, words)
		if errors.Is(err, repository.ErrConflict) {
			continue // closed meanwhile, by hand or by another scheduler
		}
		if err != nil {
			return closed, err
		}
		closed++
		s.Log.Info("posting closed at its closing date", "posting_id", id, "round", res.Round, "written", res.Written)
	}
	return closed, nil
}

// Run closes due postings every interval until ctx ends.
func (s *ClosingScheduler) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.RunOnce(ctx); err != nil {
			s.Log.Warn("closing due postings failed; will try again", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
