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

// PageCounts are a posting's counts of a day: views of its page, forms
// started and sent.
type PageCounts struct {
	Views, Started, Sent int64
}

// AddViews adds a batch of a day's counts (by posting) to posting_views,
// once per batch id: a batch added already is skipped, and added reports
// false. Counts of postings that no longer exist are dropped.
func (r *Repo) AddViews(ctx context.Context, batchID, day string, counts map[int64]PageCounts) (added bool, err error) {
	ids := make([]int64, 0, len(counts))
	views := make([]int64, 0, len(counts))
	started := make([]int64, 0, len(counts))
	sent := make([]int64, 0, len(counts))
	for id, n := range counts {
		ids, views, started, sent = append(ids, id), append(views, n.Views), append(started, n.Started), append(sent, n.Sent)
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
		if _, err := tx.ExecContext(ctx, `INSERT INTO posting_views (posting_id, day, views, forms_started, forms_sent)
			SELECT c.id, $1::date, c.v, c.d, c.e FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[]) AS c(id, v, d, e)
			JOIN postings p ON p.id = c.id
			ON CONFLICT (posting_id, day) DO UPDATE SET views = posting_views.views + EXCLUDED.views,
				forms_started = posting_views.forms_started + EXCLUDED.forms_started,
				forms_sent = posting_views.forms_sent + EXCLUDED.forms_sent`,
			day, pq.Array(ids), pq.Array(views), pq.Array(started), pq.Array(sent)); err != nil {
			return fmt.Errorf("add views of %s: %w", day, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM view_batches WHERE flushed_at < $1`, tx.now.Add(-keepBatchIDs)); err != nil {
			return fmt.Errorf("forget old view batches: %w", err)
		}
		return nil
	})
	return added, err
}

// DayViews is a posting's counts on one day.
type DayViews struct {
	Day     time.Time `db:"day"`
	Views   int64     `db:"views"`
	Started int64     `db:"forms_started"`
	Sent    int64     `db:"forms_sent"`
}

// PostingViews returns a posting's counts per day, oldest first.
func (r *Repo) PostingViews(ctx context.Context, postingID int64) ([]DayViews, error) {
	var out []DayViews
	if err := r.db.SelectContext(ctx, &out, `SELECT day, views, forms_started, forms_sent FROM posting_views
		WHERE posting_id = $1 ORDER BY day`, postingID); err != nil {
		return nil, fmt.Errorf("views of posting %d: %w", postingID, err)
	}
	return out, nil
}
