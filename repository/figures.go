package repository

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

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

// PostingFigures are a posting's figures: views, forms started and sent,
// and applications per day, applications by source and by current status. Erased applications
// count (their rows stay, anonymous), under an unknown source.
type PostingFigures struct {
	Views        []DayCount
	Started      []DayCount // application forms started
	Sent         []DayCount // application forms sent, refused ones included
	Applications []DayCount
	BySource     []SourceCount
	ByStatus     map[catalog.Status]int64
	// Reached counts, for each stage of catalog.Stages, the applications
	// that reached it or a later one (whatever they are now).
	Reached []int64
	// Medians from receipt to the first change of status, and to the
	// final decision (retained or not); nil when no application has one.
	ToFirstChange, ToDecision *time.Duration
	// Waiting counts, for each of the days asked, the applications still
	// "received" (nobody changed their status) since before that many
	// days, as the list filtered by status and "received until" shows them.
	Waiting []int64
}

// PostingFigures counts a posting's figures, days in Paris time. waitingSince
// are the instants before which an application still received counts as
// waiting, one per count of PostingFigures.Waiting.
func (r *Repo) PostingFigures(ctx context.Context, postingID int64, waitingSince []time.Time) (*PostingFigures, error) {
	f := &PostingFigures{ByStatus: map[catalog.Status]int64{}}
	days, err := r.PostingViews(ctx, postingID)
	if err != nil {
		return nil, err
	}
	for _, d := range days {
		f.Views = append(f.Views, DayCount{Day: d.Day, N: d.Views})
		f.Started = append(f.Started, DayCount{Day: d.Day, N: d.Started})
		f.Sent = append(f.Sent, DayCount{Day: d.Day, N: d.Sent})
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
	// One pass over the posting's applications and their history: the
	// furthest stage each reached, its first change of status and its
	// decision.
	var first, decision *float64
	var reached pq.Int64Array
	if err := r.db.QueryRowContext(ctx, `WITH ev AS (
			SELECT a.id, a.created_at, a.status,
				max(array_position($2::text[], e.to_status)) AS k,
				min(e.created_at) FILTER (WHERE e.kind = $3) AS first,
				min(e.created_at) FILTER (WHERE e.to_status = ANY($4)) AS decision
			FROM applications a LEFT JOIN application_events e ON e.application_id = a.id
			WHERE a.posting_id = $1 GROUP BY a.id),
		t AS MATERIALIZED (
			SELECT greatest(coalesce(array_position($2::text[], status), 1), coalesce(k, 1)) AS top,
				extract(epoch FROM first - created_at) AS first, extract(epoch FROM decision - created_at) AS decision FROM ev)
		SELECT (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY first) FROM t),
			(SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY decision) FROM t),
			ARRAY(SELECT (SELECT count(*) FROM t WHERE t.top >= s.k) FROM generate_series(1, cardinality($2::text[])) AS s(k) ORDER BY s.k)`,
		postingID, pq.Array(catalog.Stages()), EventStatusChanged, pq.Array(catalog.Decisions())).Scan(&first, &decision, &reached); err != nil {
		return nil, fmt.Errorf("stages and answer times of posting %d: %w", postingID, err)
	}
	f.Reached = reached
	f.ToFirstChange, f.ToDecision = seconds(first), seconds(decision)
	for _, since := range waitingSince {
		var n int64
		if err := r.db.GetContext(ctx, &n, `SELECT count(*) FROM applications
			WHERE posting_id = $1 AND erased_at IS NULL AND status = $2 AND created_at < $3`, postingID, catalog.StatusReceived, since); err != nil {
			return nil, fmt.Errorf("applications waiting in posting %d: %w", postingID, err)
		}
		f.Waiting = append(f.Waiting, n)
	}
	return f, nil
}

func seconds(s *float64) *time.Duration {
	if s == nil {
		return nil
	}
	d := time.Duration(*s * float64(time.Second))
	return &d
}
