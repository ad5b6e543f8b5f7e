package main

import (
	"bytes"
	"context"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"vivier/internal/catalog"
	"vivier/repository"
)

// Scenario 2: the inbox at scale. 100,000 applications on one posting,
// loaded with COPY; the list page (status filter, French search, sort)
// and the application page requested one after the other by a signed-in
// reviewer; the plans of the queries they run.

var inboxMix = statusMix{
	{catalog.StatusReceived, 30}, {catalog.StatusInReview, 25}, {catalog.StatusShortlisted, 10},
	{catalog.StatusInterview, 5}, {catalog.StatusAccepted, 3}, {catalog.StatusRejected, 22},
	{catalog.StatusWithdrawn, 5},
}

func (b *bench) scenarioInbox(ctx context.Context) error {
	const scenario = "2. The inbox at scale"
	n := b.opts.Inbox
	fmt.Printf("\n== %s: %d applications on one posting ==\n", scenario, n)
	postingID, err := b.createPosting(ctx, "coach-investigation-inbox", "Coach pour le Programme national d'investigation (boîte)")
	if err != nil {
		return err
	}
	step("scenario 2: loading applications with COPY")
	t0 := time.Now()
	if err := b.loadApplications(ctx, postingID, n, inboxMix, 0.2, 42); err != nil {
		return err
	}
	// The applications the application page opens: some of those the
	// filtered list shows, each with a 100 KB CV and its two emails.
	filter := repository.ListFilter{PostingID: postingID, Status: catalog.StatusInReview, Query: searchTerm,
		Sort: repository.SortName, Limit: 50, Reader: b.admin}
	var matching []int64
	if err := b.sql.SelectContext(ctx, &matching, `SELECT id FROM applications WHERE posting_id = $1 AND status = $2
		AND search @@ websearch_to_tsquery('vivier_fr', $3) ORDER BY id`, postingID, filter.Status, filter.Query); err != nil {
		return err
	}
	if len(matching) == 0 {
		return fmt.Errorf("no application matches the search %q", searchTerm)
	}
	r := mrand.New(mrand.NewPCG(3, 3))
	r.Shuffle(len(matching), func(i, j int) { matching[i], matching[j] = matching[j], matching[i] })
	sample := matching[:min(len(matching), 1000)]
	if err := b.loadDocuments(ctx, sample, pdf(cvSize)); err != nil {
		return err
	}
	// The reviewer has read some, and rated a few.
	if _, err := b.sql.ExecContext(ctx, `INSERT INTO application_reads (application_id, email)
		SELECT id, $2 FROM applications WHERE posting_id = $1 AND random() < 0.3`, postingID, b.admin); err != nil {
		return err
	}
	if err := b.loadScorecards(ctx, postingID, sample); err != nil {
		return err
	}
	if _, err := b.sql.ExecContext(ctx, `INSERT INTO notes (application_id, author, body)
		SELECT unnest($1::bigint[]), $2, 'Profil intéressant, à revoir avec l''équipe.'`, pq.Array(sample[:len(sample)/2]), b.admin); err != nil {
		return err
	}
	// The posting asks five questions, answered by every application.
	qrepo, _, closeQRepo, err := b.recordingRepo(false)
	if err != nil {
		return err
	}
	questions, err := b.loadQuestions(ctx, qrepo, postingID)
	closeQRepo()
	if err != nil {
		return err
	}
	// What autovacuum does after a bulk load (insert-driven vacuum,
	// PostgreSQL 13 and later): statistics, and the visibility map that
	// lets counts read the index alone.
	if _, err := b.sql.ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
		return err
	}
	loadTime := time.Since(t0)
	b.report.Setup = append(b.report.Setup, fmt.Sprintf("Scenario 2: %d applications on one posting loaded with COPY (statuses spread over the pipeline, French names, places and motivations with accents, one in five mentioning « %s »), each with its \"received\" event; %d of them (those the application page opens) with a %d KB CV and their two emails; the reviewer has read 30 %%; three reviewers filled a scorecard (four criteria) on a tenth of them and on those the application page opens; the posting asks five questions (yes/no and number shown as columns of the list, one choice, short and long text), answered by every application; then VACUUM ANALYZE, as autovacuum does after such a load. Loading took %s. Pages are requested one after the other by the signed-in admin (no concurrency); latency is to the end of the answer.",
		n, searchTerm, len(sample), cvSize>>10, loadTime.Round(100*time.Millisecond)))

	query := url.Values{"statut": {string(filter.Status)}, "q": {filter.Query}, "tri": {filter.Sort}}.Encode()
	listURL := fmt.Sprintf("%s/boite/offres/%d?%s", b.baseURL, postingID, query)
	requests := b.opts.Requests

	step("scenario 2: the list page")
	list, err := b.timePages(ctx, requests, func(int) string { return listURL }, "/boite/candidatures/")
	if err != nil {
		return fmt.Errorf("list page: %w", err)
	}
	step("scenario 2: the application page")
	app, err := b.timePages(ctx, requests, func(i int) string {
		return fmt.Sprintf("%s/boite/candidatures/%d?%s", b.baseURL, sample[i%len(sample)], query)
	}, "CV.pdf")
	if err != nil {
		return fmt.Errorf("application page: %w", err)
	}
	// The same pages reached from the list's default view (no filter).
	few := max(requests/5, 1)
	step("scenario 2: the default view")
	listAll, err := b.timePages(ctx, few, func(int) string { return fmt.Sprintf("%s/boite/offres/%d", b.baseURL, postingID) }, "/boite/candidatures/")
	if err != nil {
		return fmt.Errorf("list page, default view: %w", err)
	}
	appAll, err := b.timePages(ctx, few, func(i int) string {
		return fmt.Sprintf("%s/boite/candidatures/%d?", b.baseURL, sample[i%len(sample)])
	}, "CV.pdf")
	if err != nil {
		return fmt.Errorf("application page, default view: %w", err)
	}

	step("scenario 2: the list by mean of scorecards")
	if err := b.measureScoreList(ctx, scenario, postingID, few); err != nil {
		return err
	}

	rp := b.report
	label := fmt.Sprintf("list page (statut, q=« %s », tri=nom)", searchTerm)
	rp.add(scenario, label+" p50", ms(list.Percentile(50)), "", "", nil)
	rp.add(scenario, label+" p95", ms(list.Percentile(95)), "", "< 50 ms", check(list.Percentile(95) < 50*time.Millisecond))
	rp.add(scenario, label+" p99", ms(list.Percentile(99)), "", "", nil)
	rp.add(scenario, "application page (from that list) p50", ms(app.Percentile(50)), "", "", nil)
	rp.add(scenario, "application page (from that list) p95", ms(app.Percentile(95)), "", "< 30 ms", check(app.Percentile(95) < 30*time.Millisecond))
	rp.add(scenario, "application page (from that list) p99", ms(app.Percentile(99)), "", "", nil)
	rp.add(scenario, fmt.Sprintf("list page, no filter (%d requests) p95", few), ms(listAll.Percentile(95)), "", "< 50 ms", check(listAll.Percentile(95) < 50*time.Millisecond))
	rp.add(scenario, fmt.Sprintf("application page, no filter (%d requests) p95", few), ms(appAll.Percentile(95)), "", "< 30 ms", check(appAll.Percentile(95) < 30*time.Millisecond))

	if err := b.timeQuestionList(ctx, postingID, questions, sample, few); err != nil {
		return err
	}

	step("scenario 2: query plans")
	if err := b.explainInbox(ctx, filter, sample[0]); err != nil {
		return err
	}
	if list.Percentile(95) >= 50*time.Millisecond {
		took := map[string]string{"StatusCounts": "?", "ListApplications": "?"}
		for _, pl := range rp.Plans {
			if _, ok := took[pl.Query]; ok && pl.Page == "list page" {
				took[pl.Query] = execTime(pl.Text)
			}
		}
		var buffers string
		_ = b.sql.GetContext(ctx, &buffers, `SHOW shared_buffers`)
		unfiltered := "Without a search the counts read the index alone, and the page stayed under the target."
		if listAll.Percentile(95) >= 50*time.Millisecond {
			unfiltered = fmt.Sprintf("Without a search the counts read the index alone, yet the page took %s at p95 here.", ms(listAll.Percentile(95)))
		}
		rp.Findings = append(rp.Findings, fmt.Sprintf("**Scenario 2, list page p95 under 50 ms with a search (%s here).** The page counts the matches of each of its %d statuses. The word searched is in about one application of five, %d here: each tab's count stops past %d, but still reads those rows from the table to know their status, in pages spread over the whole table (StatusCounts took %s in its plan below, with `shared_buffers` at %s). The list itself took %s in its plan. %s",
			ms(list.Percentile(95)), len(catalog.Statuses()), n/5, repository.CountCap, took["StatusCounts"], buffers, took["ListApplications"], unfiltered))
	}
	return nil
}

// timePages requests each URL in turn and returns the latencies; every
// answer must be 200 and contain want.
func (b *bench) timePages(ctx context.Context, n int, urlOf func(i int) string, want string) (*latencies, error) {
	var lat latencies
	for i := range n {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		t0 := time.Now()
		resp, body, err := get(ctx, b.reviewer, urlOf(i))
		lat.Add(time.Since(t0))
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(want)) {
			return nil, fmt.Errorf("GET %s: status %d, %d bytes without %q", urlOf(i), resp.StatusCode, len(body), want)
		}
	}
	return &lat, nil
}

// explainInbox records the SQL the repository runs for both pages and
// adds the plans to the report.
func (b *bench) explainInbox(ctx context.Context, f repository.ListFilter, appID int64) error {
	repo, rec, closeRepo, err := b.recordingRepo(false)
	if err != nil {
		return err
	}
	defer closeRepo()
	type call struct {
		page, name string
		run        func() error
	}
	unfiltered := repository.ListFilter{PostingID: f.PostingID, Limit: 50, Reader: f.Reader}
	calls := []call{
		{"list page", "ListApplications", func() error { _, _, err := repo.ListApplications(ctx, f); return err }},
		{"list page", "StatusCounts", func() error { _, err := repo.StatusCounts(ctx, f); return err }},
		{"application page", "ApplicationByID", func() error { _, err := repo.ApplicationByID(ctx, appID); return err }},
		{"application page", "DocumentByApplication", func() error { _, err := repo.DocumentByApplication(ctx, appID); return err }},
		{"application page", "EmailsOfApplication", func() error { _, err := repo.EmailsOfApplication(ctx, appID); return err }},
		{"application page", "Events", func() error { _, err := repo.Events(ctx, appID); return err }},
		{"application page", "Neighbours (from the filtered list)", func() error { _, _, err := repo.Neighbours(ctx, f, appID); return err }},
		{"application page", "Neighbours (from the list without filter)", func() error { _, _, err := repo.Neighbours(ctx, unfiltered, appID); return err }},
	}
	for _, c := range scorecardCalls(repo, f, appID) {
		calls = append(calls, call{c.page, c.name, func() error { return c.run(ctx) }})
	}
	var plans []plan
	for _, c := range calls {
		rec.Take()
		if err := c.run(); err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		for _, q := range rec.Take() {
			verb := strings.ToUpper(strings.Fields(q.SQL)[0])
			if verb != "SELECT" && verb != "WITH" {
				continue
			}
			text, err := explain(ctx, b.sql, q)
			if err != nil {
				return err
			}
			pl := plan{Page: c.page, Query: c.name, SQL: q.SQL, Args: argsText(q.Args), Text: text, UsesIndexes: usesIndexes(text)}
			b.report.Plans = append(b.report.Plans, pl)
			plans = append(plans, pl)
			fmt.Printf("  plan %-45s %s, %s\n", c.name, execTime(text), map[bool]string{true: "indexes", false: "SEQ SCAN"}[pl.UsesIndexes])
		}
	}
	all := true
	for _, pl := range plans {
		all = all && pl.UsesIndexes
	}
	b.report.add("2. The inbox at scale", "query plans reach applications through indexes", strconv.Itoa(len(plans))+" plans",
		"", "no Seq Scan", check(all))
	return nil
}

// execTime reads "Execution Time: 1.234 ms" from a plan.
func execTime(planText string) string {
	for _, line := range strings.Split(planText, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Execution Time:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}
