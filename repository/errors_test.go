package repository_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/redis/go-redis/v9"

	"vivier/internal/testkit"
	"vivier/repository"
)

// closedPort is a local address nobody listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// Errors are classified by their type and PostgreSQL's SQLSTATE, never by
// their text: each row's error is the real one, from the real PostgreSQL
// (or Redis) where it can be had, and stays classified once wrapped.
func TestErrorCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	p := e.openPosting()
	e.apply(p, "Camille", "Durand")

	// A unique key the row already holds.
	_, uniqueViolation := e.DB.ExecContext(ctx, `INSERT INTO postings SELECT * FROM postings WHERE id = $1`, p.ID)
	_, duplicate := e.Repo.CreateApplication(ctx, newApplication(p.ID, "Camille", "Durand", func(a *repository.Application) {
		a.AccessTokenHash = tokenHash("autre jeton")
	}), cv(), acknowledgement)
	_, notFound := e.Repo.PostingByID(ctx, p.ID+1000)
	_, undefinedTable := e.DB.ExecContext(ctx, `SELECT * FROM no_such_table`)

	// PostgreSQL where nobody listens.
	_, refused := repository.Open(ctx, "postgres://postgres@"+closedPort(t)+"/vivier?sslmode=disable")

	// A role allowed no connection at all: PostgreSQL refuses it with
	// too_many_connections (53300) as it would anyone past max_connections.
	role := "vivier_test_noconn_" + strconv.Itoa(os.Getpid()) + "_" + strconv.FormatInt(time.Now().UnixNano()%1_000_000, 10)
	e.exec(`CREATE ROLE ` + pq.QuoteIdentifier(role) + ` LOGIN CONNECTION LIMIT 0`)
	t.Cleanup(func() { e.DB.Exec(`DROP ROLE IF EXISTS ` + pq.QuoteIdentifier(role)) })
	_, tooMany := repository.Open(ctx, "postgres://"+role+"@"+testkit.PostgresAddr()+"/postgres?sslmode=disable")

	// A connection the server ends (pg_terminate_backend: admin_shutdown).
	terminated := func(inTx bool) error {
		conn, err := e.DB.Connx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var pid int
		if err := conn.GetContext(ctx, &pid, `SELECT pg_backend_pid()`); err != nil {
			t.Fatal(err)
		}
		var tx *sqlx.Tx
		if inTx {
			if tx, err = conn.BeginTxx(ctx, nil); err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
		}
		e.exec(`SELECT pg_terminate_backend($1)`, pid)
		if inTx {
			_, err = tx.ExecContext(ctx, `SELECT 1`)
		} else {
			_, err = conn.ExecContext(ctx, `SELECT 1`)
		}
		if err == nil {
			t.Fatal("a query on a terminated connection succeeded")
		}
		return err
	}

	// A query past its deadline, and one past statement_timeout.
	deadlineCtx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, deadline := e.DB.ExecContext(deadlineCtx, `SELECT pg_sleep(10)`)
	_, expired := e.DB.ExecContext(deadlineCtx, `SELECT 1`) // database/sql's own check
	tx, err := e.DB.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	tx.Exec(`SET LOCAL statement_timeout = '50ms'`)
	_, statementTimeout := tx.Exec(`SELECT pg_sleep(10)`)
	tx.Rollback()

	// Redis where nobody listens.
	rdb := redis.NewClient(&redis.Options{Addr: closedPort(t), MaxRetries: -1})
	defer rdb.Close()
	redisDown := rdb.Ping(ctx).Err()

	explained := repository.WithMessage(fmt.Errorf("cancel: %w", repository.ErrConflict), repository.EConflict, "Trop tard", "Cet email est déjà parti.")

	cases := []struct {
		name string
		err  error
		want repository.Code
	}{
		{"nil", nil, ""},
		{"unique violation (23505)", uniqueViolation, repository.EConflict},
		{"duplicate application", duplicate, repository.EConflict},
		{"posting not found", notFound, repository.ENotFound},
		{"undefined table (42P01)", undefinedTable, repository.EInternal},
		{"PostgreSQL on a closed port", refused, repository.EUnavailable},
		{"too many connections (53300)", tooMany, repository.EUnavailable},
		{"connection terminated by the server", terminated(false), repository.EUnavailable},
		{"connection terminated inside a transaction", terminated(true), repository.EUnavailable},
		{"query past its deadline", deadline, repository.EUnavailable},
		{"query past statement_timeout (57014)", statementTimeout, repository.EUnavailable},
		{"query with its deadline already past", expired, repository.EUnavailable},
		{"Redis on a closed port", redisDown, repository.EUnavailable},
		{"connection exception class 08", &pq.Error{Code: "08006", Severity: "FATAL"}, repository.EUnavailable},
		{"admin shutdown (57P01)", &pq.Error{Code: "57P01", Severity: "FATAL"}, repository.EUnavailable},
		{"cannot connect now (57P03)", &pq.Error{Code: "57P03", Severity: "FATAL"}, repository.EUnavailable},
		{"driver.ErrBadConn", driver.ErrBadConn, repository.EUnavailable},
		{"unexpected EOF", io.ErrUnexpectedEOF, repository.EUnavailable},
		{"connection reset", &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, repository.EUnavailable},
		{"unknown host", &net.DNSError{Err: "no such host", Name: "db.invalid", IsNotFound: true}, repository.EUnavailable},
		{"a message with EOF in its text", errors.New("template: EOF in action"), repository.EInternal},
		{"a message saying connection refused", errors.New("connection refused by policy"), repository.EInternal},
		{"a conflict with its message", explained, repository.EConflict},
		{"a bug", errors.New("index out of range"), repository.EInternal},
	}
	for _, c := range cases {
		if c.err == nil && c.want != "" {
			t.Errorf("%s: no error to classify", c.name)
			continue
		}
		if got := repository.ErrorCode(c.err); got != c.want {
			t.Errorf("%s: %v (%T) is %q, want %q", c.name, c.err, c.err, got, c.want)
		}
		if c.err == nil {
			continue
		}
		wrapped := fmt.Errorf("load page: %w", fmt.Errorf("query: %w", c.err))
		if got := repository.ErrorCode(wrapped); got != c.want {
			t.Errorf("%s, wrapped twice: %q, want %q", c.name, got, c.want)
		}
		if got := repository.ErrorCode(errors.Join(errors.New("context"), c.err)); got != c.want {
			t.Errorf("%s, joined: %q, want %q", c.name, got, c.want)
		}
	}
}

// A message given to an error of one code is kept with it; an error of
// another code goes by untouched.
func TestWithMessage(t *testing.T) {
	conflict := fmt.Errorf("close posting 3: %w", repository.ErrConflict)
	err := repository.WithMessage(conflict, repository.EConflict, "Offre déjà close", "Cette offre vient d'être close.")
	var e *repository.Error
	if !errors.As(err, &e) || e.Heading != "Offre déjà close" || e.Message != "Cette offre vient d'être close." {
		t.Fatalf("conflict with a message: %#v", err)
	}
	if !errors.Is(err, repository.ErrConflict) || err.Error() != conflict.Error() {
		t.Errorf("the message hides its cause: %v", err)
	}
	down := fmt.Errorf("query: %w", driver.ErrBadConn)
	if got := repository.WithMessage(down, repository.EConflict, "Offre déjà close", "…"); got != down {
		t.Errorf("an unavailable database got a conflict's message: %#v", got)
	}
	if repository.WithMessage(nil, repository.EConflict, "", "") != nil {
		t.Error("nil is no longer nil")
	}
}
