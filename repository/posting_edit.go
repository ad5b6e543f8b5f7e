package repository

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/lib/pq"

	"vivier/internal/catalog"
	"vivier/internal/posting"
)

// slugAttempts bounds the retries when another posting takes the same
// slug between choosing it and inserting.
const slugAttempts = 5

// CreatePosting stores a posting written in the inbox by actor, as a
// draft: its slug comes from the title (made unique by a numeric suffix),
// its contact becomes a reviewer and its creation is recorded in its
// history. On return p holds the stored row.
func (r *Repo) CreatePosting(ctx context.Context, p *Posting, actor string) error {
	p.Status = catalog.PostingDraft
	p.SourceName, p.SourceHash = sql.NullString{}, nil
	p.Domains, p.Technos = nonNilArray(p.Domains), nonNilArray(p.Technos)
	base := posting.Slugify(p.Title)
	var err error
	for range slugAttempts {
		p.Slug = base
		err = r.inTx(ctx, func(tx *Tx) error {
			if err := insertPosting(ctx, tx, p); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE postings SET created_by = $2 WHERE id = $1`, p.ID, actor); err != nil {
				return fmt.Errorf("set author of posting %d: %w", p.ID, err)
			}
			// insertPosting added the contact as from an import; say who did.
			if _, err := tx.ExecContext(ctx, `UPDATE posting_reviewers SET added_by = $2 WHERE posting_id = $1`, p.ID, actor); err != nil {
				return fmt.Errorf("set who added the reviewers of posting %d: %w", p.ID, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO posting_events (posting_id, from_status, to_status, actor, created_at)
				VALUES ($1, '', $2, $3, $4)`, p.ID, catalog.PostingDraft, actor, tx.now); err != nil {
				return fmt.Errorf("record creation of posting %d: %w", p.ID, err)
			}
			return nil
		})
		if !isUniqueViolation(err, "postings_slug_key") {
			break
		}
	}
	return err
}

// FormerContact says what becomes of a posting's contact when an edit
// names another one.
type FormerContact int

const (
	// FormerContactKept: they stay a reviewer, shown as the former contact.
	FormerContactKept FormerContact = iota
	// FormerContactRemoved: they lose access to the posting.
	FormerContactRemoved
)

// UpdatePosting saves the fields an admin edits (title, organisation,
// contact, contract, link, dates, domains, technos, junior, body and its
// HTML) on the posting p.ID; status, slug and source are kept. A new
// contact becomes a reviewer; the previous one is kept as a reviewer
// marked as the former contact, or removed, as former says. It returns
// the previous contact when the contact changed ("" otherwise). On return
// p holds the stored row. Returns ErrNotFound when no posting has that id.
func (r *Repo) UpdatePosting(ctx context.Context, p *Posting, actor string, former FormerContact) (string, error) {
	p.Domains, p.Technos = nonNilArray(p.Domains), nonNilArray(p.Technos)
	previous := ""
	err := r.inTx(ctx, func(tx *Tx) error {
		p.UpdatedAt = tx.now
		var old string
		err := tx.GetContext(ctx, &old, `SELECT contact_email FROM postings WHERE id = $1 FOR UPDATE`, p.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("lock posting %d: %w", p.ID, err)
		}
		res, err := tx.NamedExecContext(ctx, `UPDATE postings SET title = :title, organisation = :organisation,
			contact_email = lower(:contact_email), contract = :contract, external_url = :external_url,
			opens_at = :opens_at, closes_at = :closes_at, domains = :domains, technos = :technos,
			junior = :junior, body_md = :body_md, body_html = :body_html, excerpt_html = :excerpt_html,
			updated_at = :updated_at
			WHERE id = :id`, p)
		if err != nil {
			return fmt.Errorf("update posting %d: %w", p.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if old = strings.ToLower(old); old != "" && old != strings.ToLower(p.ContactEmail) {
			previous = old
			if err := leaveContact(ctx, tx, p.ID, old, former == FormerContactRemoved); err != nil {
				return err
			}
		}
		if p.ContactEmail != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO posting_reviewers (posting_id, email, added_by, created_at)
				VALUES ($1, lower($2), $3, $4) ON CONFLICT (posting_id, email) DO UPDATE SET contact_until = NULL
				WHERE posting_reviewers.contact_until IS NOT NULL`,
				p.ID, p.ContactEmail, actor, tx.now); err != nil {
				return fmt.Errorf("add contact as reviewer of posting %d: %w", p.ID, err)
			}
		}
		if err := tx.GetContext(ctx, p, `SELECT `+postingColumns+` FROM postings WHERE id = $1`, p.ID); err != nil {
			return fmt.Errorf("reload posting %d: %w", p.ID, err)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return previous, nil
}

// leaveContact marks email, a posting's contact until now, as its former
// contact, or takes it off the posting's reviewers when remove is true.
func leaveContact(ctx context.Context, tx *Tx, postingID int64, email string, remove bool) error {
	q, args := `UPDATE posting_reviewers SET contact_until = $3 WHERE posting_id = $1 AND email = lower($2) AND contact_until IS NULL`,
		[]any{postingID, email, tx.now}
	if remove {
		q, args = `DELETE FROM posting_reviewers WHERE posting_id = $1 AND email = lower($2)`, args[:2]
	}
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("former contact of posting %d: %w", postingID, err)
	}
	return nil
}

func nonNilArray(s pq.StringArray) pq.StringArray {
	if s == nil {
		return pq.StringArray{}
	}
	return s
}
