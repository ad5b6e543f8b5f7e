package workers_test

import (
	"context"
	"crypto/sha256"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"vivier/internal/catalog"
	"vivier/internal/compose"
	"vivier/internal/frfmt"
	"vivier/internal/links"
	"vivier/internal/testkit"
	"vivier/repository"
	"vivier/workers"
)

func retentionScheduler(t *testing.T, app *testkit.App) *workers.RetentionScheduler {
	t.Helper()
	r, err := compose.New(app.Config)
	if err != nil {
		t.Fatal(err)
	}
	return &workers.RetentionScheduler{Repo: app.Repo, Emails: r, Config: app.Config, Enqueuer: app.Enqueuer, Log: app.Log}
}

// importPosting imports an open posting with its own contact.
func importPosting(t *testing.T, app *testkit.App, slug, contact string) *repository.Posting {
	t.Helper()
	return app.Posting("tests/2024-01-01-"+slug+".md",
		[]byte("---\ntitle: Offre "+slug+"\ncontact: "+contact+"\nopen: true\n---\nUne mission.\n"))
}

// apply stores an application with its CV and a private link token.
func apply(t *testing.T, app *testkit.App, postingID int64, first, email string, status catalog.Status) *repository.Application {
	t.Helper()
	token := sha256.Sum256([]byte("jeton " + email))
	a := &repository.Application{PostingID: postingID, FirstName: first, LastName: "Durand", Email: email, Location: "Lyon",
		DailyRate: 600, DaysPerWeek: 3, AvailableFrom: time.Now(), Links: []string{"https://example.org"}, ConsentAt: time.Now(),
		Motivation: "Une motivation assez longue pour passer les contrôles du formulaire.", AccessTokenHash: token[:]}
	doc := &repository.Document{FileName: "cv.pdf", ContentType: "application/pdf", SizeBytes: 100, SHA256: make([]byte, 32), Content: testkit.PDF(100)}
	if _, err := app.Repo.CreateApplication(context.Background(), a, doc, func(a *repository.Application) ([]*repository.Email, error) {
		return []*repository.Email{{Kind: "acknowledgement", PostingID: &postingID, ApplicationID: &a.ID, ToAddress: email,
			Subject: "Candidature reçue", TextBody: "Bonjour " + first, HTMLBody: "<p>Bonjour " + first + "</p>"}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	app.DB.MustExec(`UPDATE applications SET status = $2 WHERE id = $1`, a.ID, status)
	app.DB.MustExec(`UPDATE emails SET status = 'sent' WHERE application_id = $1`, a.ID)
	return a
}

// closeAt closes an open posting and dates its close ago.
func closeAt(t *testing.T, app *testkit.App, p *repository.Posting, ago string) {
	t.Helper()
	if _, err := app.Repo.ClosePosting(context.Background(), p.ID, repository.ClosePlan{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	app.DB.MustExec(`UPDATE posting_events SET created_at = now() - $2::interval
		WHERE id = (SELECT max(id) FROM posting_events WHERE posting_id = $1)`, p.ID, ago)
}

func countsByStatus(t *testing.T, app *testkit.App, postingID int64) map[string]int {
	t.Helper()
	rows, err := app.DB.Query(`SELECT status, count(*) FROM applications WHERE posting_id = $1 GROUP BY status`, postingID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		rows.Scan(&s, &n)
		out[s] = n
	}
	return out
}

func TestRetentionErasesOldApplicationsAndTellsOnceAMonthBefore(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	ctx := context.Background()
	old := importPosting(t, app, "ancienne", "ancienne@anct.gouv.fr")
	soon := importPosting(t, app, "bientot", "bientot@anct.gouv.fr")
	open := importPosting(t, app, "ouverte", "ouverte@anct.gouv.fr")
	reopened := importPosting(t, app, "rouverte", "rouverte@anct.gouv.fr")

	var oldApps, soonApps []*repository.Application
	for i, st := range []catalog.Status{"received", "rejected", "rejected", "accepted", "withdrawn"} {
		oldApps = append(oldApps, apply(t, app, old.ID, "Ancien"+strconv.Itoa(i), "ancien"+strconv.Itoa(i)+"@example.org", st))
	}
	for i, st := range []catalog.Status{"received", "interview", "withdrawn"} {
		soonApps = append(soonApps, apply(t, app, soon.ID, "Zoé"+strconv.Itoa(i), "zoe"+strconv.Itoa(i)+"@example.org", st))
	}
	openApp := apply(t, app, open.ID, "Ouvert", "ouvert@example.org", "received")
	reopenedApp := apply(t, app, reopened.ID, "Rouvert", "rouvert@example.org", "received")
	// Already erased at the applicant's request: no notice for them.
	gone := apply(t, app, soon.ID, "Parti", "parti@example.org", "received")
	if err := app.Repo.Erase(ctx, gone.ID, repository.ActorApplicant, nil, nil); err != nil {
		t.Fatal(err)
	}

	closeAt(t, app, old, "24 months 1 day")
	closeAt(t, app, soon, "23 months")
	// Closed long ago, reopened, closed again last month: the latest close counts.
	closeAt(t, app, reopened, "30 months")
	if err := app.Repo.SetPostingState(ctx, reopened.ID, []catalog.PostingState{catalog.PostingClosed}, catalog.PostingOpen, "test"); err != nil {
		t.Fatal(err)
	}
	app.DB.MustExec(`UPDATE posting_events SET created_at = now() - interval '2 months' WHERE posting_id = $1 AND to_status = 'open'`, reopened.ID)
	closeAt(t, app, reopened, "1 month")
	// The old posting was archived since: still erased.
	if err := app.Repo.SetPostingState(ctx, old.ID, []catalog.PostingState{catalog.PostingClosed}, catalog.PostingArchived, "test"); err != nil {
		t.Fatal(err)
	}
	countsBefore := countsByStatus(t, app, old.ID)
	var emailsBefore int
	app.DB.Get(&emailsBefore, `SELECT count(*) FROM emails`)

	// Two schedulers at once (one by mistake) do the work once between them.
	var total workers.RetentionCounts
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := retentionScheduler(t, app).RunOnce(ctx)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			total.Notified += c.Notified
			total.ContactsNotified += c.ContactsNotified
			total.Erased += c.Erased
			mu.Unlock()
		}()
	}
	wg.Wait()
	if total.Erased != len(oldApps) || total.Notified != len(soonApps) || total.ContactsNotified != 1 {
		t.Fatalf("first run: %+v, want %d erased, %d notified and 1 contact", total, len(oldApps), len(soonApps))
	}

	// The old posting's applications are erased; anonymous counts survive.
	for _, a := range oldApps {
		var left struct {
			First, Email, Motivation, Phone, Location string
			Links, Docs, Tokens, Events               int
			Erased                                    bool
		}
		app.DB.QueryRow(`SELECT first_name, email, motivation, phone, location, cardinality(links), erased_at IS NOT NULL,
			(SELECT count(*) FROM documents WHERE application_id = $1),
			(SELECT count(*) FROM application_tokens WHERE application_id = $1),
			(SELECT count(*) FROM application_events WHERE application_id = $1 AND kind = 'erased' AND actor = 'système')
			FROM applications WHERE id = $1`, a.ID).Scan(&left.First, &left.Email, &left.Motivation, &left.Phone, &left.Location,
			&left.Links, &left.Erased, &left.Docs, &left.Tokens, &left.Events)
		if left.First != "" || left.Email != "" || left.Motivation != "" || left.Links != 0 || !left.Erased || left.Docs != 0 || left.Tokens != 0 || left.Events != 1 {
			t.Errorf("application %d after retention: %+v", a.ID, left)
		}
		var bodies int
		app.DB.Get(&bodies, `SELECT count(*) FROM emails WHERE application_id = $1 AND (text_body <> '' OR to_address <> '')`, a.ID)
		if bodies != 0 {
			t.Errorf("application %d keeps %d emails with a body or an address", a.ID, bodies)
		}
	}
	if after := countsByStatus(t, app, old.ID); len(after) != len(countsBefore) || after["rejected"] != 2 || after["withdrawn"] != 1 || after["accepted"] != 1 {
		t.Errorf("counts by status: %v before, %v after", countsBefore, after)
	}
	var audited int
	app.DB.Get(&audited, `SELECT COALESCE(sum((details->>'candidatures')::int), 0) FROM audit_log
		WHERE action = 'retention_erased' AND posting_id = $1 AND actor = 'système'`, old.ID)
	if audited != len(oldApps) {
		t.Errorf("audit log counts %d erased, want %d", audited, len(oldApps))
	}

	// The posting closed 23 months ago: each applicant holding data and its
	// contact are told, nothing is erased.
	type notice struct {
		To, Subject, Text, HTML string
		AppID                   *int64
	}
	var notices []notice
	rows, _ := app.DB.Query(`SELECT to_address, subject, text_body, html_body, application_id FROM emails
		WHERE kind IN ('retention_notice', 'retention_notice_contact') ORDER BY id`)
	for rows.Next() {
		var n notice
		rows.Scan(&n.To, &n.Subject, &n.Text, &n.HTML, &n.AppID)
		notices = append(notices, n)
	}
	rows.Close()
	if len(notices) != len(soonApps)+1 {
		t.Fatalf("%d notices, want %d", len(notices), len(soonApps)+1)
	}
	var eraseOn time.Time
	app.DB.Get(&eraseOn, `SELECT max(created_at) + interval '24 months' FROM posting_events WHERE posting_id = $1`, soon.ID)
	linkRe := regexp.MustCompile(`http://vivier\.test(/candidature/[A-Za-z0-9_-]{43})`)
	byAddress := map[string]notice{}
	for _, n := range notices {
		byAddress[n.To] = n
	}
	for i, a := range soonApps {
		n, ok := byAddress[a.Email]
		if !ok {
			t.Errorf("no notice to %s", a.Email)
			continue
		}
		if !strings.Contains(n.Subject, "effacées à partir du") || !strings.Contains(n.Text, "Bonjour Zoé"+strconv.Itoa(i)+",") ||
			!strings.Contains(n.HTML, "Bonjour Zoé"+strconv.Itoa(i)+",") || !strings.Contains(n.Text, "télécharger une copie") ||
			!strings.Contains(n.Text, "24 mois") || strings.Contains(n.Text+n.HTML, "⟦") || strings.Contains(n.Text+n.HTML, compose.PlaceholderToken) {
			t.Errorf("notice to %s:\n%s\n%s", a.Email, n.Subject, n.Text)
		}
		// Each carries a fresh private link, stored sealed: what is kept in
		// clear says the link was removed.
		if linkRe.MatchString(n.Text+n.HTML) || !strings.Contains(n.Text, "/candidature/"+links.Marker) ||
			!strings.Contains(n.HTML, "/candidature/"+links.Marker) {
			t.Errorf("notice to %s stored with a working link, or without saying it was removed:\n%s", a.Email, n.Text)
		}
		var erased bool
		app.DB.Get(&erased, `SELECT erased_at IS NOT NULL FROM applications WHERE id = $1`, a.ID)
		if erased {
			t.Errorf("application %d erased a month early", a.ID)
		}
	}
	contact := byAddress[soon.ContactEmail]
	if contact.AppID != nil || !strings.Contains(contact.Text, "des 3 candidatures encore conservées") ||
		!strings.Contains(contact.Subject, soon.Title) {
		t.Errorf("notice to the contact:\n%s\n%s", contact.Subject, contact.Text)
	}
	for _, n := range notices {
		if !strings.Contains(n.Text, "à partir du "+frfmt.Date(eraseOn)) {
			t.Errorf("notice to %s does not say the erasure date (%s):\n%s", n.To, frfmt.Date(eraseOn), n.Text)
		}
	}
	if _, ok := byAddress["parti@example.org"]; ok {
		t.Error("an applicant already erased got a notice")
	}
	// They leave through the worker, each with its own link that opens the
	// applicant's page; once sent, no sealed link is left.
	msgs := app.SMTP.WaitFor(len(notices), 20*time.Second)
	if len(msgs) < len(notices) {
		t.Errorf("%d messages reached the SMTP server, want %d", len(msgs), len(notices))
	}
	seen := map[string]bool{}
	for _, a := range soonApps {
		link := app.LinkTo(a.Email)
		if resp, body := testkit.Get(t, app.Client(), app.URL+link); resp.StatusCode != http.StatusOK || !strings.Contains(body, a.Email) {
			t.Errorf("the notice's link to %s: %d", a.Email, resp.StatusCode)
		}
		if seen[link] {
			t.Errorf("two notices carry the same link")
		}
		seen[link] = true
	}
	app.WaitEmails("sent", emailsBefore+len(notices), 20*time.Second)
	var sealed int
	app.DB.Get(&sealed, `SELECT count(*) FROM emails WHERE link_sealed IS NOT NULL`)
	if sealed != 0 {
		t.Errorf("%d sent emails still hold a sealed link", sealed)
	}

	// An open posting, and one closed last month, are untouched.
	for _, a := range []*repository.Application{openApp, reopenedApp} {
		var erased bool
		var mails int
		app.DB.QueryRow(`SELECT erased_at IS NOT NULL, (SELECT count(*) FROM emails WHERE application_id = $1 AND kind = 'retention_notice')
			FROM applications WHERE id = $1`, a.ID).Scan(&erased, &mails)
		if erased || mails != 0 {
			t.Errorf("application %d of a posting not due: erased %v, %d notices", a.ID, erased, mails)
		}
	}

	// A second run writes nothing more.
	var emailsAfter int
	app.DB.Get(&emailsAfter, `SELECT count(*) FROM emails`)
	c, err := retentionScheduler(t, app).RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var emailsAgain int
	app.DB.Get(&emailsAgain, `SELECT count(*) FROM emails`)
	if c != (workers.RetentionCounts{}) || emailsAgain != emailsAfter || emailsAfter != emailsBefore+len(notices) {
		t.Errorf("second run: %+v, emails %d then %d (before %d)", c, emailsAfter, emailsAgain, emailsBefore)
	}

	// A month later, the posting closed 23 months ago is erased in turn.
	app.Clock.Set(time.Now().AddDate(0, 1, 1))
	c, err = retentionScheduler(t, app).RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Erased != len(soonApps) || c.Notified != 0 {
		t.Errorf("a month later: %+v, want %d erased", c, len(soonApps))
	}
}

// A huge posting is erased and told in batches, and every notice carries
// its own link.
func TestRetentionWorksInBatches(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	ctx := context.Background()
	old := importPosting(t, app, "ancienne", "ancienne@anct.gouv.fr")
	soon := importPosting(t, app, "bientot", "bientot@anct.gouv.fr")
	const n = 2*workers.RetentionBatch + 37
	for _, p := range []*repository.Posting{old, soon} {
		app.DB.MustExec(`INSERT INTO applications (posting_id, first_name, last_name, email, location, daily_rate,
			days_per_week, available_from, motivation, consent_at, access_token_hash)
			SELECT $1::bigint, 'Prénom' || i, 'Nom', 'p' || i || '@example.org', 'Lyon', 500, 2, now(), 'Motivation', now(),
				sha256(($1::bigint || ':' || i)::bytea)
			FROM generate_series(1, $2::int) AS i`, p.ID, n)
		app.DB.MustExec(`INSERT INTO documents (application_id, file_name, content_type, size_bytes, sha256, content)
			SELECT id, 'cv.pdf', 'application/pdf', 4, sha256('%PDF'::bytea), '%PDF'::bytea FROM applications WHERE posting_id = $1`, p.ID)
	}
	closeAt(t, app, old, "25 months")
	closeAt(t, app, soon, "23 months 10 days")

	s := retentionScheduler(t, app)
	s.Enqueuer = nil // no worker: the emails stay in the outbox
	c, err := s.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Erased != n || c.Notified != n || c.ContactsNotified != 1 {
		t.Fatalf("run: %+v, want %d erased and %d notified", c, n, n)
	}
	var batches, docs, notices, tokens int
	app.DB.Get(&batches, `SELECT count(*) FROM audit_log WHERE action = 'retention_erased' AND posting_id = $1`, old.ID)
	app.DB.Get(&docs, `SELECT count(*) FROM documents d JOIN applications a ON a.id = d.application_id WHERE a.posting_id = $1`, old.ID)
	app.DB.Get(&notices, `SELECT count(DISTINCT application_id) FROM emails WHERE kind = 'retention_notice' AND posting_id = $1`, soon.ID)
	app.DB.Get(&tokens, `SELECT count(DISTINCT token_hash) FROM application_tokens t JOIN applications a ON a.id = t.application_id
		WHERE a.posting_id = $1`, soon.ID)
	if batches != 3 || docs != 0 || notices != n || tokens != n {
		t.Errorf("%d erasure batches (want 3), %d CVs left, %d applicants told, %d links (want %d)", batches, docs, notices, tokens, n)
	}
}
