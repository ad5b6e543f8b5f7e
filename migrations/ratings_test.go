package migrations_test

import (
	"context"
	"testing"

	"github.com/pressly/goose/v3"

	"vivier/internal/testkit"
	"vivier/migrations"
)

// The ratings of 1 to 4 written before scorecards became their overall
// recommendation (migration 00018), and those an older binary wrote after
// it, before it was replaced, are carried over when the table goes
// (00032): none is lost, none is counted twice, and each application's
// mean and count of scorecards take them in.
func TestRatingsBecomeScorecardsBeforeTheTableGoes(t *testing.T) {
	t.Parallel()
	db, _ := testkit.DB(t)
	ctx := context.Background()
	p, err := goose.NewProvider(goose.DialectPostgres, db.DB, migrations.Files)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 17); err != nil {
		t.Fatal(err)
	}
	var posting, first, second int64
	db.QueryRow(`INSERT INTO postings (slug, title, organisation, contact_email, status) VALUES ('coach', 'Coach', 'ANCT', 'lea@anct.gouv.fr', 'open') RETURNING id`).Scan(&posting)
	apply := func(email string) (id int64) {
		t.Helper()
		if err := db.QueryRow(`INSERT INTO applications (posting_id, first_name, last_name, email, location, daily_rate, days_per_week,
			available_from, motivation, consent_at, access_token_hash)
			VALUES ($1, 'Camille', 'Durand', $2, 'Brest', 500, 2, '2025-01-01', 'Une motivation', now(), sha256(convert_to($2, 'UTF8')))
			RETURNING id`, posting, email).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	first, second = apply("camille@example.org"), apply("dominique@example.org")
	db.MustExec(`INSERT INTO ratings (application_id, reviewer, score) VALUES ($1, 'lea@anct.gouv.fr', 3), ($1, 'paul@anct.gouv.fr', 4)`, first)
	if _, err := p.UpTo(ctx, 18); err != nil {
		t.Fatal(err)
	}
	// An older binary rates once more after 00018.
	db.MustExec(`INSERT INTO ratings (application_id, reviewer, score) VALUES ($1, 'lea@anct.gouv.fr', 1)`, second)
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	var left int
	db.Get(&left, `SELECT count(*) FROM pg_tables WHERE tablename = 'ratings'`)
	if left != 0 {
		t.Errorf("the ratings table is still there")
	}
	type app struct {
		ID    int64   `db:"id"`
		Mean  float64 `db:"score_mean"`
		Count int     `db:"scorecard_count"`
		Cards int     `db:"cards"`
	}
	var got []app
	if err := db.Select(&got, `SELECT a.id, a.score_mean, a.scorecard_count, (SELECT count(*) FROM scorecards s WHERE s.application_id = a.id) AS cards
		FROM applications a ORDER BY a.id`); err != nil {
		t.Fatal(err)
	}
	want := []app{{first, 3.5, 2, 2}, {second, 1, 1, 1}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("applications after the migrations: %+v, want %+v", got, want)
	}
}
