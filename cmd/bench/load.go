package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"time"

	"github.com/lib/pq"

	"vivier/internal/catalog"
	"vivier/internal/compose"
	"vivier/repository"
)

// Loading many applications quickly: COPY, as a migration or an import
// from another tool would, rather than one INSERT per row.

// statusMix spreads applications over the pipeline, by weight.
type statusMix []struct {
	Status catalog.Status
	Weight int
}

func (m statusMix) pick(r *mrand.Rand) string {
	total := 0
	for _, s := range m {
		total += s.Weight
	}
	n := r.IntN(total)
	for _, s := range m {
		if n -= s.Weight; n < 0 {
			return string(s.Status)
		}
	}
	return string(m[0].Status)
}

// copyIn writes rows into table's columns with COPY, in one transaction.
func copyIn(ctx context.Context, db *sql.DB, table string, columns []string, n int, row func(i int) []any) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	quoted := make([]string, len(columns))
	for i, c := range columns {
		quoted[i] = pq.QuoteIdentifier(c)
	}
	stmt, err := tx.PrepareContext(ctx, "COPY "+pq.QuoteIdentifier(table)+" ("+strings.Join(quoted, ", ")+") FROM STDIN")
	if err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	for i := range n {
		if _, err := stmt.ExecContext(ctx, row(i)...); err != nil {
			stmt.Close()
			return fmt.Errorf("copy into %s, row %d: %w", table, i, err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		stmt.Close()
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	if err := stmt.Close(); err != nil {
		return err
	}
	return tx.Commit()
}

// loadApplications copies n applications onto a posting, with their
// "received" event. termShare is the share of motivations that mention
// the search term.
func (b *bench) loadApplications(ctx context.Context, postingID int64, n int, mix statusMix, termShare float64, seed uint64) error {
	db, err := sql.Open("postgres", b.db.URL)
	if err != nil {
		return err
	}
	defer db.Close()
	r := mrand.New(mrand.NewPCG(seed, 7))
	now := time.Now()
	prefix := fmt.Sprintf("p%d-", postingID)
	cols := []string{"posting_id", "status", "first_name", "last_name", "email", "phone", "location", "daily_rate",
		"days_per_week", "available_from", "siret", "links", "motivation", "consent_at", "access_token_hash",
		"submission_nonce", "created_at", "updated_at", "withdrawn_at"}
	err = copyIn(ctx, db, "applications", cols, n, func(i int) []any {
		p := newPerson(r, prefix, i)
		status := mix.pick(r)
		created := now.Add(-time.Duration(r.Int64N(int64(60 * 24 * time.Hour))))
		var withdrawn any
		if status == string(catalog.StatusWithdrawn) {
			withdrawn = created.Add(time.Hour)
		}
		token := make([]byte, 32)
		_, _ = rand.Read(token)
		hash := sha256.Sum256(token)
		return []any{postingID, status, p.First, p.Last, p.Email, p.Phone, p.Place, p.Rate, p.Days,
			now.AddDate(0, 0, r.IntN(90)), p.SIRET, pq.StringArray{"https://github.com/" + ascii(p.Last)},
			motivation(r, r.Float64() < termShare), created, hash[:], "", created, created, withdrawn}
	})
	if err != nil {
		return err
	}
	_, err = b.sql.ExecContext(ctx, `INSERT INTO application_events (application_id, kind, to_status, actor)
		SELECT id, $2, $3, $4 FROM applications WHERE posting_id = $1`,
		postingID, repository.EventReceived, catalog.StatusReceived, repository.ActorApplicant)
	return err
}

// loadDocuments gives a CV to each application of ids, with the two
// emails each application wrote (sent long ago).
func (b *bench) loadDocuments(ctx context.Context, ids []int64, cv []byte) error {
	db, err := sql.Open("postgres", b.db.URL)
	if err != nil {
		return err
	}
	defer db.Close()
	sum := sha256.Sum256(cv)
	err = copyIn(ctx, db, "documents", []string{"application_id", "file_name", "content_type", "size_bytes", "sha256", "content"},
		len(ids), func(i int) []any { return []any{ids[i], "CV.pdf", "application/pdf", len(cv), sum[:], cv} })
	if err != nil {
		return err
	}
	cols := []string{"kind", "posting_id", "application_id", "to_address", "to_name", "reply_to", "subject", "text_body",
		"html_body", "status", "attempts", "message_id", "sent_at"}
	type app struct {
		ID        int64  `db:"id"`
		PostingID int64  `db:"posting_id"`
		Email     string `db:"email"`
		Name      string `db:"name"`
	}
	var apps []app
	if err := b.sql.SelectContext(ctx, &apps, `SELECT id, posting_id, email, first_name || ' ' || last_name AS name
		FROM applications WHERE id = ANY($1) ORDER BY id`, pq.Array(ids)); err != nil {
		return err
	}
	text := "Bonjour,\n\nNous avons bien reçu votre candidature. Vous pouvez la suivre à tout moment.\n\n-- \nIncubateur des Territoires\n"
	html := "<p>Bonjour,</p><p>Nous avons bien reçu votre candidature. Vous pouvez la suivre à tout moment.</p>"
	return copyIn(ctx, db, "emails", cols, 2*len(apps), func(i int) []any {
		a := apps[i/2]
		kind, to := compose.Acknowledgement, a.Email
		if i%2 == 1 {
			kind, to = compose.ContactNotification, b.contact
		}
		return []any{kind, a.PostingID, a.ID, to, a.Name, b.contact, "Candidature reçue : Coach", text, html, "sent", 1,
			fmt.Sprintf("<vivier.email.old%d@bench>", i), time.Now().Add(-time.Hour)}
	})
}
