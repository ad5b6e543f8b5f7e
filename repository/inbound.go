package repository

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"

	"vivier/internal/links"
)

// Kinds of inbound messages (inbound_messages.kind).
const (
	InboundReply     = "reply"      // the applicant wrote back
	InboundAutoReply = "auto_reply" // an automatic answer (out of office...): kept, nobody told
	InboundBounce    = "bounce"     // a delivery status notification: one of our emails did not arrive
	InboundUnmatched = "unmatched"  // for no application we know: listed for admins
)

// How an inbound message was matched to its application.
const (
	MatchedByAddress = "address" // its routing address
	MatchedByThread  = "thread"  // its In-Reply-To or References
	MatchedByBounce  = "bounce"  // the Message-ID of the email a bounce is about
)

// InboundMessage is a message read from the mailbox.
type InboundMessage struct {
	ID int64 `db:"id"`
	// MessageKey makes a message processed once: its Message-ID, or a
	// digest of its header.
	MessageKey    string     `db:"message_key"`
	Kind          string     `db:"kind"`
	ApplicationID *int64     `db:"application_id"`
	PostingID     *int64     `db:"posting_id"`
	EmailID       *int64     `db:"email_id"`
	MatchedBy     string     `db:"matched_by"`
	FromAddress   string     `db:"from_address"`
	FromName      string     `db:"from_name"`
	Subject       string     `db:"subject"`
	Body          string     `db:"body"`
	Notes         string     `db:"notes"`
	SentAt        *time.Time `db:"sent_at"`
	CreatedAt     time.Time  `db:"created_at"`
	// Attachments, without their content when listed.
	Attachments []InboundAttachment `db:"-"`
}

const inboundColumns = `id, message_key, kind, application_id, posting_id, email_id, matched_by, from_address,
	from_name, subject, body, notes, sent_at, created_at`

// InboundAttachment is a file attached to a reply, kept under a CV's
// checks and limits.
type InboundAttachment struct {
	ID          int64  `db:"id"`
	InboundID   int64  `db:"inbound_id"`
	FileName    string `db:"file_name"`
	ContentType string `db:"content_type"`
	SizeBytes   int64  `db:"size_bytes"`
	SHA256      []byte `db:"sha256"`
	Content     []byte `db:"content"`
}

// Inbound is what the mailbox reader stores for one message, in one
// transaction.
type Inbound struct {
	Message *InboundMessage
	// Bounce is the reason a bounce gives, set on the email it is about
	// (Message.EmailID).
	Bounce string
	// Notify writes the emails that tell people of the message, given its
	// application and posting (nil: nobody is told).
	Notify func(ctx context.Context, tx *Tx, a *Application, p *Posting) ([]*Email, error)
}

// ErrApplicationGone means an inbound message is for an application whose
// data was erased: it is dropped, not stored.
var ErrApplicationGone = errors.New("the application of this message was erased")

// StoreInbound stores a message read from the mailbox, once: the message
// and its attachments, the bounce it reports (on the email it is about)
// and the emails that tell reviewers of it, in one transaction. It
// returns the emails written; ErrConflict when the message was stored
// already (another reader, or this one before a crash), and
// ErrApplicationGone, writing nothing, when its application was erased.
func (r *Repo) StoreInbound(ctx context.Context, in Inbound) ([]*Email, error) {
	m := in.Message
	var written []*Email
	err := r.inTx(ctx, func(tx *Tx) error {
		var a *Application
		var p *Posting
		if m.ApplicationID != nil {
			var app Application
			err := tx.GetContext(ctx, &app, `SELECT `+applicationColumns+` FROM applications WHERE id = $1 FOR SHARE`, *m.ApplicationID)
			if errors.Is(err, sql.ErrNoRows) {
				return ErrApplicationGone
			}
			if err != nil {
				return fmt.Errorf("application %d of an inbound message: %w", *m.ApplicationID, err)
			}
			if app.ErasedAt != nil {
				return ErrApplicationGone
			}
			a = &app
			var post Posting
			if err := tx.GetContext(ctx, &post, `SELECT `+postingColumns+` FROM postings WHERE id = $1`, app.PostingID); err != nil {
				return fmt.Errorf("posting of application %d: %w", app.ID, err)
			}
			p = &post
			m.PostingID = &post.ID
		}
		m.CreatedAt = tx.now
		err := tx.QueryRowxContext(ctx, `INSERT INTO inbound_messages (message_key, kind, application_id, posting_id, email_id,
			matched_by, from_address, from_name, subject, body, notes, sent_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			ON CONFLICT (message_key) DO NOTHING RETURNING id`,
			m.MessageKey, m.Kind, m.ApplicationID, m.PostingID, m.EmailID, m.MatchedBy, m.FromAddress, m.FromName,
			m.Subject, m.Body, m.Notes, m.SentAt, tx.now).Scan(&m.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("inbound message %s: %w", m.MessageKey, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("store inbound message: %w", err)
		}
		for i := range m.Attachments {
			f := &m.Attachments[i]
			f.InboundID = m.ID
			if err := tx.QueryRowxContext(ctx, `INSERT INTO inbound_attachments (inbound_id, file_name, content_type,
				size_bytes, sha256, content) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
				m.ID, f.FileName, f.ContentType, f.SizeBytes, f.SHA256, f.Content).Scan(&f.ID); err != nil {
				return fmt.Errorf("store attachment %q: %w", f.FileName, err)
			}
		}
		if m.Kind == InboundBounce && m.EmailID != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE emails SET bounced_at = $2, bounce_reason = $3, updated_at = $2
				WHERE id = $1 AND bounced_at IS NULL`, *m.EmailID, tx.now, in.Bounce); err != nil {
				return fmt.Errorf("mark email %d bounced: %w", *m.EmailID, err)
			}
		}
		if in.Notify == nil || a == nil {
			return nil
		}
		emails, err := in.Notify(ctx, tx, a, p)
		if err != nil {
			return err
		}
		written = emails
		return r.insertEmails(ctx, tx, emails)
	})
	if err != nil {
		return nil, err
	}
	return written, nil
}

// ReplyRecipients are the people told at once of an applicant's reply on
// a posting, inside tx: the reviewers who chose « À chaque nouveauté »
// for it, and its contact unless they chose otherwise, as for a new
// application (NotifiedAtOnce). Those who chose the daily digest read
// the reply there; those who chose « Aucun email » are not told.
func (r *Repo) ReplyRecipients(ctx context.Context, tx *Tx, postingID int64) ([]string, error) {
	return notifiedAtOnce(ctx, tx, postingID)
}

// EmailByMessageIDs returns the first of our emails whose Message-ID is
// one of ids (with their angle brackets), the latest first; ErrNotFound
// when none is ours.
func (r *Repo) EmailByMessageIDs(ctx context.Context, ids []string) (*Email, error) {
	if len(ids) == 0 {
		return nil, ErrNotFound
	}
	var e Email
	err := r.db.GetContext(ctx, &e, `SELECT `+emailColumns+` FROM emails WHERE message_id = ANY($1) AND message_id <> ''
		ORDER BY id DESC LIMIT 1`, pq.Array(ids))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("email by Message-ID: %w", err)
	}
	return &e, nil
}

// InboundMessageStored reports whether a message of that key was stored.
func (r *Repo) InboundMessageStored(ctx context.Context, key string) (bool, error) {
	var ok bool
	if err := r.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM inbound_messages WHERE message_key = $1)`, key); err != nil {
		return false, fmt.Errorf("inbound message stored: %w", err)
	}
	return ok, nil
}

// InboundOfApplication lists what came back about an application, oldest
// first, with its attachments (without their content).
func (r *Repo) InboundOfApplication(ctx context.Context, appID int64) ([]InboundMessage, error) {
	var ms []InboundMessage
	if err := r.db.SelectContext(ctx, &ms, `SELECT `+inboundColumns+` FROM inbound_messages WHERE application_id = $1
		ORDER BY created_at, id`, appID); err != nil {
		return nil, fmt.Errorf("inbound messages of application %d: %w", appID, err)
	}
	if len(ms) == 0 {
		return ms, nil
	}
	var atts []InboundAttachment
	if err := r.db.SelectContext(ctx, &atts, `SELECT f.id, f.inbound_id, f.file_name, f.content_type, f.size_bytes, f.sha256
		FROM inbound_attachments f JOIN inbound_messages m ON m.id = f.inbound_id
		WHERE m.application_id = $1 ORDER BY f.id`, appID); err != nil {
		return nil, fmt.Errorf("attachments of application %d: %w", appID, err)
	}
	for _, f := range atts {
		for i := range ms {
			if ms[i].ID == f.InboundID {
				ms[i].Attachments = append(ms[i].Attachments, f)
			}
		}
	}
	return ms, nil
}

// InboundByID returns one inbound message (ErrNotFound).
func (r *Repo) InboundByID(ctx context.Context, id int64) (*InboundMessage, error) {
	var m InboundMessage
	err := r.db.GetContext(ctx, &m, `SELECT `+inboundColumns+` FROM inbound_messages WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("inbound message %d: %w", id, err)
	}
	return &m, nil
}

// InboundAttachmentOf returns an attachment, with its content, and the
// application it belongs to (ErrNotFound).
func (r *Repo) InboundAttachmentOf(ctx context.Context, id int64) (*InboundAttachment, int64, error) {
	var row struct {
		InboundAttachment
		ApplicationID int64 `db:"application_id"`
	}
	err := r.db.GetContext(ctx, &row, `SELECT f.id, f.inbound_id, f.file_name, f.content_type, f.size_bytes, f.sha256,
		f.content, m.application_id FROM inbound_attachments f JOIN inbound_messages m ON m.id = f.inbound_id
		WHERE f.id = $1 AND m.application_id IS NOT NULL`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, ErrNotFound
	}
	if err != nil {
		return nil, 0, fmt.Errorf("attachment %d: %w", id, err)
	}
	return &row.InboundAttachment, row.ApplicationID, nil
}

// UnmatchedInbound lists the messages matched to no application, newest
// first.
func (r *Repo) UnmatchedInbound(ctx context.Context, limit int) ([]InboundMessage, error) {
	var ms []InboundMessage
	if err := r.db.SelectContext(ctx, &ms, `SELECT `+inboundColumns+` FROM inbound_messages WHERE kind = 'unmatched'
		ORDER BY created_at DESC, id DESC LIMIT $1`, limit); err != nil {
		return nil, fmt.Errorf("unmatched inbound messages: %w", err)
	}
	return ms, nil
}

// InboundState is the mailbox reader's health.
type InboundState struct {
	Mailbox      string     `db:"mailbox"`
	LastOKAt     *time.Time `db:"last_ok_at"`
	FailingSince *time.Time `db:"failing_since"`
	LastError    string     `db:"last_error"`
	UpdatedAt    time.Time  `db:"updated_at"`
}

// RecordInboundState records that the reader reached the mailbox (failure
// "") or not, and why.
func (r *Repo) RecordInboundState(ctx context.Context, mailbox, failure string) error {
	now := r.now()
	var err error
	if failure == "" {
		_, err = r.db.ExecContext(ctx, `INSERT INTO inbound_state (mailbox, last_ok_at, failing_since, last_error, updated_at)
			VALUES ($1, $2, NULL, '', $2)
			ON CONFLICT (mailbox) DO UPDATE SET last_ok_at = $2, failing_since = NULL, last_error = '', updated_at = $2`, mailbox, now)
	} else {
		_, err = r.db.ExecContext(ctx, `INSERT INTO inbound_state (mailbox, failing_since, last_error, updated_at)
			VALUES ($1, $2, $3, $2)
			ON CONFLICT (mailbox) DO UPDATE SET failing_since = COALESCE(inbound_state.failing_since, $2),
			last_error = $3, updated_at = $2`, mailbox, now, failure)
	}
	if err != nil {
		return fmt.Errorf("record inbound state: %w", err)
	}
	return nil
}

// InboundStates returns the health of every mailbox read.
func (r *Repo) InboundStates(ctx context.Context) ([]InboundState, error) {
	var out []InboundState
	if err := r.db.SelectContext(ctx, &out, `SELECT mailbox, last_ok_at, failing_since, last_error, updated_at
		FROM inbound_state ORDER BY mailbox`); err != nil {
		return nil, fmt.Errorf("inbound states: %w", err)
	}
	return out, nil
}

// ResendToCorrectedAddress writes a copy of a bounced email to the
// applicant at a corrected address, which becomes the application's own
// (later emails go there). An email that carried a private link gets a
// new one (the bounced one never arrived). It returns ErrConflict when
// the email did not bounce or its application is erased.
func (r *Repo) ResendToCorrectedAddress(ctx context.Context, id int64, to string, newToken func() (token string, hash []byte, err error)) (*Email, error) {
	var resent Email
	err := r.inTx(ctx, func(tx *Tx) error {
		var bounced Email
		err := tx.GetContext(ctx, &bounced, `SELECT `+emailColumns+` FROM emails
			WHERE id = $1 AND bounced_at IS NOT NULL AND application_id IS NOT NULL AND to_address <> '' FOR UPDATE`, id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrConflict
		}
		if err != nil {
			return fmt.Errorf("resend email %d: %w", id, err)
		}
		res, err := tx.ExecContext(ctx, `UPDATE applications SET email = $2, updated_at = $3
			WHERE id = $1 AND erased_at IS NULL AND lower(email) = lower($4)`, *bounced.ApplicationID, to, tx.now, bounced.ToAddress)
		if err != nil {
			return fmt.Errorf("correct the address of application %d: %w", *bounced.ApplicationID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrConflict // erased, or the email was not to the applicant
		}
		resent = Email{Kind: bounced.Kind, PostingID: bounced.PostingID, ApplicationID: bounced.ApplicationID,
			ToAddress: to, ToName: bounced.ToName, ReplyTo: bounced.ReplyTo, Subject: bounced.Subject,
			TextBody: bounced.TextBody, HTMLBody: bounced.HTMLBody, AboutStatus: bounced.AboutStatus, InReplyTo: bounced.InReplyTo}
		if containsMarker(bounced) {
			token, hash, err := newToken()
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO application_tokens (token_hash, application_id, created_at)
				VALUES ($1, $2, $3)`, hash, *bounced.ApplicationID, tx.now); err != nil {
				return fmt.Errorf("new private link for application %d: %w", *bounced.ApplicationID, err)
			}
			resent.Token = token
		}
		return r.insertEmails(ctx, tx, []*Email{&resent})
	})
	if err != nil {
		return nil, err
	}
	return &resent, nil
}

// containsMarker reports whether e carried a personal link.
func containsMarker(e Email) bool {
	return strings.Contains(e.TextBody, links.Marker) || strings.Contains(e.HTMLBody, links.Marker)
}
