package repository

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"vivier/internal/catalog"
)

// closeGroupWhere selects the applications of group g, given the
// parameters that hold its statuses (an array) and the status its email
// announces.
func closeGroupWhere(g catalog.CloseGroup, statuses, about string) string {
	where := `a.status = ANY(` + statuses + `)`
	if g.UntoldOnly() {
		where += ` AND NOT ` + told(about)
	}
	return where
}

// CloseText is what one group receives, of its kind, rendered once with
// placeholders that the plan's Fill completes for each applicant.
type CloseText struct {
	Kind                string
	Subject, Text, HTML string
}

// CloseCounts says how many applicants are in each group of a close.
type CloseCounts struct {
	InReview     int `db:"in_review"`
	Interview    int `db:"interview"`
	Accepted     int `db:"accepted"`
	RejectedNew  int `db:"rejected_new"`  // rejected, not yet told: get the notice
	RejectedTold int `db:"rejected_told"` // rejected and already told: nothing new
	Withdrawn    int `db:"withdrawn"`
	Total        int `db:"total"`
}

// told is true for an application whose status the parameter about
// names was announced by an email that has left or will leave.
func told(about string) string {
	return `EXISTS (SELECT 1 FROM emails e WHERE e.application_id = a.id AND e.about_status = ` + about + `
	AND e.status IN ('pending', 'sending', 'sent'))`
}

// CloseCountsOf counts the applicants of a posting by close group.
func (r *Repo) CloseCountsOf(ctx context.Context, postingID int64) (CloseCounts, error) {
	return closeCounts(ctx, r.db, postingID)
}

// ClosePlan is everything a close writes besides the status.
type ClosePlan struct {
	Actor string
	// Texts by group; a group without text (the accepted one, unless the
	// contact wrote to them) gets no email.
	Texts map[catalog.CloseGroup]CloseText
	// Fill completes the texts for each applicant.
	Fill Fill
	// Summary builds the email that tells the contact what went out,
	// from the counts of what was written (nil: no summary).
	Summary func(written map[catalog.CloseGroup]int, counts CloseCounts) (*Email, error)
	// Interview writes, for an applicant whose interview still to come the
	// close cancels, the close's email to them (of group g; g is "" when
	// their group gets nothing from this close) carrying the interview's
	// cancellation, and the cancellations to the reviewers attending.
	// Those applicants get this email in place of their group's.
	Interview func(g catalog.CloseGroup, a *Application, iv *Interview) (applicant *Email, others []*Email, err error)
}

// CloseResult says what a close wrote.
type CloseResult struct {
	Round   int
	Written map[catalog.CloseGroup]int
	Counts  CloseCounts
	Summary *Email
}

// ClosePosting closes an open posting in one transaction: the status, the
// history line, one status update per applicant who has not withdrawn
// (written by one INSERT ... SELECT per group, whatever their number),
// and the summary to the contact. Each update has a unique key per close
// round and application, so a round is written once. Returns ErrConflict
// when the posting is not open (closed already, by someone else or by the
// scheduler), ErrNotFound when there is no such posting.
func (r *Repo) ClosePosting(ctx context.Context, postingID int64, plan ClosePlan) (*CloseResult, error) {
	res := &CloseResult{Written: map[catalog.CloseGroup]int{}}
	err := r.inTx(ctx, func(tx *Tx) error {
		status, err := lockPosting(ctx, tx, postingID)
		if err != nil {
			return err
		}
		if status != catalog.PostingOpen {
			return fmt.Errorf("close posting %d that is %s: %w", postingID, status, ErrConflict)
		}
		if err := tx.QueryRowContext(ctx, `UPDATE postings SET status = $2, close_rounds = close_rounds + 1,
			updated_at = $3 WHERE id = $1 RETURNING close_rounds`, postingID, catalog.PostingClosed, tx.now).Scan(&res.Round); err != nil {
			return fmt.Errorf("close posting %d: %w", postingID, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO posting_events (posting_id, from_status, to_status, actor, close_round, created_at)
			VALUES ($1, $4, $5, $2, $3, $6)`, postingID, plan.Actor, res.Round, catalog.PostingOpen, catalog.PostingClosed, tx.now); err != nil {
			return fmt.Errorf("record close of posting %d: %w", postingID, err)
		}
		// Counted before the updates are written: "already told" must not
		// count this round's own notices.
		counts, err := closeCounts(ctx, tx, postingID)
		if err != nil {
			return err
		}
		res.Counts = counts
		cancelled, err := r.cancelUpcomingInterviews(ctx, tx, postingID, plan.Actor)
		if err != nil {
			return err
		}
		skip := make([]int64, len(cancelled))
		for i, iv := range cancelled {
			skip[i] = iv.ApplicationID
		}
		for _, group := range catalog.CloseGroups() {
			text, ok := plan.Texts[group]
			if !ok || text.Subject == "" {
				continue
			}
			n, err := insertCloseGroup(ctx, tx, postingID, res.Round, group, text, plan.Fill, skip)
			if err != nil {
				return err
			}
			res.Written[group] = n
		}
		for _, iv := range cancelled {
			if err := r.closeInterview(ctx, tx, postingID, res, plan, iv); err != nil {
				return err
			}
		}
		if plan.Summary != nil {
			e, err := plan.Summary(res.Written, counts)
			if err != nil {
				return err
			}
			if e != nil {
				e.DedupeKey = strPtr("close-summary:" + strconv.FormatInt(postingID, 10) + ":" + strconv.Itoa(res.Round))
				if err := r.insertEmails(ctx, tx, []*Email{e}); err != nil {
					return err
				}
				res.Summary = e
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func closeCounts(ctx context.Context, q sqlx.QueryerContext, postingID int64) (CloseCounts, error) {
	var c CloseCounts
	err := sqlx.GetContext(ctx, q, &c, `SELECT
		count(*) FILTER (WHERE `+closeGroupWhere(catalog.CloseInReview, "$2", "")+`) AS in_review,
		count(*) FILTER (WHERE `+closeGroupWhere(catalog.CloseInterview, "$3", "")+`) AS interview,
		count(*) FILTER (WHERE a.status = $4) AS accepted,
		count(*) FILTER (WHERE a.status = $5 AND NOT `+told("$5")+`) AS rejected_new,
		count(*) FILTER (WHERE a.status = $5 AND `+told("$5")+`) AS rejected_told,
		count(*) FILTER (WHERE a.status = $6) AS withdrawn,
		count(*) AS total
		FROM applications a WHERE a.posting_id = $1 AND a.erased_at IS NULL`, postingID,
		pq.Array(catalog.CloseInReview.Statuses()), pq.Array(catalog.CloseInterview.Statuses()),
		catalog.StatusAccepted, catalog.StatusRejected, catalog.StatusWithdrawn)
	if err != nil {
		return c, fmt.Errorf("close counts of posting %d: %w", postingID, err)
	}
	return c, nil
}

// insertCloseGroup writes one group's updates with one INSERT ... SELECT.
// Applications in skip are left out (their close email is written with
// their interview's cancellation).
func insertCloseGroup(ctx context.Context, tx *Tx, postingID int64, round int, group catalog.CloseGroup, text CloseText, f Fill, skip []int64) (int, error) {
	if !group.Valid() {
		return 0, fmt.Errorf("unknown close group %q", group)
	}
	args := []any{postingID, round, text.Kind, text.Subject, text.Text, text.HTML, group.Announces(), pq.Array(group.Statuses()), tx.now,
		pq.Array(skip)}
	fill, err := newSQLFill(f, &args)
	if err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO emails (kind, posting_id, application_id, to_address, to_name, reply_to,
		subject, text_body, html_body, dedupe_key, about_status, send_after, created_at, updated_at)
		SELECT $3, a.posting_id, a.id, a.email, a.first_name || ' ' || a.last_name, p.contact_email,
		`+fill.subject("$4::text", "a")+`, `+fill.text("$5::text", "a", false)+`, `+fill.text("$6::text", "a", true)+`,
		'close:' || a.posting_id || ':' || $2::int || ':' || a.id, $7, $9::timestamptz, $9, $9
		FROM applications a JOIN postings p ON p.id = a.posting_id
		WHERE a.posting_id = $1 AND a.erased_at IS NULL AND `+closeGroupWhere(group, "$8", "$7")+`
		  AND NOT a.id = ANY($10::bigint[])
		ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING`, args...)
	if err != nil {
		return 0, fmt.Errorf("write %s updates of posting %d: %w", group, postingID, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// cancelUpcomingInterviews cancels, inside a close's tx, the posting's
// booked interviews still to come, raising their sequence, and the
// reminders of theirs not sent yet.
func (r *Repo) cancelUpcomingInterviews(ctx context.Context, tx *Tx, postingID int64, actor string) ([]*Interview, error) {
	return r.cancelBooked(ctx, tx, `i.posting_id = $1`, postingID, actor, true)
}

// closeInterview writes, inside a close's tx, the close's email to the
// applicant of an interview it cancelled (with the cancellation) and the
// cancellations to the reviewers attending.
func (r *Repo) closeInterview(ctx context.Context, tx *Tx, postingID int64, res *CloseResult, plan ClosePlan, iv *Interview) error {
	if plan.Interview == nil {
		return nil
	}
	var a Application
	if err := tx.GetContext(ctx, &a, `SELECT `+applicationColumns+` FROM applications WHERE id = $1`, iv.ApplicationID); err != nil {
		return fmt.Errorf("application %d: %w", iv.ApplicationID, err)
	}
	var group catalog.CloseGroup
	for _, g := range catalog.CloseGroups() {
		if text, ok := plan.Texts[g]; !ok || text.Subject == "" || !slices.Contains(g.Statuses(), a.Status) {
			continue
		}
		if g.UntoldOnly() {
			var wasTold bool
			if err := tx.GetContext(ctx, &wasTold, `SELECT `+told("$2")+` FROM applications a WHERE a.id = $1`,
				a.ID, g.Announces()); err != nil {
				return fmt.Errorf("told application %d: %w", a.ID, err)
			}
			if wasTold {
				continue
			}
		}
		group = g
	}
	if a.ErasedAt != nil {
		group = ""
	}
	applicant, others, err := plan.Interview(group, &a, iv)
	if err != nil {
		return err
	}
	emails := others
	if applicant != nil && a.ErasedAt == nil {
		if group != "" {
			applicant.DedupeKey = strPtr("close:" + strconv.FormatInt(postingID, 10) + ":" + strconv.Itoa(res.Round) + ":" + strconv.FormatInt(a.ID, 10))
			applicant.AboutStatus = group.Announces()
			res.Written[group]++
		}
		emails = append([]*Email{applicant}, others...)
	}
	return r.insertEmails(ctx, tx, emails)
}

func strPtr(s string) *string { return &s }

// PendingCloseEmails lists the ids of a posting's emails of the given
// kinds (a close's updates and summary) still waiting, for the worker
// that enqueues them.
func (r *Repo) PendingCloseEmails(ctx context.Context, postingID int64, kinds []string) ([]SweepItem, error) {
	var items []SweepItem
	err := r.db.SelectContext(ctx, &items, `SELECT id, kind FROM emails WHERE posting_id = $1 AND status = 'pending'
		AND kind = ANY($2) ORDER BY id`, postingID, pq.Array(kinds))
	if err != nil {
		return nil, fmt.Errorf("pending close emails of posting %d: %w", postingID, err)
	}
	return items, nil
}

// SetPostingState moves a posting from one of the from statuses to
// status, and records who did it. Returns ErrConflict when the posting is
// in none of the from statuses.
func (r *Repo) SetPostingState(ctx context.Context, postingID int64, from []catalog.PostingState, to catalog.PostingState, actor string) error {
	return r.inTx(ctx, func(tx *Tx) error {
		status, err := lockPosting(ctx, tx, postingID)
		if err != nil {
			return err
		}
		if !slices.Contains(from, status) {
			return fmt.Errorf("posting %d is %s, not one of %v: %w", postingID, status, from, ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE postings SET status = $2, updated_at = $3 WHERE id = $1`, postingID, to, tx.now); err != nil {
			return fmt.Errorf("set posting %d %s: %w", postingID, to, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO posting_events (posting_id, from_status, to_status, actor, created_at)
			VALUES ($1, $2, $3, $4, $5)`, postingID, status, to, actor, tx.now); err != nil {
			return fmt.Errorf("record posting %d %s: %w", postingID, to, err)
		}
		return nil
	})
}

// PostingsDueToClose lists open postings whose closing date has passed.
func (r *Repo) PostingsDueToClose(ctx context.Context) ([]int64, error) {
	var ids []int64
	err := r.db.SelectContext(ctx, &ids, `SELECT id FROM postings WHERE status = $1 AND closes_at <= $2 ORDER BY closes_at`,
		catalog.PostingOpen, r.now())
	if err != nil {
		return nil, fmt.Errorf("postings due to close: %w", err)
	}
	return ids, nil
}

// latestCloseEvent joins, as "c", the latest close recorded of each
// posting "p" of a query (none: NULL columns), given the parameter that
// holds catalog.PostingClosed.
func latestCloseEvent(closed string) string {
	return `LEFT JOIN LATERAL (SELECT e.id, e.created_at FROM posting_events e
		WHERE e.posting_id = p.id AND e.to_status = ` + closed + `
		ORDER BY e.created_at DESC, e.id DESC LIMIT 1) c ON true`
}

// lastClose is when a closed or archived posting "p" stopped taking
// applications, given "c" of latestCloseEvent: its latest close recorded,
// or its closing date when that came first (it closed by date, and the
// scheduler recorded it a little later); one closed without a recorded
// close, as an import does, counts from its closing date or its last
// change, whichever is earlier. Pages show it; retention counts from it.
const lastClose = `CASE WHEN c.id IS NULL THEN LEAST(p.closes_at, p.updated_at)
		ELSE LEAST(c.created_at, p.closes_at) END`

// LastCloses says when each of the closed or archived postings among ids
// stopped taking applications (see lastClose); others are left out.
func (r *Repo) LastCloses(ctx context.Context, ids []int64) (map[int64]time.Time, error) {
	var rows []struct {
		ID        int64     `db:"id"`
		LastClose time.Time `db:"last_close"`
	}
	err := r.db.SelectContext(ctx, &rows, `SELECT p.id, `+lastClose+` AS last_close
		FROM postings p `+latestCloseEvent("$2")+`
		WHERE p.id = ANY($1) AND p.status = ANY($3)`, pq.Array(ids), catalog.PostingClosed,
		pq.Array([]catalog.PostingState{catalog.PostingClosed, catalog.PostingArchived}))
	if err != nil {
		return nil, fmt.Errorf("last closes of postings %v: %w", ids, err)
	}
	out := make(map[int64]time.Time, len(rows))
	for _, row := range rows {
		out[row.ID] = row.LastClose
	}
	return out, nil
}

// PostingEvent is a line of a posting's history.
type PostingEvent struct {
	FromStatus catalog.PostingState `db:"from_status"`
	ToStatus   catalog.PostingState `db:"to_status"`
	Actor      string               `db:"actor"`
	CloseRound *int                 `db:"close_round"`
	CreatedAt  time.Time            `db:"created_at"`
}

// PostingEvents lists a posting's status changes, oldest first.
func (r *Repo) PostingEvents(ctx context.Context, postingID int64) ([]PostingEvent, error) {
	var es []PostingEvent
	err := r.db.SelectContext(ctx, &es, `SELECT from_status, to_status, actor, close_round, created_at FROM posting_events
		WHERE posting_id = $1 ORDER BY created_at, id`, postingID)
	if err != nil {
		return nil, fmt.Errorf("events of posting %d: %w", postingID, err)
	}
	return es, nil
}

// SetClosingDate sets or removes a posting's closing date.
func (r *Repo) SetClosingDate(ctx context.Context, postingID int64, closesAt *time.Time) error {
	_, err := r.db.ExecContext(ctx, `UPDATE postings SET closes_at = $2, updated_at = $3 WHERE id = $1`, postingID, closesAt, r.now())
	if err != nil {
		return fmt.Errorf("set closing date of posting %d: %w", postingID, err)
	}
	return nil
}

// lockPosting locks a posting's row for the rest of tx and returns its
// status; ErrNotFound when there is no such posting.
func lockPosting(ctx context.Context, tx *Tx, postingID int64) (catalog.PostingState, error) {
	var status catalog.PostingState
	err := tx.QueryRowContext(ctx, `SELECT status FROM postings WHERE id = $1 FOR UPDATE`, postingID).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("lock posting %d: %w", postingID, err)
	}
	return status, nil
}
