package handlers

import (
	"database/sql"
	"net/http"
	"time"

	"github.com/alexedwards/scs/postgresstore"
	"github.com/alexedwards/scs/v2"
)

// Session lifetimes: signed out after 8 idle hours, and after 7 days whatever.
const (
	sessionIdle     = 8 * time.Hour
	sessionLifetime = 7 * 24 * time.Hour
)

// NewSessions keeps reviewers' sessions in PostgreSQL. cleanup is how
// often expired sessions are deleted (0: never, for tests).
func NewSessions(db *sql.DB, secure bool, cleanup time.Duration) *scs.SessionManager {
	s := scs.New()
	s.Store = postgresstore.NewWithCleanupInterval(db, cleanup)
	s.IdleTimeout = sessionIdle
	s.Lifetime = sessionLifetime
	s.Cookie.Name = "vivier_session"
	s.Cookie.HttpOnly = true
	s.Cookie.SameSite = http.SameSiteLaxMode
	s.Cookie.Secure = secure
	s.Cookie.Path = "/"
	return s
}
