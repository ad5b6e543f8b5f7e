package repository

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Audit actions: what the audit log records.
const (
	AuditCVOpened          = "cv_opened"
	AuditStatusChanged     = "status_changed"
	AuditNoteAdded         = "note_added"
	AuditRatingSet         = "rating_set"
	AuditReviewerAdded     = "reviewer_added"
	AuditReviewerRemoved   = "reviewer_removed"
	AuditExported          = "applications_exported"
	AuditPersonalData      = "personal_data_exported"
	AuditErased            = "application_erased"
	AuditRetentionErased   = "retention_erased"
	AuditRetentionNotified = "retention_notified"
	AuditMessageSent       = "message_sent"
	AuditAddressCorrected  = "address_corrected"
	// A posting's questions: added, changed, moved, removed in the
	// editor, or replaced by an import.
	AuditQuestionAdded     = "question_added"
	AuditQuestionChanged   = "question_changed"
	AuditQuestionMoved     = "question_moved"
	AuditQuestionRemoved   = "question_removed"
	AuditQuestionsImported = "questions_imported"
)

// questionActions are the audit actions about a posting's questions,
// which concern no applicant.
func questionActions() []string {
	return []string{AuditQuestionAdded, AuditQuestionChanged, AuditQuestionMoved, AuditQuestionRemoved, AuditQuestionsImported}
}

// AuditActions lists the actions in the order the journal's filter shows them.
func AuditActions() []string {
	return []string{AuditCVOpened, AuditStatusChanged, AuditNoteAdded, AuditRatingSet, AuditReviewerAdded,
		AuditReviewerRemoved, AuditExported, AuditPersonalData, AuditErased, AuditRetentionNotified, AuditRetentionErased,
		AuditMessageSent, AuditAddressCorrected,
		AuditScorecardSaved, AuditCriteriaChanged, AuditBlindSet, AuditRevealed, AuditReportDownloaded,
		AuditQuestionAdded, AuditQuestionChanged, AuditQuestionMoved, AuditQuestionRemoved, AuditQuestionsImported}
}

// AuditEntry is a line of the audit log.
type AuditEntry struct {
	ID            int64           `db:"id"`
	At            time.Time       `db:"at"`
	Actor         string          `db:"actor"`
	Action        string          `db:"action"`
	PostingID     *int64          `db:"posting_id"`
	ApplicationID *int64          `db:"application_id"`
	Details       json.RawMessage `db:"details"`
}

const auditColumns = `id, at, actor, action, posting_id, application_id, details`

// DetailsMap decodes the entry's details (empty when they do not decode).
func (e *AuditEntry) DetailsMap() map[string]any {
	m := map[string]any{}
	_ = json.Unmarshal(e.Details, &m)
	return m
}

// idOrNil turns 0 into NULL.
func idOrNil(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func insertAudit(ctx context.Context, q sqlx.ExecerContext, now time.Time, actor, action string, postingID, appID int64, details any) error {
	if details == nil {
		details = map[string]any{}
	}
	b, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO audit_log (actor, action, posting_id, application_id, details, at)
		VALUES ($1, $2, $3, $4, $5, $6)`, actor, action, idOrNil(postingID), idOrNil(appID), string(b), now); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// Audit records who did what, about which posting and application (0:
// none), with details encoded as JSON.
func (r *Repo) Audit(ctx context.Context, actor, action string, postingID, appID int64, details any) error {
	return insertAudit(ctx, r.db, r.now(), actor, action, postingID, appID, details)
}

// AuditFilter selects a page of the audit log, newest first. Zero values
// mean "no filter".
type AuditFilter struct {
	Actor     string // exact address (case ignored), or "candidat·e", "système"
	Action    string
	PostingID int64
	Before    int64 // keyset cursor: entries older than this id
	Limit     int
}

// AuditLog returns a page of the audit log and the cursor of the next one
// (0 on the last page).
func (r *Repo) AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, int64, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	var conds []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.Actor != "" {
		add("lower(actor) = lower(?)", strings.TrimSpace(f.Actor))
	}
	if f.Action != "" {
		add("action = ?", f.Action)
	}
	if f.PostingID != 0 {
		add("posting_id = ?", f.PostingID)
	}
	if f.Before > 0 {
		add("id < ?", f.Before)
	}
	where := "true"
	if len(conds) > 0 {
		where = strings.Join(conds, " AND ")
	}
	args = append(args, f.Limit+1)
	var out []AuditEntry
	err := r.db.SelectContext(ctx, &out, `SELECT `+auditColumns+` FROM audit_log WHERE `+where+`
		ORDER BY id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("audit log: %w", err)
	}
	var next int64
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = out[len(out)-1].ID
	}
	return out, next, nil
}

// auditOfApplication lists, oldest first, the entries about an
// application: its own, and those about its whole posting (exports,
// reviewers, retention) or a group it was in (bulk status changes).
// A group is a list of ids under "candidatures"; retention's
// "candidatures" is a count, which names no one. Changes to the posting's
// questions are left out: they are about no one's data (the answers keep
// the wording they answered).
func auditOfApplication(ctx context.Context, q sqlx.QueryerContext, appID, postingID int64) ([]AuditEntry, error) {
	var out []AuditEntry
	err := sqlx.SelectContext(ctx, q, &out, `SELECT `+auditColumns+` FROM audit_log
		WHERE application_id = $1
		   OR (posting_id = $2 AND application_id IS NULL AND action <> ALL($3)
		       AND (jsonb_typeof(details -> 'candidatures') IS DISTINCT FROM 'array'
		            OR details -> 'candidatures' @> to_jsonb($1::bigint)))
		ORDER BY id`, appID, postingID, pq.Array(questionActions()))
	if err != nil {
		return nil, fmt.Errorf("audit of application %d: %w", appID, err)
	}
	return out, nil
}

// PostingTitle is a posting's id and title, for choosers.
type PostingTitle struct {
	ID    int64  `db:"id"`
	Title string `db:"title"`
}

// PostingTitles lists every posting, newest first.
func (r *Repo) PostingTitles(ctx context.Context) ([]PostingTitle, error) {
	var out []PostingTitle
	if err := r.db.SelectContext(ctx, &out, `SELECT id, title FROM postings ORDER BY id DESC`); err != nil {
		return nil, fmt.Errorf("posting titles: %w", err)
	}
	return out, nil
}
