package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"vivier/internal/testkit"
	"vivier/repository"
	"vivier/workers/tasks"
)

// `vivier worker` serves /healthz and /metrics (behind METRICS_TOKEN) on
// METRICS_PORT, times its sends, and logs the request id that came with
// the task.
func TestWorkerServesMetricsAndLogsTheRequestID(t *testing.T) {
	t.Parallel()
	const token = "jeton-du-worker-0123456789"
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	e := &repository.Email{Kind: "acknowledgement", ToAddress: "camille@example.org", Subject: "Essai",
		TextBody: "Bonjour", HTMLBody: "<p>Bonjour</p>"}
	if err := app.Repo.InsertEmails(context.Background(), []*repository.Email{e}); err != nil {
		t.Fatal(err)
	}
	ctx := tasks.WithRequestID(context.Background(), "req-du-web-42")
	if err := app.Enqueuer.Enqueue(ctx, tasks.Outgoing{ID: e.ID}); err != nil {
		t.Fatal(err)
	}

	port := freePort(t)
	worker := startVivier(t, map[string]string{"DATABASE_URL": app.Config.DatabaseURL, "REDIS_URL": app.Config.RedisURL,
		"SMTP_URL": app.Config.SMTPURL, "MAIL_FROM": app.Config.MailFrom, "LOG_FORMAT": "json",
		"METRICS_PORT": strconv.Itoa(port), "METRICS_TOKEN": token}, "worker")
	app.WaitEmails("sent", 1, 30*time.Second)

	base := "http://127.0.0.1:" + strconv.Itoa(port)
	c := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := c.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker's /healthz did not answer: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if resp, _ := testkit.Get(t, c, base+"/metrics"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("worker /metrics without the token: %d, want 401", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, body := testkit.Do(t, c, req)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "\nvivier_email_send_duration_seconds_count{outcome=\"sent\"} 1\n") {
		t.Errorf("worker /metrics: %d, no send latency for one email sent", resp.StatusCode)
	}
	if !strings.Contains(body, "\nvivier_email_record_duration_seconds_count 1\n") {
		t.Errorf("worker /metrics: no record latency for one email sent")
	}

	worker.Process.Signal(syscall.SIGTERM)
	if err := worker.Wait(); err != nil {
		t.Fatalf("vivier worker exited with %v", err)
	}
	found := false
	for _, line := range strings.Split(worker.Stdout.(*lockedBuffer).String(), "\n") {
		var l struct {
			Msg       string `json:"msg"`
			EmailID   int64  `json:"email_id"`
			RequestID string `json:"request_id"`
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "email sent" {
			found = true
			if l.EmailID != e.ID || l.RequestID != "req-du-web-42" {
				t.Errorf("log line of the send: %s", line)
			}
		}
	}
	if !found {
		t.Errorf("no \"email sent\" line in the worker's log:\n%s", worker.Stdout.(*lockedBuffer).String())
	}
}

// `vivier serve` logs one line a request with its id and its route, never
// its path (a private link's token stays out of the logs), and answers
// /readyz from its own connections.
func TestServeLogsEachRequestWithItsID(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	port := freePort(t)
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	serve := startVivier(t, map[string]string{"DATABASE_URL": app.Config.DatabaseURL, "REDIS_URL": app.Config.RedisURL,
		"PORT": strconv.Itoa(port), "BASE_URL": base, "LOG_FORMAT": "json"}, "serve")
	c := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := c.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("vivier serve did not start")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if resp, body := testkit.Get(t, c, base+"/readyz"); resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz of vivier serve: %d %s", resp.StatusCode, body)
	}
	const secret = "UnJetonPriveQuiNeDoitPasFiler0123456789abcd"
	req, _ := http.NewRequest(http.MethodGet, base+"/candidature/"+secret, nil)
	req.Header.Set("X-Request-Id", "req-lien-prive")
	if resp, _ := testkit.Do(t, c, req); resp.StatusCode != http.StatusNotFound || resp.Header.Get("X-Request-Id") != "req-lien-prive" {
		t.Errorf("unknown private link: %d, X-Request-Id %q", resp.StatusCode, resp.Header.Get("X-Request-Id"))
	}

	serve.Process.Signal(syscall.SIGTERM)
	if err := serve.Wait(); err != nil {
		t.Fatalf("vivier serve exited with %v", err)
	}
	logs := serve.Stdout.(*lockedBuffer).String()
	if strings.Contains(logs, secret) {
		t.Errorf("the private token is in the log:\n%s", logs)
	}
	found := false
	for _, line := range strings.Split(logs, "\n") {
		var l struct {
			Msg       string `json:"msg"`
			RequestID string `json:"request_id"`
			Route     string `json:"route"`
			Method    string `json:"method"`
			Status    int    `json:"status"`
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "request" && l.RequestID == "req-lien-prive" {
			found = l.Route == "/candidature/:token" && l.Method == "GET" && l.Status == http.StatusNotFound
		}
	}
	if !found {
		t.Errorf("no request line with its id, route and status:\n%s", logs)
	}
}
