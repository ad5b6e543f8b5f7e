// Package testkit gives tests the real services: a fresh PostgreSQL
// database cloned from a migrated template, a Redis database index of
// their own, an in-process SMTP server, and the whole web app over HTTP.
// A test that cannot reach a service fails and says which. The benchmark
// (cmd/bench) takes its database and Redis index here too.
package testkit

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/redis/go-redis/v9"

	"vivier/internal/mailcatcher"
	"vivier/migrations"
	"vivier/repository"
)

// ServerURL is the PostgreSQL server tests use (TEST_DATABASE_URL), with
// the "postgres" database for administration.
func ServerURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// PostgresAddr is host:port of the PostgreSQL server tests use.
func PostgresAddr() string {
	u, err := url.Parse(ServerURL())
	if err != nil || u.Host == "" {
		return "127.0.0.1:5432"
	}
	return u.Host
}

// RedisAddr is the Redis server tests use (TEST_REDIS_ADDR).
func RedisAddr() string {
	if a := os.Getenv("TEST_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// templateDB is named after the migrations, so that a checkout with other
// migrations gets a template of its own.
var templateDB = "vivier_test_template_" + migrations.Fingerprint()

// lockID guards the template database across test processes: migrating
// it takes the lock exclusively, cloning it takes it shared.
const lockID = 7_420_001

var templateOnce sync.Once
var templateErr error

func withDB(u string, name string) string {
	parsed, _ := url.Parse(u)
	parsed.Path = "/" + name
	return parsed.String()
}

func adminDB() (*sql.DB, error) {
	db, err := sql.Open("postgres", ServerURL())
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = db.PingContext(ctx)
		cancel()
	}
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL is not reachable at %s (TEST_DATABASE_URL): %w — start it (pg_ctlcluster 15 main start) and run again", ServerURL(), err)
	}
	return db, nil
}

// prepareTemplate creates or migrates the template database once per process.
func prepareTemplate() error {
	templateOnce.Do(func() { templateErr = migrateTemplate() })
	if templateErr != nil {
		return fmt.Errorf("prepare the test database template: %w", templateErr)
	}
	return nil
}

func migrateTemplate() error {
	admin, err := adminDB()
	if err != nil {
		return err
	}
	defer admin.Close()
	ctx := context.Background()
	conn, err := admin.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err = conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lockID); err != nil {
		return err
	}
	defer conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, lockID)
	var exists bool
	if err = conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, templateDB).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if _, err = conn.ExecContext(ctx, `CREATE DATABASE `+templateDB); err != nil {
			return err
		}
	}
	db, err := sql.Open("postgres", withDB(ServerURL(), templateDB))
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = migrations.Up(ctx, db)
	return err
}

var dbSeq struct {
	sync.Mutex
	n int
}

// Database is a fresh, migrated database cloned from the template.
type Database struct {
	Name, URL string
	DB        *sqlx.DB
	admin     *sql.DB
}

// NewDatabase clones the migrated template into a database of its own,
// for a test or a benchmark run; Drop removes it.
func NewDatabase(ctx context.Context) (*Database, error) {
	if err := prepareTemplate(); err != nil {
		return nil, err
	}
	admin, err := adminDB()
	if err != nil {
		return nil, err
	}
	dbSeq.Lock()
	dbSeq.n++
	name := fmt.Sprintf("vivier_test_%d_%d_%d", os.Getpid(), dbSeq.n, time.Now().UnixNano()%1_000_000)
	dbSeq.Unlock()
	conn, err := admin.Conn(ctx)
	if err == nil {
		_, err = conn.ExecContext(ctx, `SELECT pg_advisory_lock_shared($1)`, lockID)
		if err == nil {
			_, err = conn.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(name)+` TEMPLATE `+templateDB)
			conn.ExecContext(ctx, `SELECT pg_advisory_unlock_shared($1)`, lockID)
		}
		conn.Close()
	}
	if err != nil {
		admin.Close()
		return nil, fmt.Errorf("create a database from the template: %w", err)
	}
	d := &Database{Name: name, URL: withDB(ServerURL(), name), admin: admin}
	if d.DB, err = repository.Open(ctx, d.URL); err != nil {
		d.Drop()
		return nil, fmt.Errorf("open database %s: %w", name, err)
	}
	return d, nil
}

// Drop closes the database and removes it.
func (d *Database) Drop() error {
	if d.DB != nil {
		d.DB.Close()
	}
	defer d.admin.Close()
	_, err := d.admin.Exec(`DROP DATABASE IF EXISTS ` + pq.QuoteIdentifier(d.Name) + ` WITH (FORCE)`)
	return err
}

// DB returns a fresh, migrated database for this test, dropped at the end.
func DB(tb testing.TB) (*sqlx.DB, string) {
	tb.Helper()
	d, err := NewDatabase(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	// Tests run many at once on one server: a test keeps few connections
	// open, so that they stay well under PostgreSQL's max_connections.
	d.DB.SetMaxOpenConns(16)
	d.DB.SetMaxIdleConns(8)
	tb.Cleanup(func() {
		if err := d.Drop(); err != nil {
			tb.Logf("drop test database %s: %v", d.Name, err)
		}
	})
	return d.DB, d.URL
}

// RedisIndex is a Redis database index (1 to 15) reserved by a key in
// database 0, so test processes and benchmark runs at once never share one.
type RedisIndex struct {
	N   int
	ctl *redis.Client
	db  *redis.Client
	key string
}

// ReserveRedis reserves a free index for hold (the reservation lapses
// after that, should the process die), waiting up to 2 minutes for one,
// and empties it; Release gives it back.
func ReserveRedis(ctx context.Context, owner string, hold time.Duration) (*RedisIndex, error) {
	ctl := redis.NewClient(&redis.Options{Addr: RedisAddr(), DB: 0, DialTimeout: 2 * time.Second})
	if err := ctl.Ping(ctx).Err(); err != nil {
		ctl.Close()
		return nil, fmt.Errorf("Redis is not reachable at %s (TEST_REDIS_ADDR): %w — start it (redis-server --daemonize yes) and run again", RedisAddr(), err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		for i := 1; i <= 15; i++ {
			key := "vivier:test:db:" + strconv.Itoa(i)
			ok, err := ctl.SetNX(ctx, key, owner, hold).Result()
			if err != nil {
				ctl.Close()
				return nil, fmt.Errorf("Redis: %w", err)
			}
			if !ok {
				continue
			}
			r := &RedisIndex{N: i, ctl: ctl, db: redis.NewClient(&redis.Options{Addr: RedisAddr(), DB: i}), key: key}
			r.db.FlushDB(ctx)
			return r, nil
		}
		if time.Now().After(deadline) {
			ctl.Close()
			return nil, fmt.Errorf("no free Redis database index after 2 minutes")
		}
		select {
		case <-ctx.Done():
			ctl.Close()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// URL is the REDIS_URL of the index.
func (r *RedisIndex) URL() string { return fmt.Sprintf("redis://%s/%d", RedisAddr(), r.N) }

// Info is the server's INFO section.
func (r *RedisIndex) Info(ctx context.Context, section string) (string, error) {
	return r.ctl.Info(ctx, section).Result()
}

// Release empties the index and gives it back.
func (r *RedisIndex) Release() {
	ctx := context.Background()
	r.db.FlushDB(ctx)
	r.db.Close()
	r.ctl.Del(ctx, r.key)
	r.ctl.Close()
}

// Redis reserves a Redis database index for this test, empties it, and
// returns its URL.
func Redis(tb testing.TB) string {
	tb.Helper()
	r, err := ReserveRedis(context.Background(), strconv.Itoa(os.Getpid()), 10*time.Minute)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(r.Release)
	return r.URL()
}

// SMTP starts an in-process SMTP server for this test.
func SMTP(tb testing.TB) *mailcatcher.Catcher {
	tb.Helper()
	c, err := mailcatcher.Start("127.0.0.1:0")
	if err != nil {
		tb.Fatalf("start SMTP server: %v", err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}
