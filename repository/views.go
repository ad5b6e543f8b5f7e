package repository

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// keepBatchIDs is how long the ids of flushed view batches are kept: far
// longer than a batch waits in Redis for a flush that failed.
const keepBatchIDs = 7 * 24 * time.Hour

// AddViews adds a batch of a day's view counts (posting id to views) to
// posting_views, once per batch id: a batch added already is skipped, and
// added reports false. Counts of postings that no longer exist are dropped.
func (r *Repo) AddViews(ctx context.Context, batchID, day string, counts map[int64]int64) (added bool, err error) {
	ids := make([]int64, 0, len(counts))
	views := make([]int64, 0, len(counts))
	for id, n := range counts {
		ids, views = append(ids, id), append(views, n)
	}
	err = r.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO view_batches (id, flushed_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`, batchID, tx.now)
		if err != nil {
			return fmt.Errorf("record view batch: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		added = true
		if _, err := tx.ExecContext(ctx, `INSERT INTO posting_views (posting_id, day, views)
			SELECT c.id, $1::date, c.n FROM unnest($2::bigint[], $3::bigint[]) AS c(id, n) JOIN postings p ON p.id = c.id
			ON CONFLICT (posting_id, day) DO UPDATE SET views = posting_views.views + EXCLUDED.views`,
			day, pq.Array(ids), pq.Array(views)); err != nil {
			return fmt.Errorf("add views of %s: %w", day, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM view_batches WHERE flushed_at < $1`, tx.now.Add(-keepBatchIDs)); err != nil {
			return fmt.Errorf("forget old view batches: %w", err)
		}
		return nil
	})
	return added, err
}

// DayViews is a posting's views on one day.
type DayViews struct {
	Day   time.Time `db:"day"`
	Views int64     `db:"views"`
}

// PostingViews returns a posting's views per day, oldest first.
func (r *Repo) PostingViews(ctx context.Context, postingID int64) ([]DayViews, error) {
	var out []DayViews
	if err := r.db.SelectContext(ctx, &out, `SELECT day, views FROM posting_views WHERE posting_id = $1 ORDER BY day`, postingID); err != nil {
		return nil, fmt.Errorf("views of posting %d: %w", postingID, err)
	}
	return out, nil
}
