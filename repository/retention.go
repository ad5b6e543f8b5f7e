package repository

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/lib/pq"

	"vivier/internal/catalog"
	"vivier/internal/links"
)

// Retention: applications are kept RETENTION_MONTHS after their posting's
// latest close, then erased; applicants and the contact are told a month
// before. A posting's retention cycle is its latest close: a reopen and a
// new close start another cycle, and the clock again.

// RetentionPosting is a closed or archived posting with the start of its
// retention clock.
type RetentionPosting struct {
	Posting
	// LastClose is the posting's latest close (its closing date or its last
	// change for one closed without a recorded close, as an import does).
	LastClose time.Time `db:"last_close"`
	// Cycle is the id of the latest close event (0 for none): the notices
	// of one cycle are written once.
	Cycle int64 `db:"cycle"`
	// EraseAt is when its applications are due for erasure: RETENTION_MONTHS
	// after LastClose.
	EraseAt time.Time `db:"erase_at"`
	// Holding counts the applications that still hold personal data.
	Holding int `db:"holding"`
}

// retentionPostings selects closed and archived postings with their
// latest close (as "rp"); it is completed with the posting columns and
// the conditions, and takes retentionArgs after its own.
var retentionPostings = `WITH rp AS (
	SELECT p.id AS posting_id, ` + lastClose + ` AS last_close, COALESCE(c.id, 0) AS cycle
	FROM postings p ` + latestCloseEvent("$3") + `
	WHERE p.status = ANY($4))
SELECT %s, rp.last_close, rp.cycle, rp.last_close + make_interval(months => $2::int) AS erase_at,
	(SELECT count(*) FROM applications a WHERE a.posting_id = p.id AND a.erased_at IS NULL) AS holding
FROM rp JOIN postings p ON p.id = rp.posting_id
WHERE %s
ORDER BY rp.last_close, p.id`

// retentionArgs are retentionPostings' parameters: the instant, the
// retention in months, and the states of a closed posting.
func retentionArgs(now time.Time, months int) []any {
	return []any{now, months, catalog.PostingClosed, pq.Array([]catalog.PostingState{catalog.PostingClosed, catalog.PostingArchived})}
}

func noticeKey(postingID, cycle int64) string {
	return "retention:" + strconv.FormatInt(postingID, 10) + ":" + strconv.FormatInt(cycle, 10) + ":"
}

// ContactNoticeKey is the dedupe key of a cycle's notice to the contact.
func ContactNoticeKey(postingID, cycle int64) string {
	return "retention-contact:" + strconv.FormatInt(postingID, 10) + ":" + strconv.FormatInt(cycle, 10)
}

// PostingsToErase lists the postings closed more than months ago (their
// EraseAt is before instant now) whose applications still hold personal data.
func (r *Repo) PostingsToErase(ctx context.Context, now time.Time, months int) ([]RetentionPosting, error) {
	var out []RetentionPosting
	err := r.db.SelectContext(ctx, &out, fmt.Sprintf(retentionPostings, prefixed("p.", postingColumns),
		`rp.last_close + make_interval(months => $2::int) < $1::timestamptz
		AND EXISTS (SELECT 1 FROM applications a WHERE a.posting_id = p.id AND a.erased_at IS NULL)`), retentionArgs(now, months)...)
	if err != nil {
		return nil, fmt.Errorf("postings to erase: %w", err)
	}
	return out, nil
}

// PostingsToNotify lists the postings whose erasure is due within a month
// of instant now, and not yet, and that hold an application not yet told
// of this cycle's erasure.
func (r *Repo) PostingsToNotify(ctx context.Context, now time.Time, months int) ([]RetentionPosting, error) {
	var out []RetentionPosting
	err := r.db.SelectContext(ctx, &out, fmt.Sprintf(retentionPostings, prefixed("p.", postingColumns),
		`rp.last_close + make_interval(months => $2::int) >= $1::timestamptz
		AND rp.last_close + make_interval(months => $2::int) - interval '1 month' <= $1::timestamptz
		AND EXISTS (SELECT 1 FROM applications a WHERE a.posting_id = p.id AND a.erased_at IS NULL
			AND NOT EXISTS (SELECT 1 FROM emails e
				WHERE e.dedupe_key = 'retention:' || p.id || ':' || rp.cycle || ':' || a.id))`), retentionArgs(now, months)...)
	if err != nil {
		return nil, fmt.Errorf("postings to notify: %w", err)
	}
	return out, nil
}

// RetentionNotice is what a cycle's notices say: the applicants' text,
// of its kind, rendered once with placeholders that Fill completes for
// each applicant and with links.Marker where each one's private link
// token goes, and the summary to the contact (nil: none).
type RetentionNotice struct {
	Kind                string
	Subject, Text, HTML string
	Fill                Fill
	// ReplyTo is the posting's contact, whom applicants may answer.
	ReplyTo string
	// EraseAt is when the data is due for erasure (for the audit log).
	EraseAt time.Time
	Contact *Email
}

// NoticeBatch says what one batch of notices wrote.
type NoticeBatch struct {
	// Examined is how many applicants the batch took; 0 means none is left.
	Examined int
	// Written are the ids of the applicants' notices written.
	Written []int64
	// Contact is the id of the summary to the contact, 0 when it was
	// written before (or there is none).
	Contact int64
}

// WriteRetentionNotices writes, in one transaction, the notices of at
// most limit applicants of the posting not yet told in this cycle, each
// with a fresh private link (stored hashed, and sealed in the notice),
// and the summary to the contact. Every email has a unique key per cycle,
// so two schedulers or a rerun never write one twice.
func (r *Repo) WriteRetentionNotices(ctx context.Context, p *RetentionPosting, n RetentionNotice, limit int) (NoticeBatch, error) {
	var b NoticeBatch
	err := r.inTx(ctx, func(tx *Tx) error {
		args := []any{p.ID, noticeKey(p.ID, p.Cycle), limit, n.Kind, n.ReplyTo, n.Subject, n.Text, n.HTML, tx.now}
		fill, err := newSQLFill(n.Fill, &args)
		if err != nil {
			return err
		}
		var written, apps pq.Int64Array
		var to pq.StringArray
		err = tx.QueryRowxContext(ctx, `WITH targets AS MATERIALIZED (
			SELECT a.id, a.email, a.first_name, a.last_name
			FROM applications a
			WHERE a.posting_id = $1 AND a.erased_at IS NULL
			  AND NOT EXISTS (SELECT 1 FROM emails e WHERE e.dedupe_key = $2::text || a.id)
			ORDER BY a.id LIMIT $3
			FOR UPDATE OF a
		), sent AS (
			INSERT INTO emails (kind, posting_id, application_id, to_address, to_name, reply_to,
				subject, text_body, html_body, dedupe_key, send_after, created_at, updated_at)
			SELECT $4, $1, t.id, t.email, t.first_name || ' ' || t.last_name, $5,
				`+fill.subject("$6::text", "t")+`, `+fill.text("$7::text", "t", false)+`, `+fill.text("$8::text", "t", true)+`, $2::text || t.id,
				$9::timestamptz, $9, $9
			FROM targets t
			ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
			RETURNING id, application_id, to_address
		)
		SELECT (SELECT count(*) FROM targets), COALESCE(array_agg(id ORDER BY id), '{}'),
			COALESCE(array_agg(application_id ORDER BY id), '{}'), COALESCE(array_agg(to_address ORDER BY id), '{}')
		FROM sent`, args...).
			Scan(&b.Examined, &written, &apps, &to)
		if err != nil {
			return fmt.Errorf("write retention notices of posting %d: %w", p.ID, err)
		}
		// Each notice gets a link of its own: stored hashed for the
		// application, sealed for the email.
		notices := make([]*Email, len(written))
		hashes := make([][]byte, len(written))
		for i := range written {
			token, hash, err := links.NewToken()
			if err != nil {
				return err
			}
			notices[i], hashes[i] = &Email{ID: written[i], ToAddress: to[i], Token: token}, hash
		}
		if err := r.sealLinks(ctx, tx, notices); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO application_tokens (token_hash, application_id, created_at)
			SELECT hash, app, $3 FROM unnest($1::bytea[], $2::bigint[]) AS u(hash, app)`, pq.ByteaArray(hashes), apps, tx.now); err != nil {
			return fmt.Errorf("store the links of the retention notices of posting %d: %w", p.ID, err)
		}
		b.Written = written
		if n.Contact == nil {
			return nil
		}
		e := n.Contact
		e.DedupeKey = strPtr(ContactNoticeKey(p.ID, p.Cycle))
		err = tx.QueryRowxContext(ctx, `INSERT INTO emails (kind, posting_id, to_address, to_name, reply_to,
			subject, text_body, html_body, dedupe_key, send_after, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $10)
			ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
			RETURNING id`, e.Kind, p.ID, e.ToAddress, e.ToName, e.ReplyTo, e.Subject, e.TextBody, e.HTMLBody, e.DedupeKey, tx.now).Scan(&b.Contact)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("write retention notice to the contact of posting %d: %w", p.ID, err)
		}
		if b.Contact != 0 || len(b.Written) > 0 {
			return insertAudit(ctx, tx, tx.now, ActorSystem, AuditRetentionNotified, p.ID, 0,
				map[string]any{"candidatures": len(b.Written), "contact": b.Contact != 0, "effacement_le": n.EraseAt.Format(time.RFC3339)})
		}
		return nil
	})
	return b, err
}

// EraseForRetention erases, in one transaction, at most limit
// applications of a posting that still hold personal data, and returns
// how many it erased (0: none is left). Their interviews still to come
// are cancelled, with the cancellations cancel writes (nil: none).
func (r *Repo) EraseForRetention(ctx context.Context, postingID int64, limit int, cancel ErasureBuild) (int, error) {
	n := 0
	err := r.inTx(ctx, func(tx *Tx) error {
		var ids []int64
		if err := tx.SelectContext(ctx, &ids, `SELECT id FROM applications WHERE posting_id = $1 AND erased_at IS NULL
			ORDER BY id LIMIT $2 FOR UPDATE`, postingID, limit); err != nil {
			return fmt.Errorf("applications of posting %d to erase: %w", postingID, err)
		}
		if len(ids) == 0 {
			return nil
		}
		erased, err := r.eraseApplications(ctx, tx, ids, ActorSystem, cancel)
		if err != nil {
			return err
		}
		n = len(erased)
		if n == 0 {
			return nil
		}
		return insertAudit(ctx, tx, tx.now, ActorSystem, AuditRetentionErased, postingID, 0, map[string]any{"candidatures": n})
	})
	return n, err
}
