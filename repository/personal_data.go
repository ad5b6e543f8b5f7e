package repository

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/lib/pq"
)

// PersonalData is everything held about one application, for the
// applicant's right of access.
type PersonalData struct {
	Application *Application
	Posting     *Posting
	Document    *Document // nil: no CV (or erased)
	Events      []Event
	Notes       []Note
	Scorecards  []Scorecard
	Criteria    []Criterion // the posting's, removed ones included, to name the marks
	Emails      []Email
	Audit       []AuditEntry
	// Interviews and the messages saying that no slot fits.
	Interviews []Interview
	Declines   []InterviewDecline
	// Replies are what the applicant wrote back (their automatic replies
	// included), oldest first, each with its attachments and their content.
	Replies []InboundMessage
}

// PersonalDataOf reads everything held about an application, CV content
// included, as one consistent snapshot. Returns ErrNotFound when there is
// no such application.
func (r *Repo) PersonalDataOf(ctx context.Context, appID int64) (*PersonalData, error) {
	tx, err := r.db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	d := &PersonalData{Application: &Application{}, Posting: &Posting{}}
	err = tx.GetContext(ctx, d.Application, `SELECT `+applicationColumns+` FROM applications WHERE id = $1`, appID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("application %d: %w", appID, err)
	}
	if err := tx.GetContext(ctx, d.Posting, `SELECT `+postingColumns+` FROM postings WHERE id = $1`, d.Application.PostingID); err != nil {
		return nil, fmt.Errorf("posting of application %d: %w", appID, err)
	}
	var doc Document
	err = tx.GetContext(ctx, &doc, `SELECT id, application_id, file_name, content_type, size_bytes, sha256,
		content, created_at FROM documents WHERE application_id = $1`, appID)
	switch {
	case err == nil:
		d.Document = &doc
	case !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("document of application %d: %w", appID, err)
	}
	queries := []struct {
		dest  any
		query string
	}{
		{&d.Events, `SELECT id, application_id, kind, from_status, to_status, actor, created_at, reason
			FROM application_events WHERE application_id = $1 ORDER BY created_at, id`},
		{&d.Notes, `SELECT id, application_id, author, body, created_at FROM notes
			WHERE application_id = $1 ORDER BY created_at, id`},
		{&d.Criteria, `SELECT ` + criterionColumns + ` FROM evaluation_criteria WHERE posting_id = (SELECT posting_id FROM applications WHERE id = $1) ORDER BY position, id`},
		{&d.Emails, `SELECT ` + emailColumns + ` FROM emails WHERE application_id = $1 ORDER BY created_at, id`},
		{&d.Interviews, `SELECT ` + interviewColumns + ` FROM interviews i WHERE i.application_id = $1 ORDER BY i.created_at, i.id`},
		{&d.Declines, `SELECT message, created_at FROM interview_declines WHERE application_id = $1 ORDER BY created_at, id`},
	}
	for _, q := range queries {
		if err := tx.SelectContext(ctx, q.dest, q.query, appID); err != nil {
			return nil, fmt.Errorf("personal data of application %d: %w", appID, err)
		}
	}
	if err := tx.SelectContext(ctx, &d.Replies, `SELECT `+inboundColumns+` FROM inbound_messages
		WHERE application_id = $1 AND kind = ANY($2) ORDER BY created_at, id`,
		appID, pq.Array([]string{InboundReply, InboundAutoReply})); err != nil {
		return nil, fmt.Errorf("replies of application %d: %w", appID, err)
	}
	var files []InboundAttachment
	if err := tx.SelectContext(ctx, &files, `SELECT f.id, f.inbound_id, f.file_name, f.content_type, f.size_bytes, f.sha256, f.content
		FROM inbound_attachments f JOIN inbound_messages m ON m.id = f.inbound_id
		WHERE m.application_id = $1 ORDER BY f.id`, appID); err != nil {
		return nil, fmt.Errorf("attachments of the replies of application %d: %w", appID, err)
	}
	for _, f := range files {
		for i := range d.Replies {
			if d.Replies[i].ID == f.InboundID {
				d.Replies[i].Attachments = append(d.Replies[i].Attachments, f)
			}
		}
	}
	if d.Scorecards, err = selectScorecards(ctx, tx, `s.application_id = $1`, appID); err != nil {
		return nil, err
	}
	if d.Audit, err = auditOfApplication(ctx, tx, appID, d.Application.PostingID); err != nil {
		return nil, err
	}
	return d, nil
}
