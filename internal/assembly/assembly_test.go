package assembly_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"vivier/internal/assembly"
	"vivier/internal/config"
	"vivier/internal/testkit"
	"vivier/repository"
)

// process assembles a process on a database and a Redis index of the
// test's own, sending to an SMTP server of its own.
func process(t *testing.T) *assembly.Process {
	t.Helper()
	db, dbURL := testkit.DB(t)
	smtp := testkit.SMTP(t)
	env := map[string]string{"DATABASE_URL": dbURL, "REDIS_URL": testkit.Redis(t), "SMTP_URL": smtp.URL(),
		"BASE_URL": "http://vivier.test", "ADMIN_EMAILS": "admin@anct.gouv.fr"}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	p, err := assembly.New(cfg, db, assembly.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// The web site, the worker and the scheduler of one process share its one
// repository, its one email renderer and a closer built once, not one per
// request.
func TestAProcessSharesOneRepositoryAndOneEmailRenderer(t *testing.T) {
	t.Parallel()
	p := process(t)
	web, err := p.Web()
	if err != nil {
		t.Fatal(err)
	}
	defer web.Close()
	s := p.Scheduler()
	h := web.Handler
	if h.Closer == nil {
		t.Fatal("the web site has no closer of postings")
	}
	repos := map[string]*repository.Repo{"web": h.Repo, "web's closer": h.Closer.Repo, "sweep": s.Sweep.Repo,
		"closing": s.Closing.Repo, "closing's closer": s.Closing.Closer.Repo, "retention": s.Retention.Repo,
		"views": s.Views.Repo}
	for who, r := range repos {
		if r != p.Repo {
			t.Errorf("%s has a repository of its own", who)
		}
	}
	renderers := map[string]any{"web": h.Emails, "web's closer": h.Closer.Emails,
		"closing's closer": s.Closing.Closer.Emails, "retention": s.Retention.Emails}
	for who, r := range renderers {
		if r != any(p.Emails) {
			t.Errorf("%s has an email renderer of its own", who)
		}
	}
	if h.Views == nil || h.Views != s.Views.Counter || h.Views != p.Views {
		t.Error("the web site and the scheduler count posting views apart")
	}
}

// One process runs the whole product: an application through its web site
// is mailed by its worker, and the process closes cleanly.
func TestAProcessReceivesAndSendsAnApplication(t *testing.T) {
	t.Parallel()
	p := process(t)
	web, err := p.Web()
	if err != nil {
		t.Fatal(err)
	}
	defer web.Close()
	w, err := p.Worker(assembly.WorkerOptions{Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	srv := httptest.NewServer(web.Engine)
	defer srv.Close()

	// The admin asks for a sign-in link: the web site writes it, the worker sends it.
	c := srv.Client()
	resp, err := c.PostForm(srv.URL+"/connexion", url.Values{"email": {"admin@anct.gouv.fr"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var sent int
		if err := p.DB.Get(&sent, `SELECT count(*) FROM emails WHERE status = 'sent' AND to_address = 'admin@anct.gouv.fr'`); err != nil {
			t.Fatal(err)
		}
		if sent == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no sign-in link sent by the process's worker (%d)", resp.StatusCode)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("the worker stopped with %v", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
}
