package handlers_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"vivier/handlers"
	"vivier/internal/closing"
	"vivier/internal/config"
	"vivier/internal/testkit"
	"vivier/repository"
)

// logLines is a log written as JSON lines, read back by tests.
type logLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// find returns the first line with message msg.
func (l *logLines) find(t *testing.T, msg string) map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, raw := range strings.Split(strings.TrimSpace(l.buf.String()), "\n") {
		var line map[string]any
		if err := json.Unmarshal([]byte(raw), &line); err != nil {
			t.Fatalf("log line %q: %v", raw, err)
		}
		if line["msg"] == msg {
			return line
		}
	}
	t.Fatalf("no %q line in the log:\n%s", msg, l.buf.String())
	return nil
}

// serveWithLog serves the web app on repo (nil: none) with its log in lines.
func serveWithLog(t *testing.T, repo *repository.Repo) (*httptest.Server, *logLines) {
	t.Helper()
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	lines := &logLines{}
	// No route of these cases closes a posting: the closer is there
	// because the handlers refuse to start without one.
	h, err := handlers.New(handlers.Deps{Config: cfg, Repo: repo, Log: slog.New(slog.NewJSONHandler(lines, nil)),
		Closer: &closing.Closer{Repo: repo}})
	if err != nil {
		t.Fatal(err)
	}
	engine, err := h.Engine()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(engine)
	t.Cleanup(srv.Close)
	return srv, lines
}

// getWithID asks for path with the X-Request-Id a proxy would send.
func getWithID(t *testing.T, srv *httptest.Server, path, id string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Request-Id", id)
	return testkit.Do(t, srv.Client(), req)
}

// Every line an error writes carries the request's id, the one the
// response returns: a 500 (a query that fails), a panic, a request from
// another site, a 503 (the database does not answer).
func TestErrorLinesCarryTheRequestID(t *testing.T) {
	t.Parallel()
	t.Run("failed query", func(t *testing.T) {
		t.Parallel()
		db, _ := testkit.DB(t)
		srv, log := serveWithLog(t, repository.New(db))
		if _, err := db.Exec(`ALTER TABLE postings RENAME TO postings_gone`); err != nil {
			t.Fatal(err)
		}
		resp, body := getWithID(t, srv, "/", "essai-500")
		if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(body, "Une erreur inattendue est survenue") {
			t.Fatalf("%d, want the French 500 page", resp.StatusCode)
		}
		line := log.find(t, "request failed")
		if line["level"] != "ERROR" || line["request_id"] != "essai-500" || line["route"] != "/" {
			t.Errorf("error line %v, want level ERROR, request_id essai-500 and route /", line)
		}
	})
	t.Run("panic", func(t *testing.T) {
		t.Parallel()
		srv, log := serveWithLog(t, nil) // no repository: the handler panics
		resp, _ := getWithID(t, srv, "/offres-closes", "essai-panique")
		if resp.StatusCode != http.StatusInternalServerError || resp.Header.Get("X-Request-Id") != "essai-panique" {
			t.Fatalf("%d with X-Request-Id %q", resp.StatusCode, resp.Header.Get("X-Request-Id"))
		}
		line := log.find(t, "request failed")
		if line["request_id"] != "essai-panique" || !strings.Contains(line["error"].(string), "panic") {
			t.Errorf("panic line %v, want request_id essai-panique", line)
		}
	})
	t.Run("cross-origin refusal", func(t *testing.T) {
		t.Parallel()
		srv, log := serveWithLog(t, nil) // refused before any handler runs
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/connexion", strings.NewReader("email=a%40example.org"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("X-Request-Id", "essai-origine")
		resp, _ := testkit.Do(t, srv.Client(), req)
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Request-Id") != "essai-origine" {
			t.Fatalf("%d with X-Request-Id %q", resp.StatusCode, resp.Header.Get("X-Request-Id"))
		}
		if line := log.find(t, "cross-origin request refused"); line["request_id"] != "essai-origine" {
			t.Errorf("refusal line %v, want request_id essai-origine", line)
		}
	})
	t.Run("database unreachable", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		db := sqlx.MustOpen("postgres", "postgres://postgres@"+addr+"/vivier?sslmode=disable")
		t.Cleanup(func() { db.Close() })
		srv, log := serveWithLog(t, repository.New(db))
		// No id from a proxy: the app makes one and returns it.
		resp, body := testkit.Get(t, srv.Client(), srv.URL+"/")
		id := resp.Header.Get("X-Request-Id")
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "Service momentanément indisponible") || id == "" {
			t.Fatalf("%d with X-Request-Id %q, want the French 503 page and an id", resp.StatusCode, id)
		}
		if line := log.find(t, "service unavailable"); line["request_id"] != id {
			t.Errorf("outage line %v, want request_id %s", line, id)
		}
		if line := log.find(t, "request"); line["request_id"] != id || line["status"] != float64(503) {
			t.Errorf("request line %v, want request_id %s and status 503", line, id)
		}
	})
}
