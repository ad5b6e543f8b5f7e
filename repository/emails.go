package repository

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/lib/pq"

	"vivier/internal/catalog"
	"vivier/internal/links"
)

// Email states.
const (
	EmailPending   = "pending"
	EmailSending   = "sending"
	EmailSent      = "sent"
	EmailFailed    = "failed"
	EmailCancelled = "cancelled"
)

// Email is a row of the outbox: rendered when written, kept as sent.
type Email struct {
	ID            int64      `db:"id"`
	Kind          string     `db:"kind"`
	PostingID     *int64     `db:"posting_id"`
	ApplicationID *int64     `db:"application_id"`
	ToAddress     string     `db:"to_address"`
	ToName        string     `db:"to_name"`
	ReplyTo       string     `db:"reply_to"`
	Subject       string     `db:"subject"`
	TextBody      string     `db:"text_body"`
	HTMLBody      string     `db:"html_body"`
	Status        string     `db:"status"`
	Attempts      int        `db:"attempts"`
	LastError     string     `db:"last_error"`
	MessageID     string     `db:"message_id"`
	SendAfter     time.Time  `db:"send_after"` // zero: when the row is written
	ClaimedAt     *time.Time `db:"claimed_at"`
	SentAt        *time.Time `db:"sent_at"`
	CreatedAt     time.Time  `db:"created_at"`
	UpdatedAt     time.Time  `db:"updated_at"`
	// DedupeKey makes a second write of the same email a no-op.
	DedupeKey *string `db:"dedupe_key"`
	// AboutStatus is the application status the email announces.
	AboutStatus catalog.Status `db:"about_status"`
	// LinkSealed is the token of the link the email carries, sealed with
	// LINK_KEY for this row (see links.Key): the stored subject and bodies
	// hold links.Marker in its place. Emptied once the email is sent.
	LinkSealed []byte `db:"link_sealed"`
	// InReplyTo is the Message-ID of the applicant's message this email
	// answers, if it answers one (its In-Reply-To header).
	InReplyTo string `db:"in_reply_to"`
	// BouncedAt and BounceReason: a delivery status notification said the
	// email could not be delivered, and why.
	BouncedAt    *time.Time `db:"bounced_at"`
	BounceReason string     `db:"bounce_reason"`
	// Read by a claim only, for the headers of the message (see
	// ClaimEmails): the Message-ID of the application's thread root (its
	// acknowledgement) when this email is not the root, and whether the
	// email goes to the applicant.
	ThreadRoot  string `db:"thread_root"`
	ToApplicant bool   `db:"to_applicant"`
	// Token, when set on an email to write, is the working token of the
	// link it carries: never stored in clear, it is hidden from the
	// subject and bodies and sealed into LinkSealed as the row is written.
	Token string `db:"-"`
	// LinkHash, when set on an email to an applicant, is the hash of
	// Token, stored with the email as one more private link of its
	// application.
	LinkHash []byte `db:"-"`
	// Attachments are the files the email carries (an invitation), stored
	// with it and read back when it is claimed.
	Attachments []Attachment `db:"-"`
}

const emailColumns = `id, kind, posting_id, application_id, to_address, to_name, reply_to, subject,
	text_body, html_body, status, attempts, last_error, message_id, send_after, claimed_at, sent_at,
	created_at, updated_at, dedupe_key, about_status, link_sealed, in_reply_to, bounced_at, bounce_reason`

// KindAcknowledgement is the kind of the email that starts an
// application's thread (compose.Acknowledgement): every later email to
// the applicant refers to its Message-ID.
const KindAcknowledgement = "acknowledgement"

// MessageID is the Message-ID of the email of that id, with its angle
// brackets, as stored: derived from the row, so a copy re-sent after a crash is
// recognised, and a reply to it is matched. ClaimEmails stores it as it
// claims the email (the same form, written in SQL).
func MessageID(id int64, domain string) string {
	return "<vivier.email." + strconv.FormatInt(id, 10) + "@" + domain + ">"
}

// DefaultMailDomain is the domain of Message-IDs when Repo.MailDomain is
// empty.
const DefaultMailDomain = "vivier.localhost"

func (r *Repo) mailDomain() string {
	if r.MailDomain == "" {
		return DefaultMailDomain
	}
	return r.MailDomain
}

// insertEmails writes emails to the outbox inside tx and fills their ids.
// An email's Token is hidden from what is stored and sealed for its row.
func (r *Repo) insertEmails(ctx context.Context, tx *Tx, emails []*Email) error {
	if len(emails) == 0 {
		return nil
	}
	var sealed []*Email
	stmt, err := r.txPrepared(ctx, tx, `INSERT INTO emails (kind, posting_id, application_id, to_address, to_name,
		reply_to, subject, text_body, html_body, send_after, dedupe_key, about_status, in_reply_to, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $14, $13, $13)
		RETURNING id, status, created_at, updated_at`)
	if err != nil {
		return fmt.Errorf("insert emails: %w", err)
	}
	for _, e := range emails {
		if e.SendAfter.IsZero() {
			e.SendAfter = tx.now
		}
		if e.Token != "" {
			// Hidden before the row is written: the token never reaches
			// the table, its old row versions or the write-ahead log.
			e.Subject, e.TextBody, e.HTMLBody = links.Hide(e.Subject, e.Token), links.Hide(e.TextBody, e.Token), links.Hide(e.HTMLBody, e.Token)
			sealed = append(sealed, e)
		}
		err := stmt.QueryRowxContext(ctx,
			e.Kind, e.PostingID, e.ApplicationID, e.ToAddress, e.ToName, e.ReplyTo, e.Subject, e.TextBody,
			e.HTMLBody, e.SendAfter, e.DedupeKey, e.AboutStatus, tx.now, e.InReplyTo).Scan(&e.ID, &e.Status, &e.CreatedAt, &e.UpdatedAt)
		if err != nil {
			return fmt.Errorf("insert %s email: %w", e.Kind, err)
		}
	}
	if err := insertAttachments(ctx, tx, emails); err != nil {
		return err
	}
	for _, e := range emails {
		if e.LinkHash != nil && e.ApplicationID != nil {
			if err := addPrivateLink(ctx, tx, *e.ApplicationID, e.LinkHash); err != nil {
				return err
			}
		}
	}
	return r.sealLinks(ctx, tx, sealed)
}

// sealLinks stores, inside tx, the Token of each email already written
// (its id known) sealed for its row, and forgets the clear one. Every
// email carrying a working link goes through it.
func (r *Repo) sealLinks(ctx context.Context, tx *Tx, emails []*Email) error {
	if len(emails) == 0 {
		return nil
	}
	if r.Links == nil {
		return errors.New("no LINK_KEY to seal the links of emails with")
	}
	ids := make([]int64, len(emails))
	values := make([][]byte, len(emails))
	for i, e := range emails {
		s, err := r.Links.Seal(e.ID, e.ToAddress, e.Token)
		if err != nil {
			return fmt.Errorf("seal the link of email %d: %w", e.ID, err)
		}
		ids[i], values[i], e.LinkSealed, e.Token = e.ID, s, s, ""
	}
	stmt, err := r.txPrepared(ctx, tx, `UPDATE emails e SET link_sealed = u.sealed
		FROM unnest($1::bigint[], $2::bytea[]) AS u(id, sealed) WHERE e.id = u.id`)
	if err == nil {
		_, err = stmt.ExecContext(ctx, pq.Array(ids), pq.ByteaArray(values))
	}
	if err != nil {
		return fmt.Errorf("seal the links of %d emails: %w", len(emails), err)
	}
	return nil
}

// ErrLinkUnreadable means an email's sealed link does not open (LINK_KEY
// changed since it was written): sent, it would carry no working link.
var ErrLinkUnreadable = errors.New("the link of this email cannot be opened (has LINK_KEY changed?)")

// WithLink returns e as it is to be sent: with the working token of its
// sealed link in place of links.Marker. An email without one is returned
// as it is.
func (r *Repo) WithLink(e *Email) (*Email, error) {
	if len(e.LinkSealed) == 0 {
		return e, nil
	}
	if r.Links == nil {
		return nil, ErrLinkUnreadable
	}
	token, err := r.Links.Open(e.ID, e.ToAddress, e.LinkSealed)
	if err != nil {
		return nil, fmt.Errorf("email %d: %w", e.ID, ErrLinkUnreadable)
	}
	out := *e
	out.Subject, out.TextBody, out.HTMLBody = links.Fill(e.Subject, token), links.Fill(e.TextBody, token), links.Fill(e.HTMLBody, token)
	return &out, nil
}

// InsertEmails writes emails to the outbox in their own transaction.
func (r *Repo) InsertEmails(ctx context.Context, emails []*Email) error {
	return r.inTx(ctx, func(tx *Tx) error { return r.insertEmails(ctx, tx, emails) })
}

// DefaultClaimTimeout is how long a claim lasts: an email still
// "sending" after it belonged to a worker that died, and may be claimed
// again. It is well above a task's timeout (2 minutes) plus the SMTP
// timeouts, so a slow live worker is never taken for a dead one.
const DefaultClaimTimeout = 10 * time.Minute

// ClaimLifetime is how long a claim holds (ClaimTimeout, or the default).
func (r *Repo) ClaimLifetime() time.Duration {
	if r.ClaimTimeout <= 0 {
		return DefaultClaimTimeout
	}
	return r.ClaimTimeout
}

func (r *Repo) claimTimeout() string {
	return fmt.Sprintf("%d milliseconds", r.ClaimLifetime().Milliseconds())
}

// ClaimEmail moves an email from pending (or a stale sending) to sending,
// so that one worker at a time sends it. It returns ErrConflict when the
// email is not to be sent now (already sent, failed, cancelled, claimed by
// a live worker, or due later) and ErrNotFound when there is no such row.
func (r *Repo) ClaimEmail(ctx context.Context, id int64) (*Email, error) {
	claimed, err := r.ClaimEmails(ctx, []int64{id})
	if err != nil {
		return nil, err
	}
	if len(claimed) == 1 {
		return claimed[0], nil
	}
	var exists bool
	if err := r.db.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM emails WHERE id = $1)`, id); err != nil {
		return nil, fmt.Errorf("claim email %d: %w", id, err)
	}
	if !exists {
		return nil, ErrNotFound
	}
	return nil, ErrConflict
}

// ClaimEmails claims, in one statement, those of ids that are to be sent
// now (as ClaimEmail does for one), in id order. The others are left
// alone: sent, cancelled, claimed by a live worker, or due later. Each
// claimed email gets its Message-ID (MessageID) if it has none yet, and
// comes with what its headers need: its thread's root and whether it
// goes to the applicant (so every email to an applicant is threaded,
// whichever code wrote it).
func (r *Repo) ClaimEmails(ctx context.Context, ids []int64) ([]*Email, error) {
	var es []*Email
	stmt, err := r.prepared(ctx, `UPDATE emails SET status = 'sending', claimed_at = $3,
		attempts = attempts + 1, updated_at = $3,
		message_id = CASE WHEN message_id = '' THEN '<vivier.email.' || id || '@' || $4::text || '>' ELSE message_id END
		WHERE id = ANY($1) AND send_after <= $3
		  AND (status = 'pending' OR (status = 'sending' AND claimed_at < $3::timestamptz - $2::interval))
		RETURNING `+emailColumns+`,
		  COALESCE((SELECT r.message_id FROM emails r WHERE r.application_id = emails.application_id
		      AND r.kind = $5 AND r.id <> emails.id AND r.message_id <> '' AND r.bounced_at IS NULL
		      ORDER BY r.id LIMIT 1), '') AS thread_root,
		  EXISTS (SELECT 1 FROM applications a WHERE a.id = emails.application_id
		      AND lower(a.email) = lower(emails.to_address)) AS to_applicant`)
	if err == nil {
		err = stmt.SelectContext(ctx, &es, pq.Array(ids), r.claimTimeout(), r.now(), r.mailDomain(), KindAcknowledgement)
	}
	if err != nil {
		return nil, fmt.Errorf("claim %d emails: %w", len(ids), err)
	}
	slices.SortFunc(es, func(a, b *Email) int { return cmp.Compare(a.ID, b.ID) })
	if err := r.withAttachments(ctx, es); err != nil {
		return nil, err
	}
	return es, nil
}

// The outcome of a send is recorded only by the claim that made it: the
// row must still be "sending" with the attempt number the claim set
// (a fencing token), so a worker that lost its claim changes nothing.
// They return ErrConflict when the claim was lost.

// MarkEmailSent records a successful send, and forgets the sealed link:
// it is in the recipient's mailbox now, and nowhere here. The Reply-To
// the message carried (e.ReplyTo: the sender may have set the routing
// address) is kept, as sent.
func (r *Repo) MarkEmailSent(ctx context.Context, e *Email, messageID string) error {
	stmt, err := r.prepared(ctx, `UPDATE emails SET status = 'sent', message_id = $3, sent_at = $4, last_error = '',
		link_sealed = NULL, reply_to = $5, updated_at = $4
		WHERE id = $1 AND status = 'sending' AND attempts = $2`)
	var res sql.Result
	if err == nil {
		res, err = stmt.ExecContext(ctx, e.ID, e.Attempts, messageID, r.now(), e.ReplyTo)
	}
	if err != nil {
		return fmt.Errorf("record outcome of email %d: %w", e.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("email %d was claimed again meanwhile: %w", e.ID, ErrConflict)
	}
	return nil
}

// ReleaseEmail puts an email back to pending after a failure worth a retry.
func (r *Repo) ReleaseEmail(ctx context.Context, e *Email, reason string) error {
	return r.settle(ctx, e, `status = 'pending', claimed_at = NULL, last_error = $3`, reason)
}

// MarkEmailFailed records a final failure, shown to reviewers. A sealed
// link is kept (sealed) for a reviewer's resend (ResendEmail moves it).
func (r *Repo) MarkEmailFailed(ctx context.Context, e *Email, reason string) error {
	return r.settle(ctx, e, `status = 'failed', last_error = $3`, reason)
}

func (r *Repo) settle(ctx context.Context, e *Email, set string, arg string) error {
	stmt, err := r.prepared(ctx, `UPDATE emails SET `+set+`, updated_at = $4
		WHERE id = $1 AND status = 'sending' AND attempts = $2`)
	var res sql.Result
	if err == nil {
		res, err = stmt.ExecContext(ctx, e.ID, e.Attempts, arg, r.now())
	}
	if err != nil {
		return fmt.Errorf("record outcome of email %d: %w", e.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("email %d was claimed again meanwhile: %w", e.ID, ErrConflict)
	}
	return nil
}

// SweepItem is an email the sweep enqueues again.
type SweepItem struct {
	ID   int64  `db:"id"`
	Kind string `db:"kind"`
}

// EmailsToSweep returns, by id after afterID, the emails that are due and
// still pending after olderThan (or whose sender died): the sweep
// enqueues them again.
func (r *Repo) EmailsToSweep(ctx context.Context, olderThan time.Duration, afterID int64, limit int) ([]SweepItem, error) {
	var ids []SweepItem
	err := r.db.SelectContext(ctx, &ids, `SELECT id, kind FROM emails
		WHERE ((status = 'pending' AND updated_at < $5::timestamptz - $1::interval)
		    OR (status = 'sending' AND claimed_at < $5::timestamptz - $2::interval))
		  AND send_after <= $5 AND id > $3
		ORDER BY id LIMIT $4`,
		fmt.Sprintf("%d milliseconds", olderThan.Milliseconds()),
		r.claimTimeout(), afterID, limit, r.now())
	if err != nil {
		return nil, fmt.Errorf("emails to sweep: %w", err)
	}
	return ids, nil
}

// EmailByID returns one email.
func (r *Repo) EmailByID(ctx context.Context, id int64) (*Email, error) {
	var e Email
	err := r.db.GetContext(ctx, &e, `SELECT `+emailColumns+` FROM emails WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("email %d: %w", id, err)
	}
	return &e, nil
}

// EmailsOfApplication lists the emails linked to an application, oldest first.
func (r *Repo) EmailsOfApplication(ctx context.Context, appID int64) ([]Email, error) {
	var es []Email
	err := r.db.SelectContext(ctx, &es, `SELECT `+emailColumns+` FROM emails WHERE application_id = $1
		ORDER BY created_at, id`, appID)
	if err != nil {
		return nil, fmt.Errorf("emails of application %d: %w", appID, err)
	}
	return es, nil
}

// TouchEmails marks pending emails as just enqueued, so the sweep leaves
// them alone for another delay.
func (r *Repo) TouchEmails(ctx context.Context, ids []int64) error {
	_, err := r.db.ExecContext(ctx, `UPDATE emails SET updated_at = $2 WHERE id = ANY($1) AND status = 'pending'`,
		pq.Array(ids), r.now())
	if err != nil {
		return fmt.Errorf("touch emails: %w", err)
	}
	return nil
}
