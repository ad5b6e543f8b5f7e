package repository

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// PostingTemplate is a posting's own wording of one email.
type PostingTemplate struct {
	PostingID int64     `db:"posting_id"`
	Kind      string    `db:"kind"`
	Subject   string    `db:"subject"`
	Body      string    `db:"body"`
	UpdatedBy string    `db:"updated_by"`
	UpdatedAt time.Time `db:"updated_at"`
}

// PostingTemplates returns a posting's own wordings by kind.
func (r *Repo) PostingTemplates(ctx context.Context, postingID int64) (map[string]PostingTemplate, error) {
	var ts []PostingTemplate
	// Prepared: every application reads it.
	stmt, err := r.prepared(ctx, `SELECT posting_id, kind, subject, body, updated_by, updated_at
		FROM posting_templates WHERE posting_id = $1`)
	if err == nil {
		err = stmt.SelectContext(ctx, &ts, postingID)
	}
	if err != nil {
		return nil, fmt.Errorf("templates of posting %d: %w", postingID, err)
	}
	out := make(map[string]PostingTemplate, len(ts))
	for _, t := range ts {
		out[t.Kind] = t
	}
	return out, nil
}

// SavePostingTemplate stores a posting's wording of one email.
func (r *Repo) SavePostingTemplate(ctx context.Context, t PostingTemplate) error {
	_, err := r.db.ExecContext(ctx, `INSERT INTO posting_templates (posting_id, kind, subject, body, updated_by, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (posting_id, kind) DO UPDATE SET subject = EXCLUDED.subject, body = EXCLUDED.body,
		updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at`, t.PostingID, t.Kind, t.Subject, t.Body, t.UpdatedBy, r.now())
	if err != nil {
		return fmt.Errorf("save template %s of posting %d: %w", t.Kind, t.PostingID, err)
	}
	return nil
}

// DeletePostingTemplate goes back to the default wording.
func (r *Repo) DeletePostingTemplate(ctx context.Context, postingID int64, kind string) error {
	_, err := r.db.ExecContext(ctx, `DELETE FROM posting_templates WHERE posting_id = $1 AND kind = $2`, postingID, kind)
	if err != nil {
		return fmt.Errorf("delete template %s of posting %d: %w", kind, postingID, err)
	}
	return nil
}

// LatestApplication returns a posting's most recent application that
// still has its data, for previews.
func (r *Repo) LatestApplication(ctx context.Context, postingID int64) (*Application, error) {
	var a Application
	err := r.db.GetContext(ctx, &a, `SELECT `+applicationColumns+` FROM applications
		WHERE posting_id = $1 AND erased_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 1`, postingID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("latest application of posting %d: %w", postingID, err)
	}
	return &a, nil
}
