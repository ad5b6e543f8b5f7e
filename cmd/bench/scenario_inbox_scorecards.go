package main

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"vivier/repository"
)

// Scenario 2's scorecards: the posting's default criteria, and three
// scorecards (the admin's among them, so the application page shows the
// whole table) on a tenth of the applications and on every application
// the application page opens.

// scorecardReviewers fill the scorecards; the first is the bench's admin.
func (b *bench) scorecardReviewers() []string {
	return []string{b.admin, "relectrice@bench.vivier.localhost", "relecteur@bench.vivier.localhost"}
}

// loadScorecards writes the criteria and the scorecards with their marks,
// scores and the applications' means, as the repository computes them.
func (b *bench) loadScorecards(ctx context.Context, postingID int64, opened []int64) error {
	now := time.Now()
	for i, c := range repository.DefaultCriteria() {
		if _, err := b.sql.ExecContext(ctx, `INSERT INTO evaluation_criteria (posting_id, name, guidance, weight, position, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, postingID, c.Name, c.Guidance, c.Weight, i+1, b.admin, now); err != nil {
			return fmt.Errorf("criteria: %w", err)
		}
	}
	for _, who := range b.scorecardReviewers()[1:] {
		if _, err := b.sql.ExecContext(ctx, `INSERT INTO posting_reviewers (posting_id, email, added_by, created_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, postingID, who, b.admin, now); err != nil {
			return fmt.Errorf("reviewers: %w", err)
		}
	}
	steps := []struct{ what, sql string }{
		{"scorecards", `INSERT INTO scorecards (application_id, reviewer, recommendation, comment, score, created_at, updated_at)
			SELECT a.id, r.reviewer, 1 + floor(random() * 4), 'Expérience solide ; à comparer avec les autres profils présélectionnés.', 1, $3, $3
			FROM applications a CROSS JOIN unnest($4::text[]) AS r(reviewer)
			WHERE a.posting_id = $1 AND (random() < 0.1 OR a.id = ANY($2))`},
		{"marks", `INSERT INTO scorecard_marks (scorecard_id, criterion_id, mark)
			SELECT s.id, c.id, 1 + floor(random() * 4) FROM scorecards s JOIN applications a ON a.id = s.application_id
			JOIN evaluation_criteria c ON c.posting_id = a.posting_id WHERE a.posting_id = $1`},
		{"scores", `UPDATE scorecards s SET score = (SELECT sum(c.weight * m.mark)::float8 / sum(c.weight) FROM scorecard_marks m
			JOIN evaluation_criteria c ON c.id = m.criterion_id WHERE m.scorecard_id = s.id)
			FROM applications a WHERE a.id = s.application_id AND a.posting_id = $1`},
		{"means", `UPDATE applications a SET score_mean = x.mean, scorecard_count = x.n
			FROM (SELECT s.application_id, avg(s.score)::float8 AS mean, count(*)::int AS n FROM scorecards s
				JOIN applications b ON b.id = s.application_id WHERE b.posting_id = $1 GROUP BY s.application_id) x
			WHERE a.id = x.application_id`},
	}
	for _, s := range steps {
		var args []any
		switch s.what {
		case "scorecards":
			args = []any{postingID, pq.Array(opened), now, pq.Array(b.scorecardReviewers())}
		default:
			args = []any{postingID}
		}
		if _, err := b.sql.ExecContext(ctx, s.sql, args...); err != nil {
			return fmt.Errorf("%s: %w", s.what, err)
		}
	}
	return nil
}

// scorecardCalls are the queries of scorecards the pages run, for the plans.
func scorecardCalls(repo *repository.Repo, f repository.ListFilter, appID int64) []struct {
	page, name string
	run        func(context.Context) error
} {
	byMean := f
	byMean.Sort, byMean.Query, byMean.Status, byMean.ScoreMin = repository.SortScore, "", "", 2.5
	return []struct {
		page, name string
		run        func(context.Context) error
	}{
		{"list page", "ListApplications (by mean, mean ≥ 2.5)", func(ctx context.Context) error {
			_, _, err := repo.ListApplications(ctx, byMean)
			return err
		}},
		{"list page", "StatusCounts (mean ≥ 2.5)", func(ctx context.Context) error {
			_, err := repo.StatusCounts(ctx, byMean)
			return err
		}},
		{"application page", "Criteria", func(ctx context.Context) error { _, err := repo.Criteria(ctx, f.PostingID, true); return err }},
		{"application page", "ScorecardsOf", func(ctx context.Context) error { _, err := repo.ScorecardsOf(ctx, appID); return err }},
	}
}

// measureScoreList times the list sorted by the mean of the scorecards
// and filtered on it, and adds it to the report.
func (b *bench) measureScoreList(ctx context.Context, scenario string, postingID int64, requests int) error {
	url := fmt.Sprintf("%s/boite/offres/%d?tri=note&note_min=2,5", b.baseURL, postingID)
	lat, err := b.timePages(ctx, requests, func(int) string { return url }, "/boite/candidatures/")
	if err != nil {
		return fmt.Errorf("list page by mean: %w", err)
	}
	b.report.add(scenario, fmt.Sprintf("list page, by mean of scorecards ≥ 2,5 (%d requests) p95", requests), ms(lat.Percentile(95)),
		"", "< 50 ms", check(lat.Percentile(95) < 50*time.Millisecond))
	return nil
}
