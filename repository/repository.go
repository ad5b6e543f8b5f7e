// Package repository holds all of Vivier's SQL: row structs, queries,
// transactions and the email outbox. Methods return ErrNotFound or
// ErrConflict for the cases callers handle, and wrapped errors otherwise;
// ErrorCode classifies any of them (errors.go).
package repository

import (
	"context"
	"fmt"
	neturl "net/url"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"vivier/internal/links"
)

// Repo is the data access layer over one PostgreSQL database.
type Repo struct {
	db *sqlx.DB
	// Now is the clock (time.Now unless a test sets another). Each method
	// or transaction reads it once and passes that instant to its
	// statements, which never call PostgreSQL's now(): the web app, the
	// worker and the scheduler then share one time, which tests can set.
	Now func() time.Time
	// ClaimTimeout is EMAIL_CLAIM_TIMEOUT (DefaultClaimTimeout when zero).
	ClaimTimeout time.Duration
	// Links seals the tokens of the links emails carry (LINK_KEY); without
	// it, writing such an email fails.
	Links *links.Key
	// MailDomain is the domain of Message-IDs (MAIL_FROM's);
	// DefaultMailDomain when empty.
	MailDomain string

	stmtMu    sync.Mutex
	stmts     map[string]*sqlx.Stmt
	preparing map[string]bool
}

// New wraps an open database, on the system clock.
func New(db *sqlx.DB) *Repo { return &Repo{db: db, Now: time.Now} }

// now reads the clock once, to the microsecond PostgreSQL keeps: what a
// statement writes then equals what the caller holds.
func (r *Repo) now() time.Time {
	if r.Now == nil {
		return time.Now().Truncate(time.Microsecond)
	}
	return r.Now().Truncate(time.Microsecond)
}

// Tx is a transaction with the instant it began, read once from the
// repository's clock: every statement in it writes and compares that
// instant, as benbjohnson/wtf passes now through its transactions.
type Tx struct {
	*sqlx.Tx
	now time.Time
}

// prepared returns query as a prepared statement, preparing it on first
// use. For the statements run for every email and every application:
// PostgreSQL then parses and plans them once a connection instead of once
// a call. database/sql prepares it again on each new connection by itself.
func (r *Repo) prepared(ctx context.Context, query string) (*sqlx.Stmt, error) {
	r.stmtMu.Lock()
	s := r.stmts[query]
	r.stmtMu.Unlock()
	if s != nil {
		return s, nil
	}
	s, err := r.db.PreparexContext(ctx, query)
	if err != nil {
		return nil, err
	}
	r.stmtMu.Lock()
	defer r.stmtMu.Unlock()
	if kept := r.stmts[query]; kept != nil {
		_ = s.Close() // prepared twice at once: keep the first
		return kept, nil
	}
	if r.stmts == nil {
		r.stmts = map[string]*sqlx.Stmt{}
	}
	r.stmts[query] = s
	return s, nil
}

// txPrepared is query prepared for use inside tx. The first time, it is
// prepared on tx's own connection for this once, and for later in the
// background: waiting here for a second connection could wait forever
// when every connection is held by a transaction doing the same.
func (r *Repo) txPrepared(ctx context.Context, tx *Tx, query string) (*sqlx.Stmt, error) {
	r.stmtMu.Lock()
	s := r.stmts[query]
	start := s == nil && !r.preparing[query]
	if start {
		if r.preparing == nil {
			r.preparing = map[string]bool{}
		}
		r.preparing[query] = true
	}
	r.stmtMu.Unlock()
	if s != nil {
		return tx.StmtxContext(ctx, s), nil
	}
	if start {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, _ = r.prepared(ctx, query)
			r.stmtMu.Lock()
			delete(r.preparing, query) // if it failed, tried again next time
			r.stmtMu.Unlock()
		}()
	}
	return tx.PreparexContext(ctx, query)
}

// DB returns the underlying handle (for health checks and migrations).
func (r *Repo) DB() *sqlx.DB { return r.db }

// Open connects to PostgreSQL and checks that it answers.
func Open(ctx context.Context, url string) (*sqlx.DB, error) {
	db, err := sqlx.Open("postgres", withBinaryParameters(url))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	// As many idle as open: under a burst, closing the connections past
	// the idle limit and opening new ones (a new PostgreSQL process each)
	// cost more than the queries. Idle ones close after a quiet while.
	db.SetMaxOpenConns(40)
	db.SetMaxIdleConns(40)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	return db, nil
}

// withBinaryParameters asks lib/pq to send bytea parameters as they are,
// not hex-encoded: a 10 MiB CV then costs 10 MiB on the wire, not 20.
func withBinaryParameters(raw string) string {
	u, err := neturl.Parse(raw)
	if err != nil || u.Query().Has("binary_parameters") {
		return raw
	}
	q := u.Query()
	q.Set("binary_parameters", "yes")
	u.RawQuery = q.Encode()
	return u.String()
}

// inTx runs fn in a transaction, committed when fn returns nil; the
// transaction's instant is read from the clock as it begins.
func (r *Repo) inTx(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := r.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{Tx: sqlTx, now: r.now()}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
