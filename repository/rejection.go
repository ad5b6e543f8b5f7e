package repository

import (
	"context"
	"fmt"

	"vivier/internal/catalog"
)

// A rejection asks for a short reason, kept with the status change in the
// application's history and shown in the selection report. It is never
// sent to the applicant unless the reviewer writes it in the email.

// MaxReasonLen bounds a reason, in characters.
const MaxReasonLen = 500

// ErrReasonMissing is returned by ChangeStatus for a rejection without a reason.
var ErrReasonMissing = fmt.Errorf("a rejection needs a reason: %w", ErrConflict)

// NeedsReason reports whether a move to status asks for a reason.
func NeedsReason(to catalog.Status) bool { return to == catalog.StatusRejected }

// insertStatusEvent writes the history line of a status change, with its reason.
func insertStatusEvent(ctx context.Context, tx *Tx, appID int64, from, to catalog.Status, actor, reason string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO application_events (application_id, kind, from_status, to_status, actor, created_at, reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, appID, EventStatusChanged, from, to, actor, tx.now, reason); err != nil {
		return fmt.Errorf("insert %s event: %w", EventStatusChanged, err)
	}
	return nil
}

// eraseEvaluationWords blanks what reviewers wrote about erased
// applications (ids: a pq array): scorecards' comments and rejections'
// reasons. Marks and recommendations are scores without words and stay,
// like the statuses, for the anonymous counts and the selection report.
func eraseEvaluationWords(ctx context.Context, tx *Tx, ids any) error {
	if _, err := tx.ExecContext(ctx, `UPDATE scorecards SET comment = '' WHERE application_id = ANY($1) AND comment <> ''`, ids); err != nil {
		return fmt.Errorf("erase scorecard comments: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE application_events SET reason = '' WHERE application_id = ANY($1) AND reason <> ''`, ids); err != nil {
		return fmt.Errorf("erase reasons: %w", err)
	}
	return nil
}
