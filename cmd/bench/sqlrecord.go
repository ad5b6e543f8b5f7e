package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"vivier/internal/assembly"
	"vivier/repository"
)

// A database handle that records the SQL the repository sends, so the
// report explains the very queries the pages run, not a copy of them.

type recorded struct {
	SQL  string
	Args []any
}

type recorder struct {
	mu  sync.Mutex
	got []recorded
	// dry makes every statement fail once recorded: the SQL of a write
	// is captured without writing.
	dry bool
}

var errDryRun = errors.New("dry run: statement recorded, not run")

func (r *recorder) add(q string, args []driver.NamedValue) error {
	vals := make([]any, len(args))
	for i, a := range args {
		vals[i] = a.Value
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, recorded{SQL: q, Args: vals})
	if r.dry {
		return errDryRun
	}
	return nil
}

// Take returns what was recorded since the last call.
func (r *recorder) Take() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.got
	r.got = nil
	return out
}

type recConnector struct {
	base driver.Connector
	rec  *recorder
}

func (c recConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &recConn{Conn: conn, rec: c.rec}, nil
}

func (c recConnector) Driver() driver.Driver { return c.base.Driver() }

type recConn struct {
	driver.Conn
	rec *recorder
}

func (c *recConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	if err := c.rec.add(q, args); err != nil {
		return nil, err
	}
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, q, args)
}

func (c *recConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	if err := c.rec.add(q, args); err != nil {
		return nil, err
	}
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, q, args)
}

func (c *recConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	st, err := c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	return &recStmt{Stmt: st, sql: q, rec: c.rec}, nil
}

// recStmt records the statements the repository prepares, each time they run.
type recStmt struct {
	driver.Stmt
	sql string
	rec *recorder
}

func (s *recStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if err := s.rec.add(s.sql, args); err != nil {
		return nil, err
	}
	return s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (s *recStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if err := s.rec.add(s.sql, args); err != nil {
		return nil, err
	}
	return s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}

func (s *recStmt) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := s.Stmt.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func (c *recConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *recConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

// recordingRepo is a repository over a handle that records its SQL; dry,
// it only records.
func (b *bench) recordingRepo(dry bool) (*repository.Repo, *recorder, func(), error) {
	u := b.db.URL
	if !strings.Contains(u, "binary_parameters") {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + "binary_parameters=yes" // as repository.Open does
	}
	base, err := pq.NewConnector(u)
	if err != nil {
		return nil, nil, nil, err
	}
	rec := &recorder{dry: dry}
	db := sqlx.NewDb(sql.OpenDB(recConnector{base: base, rec: rec}), "postgres")
	db.SetMaxOpenConns(1)
	repo, err := assembly.NewRepo(b.cfg, db) // as the product's processes have it
	if err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	return repo, rec, func() { db.Close() }, nil
}

// explain runs EXPLAIN (ANALYZE, BUFFERS) of a recorded query in a
// transaction rolled back, so a write changes nothing.
func explain(ctx context.Context, db *sqlx.DB, q recorded) (string, error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+q.SQL, q.Args...)
	if err != nil {
		return "", fmt.Errorf("explain %q: %w", firstLine(q.SQL), err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", err
		}
		b.WriteString(line + "\n")
	}
	return b.String(), rows.Err()
}

// usesIndexes says whether a plan reaches its table without reading it
// whole.
func usesIndexes(planText string) bool {
	return !strings.Contains(planText, "Seq Scan on applications") && !strings.Contains(planText, "Seq Scan on emails")
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i > 0 {
		return s[:i]
	}
	return s
}

// argsText shows a query's arguments for the report.
func argsText(args []any) string {
	parts := make([]string, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case []byte:
			parts[i] = fmt.Sprintf("$%d = (%d bytes)", i+1, len(v))
		case string:
			parts[i] = fmt.Sprintf("$%d = %q", i+1, v)
		default:
			parts[i] = fmt.Sprintf("$%d = %v", i+1, v)
		}
	}
	return strings.Join(parts, ", ")
}
