// Package testkit gives tests the real services: a fresh PostgreSQL
// database cloned from a migrated template, a Redis database index of
// their own, an in-process SMTP server, and the whole web app over HTTP.
// A test that cannot reach a service fails and says which.
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

func adminDB(tb testing.TB) *sql.DB {
	tb.Helper()
	db, err := sql.Open("postgres", ServerURL())
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = db.PingContext(ctx)
		cancel()
	}
	if err != nil {
		tb.Fatalf("PostgreSQL is not reachable at %s (TEST_DATABASE_URL): %v — start it (pg_ctlcluster 15 main start) and run the tests again", ServerURL(), err)
	}
	return db
}

// prepareTemplate creates or migrates the template database once per test binary.
func prepareTemplate(tb testing.TB) {
	templateOnce.Do(func() {
		admin := adminDB(tb)
		defer admin.Close()
		ctx := context.Background()
		conn, err := admin.Conn(ctx)
		if err != nil {
			templateErr = err
			return
		}
		defer conn.Close()
		if _, err = conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lockID); err != nil {
			templateErr = err
			return
		}
		defer conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, lockID)
		var exists bool
		if err = conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, templateDB).Scan(&exists); err != nil {
			templateErr = err
			return
		}
		if !exists {
			if _, err = conn.ExecContext(ctx, `CREATE DATABASE `+templateDB); err != nil {
				templateErr = err
				return
			}
		}
		db, err := sql.Open("postgres", withDB(ServerURL(), templateDB))
		if err != nil {
			templateErr = err
			return
		}
		_, templateErr = migrations.Up(ctx, db)
		db.Close()
	})
	if templateErr != nil {
		tb.Fatalf("prepare the test database template: %v", templateErr)
	}
}

var dbSeq struct {
	sync.Mutex
	n int
}

// DB returns a fresh, migrated database for this test, dropped at the end.
func DB(tb testing.TB) (*sqlx.DB, string) {
	tb.Helper()
	prepareTemplate(tb)
	admin := adminDB(tb)
	dbSeq.Lock()
	dbSeq.n++
	name := fmt.Sprintf("vivier_test_%d_%d_%d", os.Getpid(), dbSeq.n, time.Now().UnixNano()%1_000_000)
	dbSeq.Unlock()
	ctx := context.Background()
	conn, err := admin.Conn(ctx)
	if err != nil {
		tb.Fatalf("PostgreSQL: %v", err)
	}
	_, err = conn.ExecContext(ctx, `SELECT pg_advisory_lock_shared($1)`, lockID)
	if err == nil {
		_, err = conn.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(name)+` TEMPLATE `+templateDB)
		conn.ExecContext(ctx, `SELECT pg_advisory_unlock_shared($1)`, lockID)
	}
	conn.Close()
	if err != nil {
		admin.Close()
		tb.Fatalf("create test database: %v", err)
	}
	dbURL := withDB(ServerURL(), name)
	db, err := repository.Open(ctx, dbURL)
	if err != nil {
		admin.Close()
		tb.Fatalf("open test database: %v", err)
	}
	// Tests run many at once on one server: a test keeps few connections
	// open, so that they stay well under PostgreSQL's max_connections.
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(8)
	tb.Cleanup(func() {
		db.Close()
		_, err := admin.Exec(`DROP DATABASE IF EXISTS ` + pq.QuoteIdentifier(name) + ` WITH (FORCE)`)
		if err != nil {
			tb.Logf("drop test database %s: %v", name, err)
		}
		admin.Close()
	})
	return db, dbURL
}

// Redis reserves a Redis database index (1 to 15) for this test, empties
// it, and returns its URL. Reservations are keys in database 0, so test
// processes running at once do not share an index.
func Redis(tb testing.TB) string {
	tb.Helper()
	ctx := context.Background()
	ctl := redis.NewClient(&redis.Options{Addr: RedisAddr(), DB: 0, DialTimeout: 2 * time.Second})
	if err := ctl.Ping(ctx).Err(); err != nil {
		ctl.Close()
		tb.Fatalf("Redis is not reachable at %s (TEST_REDIS_ADDR): %v — start it (redis-server --daemonize yes) and run the tests again", RedisAddr(), err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		for i := 1; i <= 15; i++ {
			key := "vivier:test:db:" + strconv.Itoa(i)
			ok, err := ctl.SetNX(ctx, key, os.Getpid(), 10*time.Minute).Result()
			if err != nil {
				ctl.Close()
				tb.Fatalf("Redis: %v", err)
			}
			if !ok {
				continue
			}
			db := redis.NewClient(&redis.Options{Addr: RedisAddr(), DB: i})
			db.FlushDB(ctx)
			tb.Cleanup(func() {
				db.FlushDB(context.Background())
				db.Close()
				ctl.Del(context.Background(), key)
				ctl.Close()
			})
			return fmt.Sprintf("redis://%s/%d", RedisAddr(), i)
		}
		if time.Now().After(deadline) {
			ctl.Close()
			tb.Fatalf("no free Redis database index for this test after 2 minutes")
		}
		time.Sleep(200 * time.Millisecond)
	}
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
