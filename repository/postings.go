package repository

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"vivier/internal/catalog"
)

// Posting is a row of postings.
type Posting struct {
	ID           int64                `db:"id"`
	Slug         string               `db:"slug"`
	SourceName   sql.NullString       `db:"source_name"`
	SourceHash   []byte               `db:"source_hash"`
	Title        string               `db:"title"`
	Organisation string               `db:"organisation"`
	ContactEmail string               `db:"contact_email"`
	Contract     string               `db:"contract"`
	ExternalURL  string               `db:"external_url"`
	OpensAt      *time.Time           `db:"opens_at"`
	ClosesAt     *time.Time           `db:"closes_at"`
	Status       catalog.PostingState `db:"status"`
	Domains      pq.StringArray       `db:"domains"`
	Technos      pq.StringArray       `db:"technos"`
	Junior       bool                 `db:"junior"`
	BodyMD       string               `db:"body_md"`
	BodyHTML     string               `db:"body_html"`
	ExcerptHTML  string               `db:"excerpt_html"`
	CreatedAt    time.Time            `db:"created_at"`
	UpdatedAt    time.Time            `db:"updated_at"`
	// Questions are the posting's own questions as an imported file
	// gives them, when it gives them (HasQuestions): an import makes
	// them the posting's. Not read with the row (see Repo.Questions).
	Questions    []Question `db:"-"`
	HasQuestions bool       `db:"-"`
	// BlindUntil: reviewers see applications as numbers until they reach
	// this stage ("": not blind; see blind.go).
	BlindUntil catalog.Status `db:"blind_until"`
}

const postingColumns = `id, slug, source_name, source_hash, title, organisation, contact_email,
	contract, external_url, opens_at, closes_at, status, domains, technos, junior,
	body_md, body_html, excerpt_html, created_at, updated_at, blind_until`

// AcceptsApplications reports whether the posting takes applications at
// instant now: it must be open and its closing date, if any, not passed.
func (p *Posting) AcceptsApplications(now time.Time) bool {
	return p.Status == catalog.PostingOpen && (p.ClosesAt == nil || now.Before(*p.ClosesAt))
}

// ImportOutcome says what an import did to a posting.
type ImportOutcome string

// Import outcomes, as printed by `vivier import`.
const (
	ImportCreated   ImportOutcome = "created"
	ImportUpdated   ImportOutcome = "updated"
	ImportUnchanged ImportOutcome = "unchanged"
)

// ImportPosting creates the posting read from a file, or updates the one
// imported earlier from a file of the same name. The slug of a new posting
// is made unique by a numeric suffix; an existing posting keeps its slug.
// With dryRun, nothing is written but the outcome is reported.
func (r *Repo) ImportPosting(ctx context.Context, p *Posting, dryRun bool) (ImportOutcome, error) {
	var outcome ImportOutcome
	err := r.inTx(ctx, func(tx *Tx) error {
		var existing Posting
		err := tx.GetContext(ctx, &existing, `SELECT `+postingColumns+` FROM postings WHERE source_name = $1 FOR UPDATE`, p.SourceName)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			outcome = ImportCreated
			if dryRun {
				return nil
			}
			if err := insertPosting(ctx, tx, p); err != nil {
				return err
			}
			return importQuestions(ctx, tx, p)
		case err != nil:
			return fmt.Errorf("find posting %q: %w", p.SourceName.String, err)
		}
		if bytes.Equal(existing.SourceHash, p.SourceHash) {
			outcome = ImportUnchanged
			*p = existing
			return nil
		}
		outcome = ImportUpdated
		if dryRun {
			return nil
		}
		p.ID, p.Slug = existing.ID, existing.Slug
		p.CreatedAt, p.UpdatedAt = existing.CreatedAt, tx.now
		_, err = tx.NamedExecContext(ctx, `UPDATE postings SET source_hash = :source_hash, title = :title,
			organisation = :organisation, contact_email = :contact_email, contract = :contract,
			external_url = :external_url, opens_at = :opens_at, closes_at = :closes_at, status = :status,
			domains = :domains, technos = :technos, junior = :junior, body_md = :body_md,
			body_html = :body_html, excerpt_html = :excerpt_html, updated_at = :updated_at
			WHERE id = :id`, p)
		if err != nil {
			return fmt.Errorf("update posting %d: %w", p.ID, err)
		}
		// A file naming another contact keeps the previous one as a
		// reviewer, shown as the former contact.
		if old := strings.ToLower(existing.ContactEmail); old != "" && old != strings.ToLower(p.ContactEmail) {
			if err := leaveContact(ctx, tx, p.ID, old, false); err != nil {
				return err
			}
		}
		if err := importQuestions(ctx, tx, p); err != nil {
			return err
		}
		return addContactReviewer(ctx, tx, p)
	})
	return outcome, err
}

// addContactReviewer makes a posting's contact one of its reviewers.
func addContactReviewer(ctx context.Context, tx *Tx, p *Posting) error {
	if p.ContactEmail == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO posting_reviewers (posting_id, email, created_at) VALUES ($1, lower($2), $3)
		ON CONFLICT (posting_id, email) DO UPDATE SET contact_until = NULL
		WHERE posting_reviewers.contact_until IS NOT NULL`, p.ID, p.ContactEmail, tx.now)
	if err != nil {
		return fmt.Errorf("add contact as reviewer of posting %d: %w", p.ID, err)
	}
	return nil
}

// insertPosting inserts p with the first free slug among slug, slug-2, ...
func insertPosting(ctx context.Context, tx *Tx, p *Posting) error {
	base := p.Slug
	var taken []string
	if err := tx.SelectContext(ctx, &taken, `SELECT slug FROM postings WHERE slug = $1 OR slug LIKE $2`,
		base, base+"-%"); err != nil {
		return fmt.Errorf("list slugs: %w", err)
	}
	used := make(map[string]bool, len(taken))
	for _, s := range taken {
		used[s] = true
	}
	for n := 2; used[p.Slug]; n++ {
		p.Slug = base + "-" + strconv.Itoa(n)
	}
	p.CreatedAt, p.UpdatedAt = tx.now, tx.now
	rows, err := tx.NamedQuery(`INSERT INTO postings (slug, source_name, source_hash, title, organisation,
		contact_email, contract, external_url, opens_at, closes_at, status, domains, technos, junior,
		body_md, body_html, excerpt_html, created_at, updated_at)
		VALUES (:slug, :source_name, :source_hash, :title, :organisation, :contact_email, :contract,
		:external_url, :opens_at, :closes_at, :status, :domains, :technos, :junior, :body_md,
		:body_html, :excerpt_html, :created_at, :updated_at)
		RETURNING id, created_at, updated_at`, p)
	if err != nil {
		return fmt.Errorf("insert posting %q: %w", p.Slug, err)
	}
	if !rows.Next() {
		rows.Close()
		return fmt.Errorf("insert posting %q: no id returned", p.Slug)
	}
	err = rows.Scan(&p.ID, &p.CreatedAt, &p.UpdatedAt)
	rows.Close()
	if err != nil {
		return fmt.Errorf("insert posting %q: %w", p.Slug, err)
	}
	return addContactReviewer(ctx, tx, p)
}

// PostingBySlug returns ErrNotFound when no posting has that slug.
func (r *Repo) PostingBySlug(ctx context.Context, slug string) (*Posting, error) {
	var p Posting
	// Prepared: every public page and every application reads it.
	stmt, err := r.prepared(ctx, `SELECT `+postingColumns+` FROM postings WHERE slug = $1`)
	if err == nil {
		err = stmt.GetContext(ctx, &p, slug)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("posting %q: %w", slug, err)
	}
	return &p, nil
}

// PublicPostings lists postings in the given status (open or closed),
// newest first. Open postings past their closing date count as closed.
func (r *Repo) PublicPostings(ctx context.Context, status catalog.PostingState, now time.Time) ([]Posting, error) {
	where, args := publicOpen, []any{now, catalog.PostingOpen}
	switch status {
	case catalog.PostingOpen:
	case catalog.PostingClosed:
		where, args = publicClosed, append(args, catalog.PostingClosed)
	default:
		return nil, fmt.Errorf("public postings: bad status %q", status)
	}
	var ps []Posting
	err := r.db.SelectContext(ctx, &ps, `SELECT `+postingColumns+` FROM postings WHERE `+where+`
		ORDER BY COALESCE(opens_at, created_at) DESC, id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("public postings: %w", err)
	}
	return ps, nil
}

// publicOpen and publicClosed select the postings the public sees open
// and closed at instant $1, given the open state in $2 and the closed
// one in $3: open postings past their closing date count as closed.
const (
	publicOpen   = `status = $2 AND (closes_at IS NULL OR closes_at > $1)`
	publicClosed = `(status = $3 OR (status = $2 AND closes_at <= $1))`
)

// CountPublicPostings counts open and closed postings as PublicPostings sees them.
func (r *Repo) CountPublicPostings(ctx context.Context, now time.Time) (open, closed int, err error) {
	err = r.db.QueryRowContext(ctx, `SELECT
		count(*) FILTER (WHERE `+publicOpen+`),
		count(*) FILTER (WHERE `+publicClosed+`)
		FROM postings`, now, catalog.PostingOpen, catalog.PostingClosed).Scan(&open, &closed)
	if err != nil {
		err = fmt.Errorf("count postings: %w", err)
	}
	return open, closed, err
}

// SetPostingStatus sets the status and closing date of a posting (used by
// `vivier dev` to open the demo posting).
func (r *Repo) SetPostingStatus(ctx context.Context, id int64, status catalog.PostingState, closesAt *time.Time) error {
	res, err := r.db.ExecContext(ctx, `UPDATE postings SET status = $2, closes_at = $3, updated_at = $4 WHERE id = $1`,
		id, status, closesAt, r.now())
	if err != nil {
		return fmt.Errorf("set posting %d status: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// PostingByID returns ErrNotFound when no posting has that id.
func (r *Repo) PostingByID(ctx context.Context, id int64) (*Posting, error) {
	var p Posting
	err := r.db.GetContext(ctx, &p, `SELECT `+postingColumns+` FROM postings WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("posting %d: %w", id, err)
	}
	return &p, nil
}

// PostingBySourceName finds the posting imported from a file of that name.
func (r *Repo) PostingBySourceName(ctx context.Context, name string) (*Posting, error) {
	var p Posting
	err := r.db.GetContext(ctx, &p, `SELECT `+postingColumns+` FROM postings WHERE source_name = $1`, name)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("posting from %q: %w", name, err)
	}
	return &p, nil
}
