package workers

import (
	"context"
	"log/slog"
	"time"

	"vivier/repository"
)

// FiguresCompactor folds the rows of changes behind postings' figures
// (added by the database's triggers with every change to an
// application) into one row per key, so that a posting's figures read a
// few rows whatever its number of applications. The figures are exact
// before and after: it only keeps them cheap to read.
type FiguresCompactor struct {
	Repo *repository.Repo
	Log  *slog.Logger
}

// Run compacts every interval until ctx ends.
func (c *FiguresCompactor) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := c.Repo.CompactFigures(ctx); err != nil && ctx.Err() == nil {
			c.Log.Warn("compacting postings' figures failed; will try again", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
