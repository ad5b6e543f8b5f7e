package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"vivier/internal/testkit"
	"vivier/repository"
)

// validForm is a complete, valid application.
func validForm() url.Values {
	return url.Values{
		"prenom": {"Camille"}, "nom": {"Durand"}, "email": {"camille.durand@example.org"},
		"telephone": {"06 12 34 56 78"}, "localisation": {"Lyon"}, "tjm": {"650"},
		"jours_par_semaine": {"2.5"}, "disponible_le": {time.Now().AddDate(0, 0, 14).Format("2006-01-02")},
		"siret": {"732 829 320 00074"}, "liens": {"https://github.com/camille\nhttps://camille.example.org"},
		"motivation":   {"Coach agile depuis huit ans auprès de collectivités, j'aimerais accompagner une équipe d'investigation."},
		"consentement": {"oui"},
	}
}

func cv() testkit.File {
	return testkit.File{Field: "cv", Name: "CV Camille.pdf", Data: testkit.PDF(100 << 10)}
}

var linkRe = regexp.MustCompile(`http://vivier\.test(/candidature/[A-Za-z0-9_-]{43})`)

func TestApplicantPathEndToEnd(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Now().Add(30 * 24 * time.Hour))
	c := app.Client()

	resp, body := testkit.Get(t, c, app.URL+"/")
	if resp.StatusCode != 200 || !strings.Contains(body, "/offres/"+p.Slug) {
		t.Fatalf("home: %d, posting %s not listed", resp.StatusCode, p.Slug)
	}
	resp, body = testkit.Get(t, c, app.URL+"/offres/"+p.Slug)
	if resp.StatusCode != 200 || !strings.Contains(body, `name="motivation"`) || !strings.Contains(body, "Coach pour le Programme national") {
		t.Fatalf("posting page: %d, form or title missing", resp.StatusCode)
	}

	resp, _ = testkit.PostMultipart(t, c, app.URL+"/offres/"+p.Slug+"/candidature", validForm(), cv())
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/offres/"+p.Slug+"/candidature-envoyee" {
		t.Fatalf("submit: %d to %q, want 303 to the confirmation", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body = testkit.Get(t, c, app.URL+resp.Header.Get("Location"))
	if resp.StatusCode != 200 || !strings.Contains(body, "Votre candidature est envoyée") {
		t.Fatalf("confirmation page: %d", resp.StatusCode)
	}

	// Stored in one go: the application, its CV, its two emails.
	var a repository.Application
	if err := app.DB.Get(&a, `SELECT id, posting_id, status, first_name, last_name, email, phone, daily_rate, days_per_week, siret, links
		FROM applications`); err != nil {
		t.Fatal(err)
	}
	if a.Status != "received" || a.Phone != "+33612345678" || a.DailyRate != 650 || a.DaysPerWeek != 2.5 || a.SIRET != "73282932000074" || len(a.Links) != 2 {
		t.Errorf("stored application = %+v", a)
	}
	doc, err := app.Repo.DocumentByApplication(t.Context(), a.ID)
	if err != nil || doc.ContentType != "application/pdf" || doc.FileName != "CV Camille.pdf" || doc.SizeBytes != int64(len(cv().Data)) || len(doc.SHA256) != 32 {
		t.Errorf("stored CV = %+v, %v", doc, err)
	}

	// Both emails leave through the worker and reach the SMTP server.
	msgs := app.SMTP.WaitFor(2, 20*time.Second)
	if len(msgs) != 2 {
		t.Fatalf("SMTP server got %d messages, want 2", len(msgs))
	}
	app.WaitEmails("sent", 2, 10*time.Second)
	var ack, note *testkitMessage
	for _, m := range msgs {
		switch m.To[0] {
		case "camille.durand@example.org":
			ack = &testkitMessage{m.Subject, m.Text, m.HTML, m.Header.Get("Reply-To")}
		case p.ContactEmail:
			note = &testkitMessage{m.Subject, m.Text, m.HTML, m.Header.Get("Reply-To")}
		}
	}
	if ack == nil || note == nil {
		t.Fatalf("want one email to the applicant and one to %s, got %v and %v", p.ContactEmail, msgs[0].To, msgs[1].To)
	}
	if !strings.Contains(ack.Subject, "Candidature reçue") || ack.ReplyTo != "<"+p.ContactEmail+">" || !strings.Contains(ack.HTML, "Suivre ma candidature") {
		t.Errorf("acknowledgement: subject %q, reply-to %q", ack.Subject, ack.ReplyTo)
	}
	if !strings.Contains(note.Text, "Camille Durand") || !strings.Contains(note.Text, "650 € HT") || note.ReplyTo != "<camille.durand@example.org>" {
		t.Errorf("contact notification: reply-to %q, text:\n%s", note.ReplyTo, note.Text)
	}
	var messageIDs int
	app.DB.Get(&messageIDs, `SELECT count(*) FROM emails WHERE message_id LIKE '<vivier.email.%@vivier.test>'`)
	if messageIDs != 2 {
		t.Errorf("%d emails recorded with their Message-ID, want 2", messageIDs)
	}

	// The private link works, shows the status, and lets the applicant withdraw.
	m := linkRe.FindStringSubmatch(ack.Text)
	if m == nil {
		t.Fatalf("no private link in the acknowledgement:\n%s", ack.Text)
	}
	private := app.URL + m[1]
	resp, body = testkit.Get(t, c, private)
	if resp.StatusCode != 200 || !strings.Contains(body, "Reçue") || !strings.Contains(body, "candidature reçue") {
		t.Fatalf("private page: %d", resp.StatusCode)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("private page Cache-Control = %q", resp.Header.Get("Cache-Control"))
	}
	resp, _ = testkit.PostForm(t, c, private+"/retrait", url.Values{"confirmation": {"oui"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("withdraw: %d", resp.StatusCode)
	}
	_, body = testkit.Get(t, c, private)
	if !strings.Contains(body, "Retirée") || !strings.Contains(body, "candidature retirée") {
		t.Errorf("after withdrawal the page does not say so")
	}
	if msgs := app.SMTP.WaitFor(3, 20*time.Second); len(msgs) != 3 || !strings.Contains(msgs[2].Subject, "Candidature retirée") {
		t.Fatalf("contact not told of the withdrawal: %d messages", len(msgs))
	}

	// Erasure: a confirmation step, then the data is gone and the link dead.
	resp, body = testkit.Get(t, c, private+"/effacement")
	if resp.StatusCode != 200 || !strings.Contains(body, "Cette action est définitive") {
		t.Fatalf("erase confirmation: %d", resp.StatusCode)
	}
	resp, _ = testkit.PostForm(t, c, private+"/effacement", url.Values{"confirmation": {"oui"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/donnees-effacees" {
		t.Fatalf("erase: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var left struct {
		Email, Motivation string
		Docs              int
	}
	app.DB.QueryRow(`SELECT email, motivation, (SELECT count(*) FROM documents) FROM applications WHERE id = $1`, a.ID).Scan(&left.Email, &left.Motivation, &left.Docs)
	if left.Email != "" || left.Motivation != "" || left.Docs != 0 {
		t.Errorf("after erasure: %+v", left)
	}
	if resp, _ := testkit.Get(t, c, private); resp.StatusCode != http.StatusNotFound {
		t.Errorf("private link after erasure: %d, want 404", resp.StatusCode)
	}
	if msgs := app.SMTP.WaitFor(4, 20*time.Second); len(msgs) != 4 || !strings.Contains(msgs[3].Subject, "Données effacées") || strings.Contains(msgs[3].Text, "Durand") {
		t.Fatalf("contact not told of the erasure (or told the name): %d messages", len(msgs))
	}
}

type testkitMessage struct{ Subject, Text, HTML, ReplyTo string }

// Applying again with an address that already applied (in any letter
// case) answers exactly as a first application; only the email to that
// address says what happened, with a new link that replaces the others.
func TestDuplicateApplicationResendsThePrivateLink(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Time{})
	c := app.Client()
	target := app.URL + "/offres/" + p.Slug + "/candidature"
	first, firstBody := testkit.PostMultipart(t, c, target, validForm(), cv())
	if first.StatusCode != http.StatusSeeOther {
		t.Fatalf("first application: %d", first.StatusCode)
	}
	// The first link, from the acknowledgement, works until then.
	msgs := app.SMTP.WaitFor(2, 20*time.Second)
	var firstLink []string
	for _, m := range msgs {
		if strings.HasPrefix(m.Subject, "Candidature reçue") {
			firstLink = linkRe.FindStringSubmatch(m.Text)
		}
	}
	if firstLink == nil {
		t.Fatalf("no private link in the acknowledgement (%d messages)", len(msgs))
	}
	if resp, _ := testkit.Get(t, c, app.URL+firstLink[1]); resp.StatusCode != 200 {
		t.Fatalf("first private link: %d", resp.StatusCode)
	}

	again := validForm()
	again.Set("email", "Camille.Durand@Example.org") // the same address, other case
	again.Set("prenom", "Autre")
	again.Set("motivation", "Une autre motivation, assez longue pour passer les contrôles du formulaire sans peine.")
	resp, body := testkit.PostMultipart(t, c, target, again, cv())
	// The same answer as a first application: status, place and page.
	if resp.StatusCode != first.StatusCode || resp.Header.Get("Location") != first.Header.Get("Location") || body != firstBody {
		t.Fatalf("second application: %d to %q, want %d to %q like the first", resp.StatusCode, resp.Header.Get("Location"),
			first.StatusCode, first.Header.Get("Location"))
	}
	_, firstPage := testkit.Get(t, c, app.URL+first.Header.Get("Location"))
	_, page := testkit.Get(t, c, app.URL+resp.Header.Get("Location"))
	if page != firstPage || !strings.Contains(page, "Un email part dans quelques minutes") {
		t.Errorf("the confirmation after a duplicate differs from the first one, or says no email is coming")
	}
	if strings.Contains(page, "Camille") || strings.Contains(page, "Durand") || strings.Contains(page, "Reçue") {
		t.Errorf("the confirmation shows something of the first application")
	}
	if apps, _, _ := app.Counts(); apps != 1 {
		t.Fatalf("%d applications stored, want 1", apps)
	}
	var kept repository.Application
	app.DB.Get(&kept, `SELECT first_name, motivation FROM applications`)
	if kept.FirstName != "Camille" || kept.Motivation != validForm().Get("motivation") {
		t.Errorf("the first application changed: %+v", kept)
	}

	msgs = app.SMTP.WaitFor(3, 20*time.Second)
	var resent *string
	for _, m := range msgs {
		if strings.HasPrefix(m.Subject, "Votre lien de suivi") {
			resent = &m.Text
			if len(m.To) != 1 || m.To[0] != "camille.durand@example.org" {
				t.Errorf("the new link went to %v", m.To)
			}
		}
	}
	if resent == nil {
		t.Fatalf("private link not sent again (%d messages)", len(msgs))
	}
	for _, want := range []string{"déjà été envoyée", "remplace les liens reçus auparavant, qui ne fonctionnent plus", "première candidature est conservée"} {
		if !strings.Contains(*resent, want) {
			t.Errorf("the email does not say %q:\n%s", want, *resent)
		}
	}
	link := linkRe.FindStringSubmatch(*resent)
	if link == nil {
		t.Fatalf("no link in:\n%s", *resent)
	}
	if resp, body := testkit.Get(t, c, app.URL+link[1]); resp.StatusCode != 200 || !strings.Contains(body, "Camille Durand") {
		t.Errorf("resent link: %d", resp.StatusCode)
	}
	// The email says the new link replaces the previous ones: the first
	// one no longer opens the application.
	if resp, _ := testkit.Get(t, c, app.URL+firstLink[1]); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the first private link still answers %d, want 404", resp.StatusCode)
	}

	// A third try: the second link stops working in turn.
	if resp, _ := testkit.PostMultipart(t, c, target, again, cv()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("third application: %d", resp.StatusCode)
	}
	msgs = app.SMTP.WaitFor(4, 20*time.Second)
	third := linkRe.FindStringSubmatch(msgs[len(msgs)-1].Text)
	if third == nil || third[1] == link[1] {
		t.Fatalf("no new link in the last email:\n%s", msgs[len(msgs)-1].Text)
	}
	if resp, _ := testkit.Get(t, c, app.URL+link[1]); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the second private link still answers %d, want 404", resp.StatusCode)
	}
	if resp, _ := testkit.Get(t, c, app.URL+third[1]); resp.StatusCode != 200 {
		t.Errorf("the newest private link answers %d", resp.StatusCode)
	}
}

// A double click sends the same form twice: one application, and the
// confirmation both times.
func TestTheSameFormSentTwiceIsOneApplication(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	p := app.OpenPosting(time.Time{})
	c := app.Client()
	_, page := testkit.Get(t, c, app.URL+"/offres/"+p.Slug)
	nonce := regexp.MustCompile(`name="envoi" value="([^"]+)"`).FindStringSubmatch(page)
	if nonce == nil {
		t.Fatal("the form has no one-time value")
	}
	form := validForm()
	form.Set("envoi", nonce[1])
	for i := 0; i < 2; i++ {
		resp, _ := testkit.PostMultipart(t, c, app.URL+"/offres/"+p.Slug+"/candidature", form, cv())
		if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), "/candidature-envoyee") {
			t.Fatalf("sending #%d: %d to %q", i+1, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if apps, _, emails := app.Counts(); apps != 1 || emails != 2 {
		t.Fatalf("%d applications and %d emails, want 1 and 2", apps, emails)
	}
}

func TestClosedPostingRefusesApplications(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Now().Add(time.Hour))
	c := app.Client()
	// The form is loaded while the posting is open...
	if _, body := testkit.Get(t, c, app.URL+"/offres/"+p.Slug); !strings.Contains(body, `name="motivation"`) {
		t.Fatal("no form on the open posting")
	}
	// ...and sent after its closing date, which nothing has acted on yet.
	app.Clock.Advance(time.Hour + time.Second)
	resp, body := testkit.PostMultipart(t, c, app.URL+"/offres/"+p.Slug+"/candidature", validForm(), cv())
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Cette offre est close") {
		t.Fatalf("late application: %d", resp.StatusCode)
	}
	if apps, docs, emails := app.Counts(); apps+docs+emails != 0 {
		t.Fatalf("rows written: %d applications, %d documents, %d emails", apps, docs, emails)
	}
	if _, body := testkit.Get(t, c, app.URL+"/offres/"+p.Slug); strings.Contains(body, `name="motivation"`) {
		t.Error("the closed posting still shows the form")
	}
}

func TestSubmissionSucceedsWhileRedisIsDown(t *testing.T) {
	t.Parallel()
	proxy := testkit.NewProxy(t, testkit.RedisAddr())
	redisURL := testkit.Redis(t)
	u, _ := url.Parse(redisURL)
	u.Host = proxy.Addr()
	app := testkit.NewApp(t, testkit.Options{RedisURL: u.String(), NoWorker: true})
	p := app.OpenPosting(time.Time{})
	proxy.Down()

	start := time.Now()
	resp, _ := testkit.PostMultipart(t, app.Client(), app.URL+"/offres/"+p.Slug+"/candidature", validForm(), cv())
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("submission with Redis down: %d, want 303", resp.StatusCode)
	}
	t.Logf("submission answered in %s with Redis down", time.Since(start).Round(time.Millisecond))
	var pending int
	app.DB.Get(&pending, `SELECT count(*) FROM emails WHERE status = 'pending'`)
	if pending != 2 {
		t.Fatalf("%d pending emails in the outbox, want 2", pending)
	}
	if _, err := app.Sweeper.SweepOnce(t.Context()); err == nil {
		t.Fatal("sweep succeeded with Redis down")
	}

	proxy.Up()
	app.StartWorker()
	if n, err := app.Sweeper.SweepOnce(t.Context()); err != nil || n != 2 {
		t.Fatalf("sweep once Redis is back: %d emails, %v", n, err)
	}
	app.WaitEmails("sent", 2, 20*time.Second)
	if got := len(app.SMTP.Messages()); got != 2 {
		t.Fatalf("SMTP server got %d messages, want exactly 2", got)
	}
}

func TestCrossSiteSubmissionIsRefused(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	p := app.OpenPosting(time.Time{})
	body, ct := testkit.Multipart(t, validForm(), cv())
	req, _ := http.NewRequest(http.MethodPost, app.URL+"/offres/"+p.Slug+"/candidature", body)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	resp, page := testkit.Do(t, app.Client(), req)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "Action refusée") {
		t.Fatalf("cross-site POST: %d", resp.StatusCode)
	}
	if apps, _, _ := app.Counts(); apps != 0 {
		t.Fatalf("%d applications stored from a cross-site POST", apps)
	}
}

func TestPagesCarrySecurityHeaders(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	p := app.OpenPosting(time.Time{})
	for _, path := range []string{"/", "/offres/" + p.Slug, "/page-qui-n-existe-pas"} {
		resp, _ := testkit.Get(t, app.Client(), app.URL+path)
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self';") || strings.Contains(csp, "script-src 'self' 'unsafe-inline'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Referrer-Policy") == "" {
			t.Errorf("%s: headers %v", path, resp.Header)
		}
	}
}
