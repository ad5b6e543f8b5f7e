package repository

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"vivier/internal/catalog"
	"vivier/internal/frfmt"
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
// are the days (Paris midnights) before which an application still
// received counts as waiting, one per count of PostingFigures.Waiting.
// It reads the totals of migration 00029 (a few rows a day of the
// posting's life) and the middle of two indexes, never every application.
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
	// The totals the triggers of migration 00029 keep, summed by key.
	var counts []struct {
		Metric string `db:"metric"`
		Key    string `db:"key"`
		N      int64  `db:"n"`
	}
	if err := r.db.SelectContext(ctx, &counts, `SELECT metric, key, sum(n) AS n FROM posting_figure_counts
		WHERE posting_id = $1 GROUP BY 1, 2 HAVING sum(n) <> 0 ORDER BY 1, 3 DESC, 2`, postingID); err != nil {
		return nil, fmt.Errorf("figures of posting %d: %w", postingID, err)
	}
	stages := catalog.Stages()
	f.Reached = make([]int64, len(stages))
	var answered, decided []waitBucket
	var waiting []DayCount // still received, by day received
	for _, c := range counts {
		switch c.Metric {
		case "day":
			day, err := time.Parse(time.DateOnly, c.Key)
			if err != nil {
				return nil, fmt.Errorf("figures of posting %d: day %q: %w", postingID, c.Key, err)
			}
			f.Applications = append(f.Applications, DayCount{Day: day, N: c.N})
		case "source":
			f.BySource = append(f.BySource, SourceCount{Source: c.Key, N: c.N})
		case "status":
			f.ByStatus[catalog.Status(c.Key)] = c.N
		case "stage":
			// Reached a stage: furthest there or further on.
			if k, err := strconv.Atoi(c.Key); err == nil && k >= 1 && k <= len(stages) {
				for i := range k {
					f.Reached[i] += c.N
				}
			}
		case "waiting":
			day, err := time.Parse(time.DateOnly, c.Key)
			if err != nil {
				return nil, fmt.Errorf("figures of posting %d: day %q: %w", postingID, c.Key, err)
			}
			waiting = append(waiting, DayCount{Day: day, N: c.N})
		case "answered", "decided":
			start, err := strconv.ParseInt(c.Key, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("figures of posting %d: %s bucket %q: %w", postingID, c.Metric, c.Key, err)
			}
			if c.Metric == "answered" {
				answered = append(answered, waitBucket{start, c.N})
			} else {
				decided = append(decided, waitBucket{start, c.N})
			}
		}
	}
	slices.SortFunc(f.Applications, func(a, b DayCount) int { return a.Day.Compare(b.Day) })
	if f.ToFirstChange, err = r.medianWait(ctx, postingID, "answered_after", answered); err != nil {
		return nil, err
	}
	if f.ToDecision, err = r.medianWait(ctx, postingID, "decided_after", decided); err != nil {
		return nil, err
	}
	// Still "received" and received before each day asked.
	f.Waiting = make([]int64, len(waitingSince))
	for i, since := range waitingSince {
		before := since.In(frfmt.Paris).Format(time.DateOnly)
		for _, d := range waiting {
			if d.Day.Format(time.DateOnly) < before {
				f.Waiting[i] += d.N
			}
		}
	}
	return f, nil
}

// waitBucket is how many of a posting's waits fall in the bucket that
// starts Start seconds after receipt (vivier_wait_bucket).
type waitBucket struct{ Start, N int64 }

// medianWait is the median of a posting's column (answered_after or
// decided_after), as percentile_cont(0.5) gives it: the middle value, or
// the mean of the middle two. The buckets' counts say where the middle
// is; the column's index is read from the start of that bucket only.
func (r *Repo) medianWait(ctx context.Context, postingID int64, column string, buckets []waitBucket) (*time.Duration, error) {
	slices.SortFunc(buckets, func(a, b waitBucket) int { return cmp.Compare(a.Start, b.Start) })
	var n int64
	for _, b := range buckets {
		n += b.N
	}
	if n <= 0 {
		return nil, nil
	}
	// The first middle value's rank (from 0), and how many to read: the
	// next one in the index is the second middle value when n is even.
	rank, count := (n-1)/2, 2-n%2
	var before int64
	var start int64
	for _, b := range buckets {
		if before+b.N > rank {
			start = b.Start
			break
		}
		before += b.N
	}
	var s *float64
	if err := r.db.GetContext(ctx, &s, `SELECT avg(extract(epoch FROM w)) FROM (SELECT `+column+` AS w FROM applications
		WHERE posting_id = $1 AND `+column+` >= make_interval(secs => $2) ORDER BY `+column+` OFFSET $3 LIMIT $4) m`,
		postingID, start, rank-before, count); err != nil {
		return nil, fmt.Errorf("median %s of posting %d: %w", column, postingID, err)
	}
	if s == nil {
		return nil, nil
	}
	d := time.Duration(*s * float64(time.Second))
	return &d, nil
}

// CompactFigures folds the rows of changes the triggers added to
// posting_figure_counts into one row per posting, metric and key. Rows
// added meanwhile by other transactions stay for the next run. It returns
// how many postings it compacted.
func (r *Repo) CompactFigures(ctx context.Context) (int64, error) {
	var n int64
	err := r.db.GetContext(ctx, &n, `WITH p AS (SELECT DISTINCT posting_id FROM posting_figure_counts WHERE NOT compacted),
		gone AS (DELETE FROM posting_figure_counts c USING p WHERE c.posting_id = p.posting_id
			RETURNING c.posting_id, c.metric, c.key, c.n),
		kept AS (INSERT INTO posting_figure_counts (posting_id, metric, key, n, compacted)
			SELECT posting_id, metric, key, sum(n), true FROM gone GROUP BY 1, 2, 3 HAVING sum(n) <> 0)
		SELECT count(*) FROM p`)
	if err != nil {
		return 0, fmt.Errorf("compact figures: %w", err)
	}
	return n, nil
}
