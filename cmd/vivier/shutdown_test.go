package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"vivier/internal/testkit"
	"vivier/repository"
	"vivier/workers/tasks"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// `vivier serve` gets SIGTERM while an application is being uploaded: the
// upload completes and is stored, new connections are refused, and the
// process exits 0.
func TestServeFinishesRequestsInFlightOnSIGTERM(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	p := app.OpenPosting(time.Time{})
	port := freePort(t)
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	serve := startVivier(t, map[string]string{"DATABASE_URL": app.Config.DatabaseURL, "REDIS_URL": app.Config.RedisURL,
		"PORT": strconv.Itoa(port), "BASE_URL": base}, "serve")
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := http.Get(base + "/"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("vivier serve did not start")
		}
		time.Sleep(100 * time.Millisecond)
	}

	// An upload that is still arriving when SIGTERM comes.
	var form bytes.Buffer
	w := multipart.NewWriter(&form)
	for k, v := range map[string]string{"prenom": "Camille", "nom": "Durand", "email": "camille@example.org", "localisation": "Lyon",
		"tjm": "650", "jours_par_semaine": "3", "disponible_le": time.Now().Format("2006-01-02"), "consentement": "oui",
		"motivation": "Une motivation assez longue pour passer les contrôles du formulaire."} {
		w.WriteField(k, v)
	}
	part, _ := w.CreateFormFile("cv", "cv.pdf")
	part.Write(testkit.PDF(200 << 10))
	w.Close()
	body := form.Bytes()
	pr, pw := io.Pipe()
	// The server answers "100 Continue" once the form's handler reads the
	// body: then the upload is the server's, in flight.
	reading := make(chan struct{})
	trace := &httptrace.ClientTrace{Got100Continue: func() { close(reading) }}
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace),
		http.MethodPost, base+"/offres/"+p.Slug+"/candidature", pr)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Origin", base)
	req.Header.Set("Expect", "100-continue")
	req.ContentLength = int64(len(body))
	done := make(chan *http.Response, 1)
	go func() {
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Do(req)
		if err != nil {
			t.Errorf("upload in flight: %v", err)
			done <- nil
			return
		}
		resp.Body.Close()
		done <- resp
	}()
	select {
	case <-reading:
	case <-time.After(30 * time.Second):
		t.Fatal("the server never read the upload")
	}
	pw.Write(body[:len(body)/2])
	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// New connections are refused while the upload finishes: once the
	// signal is handled, the port no longer accepts any.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err != nil {
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatal("new connections still accepted 10 s after SIGTERM")
		}
	}
	pw.Write(body[len(body)/2:])
	pw.Close()
	resp := <-done
	if resp == nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the upload in flight got %v, want 303", resp)
	}
	if err := serve.Wait(); err != nil {
		t.Fatalf("vivier serve exited with %v, want 0", err)
	}
	if apps, docs, emails := app.Counts(); apps != 1 || docs != 1 || emails != 2 {
		t.Errorf("stored %d applications, %d CVs, %d emails; want 1, 1, 2", apps, docs, emails)
	}
}

// `vivier worker` gets SIGTERM while sending: the message being sent
// finishes, the rest waits in the queue, and a new worker sends it; every
// email is sent once.
func TestWorkerFinishesItsMessageOnSIGTERM(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	app.SMTP.SetFault(func(string, []string) *smtp.SMTPError {
		time.Sleep(300 * time.Millisecond) // a slow relay
		return nil
	})
	var out []tasks.Outgoing
	for i := 0; i < 30; i++ {
		e := &repository.Email{Kind: "acknowledgement", ToAddress: "p" + strconv.Itoa(i) + "@example.org", Subject: "Essai",
			TextBody: "Bonjour", HTMLBody: "<p>Bonjour</p>"}
		if err := app.Repo.InsertEmails(context.Background(), []*repository.Email{e}); err != nil {
			t.Fatal(err)
		}
		out = append(out, tasks.Outgoing{ID: e.ID})
	}
	if err := app.Enqueuer.Enqueue(context.Background(), out...); err != nil {
		t.Fatal(err)
	}
	// Two slots: the stop comes while most emails still wait (with the
	// default 20 slots, 30 emails go out in two waves, and the second
	// could be under way before the signal).
	env := map[string]string{"DATABASE_URL": app.Config.DatabaseURL, "REDIS_URL": app.Config.RedisURL,
		"SMTP_URL": app.Config.SMTPURL, "MAIL_FROM": app.Config.MailFrom, "WORKER_CONCURRENCY": "2"}
	worker := startVivier(t, env, "worker")
	deadline := time.Now().Add(30 * time.Second)
	for len(app.SMTP.Messages()) < 3 {
		if time.Now().After(deadline) {
			t.Fatal("the worker sent nothing")
		}
		time.Sleep(20 * time.Millisecond)
	}
	worker.Process.Signal(syscall.SIGTERM)
	if err := worker.Wait(); err != nil {
		t.Fatalf("vivier worker exited with %v, want 0", err)
	}
	var sending, sentAtStop int
	app.DB.Get(&sending, `SELECT count(*) FROM emails WHERE status = 'sending'`)
	app.DB.Get(&sentAtStop, `SELECT count(*) FROM emails WHERE status = 'sent'`)
	if sending != 0 {
		t.Errorf("%d emails left half-sent by a clean stop", sending)
	}
	if sentAtStop == 30 {
		t.Fatal("everything was sent before the stop: the test proves nothing")
	}
	startVivier(t, env, "worker")
	app.WaitEmails("sent", 30, 60*time.Second)
	app.WaitIdle() // a second copy would have left by now
	if got := len(app.SMTP.Messages()); got != 30 {
		t.Fatalf("SMTP server got %d messages, want 30", got)
	}
}

// On a schema that is behind, `vivier serve` waits for `vivier migrate`
// (up to SCHEMA_WAIT), then serves; with SCHEMA_WAIT=0 it refuses at once.
func TestServeWaitsForTheSchema(t *testing.T) {
	t.Parallel()
	admin, err := sql.Open("postgres", testkit.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	name := "vivier_test_empty_" + strconv.Itoa(os.Getpid()) + "_" + strconv.FormatInt(time.Now().UnixNano()%1e9, 10)
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("create an empty database: %v", err)
	}
	// After the processes' own clean-ups (they run first), and with the
	// handle still open: a deferred Close would come before it.
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
		admin.Close()
	})
	u, _ := url.Parse(testkit.ServerURL())
	u.Path = "/" + name
	port := freePort(t)
	env := map[string]string{"DATABASE_URL": u.String(), "REDIS_URL": "redis://" + testkit.RedisAddr() + "/0", "PORT": strconv.Itoa(port)}

	env["SCHEMA_WAIT"] = "0"
	refused := startVivier(t, env, "serve")
	if err := refused.Wait(); err == nil {
		t.Fatal("serve started on an empty schema with SCHEMA_WAIT=0")
	}

	env["SCHEMA_WAIT"] = "1m"
	serve := startVivier(t, env, "serve")
	// It says it waits; meanwhile it does not answer.
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(serve.Stdout.(*lockedBuffer).String(), "waiting for `vivier migrate`"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("serve did not say that it waits for the schema")
		}
	}
	if resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/"); err == nil {
		resp.Body.Close()
		t.Fatal("serve answered before the schema was migrated")
	}
	migrate := startVivier(t, env, "migrate")
	if err := migrate.Wait(); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not start once the schema was migrated")
		}
		time.Sleep(200 * time.Millisecond)
	}
	serve.Process.Signal(syscall.SIGTERM)
	serve.Wait()
}
