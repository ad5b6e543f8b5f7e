package repository_test

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/lib/pq"

	"vivier/internal/catalog"
	"vivier/internal/frfmt"
	"vivier/repository"
)

// figuresFromScratch counts a posting's figures from its applications and
// their history, as the page did before the totals existed: the
// definition the totals must keep to.
func (e *env) figuresFromScratch(postingID int64, waitingSince []time.Time) *repository.PostingFigures {
	e.t.Helper()
	f := &repository.PostingFigures{ByStatus: map[catalog.Status]int64{}}
	if err := e.DB.Select(&f.Applications, `SELECT (created_at AT TIME ZONE 'Europe/Paris')::date AS day, count(*) AS n
		FROM applications WHERE posting_id = $1 GROUP BY 1 ORDER BY 1`, postingID); err != nil {
		e.t.Fatal(err)
	}
	if err := e.DB.Select(&f.BySource, `SELECT utm_source AS source, count(*) AS n
		FROM applications WHERE posting_id = $1 GROUP BY 1 ORDER BY 2 DESC, 1`, postingID); err != nil {
		e.t.Fatal(err)
	}
	rows, err := e.DB.Query(`SELECT status, count(*) FROM applications WHERE posting_id = $1 GROUP BY 1`, postingID)
	if err != nil {
		e.t.Fatal(err)
	}
	for rows.Next() {
		var s catalog.Status
		var n int64
		if err := rows.Scan(&s, &n); err != nil {
			e.t.Fatal(err)
		}
		f.ByStatus[s] = n
	}
	rows.Close()
	var first, decision *float64
	var reached pq.Int64Array
	if err := e.DB.QueryRow(`WITH ev AS (
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
		postingID, pq.Array(catalog.Stages()), repository.EventStatusChanged, pq.Array(catalog.Decisions())).Scan(&first, &decision, &reached); err != nil {
		e.t.Fatal(err)
	}
	f.Reached = reached
	dur := func(s *float64) *time.Duration {
		if s == nil {
			return nil
		}
		d := time.Duration(*s * float64(time.Second))
		return &d
	}
	f.ToFirstChange, f.ToDecision = dur(first), dur(decision)
	for _, since := range waitingSince {
		var n int64
		if err := e.DB.Get(&n, `SELECT count(*) FROM applications WHERE posting_id = $1 AND erased_at IS NULL
			AND status = 'received' AND created_at < $2`, postingID, since); err != nil {
			e.t.Fatal(err)
		}
		f.Waiting = append(f.Waiting, n)
	}
	return f
}

// sameFigures compares the figures the page reads (views aside) with the
// ones counted from scratch.
func (e *env) sameFigures(when string, postingID int64, waitingSince []time.Time) {
	e.t.Helper()
	got, err := e.Repo.PostingFigures(e.t.Context(), postingID, waitingSince)
	if err != nil {
		e.t.Fatalf("%s: %v", when, err)
	}
	want := e.figuresFromScratch(postingID, waitingSince)
	days := func(ds []repository.DayCount) []string {
		var out []string
		for _, d := range ds {
			out = append(out, fmt.Sprintf("%s=%d", d.Day.Format(time.DateOnly), d.N))
		}
		return out
	}
	if !slices.Equal(days(got.Applications), days(want.Applications)) {
		e.t.Errorf("%s: applications per day %v, want %v", when, days(got.Applications), days(want.Applications))
	}
	if !reflect.DeepEqual(got.BySource, want.BySource) {
		e.t.Errorf("%s: by source %v, want %v", when, got.BySource, want.BySource)
	}
	for s, n := range want.ByStatus {
		if got.ByStatus[s] != n {
			e.t.Errorf("%s: status %s: %d, want %d", when, s, got.ByStatus[s], n)
		}
	}
	for s, n := range got.ByStatus {
		if want.ByStatus[s] != n {
			e.t.Errorf("%s: status %s: %d, want %d", when, s, n, want.ByStatus[s])
		}
	}
	if !slices.Equal(got.Reached, want.Reached) {
		e.t.Errorf("%s: stages reached %v, want %v", when, got.Reached, want.Reached)
	}
	str := func(d *time.Duration) string {
		if d == nil {
			return "none"
		}
		return d.Round(time.Second).String()
	}
	if str(got.ToFirstChange) != str(want.ToFirstChange) || str(got.ToDecision) != str(want.ToDecision) {
		e.t.Errorf("%s: medians %s and %s, want %s and %s", when, str(got.ToFirstChange), str(got.ToDecision),
			str(want.ToFirstChange), str(want.ToDecision))
	}
	if !slices.Equal(got.Waiting, want.Waiting) {
		e.t.Errorf("%s: waiting %v, want %v", when, got.Waiting, want.Waiting)
	}
}

// The totals behind a posting's figures follow every change to its
// applications, however it is made (applications received, status changes
// one by one and in bulk, withdrawal and its undoing, erasure, a status
// set by a statement of its own, history written directly), and say the
// same once the scheduler has folded them.
func TestPostingFiguresTotalsFollowEveryChange(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	now := time.Date(2026, 3, 10, 23, 30, 0, 0, frfmt.Paris) // the 10th in Paris, the 11th nowhere else
	e.Repo.Now = func() time.Time { return now }
	p, other := e.openPosting(), e.openPosting()
	from := func(src string) func(*repository.Application) {
		return func(a *repository.Application) { a.UTMSource = src }
	}
	var apps []*repository.Application
	for i, src := range []string{"LinkedIn", "LinkedIn", "", "Mailing", "LinkedIn", "", "Mailing"} {
		apps = append(apps, e.apply(p, fmt.Sprint("Prénom", i), fmt.Sprint("Nom", i), from(src)))
		now = now.Add(7 * time.Hour)
	}
	e.apply(other, "Autre", "Offre", from("LinkedIn"))
	// Paris midnights, as the page asks.
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, frfmt.Paris)
	since := []time.Time{today, today.AddDate(0, 0, -1), today.AddDate(0, 0, -2)}
	e.sameFigures("received", p.ID, since)

	change := func(to catalog.Status, as ...*repository.Application) {
		t.Helper()
		now = now.Add(90 * time.Minute)
		if _, err := e.Repo.ChangeStatus(ctx, p.ID, ids(as...), repository.StatusChange{To: to, Actor: "relecteur@example.org", Reason: "Autre profil retenu"}); err != nil {
			t.Fatalf("change to %s: %v", to, err)
		}
	}
	change(catalog.StatusInReview, apps[0], apps[1], apps[2], apps[3])
	change(catalog.StatusShortlisted, apps[0], apps[1])
	change(catalog.StatusInterview, apps[0])
	change(catalog.StatusAccepted, apps[0])
	change(catalog.StatusRejected, apps[1], apps[4])
	// Back to review after a rejection: the stage reached stays.
	change(catalog.StatusInReview, apps[1])
	e.sameFigures("after status changes", p.ID, since)
	if _, err := e.Repo.CompactFigures(ctx); err != nil {
		t.Fatal(err)
	}
	e.sameFigures("compacted", p.ID, since)

	now = now.Add(time.Hour)
	if err := e.Repo.Withdraw(ctx, apps[3].ID, nil, nil); err != nil {
		t.Fatal(err)
	}
	e.sameFigures("withdrawn", p.ID, since)
	now = now.Add(time.Hour)
	if _, err := e.Repo.UndoWithdrawal(ctx, apps[3].ID, func(catalog.Status) ([]*repository.Email, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	e.sameFigures("withdrawal undone", p.ID, since)
	// Erased: its source is forgotten, it still counts.
	if err := e.Repo.Erase(ctx, apps[4].ID, "candidat·e", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.Repo.Erase(ctx, apps[5].ID, "candidat·e", nil, nil); err != nil {
		t.Fatal(err)
	}
	e.sameFigures("erased", p.ID, since)
	// A status set without history, and history written on its own.
	e.setStatus(apps[6], catalog.StatusInterview)
	e.exec(`INSERT INTO application_events (application_id, kind, from_status, to_status, actor, created_at)
		VALUES ($1, 'status_changed', 'received', 'shortlisted', 'système', $2)`, apps[2].ID, now.Add(-100*time.Hour))
	e.sameFigures("set directly", p.ID, since)
	if n, err := e.Repo.CompactFigures(ctx); err != nil || n != 1 {
		t.Fatalf("compacted %d postings (%v), want the one changed", n, err)
	}
	e.sameFigures("compacted again", p.ID, since)
	if n := e.count(`SELECT count(*) FROM posting_figure_counts WHERE NOT compacted`); n != 0 {
		t.Errorf("%d rows of changes left after compaction", n)
	}
	// The other posting kept its own.
	e.sameFigures("other posting", other.ID, since)
}

// The database's stages (the totals' triggers) are the catalogue's, in
// the same order.
func TestDatabaseStagesAreTheCatalogs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, s := range catalog.Statuses() {
		want := slices.Index(catalog.Stages(), s) + 1
		got := e.count(`SELECT coalesce(vivier_stage($1), 0)`, s)
		if got != want {
			t.Errorf("vivier_stage(%s) = %d, want %d", s, got, want)
		}
	}
}

// The medians read from the buckets' counts and the index are those of
// every wait, odd and even counts alike, waits spread over hours and days
// (the buckets change width after a week).
func TestPostingFiguresMediansAcrossBuckets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	received := time.Date(2026, 3, 1, 9, 0, 0, 0, frfmt.Paris)
	add := func(from, to int) {
		t.Helper()
		e.exec(`INSERT INTO applications (posting_id, first_name, last_name, email, location, daily_rate, days_per_week,
				available_from, motivation, consent_at, access_token_hash, created_at, updated_at)
			SELECT $1, 'Prénom', 'Nom', 'p' || i || '@example.org', 'Lyon', 500, 2, $2::timestamptz::date, 'Une motivation.',
				$2::timestamptz, sha256(('jeton ' || i)::bytea), $2::timestamptz, $2::timestamptz
			FROM generate_series($3::int, $4::int) AS i`, p.ID, received, from, to)
		// Answered i*i*977 seconds after (up to a month), decided
		// for every third, a day later.
		e.exec(`INSERT INTO application_events (application_id, kind, from_status, to_status, actor, created_at)
			SELECT a.id, 'status_changed', 'received', CASE WHEN i % 3 = 0 THEN 'rejected' ELSE 'in_review' END, 'système',
				a.created_at + i * i * 977 * interval '1 second'
			FROM applications a JOIN generate_series($2::int, $3::int) AS i ON a.email = 'p' || i || '@example.org'
			WHERE a.posting_id = $1`, p.ID, from, to)
	}
	add(1, 51)
	e.sameFigures("51 waits", p.ID, nil)
	add(52, 52)
	e.sameFigures("52 waits", p.ID, nil)
	if _, err := e.Repo.CompactFigures(t.Context()); err != nil {
		t.Fatal(err)
	}
	add(53, 60)
	e.sameFigures("60 waits, partly compacted", p.ID, nil)
}
