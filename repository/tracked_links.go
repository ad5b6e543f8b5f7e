package repository

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"
)

// TrackedLink is a short link a posting's reviewers hand out on one
// channel: /l/SLUG leads to the posting with the channel as its source.
type TrackedLink struct {
	ID          int64     `db:"id"`
	PostingID   int64     `db:"posting_id"`
	Label       string    `db:"label"`
	Slug        string    `db:"slug"`
	CreatedBy   string    `db:"created_by"`
	CreatedAt   time.Time `db:"created_at"`
	PostingSlug string    `db:"posting_slug"`
}

const trackedLinkColumns = `l.id, l.posting_id, l.label, l.slug, l.created_by, l.created_at, p.slug AS posting_slug`

// ErrDuplicateLabel is a channel that already has a link for the posting
// (labels compare without letter case).
var ErrDuplicateLabel = fmt.Errorf("duplicate tracked link label: %w", ErrConflict)

// slugLen is a link's slug length: 40 random bits, in lower-case base32.
const slugLen = 8

var slugEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// CreateTrackedLink makes a link for a posting's channel, with a fresh
// random slug. Returns ErrDuplicateLabel.
func (r *Repo) CreateTrackedLink(ctx context.Context, postingID int64, label, by string) (*TrackedLink, error) {
	for attempt := 0; ; attempt++ {
		b := make([]byte, 5)
		rand.Read(b)
		l := &TrackedLink{PostingID: postingID, Label: label, Slug: slugEncoding.EncodeToString(b)[:slugLen], CreatedBy: by}
		err := r.db.QueryRowxContext(ctx, `INSERT INTO tracked_links (posting_id, label, slug, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id, created_at`, postingID, label, l.Slug, by, r.now()).Scan(&l.ID, &l.CreatedAt)
		switch {
		case err == nil:
			return l, nil
		case isUniqueViolation(err, "tracked_links_label_idx"):
			return nil, ErrDuplicateLabel
		case isUniqueViolation(err, "tracked_links_slug_key") && attempt < 3:
			continue // another link drew the same slug: draw again
		default:
			return nil, fmt.Errorf("create tracked link: %w", err)
		}
	}
}

// TrackedLinks lists a posting's links, oldest first.
func (r *Repo) TrackedLinks(ctx context.Context, postingID int64) ([]TrackedLink, error) {
	var out []TrackedLink
	err := r.db.SelectContext(ctx, &out, `SELECT `+trackedLinkColumns+` FROM tracked_links l
		JOIN postings p ON p.id = l.posting_id WHERE l.posting_id = $1 ORDER BY l.created_at, l.id`, postingID)
	if err != nil {
		return nil, fmt.Errorf("tracked links of posting %d: %w", postingID, err)
	}
	return out, nil
}

// TrackedLinkBySlug finds a link by its slug. Returns ErrNotFound.
func (r *Repo) TrackedLinkBySlug(ctx context.Context, slug string) (*TrackedLink, error) {
	var l TrackedLink
	err := r.db.GetContext(ctx, &l, `SELECT `+trackedLinkColumns+` FROM tracked_links l
		JOIN postings p ON p.id = l.posting_id WHERE l.slug = $1`, strings.ToLower(slug))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("tracked link %q: %w", slug, err)
	}
	return &l, nil
}
