package repository

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/lib/pq"
)

// EnsureDatabase creates the database named in dbURL when it is missing,
// connecting to the server's "postgres" database to do so.
func EnsureDatabase(ctx context.Context, dbURL string) (created bool, err error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return false, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return false, fmt.Errorf("DATABASE_URL names no database")
	}
	admin := *u
	admin.Path = "/postgres"
	db, err := Open(ctx, admin.String())
	if err != nil {
		return false, err
	}
	defer db.Close()
	var exists bool
	if err := db.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name); err != nil {
		return false, fmt.Errorf("look for database %q: %w", name, err)
	}
	if exists {
		return false, nil
	}
	if _, err := db.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(name)); err != nil {
		return false, fmt.Errorf("create database %q: %w", name, err)
	}
	return true, nil
}
