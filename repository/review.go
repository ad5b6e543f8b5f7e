package repository

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/lib/pq"

	"vivier/internal/catalog"
)

// ApplicationByID returns ErrNotFound when there is no such application.
func (r *Repo) ApplicationByID(ctx context.Context, id int64) (*Application, error) {
	var a Application
	err := r.db.GetContext(ctx, &a, `SELECT `+applicationColumns+` FROM applications WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("application %d: %w", id, err)
	}
	return &a, nil
}

// Note is a reviewer's note on an application.
type Note struct {
	ID            int64     `db:"id"`
	ApplicationID int64     `db:"application_id"`
	Author        string    `db:"author"`
	Body          string    `db:"body"`
	CreatedAt     time.Time `db:"created_at"`
}

// Notes lists an application's notes, oldest first.
func (r *Repo) Notes(ctx context.Context, appID int64) ([]Note, error) {
	var ns []Note
	err := r.db.SelectContext(ctx, &ns, `SELECT id, application_id, author, body, created_at FROM notes
		WHERE application_id = $1 ORDER BY created_at, id`, appID)
	if err != nil {
		return nil, fmt.Errorf("notes of application %d: %w", appID, err)
	}
	return ns, nil
}

// AddNote adds a note.
func (r *Repo) AddNote(ctx context.Context, appID int64, author, body string) error {
	_, err := r.db.ExecContext(ctx, `INSERT INTO notes (application_id, author, body, created_at) VALUES ($1, $2, $3, $4)`,
		appID, author, body, r.now())
	if err != nil {
		return fmt.Errorf("add note: %w", err)
	}
	return nil
}

// MarkRead records that reviewer has opened an application.
func (r *Repo) MarkRead(ctx context.Context, appID int64, reviewer string) error {
	_, err := r.db.ExecContext(ctx, `INSERT INTO application_reads (application_id, email, read_at) VALUES ($1, lower($2), $3)
		ON CONFLICT DO NOTHING`, appID, reviewer, r.now())
	if err != nil {
		return fmt.Errorf("mark read: %w", err)
	}
	return nil
}

// StatusChange is a reviewer's move of applications to a status, with
// the email each applicant gets (nil: none).
type StatusChange struct {
	To    catalog.Status
	Actor string
	// Reason is why, for a rejection (required then: see NeedsReason);
	// kept with the history line, never sent by itself.
	Reason string
	// EmailFor builds the email to an application's applicant, rendered
	// from its new status; it may return nil for no email.
	EmailFor func(a *Application) (*Email, error)
}

// Why a status change left an application as it was.
const (
	SkipWithdrawn  = "withdrawn"   // withdrawn by the applicant
	SkipErased     = "erased"      // its data erased
	SkipSameStatus = "same_status" // already in that status
	SkipNotFound   = "not_found"   // not an application of the posting
)

// SkippedApplication is an application a status change did not move.
type SkippedApplication struct {
	ID                  int64
	FirstName, LastName string // blank when erased or not found
	Reason              string // one of the Skip... reasons
}

// StatusChangeResult is what a status change did.
type StatusChangeResult struct {
	Emails  []*Email // written in the outbox, to enqueue
	Changed int
	Skipped []SkippedApplication // in the order of their ids
	// Revealed are the applications of a blind posting the change showed
	// as the person (see blind.go).
	Revealed []int64
}

// ChangeStatus moves applications of a posting to a status in one
// transaction: the status, the history line and the email of each.
// Withdrawn and erased applications, those already in that status and ids
// not in the posting are left out and listed, with the reason. It returns
// ErrNotFound when none of the ids is in the posting.
func (r *Repo) ChangeStatus(ctx context.Context, postingID int64, ids []int64, ch StatusChange) (StatusChangeResult, error) {
	var res StatusChangeResult
	if !ch.To.ReviewerMaySet() {
		return res, fmt.Errorf("status %q: %w", ch.To, ErrConflict)
	}
	if NeedsReason(ch.To) && ch.Reason == "" {
		return res, ErrReasonMissing
	}
	err := r.inTx(ctx, func(tx *Tx) error {
		res = StatusChangeResult{}
		var blindUntil catalog.Status
		if err := tx.GetContext(ctx, &blindUntil, `SELECT blind_until FROM postings WHERE id = $1`, postingID); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return fmt.Errorf("posting %d: %w", postingID, err)
		}
		var apps []Application
		err := tx.SelectContext(ctx, &apps, `SELECT `+applicationColumns+` FROM applications
			WHERE posting_id = $1 AND id = ANY($2) ORDER BY id FOR UPDATE`, postingID, pq.Array(ids))
		if err != nil {
			return fmt.Errorf("lock applications: %w", err)
		}
		if len(apps) == 0 {
			return ErrNotFound
		}
		found := make(map[int64]bool, len(apps))
		for i := range apps {
			a := &apps[i]
			found[a.ID] = true
			skip := ""
			switch {
			case a.ErasedAt != nil:
				skip = SkipErased
			case a.Status == catalog.StatusWithdrawn:
				skip = SkipWithdrawn
			case a.Status == ch.To:
				skip = SkipSameStatus
			}
			if skip != "" {
				sk := SkippedApplication{ID: a.ID, FirstName: a.FirstName, LastName: a.LastName, Reason: skip}
				if HidesIdentity(blindUntil, a.Status, a.RevealedAt != nil) {
					sk.FirstName, sk.LastName = "", "" // named by its number
				}
				res.Skipped = append(res.Skipped, sk)
				continue
			}
			from := a.Status
			if _, err := tx.ExecContext(ctx, `UPDATE applications SET status = $2, updated_at = $3 WHERE id = $1`, a.ID, ch.To, tx.now); err != nil {
				return fmt.Errorf("change status of application %d: %w", a.ID, err)
			}
			a.Status = ch.To
			if err := insertStatusEvent(ctx, tx, a.ID, from, ch.To, ch.Actor, ch.Reason); err != nil {
				return err
			}
			revealed, err := revealIfReached(ctx, tx, blindUntil, a, ch.Actor)
			if err != nil {
				return err
			}
			if revealed {
				res.Revealed = append(res.Revealed, a.ID)
			}
			res.Changed++
			if ch.EmailFor == nil {
				continue
			}
			e, err := ch.EmailFor(a)
			if err != nil {
				return err
			}
			if e != nil {
				res.Emails = append(res.Emails, e)
			}
		}
		for _, id := range ids {
			if !found[id] {
				found[id] = true // an id sent twice is named once
				res.Skipped = append(res.Skipped, SkippedApplication{ID: id, Reason: SkipNotFound})
			}
		}
		sort.Slice(res.Skipped, func(i, j int) bool { return res.Skipped[i].ID < res.Skipped[j].ID })
		return r.insertEmails(ctx, tx, res.Emails)
	})
	if err != nil {
		return StatusChangeResult{}, err
	}
	return res, nil
}

// CancelEmail cancels an email that has not left yet (and forgets its
// sealed link). It returns ErrConflict when it is already being sent or sent.
func (r *Repo) CancelEmail(ctx context.Context, id int64) error {
	res, err := r.db.ExecContext(ctx, `UPDATE emails SET status = 'cancelled', link_sealed = NULL, updated_at = $2
		WHERE id = $1 AND status = 'pending'`, id, r.now())
	if err != nil {
		return fmt.Errorf("cancel email %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrConflict
	}
	return nil
}

// ResendEmail writes a new copy of a failed email to the outbox. A link
// the failed one carried moves to the copy, sealed again for its row.
func (r *Repo) ResendEmail(ctx context.Context, id int64) (*Email, error) {
	var resent Email
	err := r.inTx(ctx, func(tx *Tx) error {
		var failed Email
		err := tx.GetContext(ctx, &failed, `SELECT `+emailColumns+` FROM emails
			WHERE id = $1 AND status = 'failed' AND to_address <> '' FOR UPDATE`, id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrConflict
		}
		if err != nil {
			return fmt.Errorf("resend email %d: %w", id, err)
		}
		resent = Email{Kind: failed.Kind, PostingID: failed.PostingID, ApplicationID: failed.ApplicationID,
			ToAddress: failed.ToAddress, ToName: failed.ToName, ReplyTo: failed.ReplyTo, Subject: failed.Subject,
			TextBody: failed.TextBody, HTMLBody: failed.HTMLBody}
		if len(failed.LinkSealed) > 0 {
			if r.Links == nil {
				return ErrLinkUnreadable
			}
			if resent.Token, err = r.Links.Open(failed.ID, failed.ToAddress, failed.LinkSealed); err != nil {
				return fmt.Errorf("resend email %d: %w", id, ErrLinkUnreadable)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE emails SET link_sealed = NULL WHERE id = $1`, id); err != nil {
				return fmt.Errorf("resend email %d: %w", id, err)
			}
		}
		// The files it carried (an invitation) go with the new copy.
		if err := tx.SelectContext(ctx, &resent.Attachments, `SELECT file_name, content_type, content FROM email_attachments
			WHERE email_id = $1 ORDER BY position`, id); err != nil {
			return fmt.Errorf("resend email %d: %w", id, err)
		}
		return r.insertEmails(ctx, tx, []*Email{&resent})
	})
	if err != nil {
		return nil, err
	}
	return &resent, nil
}
