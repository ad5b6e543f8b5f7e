package repository

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"vivier/internal/catalog"
	"vivier/internal/frfmt"
)

// PeriodFigures are one posting's figures over a period (or every
// posting's, for the totals): the views of its page and its forms started
// and sent on the period's days, and the applications received in it,
// with where they stand today.
type PeriodFigures struct {
	PostingID                 int64
	Title, Slug               string
	Views, Started, Sent      int64
	Applications              int64
	BySource                  []SourceCount
	ByStatus                  map[catalog.Status]int64
	Reached                   []int64 // per stage of catalog.Stages(), as PostingFigures
	ToFirstChange, ToDecision *time.Duration
	Waiting                   []int64 // per instant of waitingSince: still received, received before it
}

// FiguresOverPeriod counts, for every posting with a view or an
// application on the days from first to last (Paris dates, both
// included), its figures over those days, and the same for all of them
// together (total, PostingID 0). Postings come by applications received,
// then title. waitingSince are instants as in PostingFigures.
func (r *Repo) FiguresOverPeriod(ctx context.Context, first, last time.Time, waitingSince []time.Time) ([]*PeriodFigures, *PeriodFigures, error) {
	from, until := parisMidnight(first), parisMidnight(last).AddDate(0, 0, 1)
	byID := map[int64]*PeriodFigures{}
	total := &PeriodFigures{ByStatus: map[catalog.Status]int64{}, Reached: make([]int64, len(catalog.Stages())),
		Waiting: make([]int64, len(waitingSince))}
	get := func(id int64) *PeriodFigures {
		f, ok := byID[id]
		if !ok {
			f = &PeriodFigures{PostingID: id, ByStatus: map[catalog.Status]int64{}, Reached: make([]int64, len(catalog.Stages())),
				Waiting: make([]int64, len(waitingSince))}
			byID[id] = f
		}
		return f
	}
	var views []struct {
		PostingID int64 `db:"posting_id"`
		Views     int64 `db:"views"`
		Started   int64 `db:"started"`
		Sent      int64 `db:"sent"`
	}
	if err := r.db.SelectContext(ctx, &views, `SELECT posting_id, sum(views) AS views, sum(forms_started) AS started,
		sum(forms_sent) AS sent FROM posting_views WHERE day >= $1::date AND day <= $2::date GROUP BY 1`,
		from.Format(time.DateOnly), parisMidnight(last).Format(time.DateOnly)); err != nil {
		return nil, nil, fmt.Errorf("views over a period: %w", err)
	}
	for _, v := range views {
		f := get(v.PostingID)
		f.Views, f.Started, f.Sent = v.Views, v.Started, v.Sent
		total.Views, total.Started, total.Sent = total.Views+v.Views, total.Started+v.Started, total.Sent+v.Sent
	}
	// The period's applications, read through each posting's index on its
	// applications' dates, counted by what they are now.
	const period = `postings p CROSS JOIN LATERAL (SELECT a.posting_id, a.status, a.utm_source, a.history_stage,
		a.answered_after, a.decided_after, a.created_at, a.erased_at FROM applications a
		WHERE a.posting_id = p.id AND a.created_at >= $1 AND a.created_at < $2) a`
	var groups []struct {
		PostingID int64          `db:"posting_id"`
		Status    catalog.Status `db:"status"`
		Source    string         `db:"source"`
		Stage     int            `db:"stage"`
		N         int64          `db:"n"`
	}
	if err := r.db.SelectContext(ctx, &groups, `SELECT a.posting_id, a.status, a.utm_source AS source,
		greatest(coalesce(vivier_stage(a.status), 1), a.history_stage) AS stage, count(*) AS n
		FROM `+period+` GROUP BY 1, 2, 3, 4`, from, until); err != nil {
		return nil, nil, fmt.Errorf("applications over a period: %w", err)
	}
	sources := map[int64]map[string]int64{}
	totalSources := map[string]int64{}
	for _, g := range groups {
		f := get(g.PostingID)
		for _, to := range []*PeriodFigures{f, total} {
			to.Applications += g.N
			to.ByStatus[g.Status] += g.N
			for i := 0; i < g.Stage && i < len(to.Reached); i++ {
				to.Reached[i] += g.N
			}
		}
		if sources[g.PostingID] == nil {
			sources[g.PostingID] = map[string]int64{}
		}
		sources[g.PostingID][g.Source] += g.N
		totalSources[g.Source] += g.N
	}
	for id, s := range sources {
		byID[id].BySource = sortedSources(s)
	}
	total.BySource = sortedSources(totalSources)
	// Medians over each posting's applications, and over all of them.
	var medians []struct {
		PostingID *int64   `db:"posting_id"`
		First     *float64 `db:"first"`
		Decision  *float64 `db:"decision"`
	}
	if err := r.db.SelectContext(ctx, &medians, `SELECT a.posting_id,
		percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM a.answered_after)) AS first,
		percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM a.decided_after)) AS decision
		FROM `+period+` GROUP BY GROUPING SETS ((a.posting_id), ())`, from, until); err != nil {
		return nil, nil, fmt.Errorf("answer times over a period: %w", err)
	}
	for _, m := range medians {
		to := total
		if m.PostingID != nil {
			to = get(*m.PostingID)
		}
		to.ToFirstChange, to.ToDecision = seconds(m.First), seconds(m.Decision)
	}
	if len(waitingSince) > 0 {
		args := []any{from, until, catalog.StatusReceived}
		cols := make([]string, len(waitingSince))
		for i, since := range waitingSince {
			args = append(args, since)
			cols[i] = "count(*) FILTER (WHERE a.created_at < $" + strconv.Itoa(len(args)) + ")"
		}
		rows, err := r.db.QueryContext(ctx, `SELECT a.posting_id, `+strings.Join(cols, ", ")+`
			FROM `+period+` WHERE a.status = $3 AND a.erased_at IS NULL GROUP BY 1`, args...)
		if err != nil {
			return nil, nil, fmt.Errorf("applications waiting over a period: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			n := make([]int64, len(waitingSince))
			dest := []any{&id}
			for i := range n {
				dest = append(dest, &n[i])
			}
			if err := rows.Scan(dest...); err != nil {
				return nil, nil, fmt.Errorf("applications waiting over a period: %w", err)
			}
			f := get(id)
			for i := range n {
				f.Waiting[i] = n[i]
				total.Waiting[i] += n[i]
			}
		}
		if err := rows.Err(); err != nil {
			return nil, nil, fmt.Errorf("applications waiting over a period: %w", err)
		}
	}
	ids := make([]int64, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	var titles []struct {
		ID    int64  `db:"id"`
		Title string `db:"title"`
		Slug  string `db:"slug"`
	}
	if err := r.db.SelectContext(ctx, &titles, `SELECT id, title, slug FROM postings WHERE id = ANY($1)`, pq.Array(ids)); err != nil {
		return nil, nil, fmt.Errorf("postings over a period: %w", err)
	}
	for _, t := range titles {
		byID[t.ID].Title, byID[t.ID].Slug = t.Title, t.Slug
	}
	out := make([]*PeriodFigures, 0, len(byID))
	for _, f := range byID {
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b *PeriodFigures) int {
		if a.Applications != b.Applications {
			return cmp.Compare(b.Applications, a.Applications)
		}
		if c := strings.Compare(a.Title, b.Title); c != 0 {
			return c
		}
		return cmp.Compare(a.PostingID, b.PostingID)
	})
	return out, total, nil
}

// sortedSources lists counts by source, most first, then by name.
func sortedSources(m map[string]int64) []SourceCount {
	out := make([]SourceCount, 0, len(m))
	for s, n := range m {
		out = append(out, SourceCount{Source: s, N: n})
	}
	slices.SortFunc(out, func(a, b SourceCount) int {
		if a.N != b.N {
			return cmp.Compare(b.N, a.N)
		}
		return strings.Compare(a.Source, b.Source)
	})
	return out
}

// seconds turns a number of seconds from SQL into a duration.
func seconds(s *float64) *time.Duration {
	if s == nil {
		return nil
	}
	d := time.Duration(*s * float64(time.Second))
	return &d
}

// parisMidnight is the start of t's day in Paris.
func parisMidnight(t time.Time) time.Time {
	t = t.In(frfmt.Paris)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, frfmt.Paris)
}
