package repository

import (
	"context"
	"fmt"
	"time"

	"vivier/internal/catalog"
)

// DayCount is a count on one day (Paris).
type DayCount struct {
	Day time.Time `db:"day"`
	N   int64     `db:"n"`
}

// SourceCount is how many applications came from one source ("" when
// none is known, erased applications included).
type SourceCount struct {
	Source string `db:"source"`
	N      int64  `db:"n"`
}

// PostingFigures are a posting's figures: views and applications per
// day, applications by source and by current status. Erased applications
// count (their rows stay, anonymous), under an unknown source.
type PostingFigures struct {
	Views        []DayCount
	Applications []DayCount
	BySource     []SourceCount
	ByStatus     map[catalog.Status]int64
}

// PostingFigures counts a posting's figures, days in Paris time.
func (r *Repo) PostingFigures(ctx context.Context, postingID int64) (*PostingFigures, error) {
	f := &PostingFigures{ByStatus: map[catalog.Status]int64{}}
	if err := r.db.SelectContext(ctx, &f.Views, `SELECT day, views AS n FROM posting_views WHERE posting_id = $1 ORDER BY day`, postingID); err != nil {
		return nil, fmt.Errorf("views of posting %d: %w", postingID, err)
	}
	if err := r.db.SelectContext(ctx, &f.Applications, `SELECT (created_at AT TIME ZONE 'Europe/Paris')::date AS day, count(*) AS n
		FROM applications WHERE posting_id = $1 GROUP BY 1 ORDER BY 1`, postingID); err != nil {
		return nil, fmt.Errorf("applications per day of posting %d: %w", postingID, err)
	}
	if err := r.db.SelectContext(ctx, &f.BySource, `SELECT utm_source AS source, count(*) AS n
		FROM applications WHERE posting_id = $1 GROUP BY 1 ORDER BY 2 DESC, 1`, postingID); err != nil {
		return nil, fmt.Errorf("applications by source of posting %d: %w", postingID, err)
	}
	var statuses []struct {
		Status catalog.Status `db:"status"`
		N      int64          `db:"n"`
	}
	if err := r.db.SelectContext(ctx, &statuses, `SELECT status, count(*) AS n FROM applications WHERE posting_id = $1 GROUP BY 1`, postingID); err != nil {
		return nil, fmt.Errorf("applications by status of posting %d: %w", postingID, err)
	}
	for _, s := range statuses {
		f.ByStatus[s.Status] = s.N
	}
	return f, nil
}
