package repository

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"vivier/internal/catalog"
)

// Interview errors, each a conflict with what is stored.
var (
	// ErrSlotTaken: another applicant picked the slot first.
	ErrSlotTaken = fmt.Errorf("slot taken: %w", ErrConflict)
	// ErrSlotPast: the slot's time has passed.
	ErrSlotPast = fmt.Errorf("slot past: %w", ErrConflict)
	// ErrInterviewBooked: the application has an interview booked already.
	ErrInterviewBooked = fmt.Errorf("interview already booked: %w", ErrConflict)
)

// Application events of interviews.
const (
	EventInterviewProposed  = "interview_proposed"
	EventInterviewBooked    = "interview_booked"
	EventInterviewMoved     = "interview_moved"
	EventInterviewCancelled = "interview_cancelled"
	EventInterviewNoneFits  = "interview_none_fits"
)

// InterviewSlot is a time a reviewer offers for an interview: to one
// application, or (ApplicationID nil) to every applicant of its posting
// in interview.
type InterviewSlot struct {
	ID            int64                 `db:"id"`
	PostingID     int64                 `db:"posting_id"`
	ApplicationID *int64                `db:"application_id"`
	StartsAt      time.Time             `db:"starts_at"`
	Minutes       int                   `db:"minutes"`
	Mode          catalog.InterviewMode `db:"mode"`
	Place         string                `db:"place"`
	Attendees     pq.StringArray        `db:"attendees"`
	CreatedBy     string                `db:"created_by"`
	CreatedAt     time.Time             `db:"created_at"`
	// Taken is true when an interview is booked on it.
	Taken bool `db:"taken"`
}

// EndsAt is when the slot ends.
func (s *InterviewSlot) EndsAt() time.Time {
	return s.StartsAt.Add(time.Duration(s.Minutes) * time.Minute)
}

const slotColumns = `s.id, s.posting_id, s.application_id, s.starts_at, s.minutes, s.mode, s.place, s.attendees,
	s.created_by, s.created_at`

// Interview is a slot an applicant picked, as it stands now.
type Interview struct {
	ID            int64                  `db:"id"`
	PostingID     int64                  `db:"posting_id"`
	ApplicationID int64                  `db:"application_id"`
	SlotID        int64                  `db:"slot_id"`
	UID           string                 `db:"uid"`
	Sequence      int                    `db:"sequence"`
	State         catalog.InterviewState `db:"state"`
	StartsAt      time.Time              `db:"starts_at"`
	Minutes       int                    `db:"minutes"`
	Mode          catalog.InterviewMode  `db:"mode"`
	Place         string                 `db:"place"`
	Attendees     pq.StringArray         `db:"attendees"`
	CancelledBy   string                 `db:"cancelled_by"`
	RemindedAt    *time.Time             `db:"reminded_at"`
	CreatedAt     time.Time              `db:"created_at"`
	UpdatedAt     time.Time              `db:"updated_at"`
}

// EndsAt is when the interview ends.
func (iv *Interview) EndsAt() time.Time {
	return iv.StartsAt.Add(time.Duration(iv.Minutes) * time.Minute)
}

const interviewColumns = `i.id, i.posting_id, i.application_id, i.slot_id, i.uid, i.sequence, i.state, i.starts_at,
	i.minutes, i.mode, i.place, i.attendees, i.cancelled_by, i.reminded_at, i.created_at, i.updated_at`

// Attachment is a file an email carries.
type Attachment struct {
	FileName    string `db:"file_name"`
	ContentType string `db:"content_type"`
	Content     []byte `db:"content"`
}

// insertAttachments stores the attachments of emails already written.
func insertAttachments(ctx context.Context, tx *Tx, emails []*Email) error {
	for _, e := range emails {
		for i, a := range e.Attachments {
			if _, err := tx.ExecContext(ctx, `INSERT INTO email_attachments (email_id, position, file_name, content_type, content)
				VALUES ($1, $2, $3, $4, $5)`, e.ID, i, a.FileName, a.ContentType, a.Content); err != nil {
				return fmt.Errorf("attach %s to email %d: %w", a.FileName, e.ID, err)
			}
		}
	}
	return nil
}

// withAttachments fills the attachments of emails from the table.
func (r *Repo) withAttachments(ctx context.Context, emails []*Email) error {
	if len(emails) == 0 {
		return nil
	}
	ids := make([]int64, len(emails))
	byID := make(map[int64]*Email, len(emails))
	for i, e := range emails {
		ids[i], byID[e.ID] = e.ID, e
	}
	var rows []struct {
		EmailID int64 `db:"email_id"`
		Attachment
	}
	if err := r.db.SelectContext(ctx, &rows, `SELECT email_id, file_name, content_type, content FROM email_attachments
		WHERE email_id = ANY($1) ORDER BY email_id, position`, pq.Array(ids)); err != nil {
		return fmt.Errorf("attachments of %d emails: %w", len(ids), err)
	}
	for _, row := range rows {
		e := byID[row.EmailID]
		e.Attachments = append(e.Attachments, row.Attachment)
	}
	return nil
}

// AttachmentsOf lists the files an email carries.
func (r *Repo) AttachmentsOf(ctx context.Context, emailID int64) ([]Attachment, error) {
	var as []Attachment
	if err := r.db.SelectContext(ctx, &as, `SELECT file_name, content_type, content FROM email_attachments
		WHERE email_id = $1 ORDER BY position`, emailID); err != nil {
		return nil, fmt.Errorf("attachments of email %d: %w", emailID, err)
	}
	return as, nil
}

// addPrivateLink gives an application one more private link (its hash),
// as an email carrying it is written.
func addPrivateLink(ctx context.Context, tx *Tx, appID int64, hash []byte) error {
	if hash == nil {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO application_tokens (token_hash, application_id, created_at)
		VALUES ($1, $2, $3)`, hash, appID, tx.now); err != nil {
		return fmt.Errorf("store a private link of application %d: %w", appID, err)
	}
	return nil
}

// SlotOffer is what a proposal writes for one application: the email to
// the applicant (its LinkHash stored as a private link of the
// application).
type SlotOffer struct {
	ApplicationID int64
	Email         *Email
}

// ProposeSlots writes slots of a posting (for one application, or for the
// posting's pool when appID is nil), in one transaction with the emails
// that offer them (each with a private link of its own, its LinkHash)
// and a history line per application offered. Returns ErrNotFound for an unknown
// application of the posting.
func (r *Repo) ProposeSlots(ctx context.Context, postingID int64, appID *int64, slots []*InterviewSlot, actor string, offers []SlotOffer) error {
	return r.inTx(ctx, func(tx *Tx) error {
		if appID != nil {
			var n int
			if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM applications WHERE id = $1 AND posting_id = $2
				AND erased_at IS NULL`, *appID, postingID); err != nil {
				return fmt.Errorf("check application %d: %w", *appID, err)
			}
			if n == 0 {
				return ErrNotFound
			}
		}
		for _, s := range slots {
			s.PostingID, s.ApplicationID, s.CreatedBy, s.CreatedAt = postingID, appID, actor, tx.now
			if err := tx.QueryRowContext(ctx, `INSERT INTO interview_slots (posting_id, application_id, starts_at, minutes,
				mode, place, attendees, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
				postingID, appID, s.StartsAt, s.Minutes, s.Mode, s.Place, textArray(s.Attendees), actor, tx.now).Scan(&s.ID); err != nil {
				return fmt.Errorf("insert interview slot: %w", err)
			}
		}
		var emails []*Email
		for _, o := range offers {
			if err := r.insertEvent(ctx, tx, o.ApplicationID, EventInterviewProposed, nil, nil, actor); err != nil {
				return err
			}
			emails = append(emails, o.Email)
		}
		if appID != nil && len(offers) == 0 {
			if err := r.insertEvent(ctx, tx, *appID, EventInterviewProposed, nil, nil, actor); err != nil {
				return err
			}
		}
		return r.insertEmails(ctx, tx, emails)
	})
}

// SlotsOfApplication lists the slots proposed to one application, and
// those of its posting's pool, soonest first, each marked taken or not
// (taken by this application's own interview included).
func (r *Repo) SlotsOfApplication(ctx context.Context, a *Application) ([]InterviewSlot, error) {
	var ss []InterviewSlot
	err := r.db.SelectContext(ctx, &ss, `SELECT `+slotColumns+`,
		EXISTS (SELECT 1 FROM interviews i WHERE i.slot_id = s.id AND i.state = $3) AS taken
		FROM interview_slots s WHERE s.application_id = $1 OR (s.application_id IS NULL AND s.posting_id = $2)
		ORDER BY s.starts_at, s.id`, a.ID, a.PostingID, catalog.InterviewBooked)
	if err != nil {
		return nil, fmt.Errorf("slots of application %d: %w", a.ID, err)
	}
	return ss, nil
}

// PoolSlots lists a posting's pool of slots from `from` on, soonest first.
func (r *Repo) PoolSlots(ctx context.Context, postingID int64, from time.Time) ([]InterviewSlot, error) {
	var ss []InterviewSlot
	err := r.db.SelectContext(ctx, &ss, `SELECT `+slotColumns+`,
		EXISTS (SELECT 1 FROM interviews i WHERE i.slot_id = s.id AND i.state = $3) AS taken
		FROM interview_slots s WHERE s.application_id IS NULL AND s.posting_id = $1 AND s.starts_at >= $2
		ORDER BY s.starts_at, s.id`, postingID, from, catalog.InterviewBooked)
	if err != nil {
		return nil, fmt.Errorf("pool slots of posting %d: %w", postingID, err)
	}
	return ss, nil
}

// InterviewBuild writes the emails of an interview once it is stored (its
// id, UID and sequence known).
type InterviewBuild func(iv *Interview) ([]*Email, error)

// PickSlot books slot slotID for application appID, in one transaction
// with the emails build writes (the invitations). A database constraint
// lets one booked interview per slot: of two applicants picking one slot
// at once, one wins and the other gets ErrSlotTaken. Also returns
// ErrNotFound for a slot that is not offered to this application,
// ErrSlotPast for a slot whose time has passed, ErrInterviewBooked when
// the application has an interview booked already, ErrPostingClosed when
// the posting no longer takes applications.
func (r *Repo) PickSlot(ctx context.Context, appID, slotID int64, uid string, build InterviewBuild) (*Interview, error) {
	iv := &Interview{}
	err := r.inTx(ctx, func(tx *Tx) error {
		var s InterviewSlot
		err := tx.GetContext(ctx, &s, `SELECT `+slotColumns+`, false AS taken FROM interview_slots s
			JOIN applications a ON a.id = $2
			WHERE s.id = $1 AND a.erased_at IS NULL
			  AND (s.application_id = a.id OR (s.application_id IS NULL AND s.posting_id = a.posting_id AND a.status = $3))`,
			slotID, appID, catalog.StatusInterview)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("slot %d: %w", slotID, err)
		}
		var state catalog.PostingState
		if err := tx.GetContext(ctx, &state, `SELECT status FROM postings WHERE id = $1`, s.PostingID); err != nil {
			return fmt.Errorf("posting of slot %d: %w", slotID, err)
		}
		if state != catalog.PostingOpen {
			return ErrPostingClosed
		}
		if !s.StartsAt.After(tx.now) {
			return ErrSlotPast
		}
		err = tx.GetContext(ctx, iv, `INSERT INTO interviews AS i (posting_id, application_id, slot_id, uid, state, starts_at,
			minutes, mode, place, attendees, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING `+interviewColumns,
			s.PostingID, appID, s.ID, uid, catalog.InterviewBooked, s.StartsAt, s.Minutes, s.Mode, s.Place,
			textArray(s.Attendees), tx.now)
		switch {
		case isUniqueViolation(err, "interviews_slot_booked_idx"):
			return ErrSlotTaken
		case isUniqueViolation(err, "interviews_application_booked_idx"):
			return ErrInterviewBooked
		case err != nil:
			return fmt.Errorf("book slot %d: %w", slotID, err)
		}
		if err := r.insertEvent(ctx, tx, appID, EventInterviewBooked, nil, nil, ActorApplicant); err != nil {
			return err
		}
		return r.writeInterviewEmails(ctx, tx, iv, build)
	})
	if err != nil {
		return nil, err
	}
	return iv, nil
}

func (r *Repo) writeInterviewEmails(ctx context.Context, tx *Tx, iv *Interview, build InterviewBuild) error {
	if build == nil {
		return nil
	}
	emails, err := build(iv)
	if err != nil {
		return err
	}
	return r.insertEmails(ctx, tx, emails)
}

// BookedInterview returns the interview booked for an application (moved
// or not, past or to come); ErrNotFound when there is none.
func (r *Repo) BookedInterview(ctx context.Context, appID int64) (*Interview, error) {
	var iv Interview
	err := r.db.GetContext(ctx, &iv, `SELECT `+interviewColumns+` FROM interviews i
		WHERE i.application_id = $1 AND i.state = $2`, appID, catalog.InterviewBooked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("interview of application %d: %w", appID, err)
	}
	return &iv, nil
}

// InterviewsOfApplication lists every interview of an application,
// cancelled ones included, oldest first.
func (r *Repo) InterviewsOfApplication(ctx context.Context, appID int64) ([]Interview, error) {
	var ivs []Interview
	err := r.db.SelectContext(ctx, &ivs, `SELECT `+interviewColumns+` FROM interviews i
		WHERE i.application_id = $1 ORDER BY i.created_at, i.id`, appID)
	if err != nil {
		return nil, fmt.Errorf("interviews of application %d: %w", appID, err)
	}
	return ivs, nil
}

// InterviewChange is a new time, length, mode and place for an interview.
type InterviewChange struct {
	StartsAt time.Time
	Minutes  int
	Mode     catalog.InterviewMode
	Place    string
}

// MoveInterview changes the booked interview of an application, raising
// its sequence, in one transaction with the emails build writes (the
// updates); the reminder written for the old time, if it has not left
// yet, is cancelled. ErrNotFound when none is booked.
func (r *Repo) MoveInterview(ctx context.Context, appID int64, ch InterviewChange, actor string, build InterviewBuild) (*Interview, error) {
	iv := &Interview{}
	err := r.inTx(ctx, func(tx *Tx) error {
		err := tx.GetContext(ctx, iv, `UPDATE interviews i SET starts_at = $3, minutes = $4, mode = $5, place = $6,
			sequence = sequence + 1, reminded_at = NULL, updated_at = $7
			WHERE i.application_id = $1 AND i.state = $2 RETURNING `+interviewColumns,
			appID, catalog.InterviewBooked, ch.StartsAt, ch.Minutes, ch.Mode, ch.Place, tx.now)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("move interview of application %d: %w", appID, err)
		}
		if err := cancelReminders(ctx, tx, iv.ID); err != nil {
			return err
		}
		if err := r.insertEvent(ctx, tx, appID, EventInterviewMoved, nil, nil, actor); err != nil {
			return err
		}
		return r.writeInterviewEmails(ctx, tx, iv, build)
	})
	if err != nil {
		return nil, err
	}
	return iv, nil
}

// CancelInterview cancels the booked interview of an application, by
// actor (a reviewer, or ActorApplicant), raising its sequence, in one
// transaction with the emails build writes (the cancellations); a
// reminder not sent yet is cancelled. ErrNotFound when none is booked.
func (r *Repo) CancelInterview(ctx context.Context, appID int64, actor string, build InterviewBuild) (*Interview, error) {
	var iv *Interview
	err := r.inTx(ctx, func(tx *Tx) error {
		ivs, err := r.cancelBooked(ctx, tx, `i.application_id = $1`, appID, actor, false)
		if err != nil {
			return err
		}
		if len(ivs) == 0 {
			return ErrNotFound
		}
		iv = ivs[0]
		return r.writeInterviewEmails(ctx, tx, iv, build)
	})
	if err != nil {
		return nil, err
	}
	return iv, nil
}

// cancelBooked cancels, inside tx, the booked interviews where cond holds
// (over interviews i, with arg as $1), those still to come only when
// coming: each gets its sequence raised, its reminders not sent yet
// cancelled and a line in its application's history, by actor.
func (r *Repo) cancelBooked(ctx context.Context, tx *Tx, cond string, arg any, actor string, coming bool) ([]*Interview, error) {
	if coming {
		cond += ` AND i.starts_at > $5`
	}
	var ivs []*Interview
	if err := tx.SelectContext(ctx, &ivs, `UPDATE interviews i SET state = $3, cancelled_by = $4, sequence = sequence + 1,
		updated_at = $5 WHERE `+cond+` AND i.state = $2 RETURNING `+interviewColumns,
		arg, catalog.InterviewBooked, catalog.InterviewCancelled, actor, tx.now); err != nil {
		return nil, fmt.Errorf("cancel interviews: %w", err)
	}
	for _, iv := range ivs {
		if err := cancelReminders(ctx, tx, iv.ID); err != nil {
			return nil, err
		}
		if err := r.insertEvent(ctx, tx, iv.ApplicationID, EventInterviewCancelled, nil, nil, actor); err != nil {
			return nil, err
		}
	}
	return ivs, nil
}

// cancelComingInterview cancels, inside tx, the application's booked
// interview still to come, if it has one, with the emails build writes.
func (r *Repo) cancelComingInterview(ctx context.Context, tx *Tx, appID int64, actor string, build InterviewBuild) error {
	ivs, err := r.cancelBooked(ctx, tx, `i.application_id = $1`, appID, actor, true)
	if err != nil {
		return err
	}
	for _, iv := range ivs {
		if err := r.writeInterviewEmails(ctx, tx, iv, build); err != nil {
			return err
		}
	}
	return nil
}

// cancelErasedInterviews cancels, inside an erasure's tx, the booked
// interviews still to come of the applications ids (erased already), and
// writes the cancellations build makes from each erased row (nil: none).
func (r *Repo) cancelErasedInterviews(ctx context.Context, tx *Tx, ids []int64, actor string, build ErasureBuild) error {
	ivs, err := r.cancelBooked(ctx, tx, `i.application_id = ANY($1)`, pq.Array(ids), actor, true)
	if err != nil || build == nil {
		return err
	}
	for _, iv := range ivs {
		var a Application
		if err := tx.GetContext(ctx, &a, `SELECT `+applicationColumns+` FROM applications WHERE id = $1`, iv.ApplicationID); err != nil {
			return fmt.Errorf("application %d: %w", iv.ApplicationID, err)
		}
		emails, err := build(&a, iv)
		if err != nil {
			return err
		}
		if err := r.insertEmails(ctx, tx, emails); err != nil {
			return err
		}
	}
	return nil
}

// reminderKey is the dedupe key of a reminder of interview id to one
// address; reminderPrefix starts every reminder key of the interview.
func reminderPrefix(id int64) string { return fmt.Sprintf("interview-reminder:%d:", id) }

// ReminderKey is the dedupe key of the reminder of interview iv to to.
func ReminderKey(iv *Interview, to string) string {
	return fmt.Sprintf("%s%d:%s", reminderPrefix(iv.ID), iv.Sequence, to)
}

// cancelReminders cancels the reminders of an interview that have not
// left yet.
func cancelReminders(ctx context.Context, tx *Tx, id int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE emails SET status = 'cancelled', link_sealed = NULL, updated_at = $2
		WHERE status = 'pending' AND starts_with(dedupe_key, $1)`, reminderPrefix(id), tx.now); err != nil {
		return fmt.Errorf("cancel reminders of interview %d: %w", id, err)
	}
	return nil
}

// NoneFits records that no slot fits an applicant, with their message, in
// one transaction with the emails telling the reviewers.
func (r *Repo) NoneFits(ctx context.Context, appID int64, message string, emails []*Email) error {
	return r.inTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO interview_declines (application_id, message, created_at)
			VALUES ($1, $2, $3)`, appID, message, tx.now); err != nil {
			return fmt.Errorf("record that no slot fits application %d: %w", appID, err)
		}
		if err := r.insertEvent(ctx, tx, appID, EventInterviewNoneFits, nil, nil, ActorApplicant); err != nil {
			return err
		}
		return r.insertEmails(ctx, tx, emails)
	})
}

// InterviewDecline is an applicant's message that no slot fits.
type InterviewDecline struct {
	Message   string    `db:"message"`
	CreatedAt time.Time `db:"created_at"`
}

// DeclinesOf lists an application's "none fits" messages, oldest first.
func (r *Repo) DeclinesOf(ctx context.Context, appID int64) ([]InterviewDecline, error) {
	var ds []InterviewDecline
	if err := r.db.SelectContext(ctx, &ds, `SELECT message, created_at FROM interview_declines
		WHERE application_id = $1 ORDER BY created_at, id`, appID); err != nil {
		return nil, fmt.Errorf("declines of application %d: %w", appID, err)
	}
	return ds, nil
}

// InterviewRow is an interview with its applicant's names, for lists,
// and what ShownOf needs to know whether reviewers may see them: the
// application's status and when it was revealed.
type InterviewRow struct {
	Interview
	FirstName  string         `db:"first_name"`
	LastName   string         `db:"last_name"`
	Email      string         `db:"email"`
	Title      string         `db:"title"`
	Status     catalog.Status `db:"status"`
	RevealedAt *time.Time     `db:"revealed_at"`
}

// Application is the row's application, as far as the row knows it.
func (r *InterviewRow) Application() *Application {
	return &Application{ID: r.ApplicationID, PostingID: r.PostingID, FirstName: r.FirstName, LastName: r.LastName,
		Email: r.Email, Status: r.Status, RevealedAt: r.RevealedAt}
}

// UpcomingInterviews lists a posting's booked interviews that end after
// `from`, soonest first.
func (r *Repo) UpcomingInterviews(ctx context.Context, postingID int64, from time.Time) ([]InterviewRow, error) {
	var rows []InterviewRow
	err := r.db.SelectContext(ctx, &rows, `SELECT `+interviewColumns+`, a.first_name, a.last_name, a.email, p.title, a.status, a.revealed_at
		FROM interviews i JOIN applications a ON a.id = i.application_id JOIN postings p ON p.id = i.posting_id
		WHERE i.posting_id = $1 AND i.state = $2 AND i.starts_at + make_interval(mins => i.minutes) > $3
		ORDER BY i.starts_at, i.id`, postingID, catalog.InterviewBooked, from)
	if err != nil {
		return nil, fmt.Errorf("upcoming interviews of posting %d: %w", postingID, err)
	}
	return rows, nil
}

// FeedInterviews lists the interviews a reviewer attends, on the postings
// they review, from `from` on (cancelled ones too, for calendars to
// remove them), soonest first.
func (r *Repo) FeedInterviews(ctx context.Context, email string, from time.Time) ([]InterviewRow, error) {
	var rows []InterviewRow
	err := r.db.SelectContext(ctx, &rows, `SELECT `+interviewColumns+`, a.first_name, a.last_name, a.email, p.title, a.status, a.revealed_at
		FROM interviews i JOIN applications a ON a.id = i.application_id JOIN postings p ON p.id = i.posting_id
		WHERE $1 = ANY(i.attendees) AND i.starts_at >= $2 AND a.erased_at IS NULL
		  AND EXISTS (SELECT 1 FROM posting_reviewers pr WHERE pr.posting_id = i.posting_id AND pr.email = $1)
		ORDER BY i.starts_at, i.id LIMIT 1000`, email, from)
	if err != nil {
		return nil, fmt.Errorf("feed of %s: %w", email, err)
	}
	return rows, nil
}

// DueReminders lists the booked interviews starting within `within` from
// now whose reminder is not written yet. An interview set (booked or
// moved) less than `within` before its time gets none: its invitation
// is fresh.
func (r *Repo) DueReminders(ctx context.Context, within time.Duration) ([]Interview, error) {
	var ivs []Interview
	now := r.now()
	err := r.db.SelectContext(ctx, &ivs, `SELECT `+interviewColumns+` FROM interviews i
		WHERE i.state = $1 AND i.reminded_at IS NULL AND i.starts_at > $2 AND i.starts_at <= $3
		  AND i.updated_at <= i.starts_at - $4::interval
		ORDER BY i.starts_at LIMIT 500`, catalog.InterviewBooked, now, now.Add(within),
		fmt.Sprintf("%d milliseconds", within.Milliseconds()))
	if err != nil {
		return nil, fmt.Errorf("due reminders: %w", err)
	}
	return ivs, nil
}

// WriteReminders writes the reminders of an interview, as it was read
// (same sequence), in one transaction that marks it reminded: an
// interview cancelled or moved meanwhile, or reminded already, gets none
// (ErrConflict).
func (r *Repo) WriteReminders(ctx context.Context, iv *Interview, emails []*Email) error {
	return r.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE interviews SET reminded_at = $4 WHERE id = $1 AND state = $2
			AND sequence = $3 AND reminded_at IS NULL`, iv.ID, catalog.InterviewBooked, iv.Sequence, tx.now)
		if err != nil {
			return fmt.Errorf("mark interview %d reminded: %w", iv.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("interview %d changed meanwhile: %w", iv.ID, ErrConflict)
		}
		return r.insertEmails(ctx, tx, emails)
	})
}

// SetCalendarFeed gives a reviewer a new private calendar feed (the hash
// of its token), replacing the one they had.
func (r *Repo) SetCalendarFeed(ctx context.Context, email string, hash []byte) error {
	if _, err := r.db.ExecContext(ctx, `INSERT INTO calendar_feeds (email, token_hash, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (email) DO UPDATE SET token_hash = EXCLUDED.token_hash, created_at = EXCLUDED.created_at`,
		email, hash, r.now()); err != nil {
		return fmt.Errorf("set calendar feed of %s: %w", email, err)
	}
	return nil
}

// RevokeCalendarFeed deletes a reviewer's calendar feed: its address stops
// working.
func (r *Repo) RevokeCalendarFeed(ctx context.Context, email string) error {
	if _, err := r.db.ExecContext(ctx, `DELETE FROM calendar_feeds WHERE email = $1`, email); err != nil {
		return fmt.Errorf("revoke calendar feed of %s: %w", email, err)
	}
	return nil
}

// CalendarFeedSince says since when a reviewer has a feed; ErrNotFound
// when they have none.
func (r *Repo) CalendarFeedSince(ctx context.Context, email string) (time.Time, error) {
	var at time.Time
	err := r.db.GetContext(ctx, &at, `SELECT created_at FROM calendar_feeds WHERE email = $1`, email)
	if errors.Is(err, sql.ErrNoRows) {
		return at, ErrNotFound
	}
	if err != nil {
		return at, fmt.Errorf("calendar feed of %s: %w", email, err)
	}
	return at, nil
}

// CalendarFeedOwner returns whose feed a token hash opens; ErrNotFound for
// none (never made, or revoked).
func (r *Repo) CalendarFeedOwner(ctx context.Context, hash []byte) (string, error) {
	var email string
	err := r.db.GetContext(ctx, &email, `SELECT email FROM calendar_feeds WHERE token_hash = $1`, hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("calendar feed: %w", err)
	}
	return email, nil
}

// ApplicationsAwaitingInterview lists a posting's applications in
// interview without an interview booked: a pool's slots are offered to
// them.
func (r *Repo) ApplicationsAwaitingInterview(ctx context.Context, postingID int64) ([]Application, error) {
	var as []Application
	err := r.db.SelectContext(ctx, &as, `SELECT `+applicationColumns+` FROM applications a
		WHERE a.posting_id = $1 AND a.status = $2 AND a.erased_at IS NULL
		  AND NOT EXISTS (SELECT 1 FROM interviews i WHERE i.application_id = a.id AND i.state = $3)
		ORDER BY a.id`, postingID, catalog.StatusInterview, catalog.InterviewBooked)
	if err != nil {
		return nil, fmt.Errorf("applications awaiting an interview for posting %d: %w", postingID, err)
	}
	return as, nil
}

// textArray is a text[] parameter, never NULL.
func textArray(s []string) any {
	if s == nil {
		s = []string{}
	}
	return pq.Array(s)
}
