package repository

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"vivier/internal/catalog"
)

// Reviewers' notifications: how each reviewer of a posting wants to hear
// of its new applications (and of applicants' replies), the daily
// digests and weekly reminders written, and the mentions in notes.

// NotifyPreference is a reviewer's frequency for a posting: the one they
// chose, or the default (at once for the contact, none for others). It
// returns ErrNotFound when email does not review the posting.
func (r *Repo) NotifyPreference(ctx context.Context, postingID int64, email string) (catalog.Notify, error) {
	var row struct {
		Chosen  *catalog.Notify `db:"frequency"`
		Contact bool            `db:"contact"`
	}
	err := r.db.GetContext(ctx, &row, `SELECT np.frequency, pr.email = lower(p.contact_email) AS contact
		FROM posting_reviewers pr JOIN postings p ON p.id = pr.posting_id
		LEFT JOIN notification_preferences np ON np.posting_id = pr.posting_id AND np.email = pr.email
		WHERE pr.posting_id = $1 AND pr.email = lower($2)`, postingID, email)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("notification preference: %w", err)
	}
	if row.Chosen != nil && row.Chosen.Valid() {
		return *row.Chosen, nil
	}
	return catalog.DefaultNotify(row.Contact), nil
}

// SetNotifyPreference records a reviewer's frequency for a posting. It
// returns ErrNotFound when email does not review the posting, and
// ErrConflict for a frequency that is not one.
func (r *Repo) SetNotifyPreference(ctx context.Context, postingID int64, email string, n catalog.Notify) error {
	if !n.Valid() {
		return fmt.Errorf("frequency %q: %w", n, ErrConflict)
	}
	res, err := r.db.ExecContext(ctx, `INSERT INTO notification_preferences (posting_id, email, frequency, updated_at)
		SELECT posting_id, email, $3, $4 FROM posting_reviewers WHERE posting_id = $1 AND email = lower($2)
		ON CONFLICT (posting_id, email) DO UPDATE SET frequency = EXCLUDED.frequency, updated_at = EXCLUDED.updated_at
		WHERE notification_preferences.frequency <> EXCLUDED.frequency`, postingID, email, n, r.now())
	if err != nil {
		return fmt.Errorf("set notification preference: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		// Unchanged, or not a reviewer: tell them apart.
		ok, err := r.CanReview(ctx, postingID, email)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotFound
		}
	}
	return nil
}

// NotifiedAtOnce lists, in order, the reviewers of a posting to tell at
// once of a new application or a reply: those who chose it, and the
// contact unless they chose otherwise.
func (r *Repo) NotifiedAtOnce(ctx context.Context, postingID int64) ([]string, error) {
	return notifiedAtOnce(ctx, r.db, postingID)
}

// notifiedAtOnce is NotifiedAtOnce through q (the database, or a
// transaction): the one place that says who is told at once.
func notifiedAtOnce(ctx context.Context, q sqlx.QueryerContext, postingID int64) ([]string, error) {
	var out []string
	err := sqlx.SelectContext(ctx, q, &out, `SELECT lower(p.contact_email) FROM postings p
		WHERE p.id = $1 AND p.contact_email <> '' AND NOT EXISTS (SELECT 1 FROM notification_preferences np
			WHERE np.posting_id = p.id AND np.email = lower(p.contact_email) AND np.frequency <> $2)
		UNION
		SELECT np.email FROM notification_preferences np WHERE np.posting_id = $1 AND np.frequency = $2
		ORDER BY 1`, postingID, catalog.NotifyAtOnce)
	if err != nil {
		return nil, fmt.Errorf("reviewers told at once of posting %d: %w", postingID, err)
	}
	return out, nil
}

// Kinds of what a digest reports.
const (
	DigestNewApplication = "application" // an application received
	DigestReply          = "reply"       // an applicant wrote back (not an automatic reply, not a bounce)
)

// Kinds of digests, one of each at most per person and day.
const (
	DigestDaily  = "daily"           // the daily digest, at 08:00 Paris time
	DigestWeekly = "weekly_reminder" // the weekly reminder of applications waiting, on Mondays
)

// DigestEvent is one thing a digest reports.
type DigestEvent struct {
	Kind          string    `db:"kind"` // DigestNewApplication or DigestReply
	PostingID     int64     `db:"posting_id"`
	PostingTitle  string    `db:"posting_title"`
	ApplicationID int64     `db:"application_id"`
	FirstName     string    `db:"first_name"`
	LastName      string    `db:"last_name"`
	At            time.Time `db:"at"`
	// What ShownOf needs to name the application as reviewers see it now:
	// the posting's blind first pass, the application's status and reveal.
	BlindUntil catalog.Status `db:"blind_until"`
	Status     catalog.Status `db:"status"`
	RevealedAt *time.Time     `db:"revealed_at"`
}

// digestEventQueries are the sources of a digest's events, each selecting
// DigestEvent's columns for the reviewer $1, among the postings where
// they chose a daily digest (frequency $2), in the window from $3 (or
// from when they chose it, if later) to $4, its kind being $5. Telling of
// another kind of event is one more query here and its label in
// compose's digestWhat.
var digestEventQueries = []struct {
	kind, query string
}{
	{DigestNewApplication, `SELECT $5::text AS kind, a.posting_id, p.title AS posting_title, a.id AS application_id,
		a.first_name, a.last_name, a.created_at AS at, p.blind_until, a.status, a.revealed_at
		FROM notification_preferences np
		JOIN postings p ON p.id = np.posting_id
		JOIN applications a ON a.posting_id = np.posting_id
		WHERE np.email = $1 AND np.frequency = $2 AND a.erased_at IS NULL
		  AND a.created_at >= GREATEST($3, np.updated_at) AND a.created_at < $4`},
	// Applicants' replies: automatic replies and bounces tell no one.
	{DigestReply, `SELECT $5::text AS kind, a.posting_id, p.title AS posting_title, a.id AS application_id,
		a.first_name, a.last_name, m.created_at AS at, p.blind_until, a.status, a.revealed_at
		FROM notification_preferences np
		JOIN postings p ON p.id = np.posting_id
		JOIN inbound_messages m ON m.posting_id = np.posting_id AND m.kind = '` + InboundReply + `'
		JOIN applications a ON a.id = m.application_id
		WHERE np.email = $1 AND np.frequency = $2 AND a.erased_at IS NULL
		  AND m.created_at >= GREATEST($3, np.updated_at) AND m.created_at < $4`},
}

// DigestEvents lists what happened, in the postings where email chose a
// daily digest, from since (or from when they chose it) until until,
// oldest first within each posting.
func (r *Repo) DigestEvents(ctx context.Context, email string, since, until time.Time) ([]DigestEvent, error) {
	var out []DigestEvent
	for _, q := range digestEventQueries {
		var evs []DigestEvent
		err := r.db.SelectContext(ctx, &evs, q.query, strings.ToLower(email), catalog.NotifyDaily, since, until, q.kind)
		if err != nil {
			return nil, fmt.Errorf("digest events (%s) for %s: %w", q.kind, email, err)
		}
		out = append(out, evs...)
	}
	sortDigestEvents(out)
	return out, nil
}

func sortDigestEvents(evs []DigestEvent) {
	for i := 1; i < len(evs); i++ { // insertion sort: a digest holds a handful
		for j := i; j > 0 && digestBefore(evs[j], evs[j-1]); j-- {
			evs[j], evs[j-1] = evs[j-1], evs[j]
		}
	}
}

func digestBefore(a, b DigestEvent) bool {
	if a.PostingID != b.PostingID {
		return a.PostingID < b.PostingID
	}
	if !a.At.Equal(b.At) {
		return a.At.Before(b.At)
	}
	return a.ApplicationID < b.ApplicationID
}

// WaitingApplication is an application still waiting for an answer: still
// received, its status never changed.
type WaitingApplication struct {
	PostingID     int64          `db:"posting_id"`
	PostingTitle  string         `db:"posting_title"`
	ApplicationID int64          `db:"application_id"`
	FirstName     string         `db:"first_name"`
	LastName      string         `db:"last_name"`
	ReceivedAt    time.Time      `db:"received_at"`
	Frequency     catalog.Notify `db:"frequency"` // the contact's for the posting
	// What ShownOf needs to name the application as reviewers see it.
	BlindUntil catalog.Status `db:"blind_until"`
	Status     catalog.Status `db:"status"`
	RevealedAt *time.Time     `db:"revealed_at"`
	// TotalInPosting counts the posting's waiting applications, of which
	// the first WaitingPerPosting are listed.
	TotalInPosting int `db:"total_in_posting"`
}

// WaitingPerPosting bounds the applications a reminder names per posting.
const WaitingPerPosting = 20

// WaitingApplications lists, for the postings email is the contact of
// (open or closed), the applications received before cutoff that wait for
// an answer, the oldest WaitingPerPosting of each posting.
func (r *Repo) WaitingApplications(ctx context.Context, email string, cutoff time.Time) ([]WaitingApplication, error) {
	var out []WaitingApplication
	err := r.db.SelectContext(ctx, &out, `SELECT posting_id, posting_title, application_id, first_name, last_name,
		received_at, frequency, blind_until, status, revealed_at, total_in_posting FROM (
		SELECT p.id AS posting_id, p.title AS posting_title, a.id AS application_id, a.first_name, a.last_name,
			a.created_at AS received_at, COALESCE(np.frequency, $2) AS frequency,
			p.blind_until, a.status, a.revealed_at,
			count(*) OVER (PARTITION BY p.id)::int AS total_in_posting,
			row_number() OVER (PARTITION BY p.id ORDER BY a.created_at, a.id) AS n
		FROM postings p
		JOIN applications a ON a.posting_id = p.id
		LEFT JOIN notification_preferences np ON np.posting_id = p.id AND np.email = lower(p.contact_email)
		WHERE lower(p.contact_email) = lower($1) AND p.status = ANY($3) AND a.status = $4 AND a.erased_at IS NULL
		  AND a.created_at < $5
		  AND NOT EXISTS (SELECT 1 FROM application_events e WHERE e.application_id = a.id AND e.kind = $6)
		) w WHERE n <= $7 ORDER BY posting_id, received_at, application_id`,
		email, catalog.NotifyAtOnce, pq.Array([]string{string(catalog.PostingOpen), string(catalog.PostingClosed)}),
		catalog.StatusReceived, cutoff, EventStatusChanged, WaitingPerPosting)
	if err != nil {
		return nil, fmt.Errorf("applications waiting for %s: %w", email, err)
	}
	return out, nil
}

// DigestRecipients lists those who chose a daily digest for a posting
// and whose digest of day is not written yet.
func (r *Repo) DigestRecipients(ctx context.Context, day time.Time) ([]string, error) {
	var out []string
	err := r.db.SelectContext(ctx, &out, `SELECT DISTINCT np.email FROM notification_preferences np
		WHERE np.frequency = $1 AND NOT EXISTS (SELECT 1 FROM reviewer_digests d
			WHERE d.email = np.email AND d.kind = $2 AND d.day = $3)
		ORDER BY 1`, catalog.NotifyDaily, DigestDaily, day.Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("digest recipients: %w", err)
	}
	return out, nil
}

// ReminderRecipients lists the contacts told at once of an open or
// closed posting with an application received before cutoff still
// waiting for an answer, whose reminder of the week of monday is not
// written yet.
func (r *Repo) ReminderRecipients(ctx context.Context, monday, cutoff time.Time) ([]string, error) {
	var out []string
	err := r.db.SelectContext(ctx, &out, `SELECT DISTINCT lower(p.contact_email) FROM postings p
		WHERE p.contact_email <> '' AND p.status = ANY($1)
		  AND COALESCE((SELECT np.frequency FROM notification_preferences np
			WHERE np.posting_id = p.id AND np.email = lower(p.contact_email)), $2) = $2
		  AND EXISTS (SELECT 1 FROM applications a WHERE a.posting_id = p.id AND a.status = $3
			AND a.erased_at IS NULL AND a.created_at < $4)
		  AND NOT EXISTS (SELECT 1 FROM reviewer_digests d
			WHERE d.email = lower(p.contact_email) AND d.kind = $5 AND d.day = $6)
		ORDER BY 1`, pq.Array([]string{string(catalog.PostingOpen), string(catalog.PostingClosed)}), catalog.NotifyAtOnce,
		catalog.StatusReceived, cutoff, DigestWeekly, monday.Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("reminder recipients: %w", err)
	}
	return out, nil
}

// DigestRecord is one digest or reminder written, for a person and a
// Paris day.
type DigestRecord struct {
	Email string
	Kind  string // DigestDaily or DigestWeekly
	Day   time.Time
	// CoversUntil is the end of what it reports: the next starts there.
	CoversUntil time.Time
}

// LastDigestEnd is where the latest digest of kind to email stopped
// reporting, or the zero time when there is none.
func (r *Repo) LastDigestEnd(ctx context.Context, email, kind string) (time.Time, error) {
	var until *time.Time
	err := r.db.GetContext(ctx, &until, `SELECT max(covers_until) FROM reviewer_digests WHERE email = lower($1) AND kind = $2`, email, kind)
	if err != nil {
		return time.Time{}, fmt.Errorf("last digest: %w", err)
	}
	if until == nil {
		return time.Time{}, nil
	}
	return *until, nil
}

// WriteDigest records d and writes its email (nil: none, there was
// nothing to say), naming apps, in one transaction. It returns false,
// writing nothing, when d was recorded already (by another run or
// another scheduler).
func (r *Repo) WriteDigest(ctx context.Context, d DigestRecord, e *Email, apps []int64) (bool, error) {
	written := false
	err := r.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO reviewer_digests (email, kind, day, covers_until, created_at)
			VALUES (lower($1), $2, $3, $4, $5) ON CONFLICT DO NOTHING`, d.Email, d.Kind, d.Day.Format(time.DateOnly), d.CoversUntil, tx.now)
		if err != nil {
			return fmt.Errorf("record digest: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		written = true
		if e == nil {
			return nil // nothing to say: recorded, so that it is not looked at again
		}
		if err := r.insertEmails(ctx, tx, []*Email{e}); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE reviewer_digests SET email_id = $4 WHERE email = lower($1) AND kind = $2 AND day = $3`,
			d.Email, d.Kind, d.Day.Format(time.DateOnly), e.ID); err != nil {
			return fmt.Errorf("record digest email: %w", err)
		}
		return linkEmailApplications(ctx, tx, e.ID, apps)
	})
	return written, err
}

// linkEmailApplications records, inside tx, the applications an email
// names besides its own: erasing one empties the email.
func linkEmailApplications(ctx context.Context, tx *Tx, emailID int64, apps []int64) error {
	if len(apps) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO email_applications (email_id, application_id)
		SELECT $1, id FROM unnest($2::bigint[]) AS id ON CONFLICT DO NOTHING`, emailID, pq.Array(apps))
	if err != nil {
		return fmt.Errorf("link email %d to its applications: %w", emailID, err)
	}
	return nil
}

// AddNoteWithEmails adds a note and the emails it causes (mentions),
// built by emailsFor from the note's id, in one transaction; it returns
// the emails written.
func (r *Repo) AddNoteWithEmails(ctx context.Context, appID int64, author, body string,
	emailsFor func(noteID int64) ([]*Email, error)) ([]*Email, error) {
	var out []*Email
	err := r.inTx(ctx, func(tx *Tx) error {
		var id int64
		if err := tx.GetContext(ctx, &id, `INSERT INTO notes (application_id, author, body, created_at) VALUES ($1, $2, $3, $4)
			RETURNING id`, appID, author, body, tx.now); err != nil {
			return fmt.Errorf("add note: %w", err)
		}
		if emailsFor == nil {
			return nil
		}
		var err error
		if out, err = emailsFor(id); err != nil {
			return err
		}
		return r.insertEmails(ctx, tx, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
