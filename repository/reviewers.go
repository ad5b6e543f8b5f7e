package repository

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"vivier/internal/catalog"
)

// IsReviewer reports whether email reviews at least one posting.
func (r *Repo) IsReviewer(ctx context.Context, email string) (bool, error) {
	var ok bool
	err := r.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM posting_reviewers WHERE email = lower($1))`, email)
	if err != nil {
		return false, fmt.Errorf("is reviewer: %w", err)
	}
	return ok, nil
}

// CanReview reports whether email reviews the posting.
func (r *Repo) CanReview(ctx context.Context, postingID int64, email string) (bool, error) {
	var ok bool
	err := r.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM posting_reviewers WHERE posting_id = $1 AND email = lower($2))`,
		postingID, email)
	if err != nil {
		return false, fmt.Errorf("can review: %w", err)
	}
	return ok, nil
}

// Reviewers lists the reviewers of a posting.
func (r *Repo) Reviewers(ctx context.Context, postingID int64) ([]string, error) {
	var emails []string
	err := r.db.SelectContext(ctx, &emails, `SELECT email FROM posting_reviewers WHERE posting_id = $1 ORDER BY email`, postingID)
	if err != nil {
		return nil, fmt.Errorf("reviewers of posting %d: %w", postingID, err)
	}
	return emails, nil
}

// Reviewer is one reviewer of a posting, as the admins' list shows it.
type Reviewer struct {
	Email string `db:"email"`
	// Contact: the posting's contact now.
	Contact bool `db:"contact"`
	// ContactUntil: the posting's contact until then, kept as a reviewer.
	ContactUntil *time.Time `db:"contact_until"`
}

// ReviewerList lists the reviewers of a posting, saying which is its
// contact and which were.
func (r *Repo) ReviewerList(ctx context.Context, postingID int64) ([]Reviewer, error) {
	var out []Reviewer
	err := r.db.SelectContext(ctx, &out, `SELECT pr.email, pr.email = lower(p.contact_email) AS contact, pr.contact_until
		FROM posting_reviewers pr JOIN postings p ON p.id = pr.posting_id
		WHERE pr.posting_id = $1 ORDER BY pr.email`, postingID)
	if err != nil {
		return nil, fmt.Errorf("reviewers of posting %d: %w", postingID, err)
	}
	return out, nil
}

// AddReviewer lets email review a posting; adding twice is harmless.
func (r *Repo) AddReviewer(ctx context.Context, postingID int64, email, by string) error {
	_, err := r.db.ExecContext(ctx, `INSERT INTO posting_reviewers (posting_id, email, added_by, created_at) VALUES ($1, lower($2), $3, $4)
		ON CONFLICT DO NOTHING`, postingID, strings.TrimSpace(email), by, r.now())
	if err != nil {
		return fmt.Errorf("add reviewer: %w", err)
	}
	return nil
}

// RemoveReviewer takes a reviewer off a posting.
func (r *Repo) RemoveReviewer(ctx context.Context, postingID int64, email string) error {
	_, err := r.db.ExecContext(ctx, `DELETE FROM posting_reviewers WHERE posting_id = $1 AND email = lower($2)`, postingID, email)
	if err != nil {
		return fmt.Errorf("remove reviewer: %w", err)
	}
	return nil
}

// PostingSummary is one line of a reviewer's postings.
type PostingSummary struct {
	Posting
	Total       int `db:"total"`
	Received    int `db:"n_received"`
	InReview    int `db:"n_in_review"`
	Shortlisted int `db:"n_shortlisted"`
	Interview   int `db:"n_interview"`
	Accepted    int `db:"n_accepted"`
	Rejected    int `db:"n_rejected"`
	Withdrawn   int `db:"n_withdrawn"`
	New         int `db:"n_new"` // received since the reviewer's last visit
}

// ReviewerPostings lists the postings email reviews (every posting for an
// admin), open ones first, with counts of applications by status.
func (r *Repo) ReviewerPostings(ctx context.Context, email string, admin bool) ([]PostingSummary, error) {
	var out []PostingSummary
	args := []any{email, admin, catalog.PostingOpen}
	var counts strings.Builder
	for _, s := range catalog.Statuses() {
		args = append(args, s)
		fmt.Fprintf(&counts, "count(a.id) FILTER (WHERE a.status = $%d) AS n_%s,\n", len(args), s)
	}
	err := r.db.SelectContext(ctx, &out, `SELECT `+prefixed("p.", postingColumns)+`,
		count(a.id) AS total,
		`+counts.String()+`
		count(a.id) FILTER (WHERE a.created_at > COALESCE(v.visited_at, '-infinity')) AS n_new
		FROM postings p
		LEFT JOIN applications a ON a.posting_id = p.id
		LEFT JOIN posting_visits v ON v.posting_id = p.id AND v.email = lower($1)
		WHERE $2 OR EXISTS (SELECT 1 FROM posting_reviewers pr WHERE pr.posting_id = p.id AND pr.email = lower($1))
		GROUP BY p.id, v.visited_at
		ORDER BY (p.status = $3) DESC, COALESCE(p.opens_at, p.created_at) DESC, p.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("reviewer postings: %w", err)
	}
	return out, nil
}

// RecordVisit notes that email has just looked at a posting's applications.
func (r *Repo) RecordVisit(ctx context.Context, postingID int64, email string) error {
	_, err := r.db.ExecContext(ctx, `INSERT INTO posting_visits (posting_id, email, visited_at) VALUES ($1, lower($2), $3)
		ON CONFLICT (posting_id, email) DO UPDATE SET visited_at = EXCLUDED.visited_at`, postingID, email, r.now())
	if err != nil {
		return fmt.Errorf("record visit: %w", err)
	}
	return nil
}

func prefixed(prefix, columns string) string {
	parts := strings.Split(columns, ",")
	for i, c := range parts {
		parts[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// CreateSignInToken stores a sign-in link's hash, valid for ttl, with the
// email that carries it, in one transaction.
func (r *Repo) CreateSignInToken(ctx context.Context, hash []byte, email string, ttl time.Duration, emails []*Email) error {
	return r.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sign_in_tokens (token_hash, email, created_at, expires_at) VALUES ($1, lower($2), $3, $4)`,
			hash, email, tx.now, tx.now.Add(ttl.Truncate(time.Second)))
		if err != nil {
			return fmt.Errorf("store sign-in token: %w", err)
		}
		return r.insertEmails(ctx, tx, emails)
	})
}

// SignInTokenUsable reports whether a sign-in link may still be used
// (known, unused, not expired), without using it.
func (r *Repo) SignInTokenUsable(ctx context.Context, hash []byte) (bool, error) {
	var ok bool
	err := r.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM sign_in_tokens
		WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2)`, hash, r.now())
	if err != nil {
		return false, fmt.Errorf("check sign-in token: %w", err)
	}
	return ok, nil
}

// ConsumeSignInToken uses a sign-in link once and returns its address.
// It returns ErrNotFound for an unknown, used or expired link.
func (r *Repo) ConsumeSignInToken(ctx context.Context, hash []byte) (string, error) {
	var email string
	err := r.db.GetContext(ctx, &email, `UPDATE sign_in_tokens SET used_at = $2
		WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING email`, hash, r.now())
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("consume sign-in token: %w", err)
	}
	return email, nil
}
