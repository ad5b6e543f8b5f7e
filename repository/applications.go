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

// ActorApplicant and ActorSystem name who made a change in the history.
const (
	ActorApplicant = "candidat·e"
	ActorSystem    = "système"
)

// Application is a row of applications.
type Application struct {
	ID            int64          `db:"id"`
	PostingID     int64          `db:"posting_id"`
	Status        catalog.Status `db:"status"`
	FirstName     string         `db:"first_name"`
	LastName      string         `db:"last_name"`
	Email         string         `db:"email"`
	Phone         string         `db:"phone"`
	Location      string         `db:"location"`
	DailyRate     int            `db:"daily_rate"`
	DaysPerWeek   float64        `db:"days_per_week"`
	AvailableFrom time.Time      `db:"available_from"`
	SIRET         string         `db:"siret"`
	// SIRETVerified: the SIRET is the one ProConnect gave the applicant.
	SIRETVerified   bool           `db:"siret_verified"`
	Links           pq.StringArray `db:"links"`
	Motivation      string         `db:"motivation"`
	ConsentAt       time.Time      `db:"consent_at"`
	AccessTokenHash []byte         `db:"access_token_hash"`
	SubmissionNonce string         `db:"submission_nonce"`
	CreatedAt       time.Time      `db:"created_at"`
	UpdatedAt       time.Time      `db:"updated_at"`
	WithdrawnAt     *time.Time     `db:"withdrawn_at"`
	ErasedAt        *time.Time     `db:"erased_at"`
	// Where it came from (see applyform.Source); erased with it.
	UTMSource    string `db:"utm_source"`
	UTMMedium    string `db:"utm_medium"`
	UTMCampaign  string `db:"utm_campaign"`
	Ref          string `db:"ref"`
	ReferrerHost string `db:"referrer_host"`
	// Answers to the posting's own questions, stored with it by
	// CreateApplication (not read with the row: see Repo.Answers).
	Answers []Answer `db:"-"`
	// RevealedAt: when a blind posting's application reached the stage
	// that shows it as the person (see blind.go).
	RevealedAt *time.Time `db:"revealed_at"`
}

const applicationColumns = `id, posting_id, status, first_name, last_name, email, phone, location,
	daily_rate, days_per_week, available_from, siret, siret_verified, links, motivation, consent_at,
	access_token_hash, submission_nonce, created_at, updated_at, withdrawn_at, erased_at,
	utm_source, utm_medium, utm_campaign, ref, referrer_host, revealed_at`

// Document is a CV stored with its application.
type Document struct {
	ID            int64     `db:"id"`
	ApplicationID int64     `db:"application_id"`
	FileName      string    `db:"file_name"`
	ContentType   string    `db:"content_type"`
	SizeBytes     int64     `db:"size_bytes"`
	SHA256        []byte    `db:"sha256"`
	Content       []byte    `db:"content"`
	CreatedAt     time.Time `db:"created_at"`
}

// Event is one line of an application's history.
type Event struct {
	ID            int64           `db:"id"`
	ApplicationID int64           `db:"application_id"`
	Kind          string          `db:"kind"`
	FromStatus    *catalog.Status `db:"from_status"`
	ToStatus      *catalog.Status `db:"to_status"`
	Actor         string          `db:"actor"`
	CreatedAt     time.Time       `db:"created_at"`
	Reason        string          `db:"reason"` // a rejection's reason
}

// Event kinds.
const (
	EventReceived      = "received"
	EventStatusChanged = "status_changed"
	EventWithdrawn     = "withdrawn"
	EventErased        = "erased"
)

// EventWithdrawalUndone is the applicant taking back a withdrawal.
const EventWithdrawalUndone = "withdrawal_undone"

// ErrPostingClosed is returned when a posting no longer takes applications.
var ErrPostingClosed = fmt.Errorf("posting closed: %w", ErrConflict)

// ErrDuplicateApplication is returned when the address already applied to the posting.
var ErrDuplicateApplication = fmt.Errorf("duplicate application: %w", ErrConflict)

// EmailsFor builds the outbox rows of a new application once its id is
// known (the emails link to it).
type EmailsFor func(app *Application) ([]*Email, error)

// CreateApplication stores an application, its CV, its "received" event and
// the emails built by emails, in one transaction. It locks the posting and
// checks, on the repository's clock, that it still takes applications.
// Returns ErrPostingClosed, ErrDuplicateApplication or ErrNotFound (posting).
func (r *Repo) CreateApplication(ctx context.Context, app *Application, doc *Document, emails EmailsFor) ([]*Email, error) {
	var out []*Email
	err := r.inTx(ctx, func(tx *Tx) error {
		var open bool
		lock, err := r.txPrepared(ctx, tx, `SELECT status = $2 AND (closes_at IS NULL OR closes_at > $3)
			FROM postings WHERE id = $1 FOR SHARE`)
		if err == nil {
			err = lock.QueryRowxContext(ctx, app.PostingID, catalog.PostingOpen, tx.now).Scan(&open)
		}
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("lock posting %d: %w", app.PostingID, err)
		}
		if !open {
			return ErrPostingClosed
		}
		insert, err := r.txPrepared(ctx, tx, `INSERT INTO applications (posting_id, first_name, last_name, email, phone,
			location, daily_rate, days_per_week, available_from, siret, links, motivation, consent_at,
			access_token_hash, submission_nonce, created_at, updated_at,
			utm_source, utm_medium, utm_campaign, ref, referrer_host, siret_verified)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, $17, $18, $19, $20, $21, $22)
			RETURNING id, status, created_at, updated_at`)
		if err == nil {
			err = insert.QueryRowxContext(ctx, app.PostingID, app.FirstName, app.LastName, app.Email, app.Phone,
				app.Location, app.DailyRate, app.DaysPerWeek, app.AvailableFrom, app.SIRET, app.Links, app.Motivation,
				app.ConsentAt, app.AccessTokenHash, app.SubmissionNonce, tx.now,
				app.UTMSource, app.UTMMedium, app.UTMCampaign, app.Ref, app.ReferrerHost, app.SIRETVerified).Scan(&app.ID, &app.Status, &app.CreatedAt, &app.UpdatedAt)
		}
		if err != nil {
			if isUniqueViolation(err, "applications_one_per_email_idx") {
				return ErrDuplicateApplication
			}
			return fmt.Errorf("insert application: %w", err)
		}
		if doc != nil {
			doc.ApplicationID = app.ID
			insertDoc, err := r.txPrepared(ctx, tx, `INSERT INTO documents (application_id, file_name,
				content_type, size_bytes, sha256, content, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`)
			if err == nil {
				_, err = insertDoc.ExecContext(ctx, doc.ApplicationID, doc.FileName, doc.ContentType, doc.SizeBytes, doc.SHA256, doc.Content, tx.now)
			}
			if err != nil {
				return fmt.Errorf("insert document: %w", err)
			}
		}
		if err := r.insertAnswers(ctx, tx, app.ID, app.Answers); err != nil {
			return err
		}
		if err := r.insertEvent(ctx, tx, app.ID, EventReceived, nil, &app.Status, ActorApplicant); err != nil {
			return err
		}
		if out, err = emails(app); err != nil {
			return err
		}
		return r.insertEmails(ctx, tx, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (r *Repo) insertEvent(ctx context.Context, tx *Tx, appID int64, kind string, from, to *catalog.Status, actor string) error {
	stmt, err := r.txPrepared(ctx, tx, `INSERT INTO application_events (application_id, kind, from_status, to_status, actor, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`)
	if err == nil {
		_, err = stmt.ExecContext(ctx, appID, kind, from, to, actor, tx.now)
	}
	if err != nil {
		return fmt.Errorf("insert %s event: %w", kind, err)
	}
	return nil
}

// ApplicationByTokenHash finds the application a private link points to.
// Erased applications are not found.
func (r *Repo) ApplicationByTokenHash(ctx context.Context, hash []byte) (*Application, error) {
	var a Application
	err := r.db.GetContext(ctx, &a, `SELECT `+applicationColumns+` FROM applications
		WHERE (access_token_hash = $1 OR id = (SELECT application_id FROM application_tokens WHERE token_hash = $1))
		  AND erased_at IS NULL`, hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("application by token: %w", err)
	}
	return &a, nil
}

// ApplicationByEmail finds the live application of an address to a posting.
func (r *Repo) ApplicationByEmail(ctx context.Context, postingID int64, email string) (*Application, error) {
	var a Application
	err := r.db.GetContext(ctx, &a, `SELECT `+applicationColumns+` FROM applications
		WHERE posting_id = $1 AND lower(email) = lower($2) AND erased_at IS NULL`, postingID, email)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("application by email: %w", err)
	}
	return &a, nil
}

// ApplicationsByAddress returns the live applications sent from an
// address, whatever their posting, oldest first (at most 100).
func (r *Repo) ApplicationsByAddress(ctx context.Context, email string) ([]Application, error) {
	var as []Application
	err := r.db.SelectContext(ctx, &as, `SELECT `+applicationColumns+` FROM applications
		WHERE lower(email) = lower($1) AND erased_at IS NULL ORDER BY id LIMIT 100`, email)
	if err != nil {
		return nil, fmt.Errorf("applications by address: %w", err)
	}
	return as, nil
}

// ReplaceAccessTokens gives an application a new private link, with the
// emails that carry it, in one transaction: every older link of the
// application (the first one and any sent since) stops working. Nothing
// else of the application changes. Returns ErrNotFound for an erased or
// missing application.
func (r *Repo) ReplaceAccessTokens(ctx context.Context, appID int64, hash []byte, emails []*Email) error {
	return r.inTx(ctx, func(tx *Tx) error { return r.replaceAccessToken(ctx, tx, NewLink{appID, hash, emails}) })
}

// NewLink is a new private link of an application, and the emails that
// carry it.
type NewLink struct {
	ApplicationID int64
	Hash          []byte
	Emails        []*Email
}

// ReplaceAccessTokensOf gives several applications their new private
// links in one transaction, so that a retry never sends one twice; an
// application erased meanwhile is left out. It returns how many links
// were replaced.
func (r *Repo) ReplaceAccessTokensOf(ctx context.Context, links []NewLink) (int, error) {
	n := 0
	err := r.inTx(ctx, func(tx *Tx) error {
		n = 0
		for _, l := range links {
			err := r.replaceAccessToken(ctx, tx, l)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

func (r *Repo) replaceAccessToken(ctx context.Context, tx *Tx, l NewLink) error {
	res, err := tx.ExecContext(ctx, `UPDATE applications SET access_token_hash = $2
		WHERE id = $1 AND erased_at IS NULL`, l.ApplicationID, l.Hash)
	if err != nil {
		return fmt.Errorf("replace token of application %d: %w", l.ApplicationID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM application_tokens WHERE application_id = $1`, l.ApplicationID); err != nil {
		return fmt.Errorf("revoke older links of application %d: %w", l.ApplicationID, err)
	}
	return r.insertEmails(ctx, tx, l.Emails)
}

// Events returns an application's history, oldest first.
func (r *Repo) Events(ctx context.Context, appID int64) ([]Event, error) {
	var es []Event
	err := r.db.SelectContext(ctx, &es, `SELECT id, application_id, kind, from_status, to_status, actor, created_at, reason
		FROM application_events WHERE application_id = $1 ORDER BY created_at, id`, appID)
	if err != nil {
		return nil, fmt.Errorf("events of application %d: %w", appID, err)
	}
	return es, nil
}

// Withdraw marks an application withdrawn by its applicant, with the emails
// that tell the contact; its interview still to come, if any, is
// cancelled in the same transaction, with the cancellations cancel writes
// (nil: none). Returns ErrConflict if it was already withdrawn.
func (r *Repo) Withdraw(ctx context.Context, appID int64, emails []*Email, cancel InterviewBuild) error {
	return r.inTx(ctx, func(tx *Tx) error {
		var from catalog.Status
		err := tx.QueryRowContext(ctx, `SELECT status FROM applications WHERE id = $1 AND erased_at IS NULL FOR UPDATE`, appID).Scan(&from)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("lock application %d: %w", appID, err)
		}
		if from == catalog.StatusWithdrawn {
			return ErrConflict
		}
		if _, err := tx.ExecContext(ctx, `UPDATE applications SET status = $2, withdrawn_at = $3,
			updated_at = $3 WHERE id = $1`, appID, catalog.StatusWithdrawn, tx.now); err != nil {
			return fmt.Errorf("withdraw application %d: %w", appID, err)
		}
		to := catalog.StatusWithdrawn
		if err := r.insertEvent(ctx, tx, appID, EventWithdrawn, &from, &to, ActorApplicant); err != nil {
			return err
		}
		if err := r.cancelComingInterview(ctx, tx, appID, ActorApplicant, cancel); err != nil {
			return err
		}
		return r.insertEmails(ctx, tx, emails)
	})
}

// UndoWithdrawal gives a withdrawn application back the status it had
// before its latest withdrawal, while its posting still takes
// applications (on the repository's clock), with the emails built for that
// status, in one transaction. It returns the status restored. Returns
// ErrConflict when the application is not withdrawn, ErrPostingClosed
// when its posting takes no more applications, ErrNotFound when there is
// no such application (or it is erased).
func (r *Repo) UndoWithdrawal(ctx context.Context, appID int64, emails func(restored catalog.Status) ([]*Email, error)) (catalog.Status, error) {
	var restored catalog.Status
	err := r.inTx(ctx, func(tx *Tx) error {
		// The posting first, as an application does: a close, which locks
		// it, either sees this application back or waits for it.
		var open bool
		err := tx.QueryRowContext(ctx, `SELECT p.status = $2 AND (p.closes_at IS NULL OR p.closes_at > $3)
			FROM postings p JOIN applications a ON a.posting_id = p.id
			WHERE a.id = $1 AND a.erased_at IS NULL FOR SHARE OF p`, appID, catalog.PostingOpen, tx.now).Scan(&open)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("lock posting of application %d: %w", appID, err)
		}
		var status catalog.Status
		if err := tx.QueryRowContext(ctx, `SELECT status FROM applications WHERE id = $1 FOR UPDATE`, appID).Scan(&status); err != nil {
			return fmt.Errorf("lock application %d: %w", appID, err)
		}
		if status != catalog.StatusWithdrawn {
			return ErrConflict
		}
		if !open {
			return ErrPostingClosed
		}
		err = tx.QueryRowContext(ctx, `SELECT from_status FROM application_events
			WHERE application_id = $1 AND kind = $2 AND from_status IS NOT NULL AND from_status <> $3
			ORDER BY created_at DESC, id DESC LIMIT 1`, appID, EventWithdrawn, catalog.StatusWithdrawn).Scan(&restored)
		if errors.Is(err, sql.ErrNoRows) {
			restored = catalog.StatusReceived
		} else if err != nil {
			return fmt.Errorf("status before the withdrawal of application %d: %w", appID, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE applications SET status = $2, withdrawn_at = NULL, updated_at = $3
			WHERE id = $1`, appID, restored, tx.now); err != nil {
			return fmt.Errorf("undo withdrawal of application %d: %w", appID, err)
		}
		from := catalog.StatusWithdrawn
		if err := r.insertEvent(ctx, tx, appID, EventWithdrawalUndone, &from, &restored, ActorApplicant); err != nil {
			return err
		}
		out, err := emails(restored)
		if err != nil {
			return err
		}
		return r.insertEmails(ctx, tx, out)
	})
	if err != nil {
		return "", err
	}
	return restored, nil
}

// ErasureBuild writes the cancellations of an interview to come that an
// erasure cancels, given the application as erased (its personal fields
// blank): to the reviewers attending only, since the applicant's address
// is gone.
type ErasureBuild func(a *Application, iv *Interview) ([]*Email, error)

// Erase deletes an application's CV and personal fields at the applicant's
// request (or an admin's), keeping an anonymous row for counts, and queues
// emails (the contact is told). Emails already written to the applicant
// keep their rows for the log but lose their bodies. Its interview still
// to come, if any, is cancelled in the same transaction, with the
// cancellations cancel writes (nil: none). Returns ErrNotFound when there
// is no such application or it is erased already.
func (r *Repo) Erase(ctx context.Context, appID int64, actor string, emails []*Email, cancel ErasureBuild) error {
	return r.inTx(ctx, func(tx *Tx) error {
		erased, err := r.eraseApplications(ctx, tx, []int64{appID}, actor, cancel)
		if err != nil {
			return err
		}
		if len(erased) == 0 {
			return ErrNotFound
		}
		return r.insertEmails(ctx, tx, emails)
	})
}

// eraseApplications erases, inside tx, those of ids not erased yet: the
// personal fields are blanked, the CV, the reviewers' notes and the
// private links deleted,
// pending mail to them cancelled and every email about them emptied; an
// "erased" event is recorded for each; then their interviews still to
// come are cancelled, with the cancellations cancel writes (written after
// the emails were emptied, and from the erased rows). It returns the ids
// it erased.
func (r *Repo) eraseApplications(ctx context.Context, tx *Tx, ids []int64, actor string, cancel ErasureBuild) ([]int64, error) {
	var erased []int64
	err := tx.SelectContext(ctx, &erased, `UPDATE applications SET first_name = '', last_name = '', email = '',
		phone = '', location = '', siret = '', siret_verified = false, links = '{}', motivation = '',
		utm_source = '', utm_medium = '', utm_campaign = '', ref = '', referrer_host = '',
		access_token_hash = sha256(access_token_hash || 'erased'::bytea),
		erased_at = $2, updated_at = $2
		WHERE id = ANY($1) AND erased_at IS NULL RETURNING id`, pq.Array(ids), tx.now)
	if err != nil {
		return nil, fmt.Errorf("erase applications %v: %w", ids, err)
	}
	if len(erased) == 0 {
		return nil, nil
	}
	arr := pq.Array(erased)
	if _, err := tx.ExecContext(ctx, `DELETE FROM documents WHERE application_id = ANY($1)`, arr); err != nil {
		return nil, fmt.Errorf("erase documents: %w", err)
	}
	if err := eraseAnswers(ctx, tx, arr); err != nil {
		return nil, err
	}
	// Reviewers' notes are about the person: they go too. Ratings are
	// scores without words and stay for the anonymous counts.
	if _, err := tx.ExecContext(ctx, `DELETE FROM notes WHERE application_id = ANY($1)`, arr); err != nil {
		return nil, fmt.Errorf("erase notes: %w", err)
	}
	if err := eraseEvaluationWords(ctx, tx, arr); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM application_tokens WHERE application_id = ANY($1)`, arr); err != nil {
		return nil, fmt.Errorf("erase private links: %w", err)
	}
	// What the applicant wrote back, and its attachments, go too.
	if _, err := tx.ExecContext(ctx, `DELETE FROM inbound_messages WHERE application_id = ANY($1)`, arr); err != nil {
		return nil, fmt.Errorf("erase inbound messages: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM interview_declines WHERE application_id = ANY($1)`, arr); err != nil {
		return nil, fmt.Errorf("erase interview messages: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM email_attachments WHERE email_id IN
		(SELECT id FROM emails WHERE application_id = ANY($1))`, arr); err != nil {
		return nil, fmt.Errorf("erase attachments: %w", err)
	}
	// Pending mail to the applicant is not sent any more; what was sent
	// keeps a trace without personal data. So do the emails that name them
	// among others (reviewers' digests and reminders).
	if _, err := tx.ExecContext(ctx, `UPDATE emails SET
		status = CASE WHEN status = 'pending' THEN 'cancelled' ELSE status END,
		to_address = '', to_name = '', reply_to = '', subject = '(effacé)', text_body = '', html_body = '',
		link_sealed = NULL, updated_at = $2
		WHERE application_id = ANY($1)
		   OR id IN (SELECT email_id FROM email_applications WHERE application_id = ANY($1))`, arr, tx.now); err != nil {
		return nil, fmt.Errorf("erase emails: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO application_events (application_id, kind, actor, created_at)
		SELECT id, $2, $3, $4 FROM unnest($1::bigint[]) AS id`, arr, EventErased, actor, tx.now); err != nil {
		return nil, fmt.Errorf("insert erased events: %w", err)
	}
	if err := r.cancelErasedInterviews(ctx, tx, erased, actor, cancel); err != nil {
		return nil, err
	}
	return erased, nil
}

// DocumentInfo returns what is known of an application's CV, without its content.
func (r *Repo) DocumentInfo(ctx context.Context, appID int64) (*Document, error) {
	var d Document
	err := r.db.GetContext(ctx, &d, `SELECT id, application_id, file_name, content_type, size_bytes, sha256,
		created_at FROM documents WHERE application_id = $1`, appID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("document of application %d: %w", appID, err)
	}
	return &d, nil
}

// DocumentByApplication returns the CV of an application.
func (r *Repo) DocumentByApplication(ctx context.Context, appID int64) (*Document, error) {
	var d Document
	err := r.db.GetContext(ctx, &d, `SELECT id, application_id, file_name, content_type, size_bytes, sha256,
		content, created_at FROM documents WHERE application_id = $1`, appID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("document of application %d: %w", appID, err)
	}
	return &d, nil
}

// Counts reports how many rows each table has (tests check nothing was written).
func (r *Repo) Counts(ctx context.Context) (apps, docs, emails int, err error) {
	err = r.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM applications), (SELECT count(*) FROM documents),
		(SELECT count(*) FROM emails)`).Scan(&apps, &docs, &emails)
	return apps, docs, emails, err
}
