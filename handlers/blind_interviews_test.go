package handlers_test

import (
	"html"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"vivier/internal/catalog"
	"vivier/internal/testkit"
	"vivier/repository"
)

// blindIdentity is what identifies Camille Durand, as validForm and cv
// send them: none of it may reach reviewers while their application is
// shown as a number.
var blindIdentity = []string{"Camille", "Durand", "camille.durand@example.org", "06 12 34 56 78", "+33612345678",
	"732 829 320", "github.com/camille", "CV Camille.pdf"}

// hidesFrom fails t when text holds any of identity, or does not name
// want (when want is not empty).
func hidesFrom(t *testing.T, identity []string, where, text, want string) {
	t.Helper()
	text = html.UnescapeString(text)
	var shown []string
	for _, s := range identity {
		if strings.Contains(text, s) {
			shown = append(shown, s)
		}
	}
	if len(shown) > 0 || (want != "" && !strings.Contains(text, want)) {
		t.Errorf("%s shows %q during the blind pass, or does not name %q:\n%s", where, shown, want, text)
	}
}

// storedWithFiles lists the emails written to any of addresses after
// email id `after`, each as one text: its headers as stored, both parts
// and its files (an invitation's .ics, unfolded).
func storedWithFiles(t *testing.T, app *testkit.App, after int64, addresses ...string) map[string][]string {
	t.Helper()
	var rows []struct {
		Kind    string `db:"kind"`
		To      string `db:"to_address"`
		ReplyTo string `db:"reply_to"`
		ToName  string `db:"to_name"`
		Subject string `db:"subject"`
		Text    string `db:"text_body"`
		HTML    string `db:"html_body"`
		Files   string `db:"files"`
	}
	if err := app.DB.Select(&rows, `SELECT e.kind, e.to_address, e.reply_to, e.to_name, e.subject, e.text_body, e.html_body,
		coalesce((SELECT string_agg(convert_from(f.content, 'UTF8'), '') FROM email_attachments f WHERE f.email_id = e.id), '') AS files
		FROM emails e WHERE e.id > $1 AND e.to_address = ANY($2) AND e.kind <> 'sign_in_link' ORDER BY e.id`, after, "{"+strings.Join(addresses, ",")+"}"); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, r := range rows {
		if r.ReplyTo != "" {
			t.Errorf("the %s to %s says Reply-To %s during the blind pass", r.Kind, r.To, r.ReplyTo)
		}
		out[r.Kind] = append(out[r.Kind], r.To+"\n"+r.ToName+"\n"+r.Subject+"\n"+r.Text+"\n"+r.HTML+"\n"+strings.ReplaceAll(r.Files, "\r\n ", ""))
	}
	return out
}

func lastEmailID(t *testing.T, app *testkit.App) int64 {
	t.Helper()
	var id int64
	if err := app.DB.Get(&id, `SELECT coalesce(max(id), 0) FROM emails`); err != nil {
		t.Fatal(err)
	}
	return id
}

// During a blind first pass, an application still shown as a number is
// offered no interview: a proposal is refused next to the form, and
// writes nothing. An interview that exists anyway (its slots were
// proposed before the posting was reviewed blind) reaches reviewers only
// through the blind switch: none fits, the invitation, its update, the
// reminder and the cancellation name « Candidature n° N », carry no
// Reply-To to the applicant, and their invitations list no applicant
// among the attendees; so do the interview page, the posting's upcoming
// interviews and the reviewers' calendar feed. The applicant's own
// emails are unaffected. Once revealed, the person is named again.
func TestInterviewsDuringABlindPass(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	ctx := t.Context()
	day := parisAt(time.Now(), 10)
	app.Clock.Set(day)
	p := app.OpenPosting(time.Time{})
	const lea = "lea@anct.gouv.fr"
	if err := app.Repo.AddReviewer(ctx, p.ID, lea, "test"); err != nil {
		t.Fatal(err)
	}
	a, link := applyThroughTheForm(t, app, p)
	app.WaitIdle()
	aid, pid := strconv.FormatInt(a.ID, 10), strconv.FormatInt(p.ID, 10)
	page := app.URL + "/boite/candidatures/" + aid
	number := "Candidature n° " + aid
	contact := app.Client()
	app.SignIn(contact, p.ContactEmail)
	reviewers := []string{p.ContactEmail, lea}

	// Before the posting is reviewed blind, two slots are proposed, by
	// phone (reviewers are given the applicant's number).
	first, second := parisAt(day.AddDate(0, 0, 7), 14), parisAt(day.AddDate(0, 0, 8), 14)
	byPhone := func(starts ...time.Time) url.Values {
		f := proposeForm(45, starts...)
		f.Set("modalite", "phone")
		f.Set("lieu", "")
		f["participants"] = reviewers
		return f
	}
	if resp, body := testkit.PostForm(t, contact, page+"/entretien/creneaux", byPhone(first, second)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("propose: %d\n%s", resp.StatusCode, body)
	}
	testkit.Get(t, contact, page+"/entretien") // as the browser follows the redirect
	settle(t, app)
	if err := app.Repo.SetBlindUntil(ctx, p.ID, catalog.StatusShortlisted, "admin@anct.gouv.fr"); err != nil {
		t.Fatal(err)
	}

	// A proposal now is refused, next to the form, what was typed kept,
	// and writes nothing.
	count := func() (n int) {
		t.Helper()
		app.DB.Get(&n, `SELECT (SELECT count(*) FROM interview_slots) + (SELECT count(*) FROM emails)
			+ (SELECT count(*) FROM application_events) + (SELECT count(*) FROM application_tokens)`)
		return n
	}
	before := count()
	third := parisAt(day.AddDate(0, 0, 9), 11)
	resp, body := testkit.PostForm(t, contact, page+"/entretien/creneaux", byPhone(third))
	refusal := "Cette candidature est encore relue à l'aveugle : passez-la à l'étape « Présélectionnée » pour la révéler avant de proposer un entretien."
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(body), `<p class="fr-error-text fr-mb-2w" id="creneaux-erreur">`+refusal) ||
		!strings.Contains(body, `value="`+third.Format("2006-01-02")+`"`) {
		t.Errorf("a proposal to a hidden application: %d, or no refusal next to the slots, or what was typed is lost", resp.StatusCode)
	}
	hidesFrom(t, blindIdentity, "the refused proposal", body, number)
	if after := count(); after != before {
		t.Errorf("the refused proposal wrote %d rows", after-before)
	}
	_, body = testkit.Get(t, contact, page+"/entretien")
	hidesFrom(t, blindIdentity, "the interview page", body, "Entretien avec "+number)
	if !strings.Contains(html.UnescapeString(body), refusal) {
		t.Error("the interview page does not say why no slot may be proposed yet")
	}

	// The applicant says none fits, then picks the first slot; a reviewer
	// moves it; the reminder goes out; a reviewer cancels it.
	since, caughtSince := lastEmailID(t, app), len(app.SMTP.Messages())
	if resp, _ := testkit.PostForm(t, app.Client(), app.URL+link+"/entretien/aucun", url.Values{"message": {"Le matin m'irait mieux."}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("none fits: %d", resp.StatusCode)
	}
	_, own := testkit.Get(t, app.Client(), app.URL+link)
	ids := slotsOnPage(own)
	if len(ids) != 2 {
		t.Fatalf("the private page offers %v, want the 2 slots proposed", ids)
	}
	if resp, _ := testkit.PostForm(t, app.Client(), app.URL+link+"/entretien", url.Values{"creneaux": {ids[0]}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("pick: %d", resp.StatusCode)
	}
	moved := first.Add(time.Hour)
	if resp, _ := testkit.PostForm(t, contact, page+"/entretien/deplacement", url.Values{"date": {moved.Format("2006-01-02")},
		"heure": {"15:00"}, "duree": {"45"}, "modalite": {"phone"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("move: %d", resp.StatusCode)
	}
	app.Clock.Set(moved.Add(-23 * time.Hour))
	if n, err := app.Reminders.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("reminders: %d, %v", n, err)
	}
	app.SignIn(contact, p.ContactEmail) // days have passed
	// Seen meanwhile: the interview page, the upcoming interviews, the
	// calendar feed and the application's page.
	_, body = testkit.Get(t, contact, page+"/entretien")
	hidesFrom(t, blindIdentity, "the interview page with its interview", body, number)
	_, body = testkit.Get(t, contact, app.URL+"/boite/offres/"+pid+"/entretiens")
	hidesFrom(t, blindIdentity, "the upcoming interviews", body, number)
	_, body = testkit.PostForm(t, contact, app.URL+"/boite/agenda", nil)
	feedURL := feedURLRe.FindStringSubmatch(body)
	if feedURL == nil {
		t.Fatal("no calendar feed address")
	}
	_, feed := testkit.Get(t, app.Client(), app.URL+feedURL[1])
	hidesFrom(t, blindIdentity, "the calendar feed", strings.ReplaceAll(feed, "\r\n ", ""), number)
	if cal, err := ics.ParseCalendar(strings.NewReader(feed)); err != nil || len(cal.Events()) != 1 {
		t.Errorf("the feed does not read as one event: %v", err)
	}
	if resp, _ := testkit.PostForm(t, contact, page+"/entretien/annulation", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel: %d", resp.StatusCode)
	}
	settle(t, app)
	_, body = testkit.Get(t, contact, page)
	hidesFrom(t, blindIdentity, "the application page", body, number)

	stored := storedWithFiles(t, app, since, reviewers...)
	want := map[string]int{"interview_none_fits": 1, "interview_invitation": 2, "interview_update": 2, "interview_reminder": 2, "interview_cancelled": 2}
	for kind, n := range want {
		if len(stored[kind]) != n {
			t.Errorf("%d %s to reviewers, want %d", len(stored[kind]), kind, n)
		}
		for _, text := range stored[kind] {
			hidesFrom(t, blindIdentity, "the stored "+kind, text, number)
		}
	}
	if len(stored) != len(want) {
		t.Errorf("emails to reviewers: %v kinds, want %v", len(stored), len(want))
	}
	invitations := 0
	for _, m := range app.SMTP.Messages()[caughtSince:] {
		if m.To[0] == a.Email {
			if m.Calendar != "" && !slices.Contains(readInvitation(t, m).attendee, a.Email) {
				t.Errorf("the applicant's own %q does not list them", m.Subject)
			}
			if !strings.Contains(m.Text, "Bonjour Camille") {
				t.Errorf("the applicant's own %q lost their name:\n%s", m.Subject, m.Text)
			}
			continue
		}
		if strings.Contains(m.Text, "/connexion/lien/") {
			continue // a sign-in link
		}
		var b strings.Builder
		for k := range m.Header {
			b.WriteString(k + ": " + m.HeaderText(k) + "\n")
		}
		hidesFrom(t, blindIdentity, "the email received by "+m.To[0], b.String()+m.Text+m.HTML+strings.ReplaceAll(m.Calendar, "\r\n ", ""), number)
		if m.Calendar != "" {
			invitations++
			if inv := readInvitation(t, m); slices.Contains(inv.attendee, a.Email) || len(inv.attendee) != 2 {
				t.Errorf("the invitation to %s lists %v, want the reviewers alone", m.To[0], inv.attendee)
			}
		}
	}
	if invitations != 6 {
		t.Errorf("%d invitations, updates and cancellations reached reviewers, want 6", invitations)
	}

	// Shortlisted: revealed, named again, and offered an interview.
	if resp, _ := testkit.PostForm(t, contact, page+"/statut", url.Values{"vers": {string(catalog.StatusShortlisted)}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("shortlist: %d", resp.StatusCode)
	}
	caughtSince = len(app.SMTP.Messages())
	book(t, app, contact, &repository.Application{Email: a.Email, ID: a.ID}, parisAt(day.AddDate(0, 0, 10), 9), reviewers...)
	named := 0
	for _, m := range app.SMTP.Messages()[caughtSince:] {
		if m.To[0] != lea || m.Calendar == "" {
			continue
		}
		named++
		if inv := readInvitation(t, m); !slices.Contains(inv.attendee, a.Email) || !strings.Contains(m.Subject, "Camille Durand") ||
			!strings.Contains(m.Header.Get("Reply-To"), a.Email) {
			t.Errorf("once revealed, Léa's invitation %q (Reply-To %s) does not name the person, or lists %v", m.Subject, m.Header.Get("Reply-To"), inv.attendee)
		}
	}
	if named != 1 {
		t.Errorf("Léa got %d invitations once revealed, want 1", named)
	}
	for where, u := range map[string]string{"interview page": page + "/entretien", "upcoming interviews": app.URL + "/boite/offres/" + pid + "/entretiens"} {
		if _, body := testkit.Get(t, contact, u); !strings.Contains(body, "Camille Durand") {
			t.Errorf("once revealed, the %s does not name the person", where)
		}
	}
	if _, feed := testkit.Get(t, app.Client(), app.URL+feedURL[1]); !strings.Contains(strings.ReplaceAll(feed, "\r\n ", ""), "Camille Durand") {
		t.Error("once revealed, the calendar feed does not name the person")
	}
}
