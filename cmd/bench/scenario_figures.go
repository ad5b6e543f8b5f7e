package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"vivier/internal/frfmt"
	"vivier/repository"
)

// Scenario 4: a posting's figures at scale. 100,000 applications on one
// posting, spread over the pipeline with the history of their changes of
// status, and a million views of its page over a year; the figures page
// requested one after the other by a signed-in reviewer; the plans of the
// queries it runs.

const figuresScenario = "4. A posting's figures at scale"

func (b *bench) scenarioFigures(ctx context.Context) error {
	n, views := b.opts.Figures, b.opts.FigureViews
	fmt.Printf("\n== %s: %d applications and %d views ==\n", figuresScenario, n, views)
	postingID, err := b.createPosting(ctx, "coach-investigation-chiffres", "Coach pour le Programme national d'investigation (chiffres)")
	if err != nil {
		return err
	}
	step("scenario 4: loading applications with COPY, their history and the views")
	t0 := time.Now()
	if err := b.loadApplications(ctx, postingID, n, inboxMix, 0, 44); err != nil {
		return err
	}
	// Each application past "received" got there by a change of status,
	// some hours to some days after it arrived; a third of those shortlisted
	// or further went through review first.
	if _, err := b.sql.ExecContext(ctx, `INSERT INTO application_events (application_id, kind, from_status, to_status, actor, created_at)
		SELECT id, $2, 'received', status, $3, created_at + (id % 400) * interval '1 hour'
		FROM applications WHERE posting_id = $1 AND status NOT IN ('received', 'withdrawn')
		UNION ALL
		SELECT id, $2, 'received', 'in_review', $3, created_at + (id % 200) * interval '1 hour'
		FROM applications WHERE posting_id = $1 AND status IN ('shortlisted', 'interview', 'accepted') AND id % 3 = 0`,
		postingID, repository.EventStatusChanged, b.admin); err != nil {
		return err
	}
	// A year of views, a million in all, and forms started and sent.
	today := time.Now().In(frfmt.Paris)
	if _, err := b.sql.ExecContext(ctx, `INSERT INTO posting_views (posting_id, day, views, forms_started, forms_sent)
		SELECT $1, $2::date - d, $3 / 365 + CASE WHEN d < $3 % 365 THEN 1 ELSE 0 END, $4 / 365, $5 / 365
		FROM generate_series(0, 364) AS d`, postingID, today.Format(time.DateOnly), views, n*3, n); err != nil {
		return err
	}
	// What the scheduler does within a minute of any change.
	if _, err := b.product.Repo.CompactFigures(ctx); err != nil {
		return err
	}
	if _, err := b.sql.ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
		return err
	}
	var total int64
	if err := b.sql.GetContext(ctx, &total, `SELECT sum(views) FROM posting_views WHERE posting_id = $1`, postingID); err != nil {
		return err
	}
	b.report.Setup = append(b.report.Setup, fmt.Sprintf("Scenario 4: %d applications on one posting loaded with COPY (the inbox's mix of statuses), each with its \"received\" event and one change of status per application past \"received\" (a third of those shortlisted or further also went through review first), %d views of its page over 365 days; then the totals folded as the scheduler does every minute, and VACUUM ANALYZE. Loading took %s. The figures page (`GET /boite/offres/ID/statistiques`) is requested %d times one after the other by the signed-in admin.",
		n, total, time.Since(t0).Round(100*time.Millisecond), b.opts.Requests/5))

	page := fmt.Sprintf("%s/boite/offres/%d/statistiques", b.baseURL, postingID)
	requests := max(b.opts.Requests/5, 1)
	step("scenario 4: the figures page")
	lat, err := b.timePages(ctx, requests, func(int) string { return page }, `svg`)
	if err != nil {
		return fmt.Errorf("figures page: %w", err)
	}
	rp := b.report
	rp.add(figuresScenario, "figures page p50", ms(lat.Percentile(50)), "", "", nil)
	rp.add(figuresScenario, "figures page p95", ms(lat.Percentile(95)), "", "< 100 ms", check(lat.Percentile(95) < 100*time.Millisecond))
	rp.add(figuresScenario, "figures page p99", ms(lat.Percentile(99)), "", "", nil)

	step("scenario 4: query plans")
	repo, rec, closeRepo, err := b.recordingRepo(false)
	if err != nil {
		return err
	}
	defer closeRepo()
	midnight := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, frfmt.Paris)
	since := []time.Time{midnight.AddDate(0, 0, -6), midnight.AddDate(0, 0, -13), midnight.AddDate(0, 0, -29)}
	rec.Take()
	if _, err := repo.PostingFigures(ctx, postingID, since); err != nil {
		return err
	}
	all, plans := true, 0
	for i, q := range rec.Take() {
		text, err := explain(ctx, b.sql, q)
		if err != nil {
			return err
		}
		name := fmt.Sprintf("PostingFigures, query %d", i+1)
		pl := plan{Page: "figures page", Query: name, SQL: q.SQL, Args: argsText(q.Args), Text: text, UsesIndexes: usesIndexes(text)}
		all, plans = all && pl.UsesIndexes, plans+1
		rp.Plans = append(rp.Plans, pl)
		fmt.Printf("  plan %-45s %s, %s — %s\n", name, execTime(text), map[bool]string{true: "indexes", false: "SEQ SCAN"}[pl.UsesIndexes],
			strings.Join(strings.Fields(firstLine(q.SQL)), " "))
	}
	rp.add(figuresScenario, "query plans reach applications through indexes", fmt.Sprintf("%d plans", plans),
		"", "no Seq Scan", check(all))
	return nil
}
