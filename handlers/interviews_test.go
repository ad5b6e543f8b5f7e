package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"vivier/internal/frfmt"
	"vivier/internal/mailcatcher"
	"vivier/internal/testkit"
	"vivier/repository"
)

// paris is a Paris wall-clock time.
func paris(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, frfmt.Paris)
}

// invitation is an iCalendar object an email carried, read back by
// golang-ical.
type invitation struct {
	to       string
	method   string
	uid      string
	sequence string
	status   string
	start    time.Time
	end      time.Time
	tzid     string
	attendee []string
	// file: the same object, sent as an .ics file, reads the same.
	file bool
}

// readInvitation parses the calendar part of a message (and its .ics
// file) with golang-ical.
func readInvitation(t *testing.T, m *mailcatcher.Message) invitation {
	t.Helper()
	if m.Calendar == "" {
		t.Fatalf("email %q to %v carries no calendar part", m.Subject, m.To)
	}
	cal, err := ics.ParseCalendar(strings.NewReader(m.Calendar))
	if err != nil {
		t.Fatalf("email %q: the invitation does not parse: %v\n%s", m.Subject, err, m.Calendar)
	}
	inv := invitation{to: m.To[0]}
	for _, p := range cal.CalendarProperties {
		if p.IANAToken == string(ics.PropertyMethod) {
			inv.method = p.Value
		}
	}
	if m.CalendarMethod != inv.method {
		t.Errorf("email %q: part's method %q, object's %q", m.Subject, m.CalendarMethod, inv.method)
	}
	if tzs := cal.Timezones(); len(tzs) != 1 || tzs[0].GetProperty(ics.ComponentPropertyTzid).Value != "Europe/Paris" {
		t.Errorf("email %q: no VTIMEZONE for Europe/Paris", m.Subject)
	}
	evs := cal.Events()
	if len(evs) != 1 {
		t.Fatalf("email %q: %d events", m.Subject, len(evs))
	}
	ev := evs[0]
	inv.uid = ev.Id()
	inv.sequence = ev.GetProperty(ics.ComponentPropertySequence).Value
	if s := ev.GetProperty(ics.ComponentPropertyStatus); s != nil {
		inv.status = s.Value
	}
	start := ev.GetProperty(ics.ComponentPropertyDtStart)
	if tz := start.ICalParameters["TZID"]; len(tz) == 1 {
		inv.tzid = tz[0]
	}
	if inv.start, err = ev.GetStartAt(); err != nil {
		t.Fatal(err)
	}
	if inv.end, err = ev.GetEndAt(); err != nil {
		t.Fatal(err)
	}
	for _, a := range ev.Attendees() {
		inv.attendee = append(inv.attendee, a.Email())
	}
	slices.Sort(inv.attendee)
	for _, a := range m.Attachments {
		if strings.HasSuffix(a.Name, ".ics") {
			file, err := ics.ParseCalendar(strings.NewReader(string(a.Data)))
			inv.file = err == nil && len(file.Events()) == 1 && file.Events()[0].Id() == inv.uid
		}
	}
	return inv
}

// settle hands the worker every email still pending (as the scheduler's
// sweep does: an enqueue that timed out on a loaded machine loses
// nothing) and waits until it has sent them.
func settle(t *testing.T, app *testkit.App) {
	t.Helper()
	if _, err := app.Sweeper.SweepOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	app.WaitIdle()
}

// calendarMails waits for n emails carrying a calendar part after the
// first `after` messages, and reads their invitations.
func calendarMails(t *testing.T, app *testkit.App, after, n int) []invitation {
	t.Helper()
	settle(t, app)
	var out []invitation
	for _, m := range app.SMTP.Messages()[after:] {
		if m.Calendar != "" {
			out = append(out, readInvitation(t, m))
		}
	}
	if len(out) != n {
		t.Fatalf("%d emails with an invitation, want %d", len(out), n)
	}
	return out
}

// proposeForm is the slot form for the given starts (Paris), lasting
// minutes each, by video.
func proposeForm(minutes int, starts ...time.Time) url.Values {
	f := url.Values{"modalite": {"video"}, "lieu": {"https://visio.example.org/entretien"}}
	for _, s := range starts {
		f.Add("date", s.In(frfmt.Paris).Format("2006-01-02"))
		f.Add("heure", s.In(frfmt.Paris).Format("15:04"))
		f.Add("duree", strconv.Itoa(minutes))
	}
	return f
}

var slotIDRe = regexp.MustCompile(`name="creneaux" value="(\d+)"`)

// slotsOnPage lists the slot ids the private page offers.
func slotsOnPage(body string) []string {
	var out []string
	for _, m := range slotIDRe.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// From the reviewer's proposal to the applicant's cancellation, across
// the change to summer time (Sunday 29 March 2026): every invitation the
// product sends, and its update and cancellation, parse with golang-ical
// and carry one UID, a rising SEQUENCE, the Paris times the emails say,
// the applicant and the reviewers attending.
func TestInterviewInvitationsAcrossDaylightSaving(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	app.Clock.Set(paris(2026, 3, 26, 9, 0))
	p := app.OpenPosting(time.Time{})
	ctx := context.Background()
	if err := app.Repo.AddReviewer(ctx, p.ID, "relectrice@anct.gouv.fr", "test"); err != nil {
		t.Fatal(err)
	}
	a := seedApplication(t, app, p.ID, "Camille", "Durand", "camille@example.org")
	reviewer := app.Client()
	app.SignIn(reviewer, p.ContactEmail)
	sent := len(app.SMTP.Messages())

	winter, summer := paris(2026, 3, 28, 14, 30), paris(2026, 3, 31, 14, 30)
	form := proposeForm(45, winter, summer)
	form["participants"] = []string{p.ContactEmail, "relectrice@anct.gouv.fr"}
	aid := strconv.FormatInt(a.ID, 10)
	resp, _ := testkit.PostForm(t, reviewer, app.URL+"/boite/candidatures/"+aid+"/entretien/creneaux", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("propose: %d", resp.StatusCode)
	}
	link := app.LinkTo(a.Email)
	_, page := testkit.Get(t, app.Client(), app.URL+link)
	for _, want := range []string{"samedi 28 mars 2026 à 14 h 30 (45 min, en visioconférence)", "mardi 31 mars 2026 à 14 h 30 (45 min, en visioconférence)"} {
		if !strings.Contains(page, want) {
			t.Errorf("the private page does not offer %q", want)
		}
	}
	ids := slotsOnPage(page)
	if len(ids) != 2 {
		t.Fatalf("slots on the private page: %v", ids)
	}
	sent = len(app.SMTP.Messages())
	resp, _ = testkit.PostForm(t, app.Client(), app.URL+link+"/entretien", url.Values{"creneaux": {ids[1]}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("pick: %d", resp.StatusCode)
	}
	everyone := []string{"camille@example.org", p.ContactEmail, "relectrice@anct.gouv.fr"}
	slices.Sort(everyone)
	check := func(invs []invitation, method, seq, status string, start time.Time, minutes int) string {
		t.Helper()
		var to []string
		for _, inv := range invs {
			to = append(to, inv.to)
			if inv.method != method || inv.sequence != seq || inv.status != status || inv.uid != invs[0].uid || inv.tzid != "Europe/Paris" {
				t.Errorf("to %s: method %s, sequence %s, status %s, UID %s, TZID %s; want %s, %s, %s, one UID, Europe/Paris",
					inv.to, inv.method, inv.sequence, inv.status, inv.uid, inv.tzid, method, seq, status)
			}
			if !inv.start.Equal(start) || !inv.end.Equal(start.Add(time.Duration(minutes)*time.Minute)) {
				t.Errorf("to %s: from %v to %v, want %v for %d min", inv.to, inv.start, inv.end, start, minutes)
			}
			if !slices.Equal(inv.attendee, everyone) {
				t.Errorf("to %s: attendees %v, want %v", inv.to, inv.attendee, everyone)
			}
			if !inv.file {
				t.Errorf("to %s: the .ics file does not read as the same event", inv.to)
			}
		}
		slices.Sort(to)
		if !slices.Equal(to, everyone) {
			t.Errorf("sent to %v, want %v", to, everyone)
		}
		return invs[0].uid
	}
	invs := calendarMails(t, app, sent, 3)
	uid := check(invs, "REQUEST", "0", "CONFIRMED", summer, 45)
	if !summer.Equal(time.Date(2026, 3, 31, 12, 30, 0, 0, time.UTC)) {
		t.Fatal("the test's summer slot is not at UTC+2")
	}
	for _, m := range app.SMTP.Messages()[sent:] {
		if !strings.Contains(m.Text, "mardi 31 mars 2026 à 14 h 30") {
			t.Errorf("email %q to %v does not say the time in words", m.Subject, m.To)
		}
	}
	// Moved back before the change of time, by the reviewer: an update.
	sent = len(app.SMTP.Messages())
	moved := paris(2026, 3, 28, 10, 0)
	resp, _ = testkit.PostForm(t, reviewer, app.URL+"/boite/candidatures/"+aid+"/entretien/deplacement", url.Values{
		"date": {"2026-03-28"}, "heure": {"10:00"}, "duree": {"60"}, "modalite": {"video"}, "lieu": {"https://visio.example.org/entretien"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("move: %d", resp.StatusCode)
	}
	if got := check(calendarMails(t, app, sent, 3), "REQUEST", "1", "CONFIRMED", moved, 60); got != uid {
		t.Errorf("the update's UID %s is not the invitation's %s", got, uid)
	}
	if !moved.Equal(time.Date(2026, 3, 28, 9, 0, 0, 0, time.UTC)) {
		t.Fatal("the test's winter time is not at UTC+1")
	}
	for _, m := range app.SMTP.Messages()[sent:] {
		if !strings.Contains(m.Text, "samedi 28 mars 2026 à 10 h 00") || !strings.Contains(m.Text, "mardi 31 mars 2026 à 14 h 30") {
			t.Errorf("the update %q does not say the new and the old time:\n%s", m.Subject, m.Text)
		}
	}
	// Cancelled by the applicant: a cancellation to everyone.
	sent = len(app.SMTP.Messages())
	resp, _ = testkit.PostForm(t, app.Client(), app.URL+link+"/entretien/annulation", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel: %d", resp.StatusCode)
	}
	if got := check(calendarMails(t, app, sent, 3), "CANCEL", "2", "CANCELLED", moved, 60); got != uid {
		t.Errorf("the cancellation's UID %s is not the invitation's %s", got, uid)
	}
	// The reviewers see it on the application's timeline.
	_, body := testkit.Get(t, reviewer, app.URL+"/boite/candidatures/"+aid)
	if !strings.Contains(body, "Entretien le samedi 28 mars 2026 à 10 h 00 (1 h, En visioconférence) : Annulé") ||
		!strings.Contains(body, "Créneau d&#39;entretien choisi") {
		t.Error("the application's timeline does not show the interview")
	}
	// The applicant's download of their data holds the interview.
	if _, data := testkit.Get(t, app.Client(), app.URL+link+"/donnees.json"); !strings.Contains(data, `"debut": "2026-03-28T10:00:00+01:00"`) ||
		!strings.Contains(data, `"etat": "Annulé"`) {
		t.Errorf("the download of personal data does not hold the interview:\n%s", data[strings.Index(data, `"entretiens"`):])
	}
	// Each email to the applicant carries the application's id, as the
	// other application emails do.
	var untied int
	app.DB.Get(&untied, `SELECT count(*) FROM emails WHERE kind LIKE 'interview%' AND application_id IS DISTINCT FROM $1`, a.ID)
	if untied != 0 {
		t.Errorf("%d interview emails are not tied to the application", untied)
	}
}

// book has a reviewer propose one slot to a and a pick it; it returns
// a's private link.
func book(t *testing.T, app *testkit.App, reviewer *http.Client, a *repository.Application, start time.Time, attendees ...string) string {
	t.Helper()
	form := proposeForm(45, start)
	form["participants"] = attendees
	aid := strconv.FormatInt(a.ID, 10)
	if resp, body := testkit.PostForm(t, reviewer, app.URL+"/boite/candidatures/"+aid+"/entretien/creneaux", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("propose: %d\n%s", resp.StatusCode, body)
	}
	link := app.LinkTo(a.Email)
	_, page := testkit.Get(t, app.Client(), app.URL+link)
	ids := slotsOnPage(page)
	if len(ids) == 0 {
		t.Fatal("no slot on the private page")
	}
	if resp, _ := testkit.PostForm(t, app.Client(), app.URL+link+"/entretien", url.Values{"creneaux": {ids[len(ids)-1]}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("pick: %d", resp.StatusCode)
	}
	settle(t, app)
	return link
}

// The reminder leaves 24 hours before, through the outbox, to the
// applicant and each reviewer attending; the scheduler's next runs write
// none again; a moved interview is reminded for its new time only, and a
// cancelled one never.
func TestInterviewRemindersGoOutOnce(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	app.Clock.Set(paris(2026, 3, 20, 9, 0))
	p := app.OpenPosting(time.Time{})
	a := seedApplication(t, app, p.ID, "Camille", "Durand", "camille@example.org")
	b := seedApplication(t, app, p.ID, "Léa", "Martin", "lea@example.org")
	reviewer := app.Client()
	app.SignIn(reviewer, p.ContactEmail)
	ctx := context.Background()
	book(t, app, reviewer, a, paris(2026, 3, 24, 14, 30), p.ContactEmail)
	linkB := book(t, app, reviewer, b, paris(2026, 3, 24, 16, 0), p.ContactEmail)
	reminders := func() []string {
		t.Helper()
		settle(t, app)
		var to []string
		for _, m := range app.SMTP.Messages() {
			if strings.HasPrefix(m.Subject, "Rappel") {
				to = append(to, m.To[0]+" "+m.Subject)
			}
		}
		slices.Sort(to)
		return to
	}
	run := func() int {
		t.Helper()
		n, err := app.Reminders.RunOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// b cancels; a's interview is moved a day later.
	if resp, _ := testkit.PostForm(t, app.Client(), app.URL+linkB+"/entretien/annulation", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel: %d", resp.StatusCode)
	}
	app.Clock.Set(paris(2026, 3, 23, 14, 0)) // 24 h 30 before a's first time
	if n := run(); n != 0 {
		t.Fatalf("%d reminded more than 24 hours before", n)
	}
	app.Clock.Set(paris(2026, 3, 23, 15, 0)) // within 24 hours
	if n := run(); n != 1 {
		t.Fatalf("%d interviews reminded, want a's", n)
	}
	want := []string{"benjamin.vanderlynden@anct.gouv.fr Rappel : entretien avec Camille Durand le mardi 24 mars 2026 à 14 h 30",
		"camille@example.org Rappel : votre entretien le mardi 24 mars 2026 à 14 h 30"}
	if got := reminders(); !slices.Equal(got, want) {
		t.Fatalf("reminders:\n%v\nwant\n%v", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := run(); n != 0 {
		t.Errorf("reminded again: %d", n)
	}
	// Moved to the next day: the new time gets its reminder, a day later.
	aid := strconv.FormatInt(a.ID, 10)
	if resp, _ := testkit.PostForm(t, reviewer, app.URL+"/boite/candidatures/"+aid+"/entretien/deplacement", url.Values{
		"date": {"2026-03-25"}, "heure": {"16:00"}, "duree": {"45"}, "modalite": {"video"}, "lieu": {"https://visio.example.org/b"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("move: %d", resp.StatusCode)
	}
	if n := run(); n != 0 {
		t.Errorf("the moved interview was reminded at once: %d", n)
	}
	app.Clock.Set(paris(2026, 3, 24, 16, 30))
	if n := run(); n != 1 {
		t.Errorf("the moved interview was not reminded for its new time: %d", n)
	}
	if got := reminders(); len(got) != 4 || !strings.Contains(strings.Join(got, "\n"), "mercredi 25 mars 2026 à 16 h 00") {
		t.Errorf("reminders after the move:\n%s", strings.Join(got, "\n"))
	}
	if n := run(); n != 0 {
		t.Errorf("reminded twice for the new time: %d", n)
	}
	for _, r := range reminders() {
		if strings.Contains(r, "lea@example.org") || strings.Contains(r, "Léa") {
			t.Errorf("a cancelled interview was reminded: %s", r)
		}
	}
}

// Closing a posting cancels its interviews still to come: the applicant
// gets the close's email, one only, saying so and carrying the
// cancellation; the reviewers attending get the cancellation; an
// interview already past is left as it is.
func TestCloseCancelsUpcomingInterviews(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	app.Clock.Set(paris(2026, 5, 4, 9, 0))
	p := app.OpenPosting(time.Time{})
	a := seedApplication(t, app, p.ID, "Camille", "Durand", "camille@example.org")
	past := seedApplication(t, app, p.ID, "Léa", "Martin", "lea@example.org")
	other := seedApplication(t, app, p.ID, "Noé", "Petit", "noe@example.org")
	app.DB.MustExec(`UPDATE applications SET status = 'interview' WHERE id = ANY($1)`, pqArray([]string{
		strconv.FormatInt(a.ID, 10), strconv.FormatInt(past.ID, 10), strconv.FormatInt(other.ID, 10)}))
	reviewer := app.Client()
	app.SignIn(reviewer, p.ContactEmail)
	book(t, app, reviewer, past, paris(2026, 5, 4, 11, 0), p.ContactEmail)
	book(t, app, reviewer, a, paris(2026, 5, 12, 10, 0), p.ContactEmail)
	app.Clock.Set(paris(2026, 5, 5, 9, 0)) // Léa's interview is over
	sent := len(app.SMTP.Messages())
	pid := strconv.FormatInt(p.ID, 10)
	_, preview := testkit.Get(t, reviewer, app.URL+"/boite/offres/"+pid+"/cloture")
	if resp, body := testkit.PostForm(t, reviewer, app.URL+"/boite/offres/"+pid+"/cloture", closeForm(t, preview)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("close: %d\n%s", resp.StatusCode, body)
	}
	settle(t, app)
	byTo := map[string][]*mailcatcher.Message{}
	for _, m := range app.SMTP.Messages()[sent:] {
		byTo[m.To[0]] = append(byTo[m.To[0]], m)
	}
	if ms := byTo[a.Email]; len(ms) != 1 {
		var rows []string
		app.DB.Select(&rows, `SELECT kind || ' ' || status || ' ' || to_address || ' ' || last_error FROM emails ORDER BY id`)
		t.Fatalf("Camille got %d emails from the close, want 1\n%s", len(ms), strings.Join(rows, "\n"))
	}
	m := byTo[a.Email][0]
	inv := readInvitation(t, m)
	if inv.method != "CANCEL" || inv.sequence != "1" || !inv.start.Equal(paris(2026, 5, 12, 10, 0)) {
		t.Errorf("the close's cancellation: %+v", inv)
	}
	if !strings.Contains(m.Text, "Votre entretien du mardi 12 mai 2026 à 10 h 00 est annulé") {
		t.Errorf("the close's email does not say the interview is cancelled:\n%s", m.Text)
	}
	var kind string
	app.DB.Get(&kind, `SELECT kind FROM emails WHERE application_id = $1 AND to_address = $2 ORDER BY id DESC LIMIT 1`, a.ID, a.Email)
	if kind != "close_interview" {
		t.Errorf("Camille's email is a %s, want the close's own (close_interview)", kind)
	}
	for _, who := range []string{past.Email, other.Email} {
		if ms := byTo[who]; len(ms) != 1 || ms[0].Calendar != "" {
			t.Errorf("%s: %d emails, want the close's update alone, without a calendar", who, len(ms))
		}
	}
	var contact []string
	for _, m := range byTo[p.ContactEmail] {
		if m.Calendar != "" {
			contact = append(contact, m.CalendarMethod+" "+m.Subject)
		}
	}
	if len(contact) != 1 || !strings.HasPrefix(contact[0], "CANCEL Entretien annulé") {
		t.Errorf("the reviewer attending got %v, want one cancellation", contact)
	}
	var states []string
	app.DB.Select(&states, `SELECT state FROM interviews ORDER BY application_id`)
	if !slices.Equal(states, []string{"cancelled", "booked"}) && !slices.Equal(states, []string{"booked", "cancelled"}) {
		t.Errorf("interview states after the close: %v", states)
	}
}

// Every bad input of the interview forms gets a French message next to
// the field at fault, with what was typed kept, or a 404 for what is not
// the visitor's; none writes anything.
func TestInterviewBadInput(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	app.Clock.Set(paris(2026, 6, 1, 9, 0))
	p := app.OpenPosting(time.Time{})
	a := seedApplication(t, app, p.ID, "Camille", "Durand", "camille@example.org")
	b := seedApplication(t, app, p.ID, "Léa", "Martin", "lea@example.org")
	otherPosting := secondPosting(t, app, "autre@anct.gouv.fr")
	reviewer, outsider := app.Client(), app.Client()
	app.SignIn(reviewer, p.ContactEmail)
	app.SignIn(outsider, otherPosting.ContactEmail)
	aid := strconv.FormatInt(a.ID, 10)
	propose := app.URL + "/boite/candidatures/" + aid + "/entretien/creneaux"

	// Slots already proposed and booked, for the cases that need them.
	linkA := book(t, app, reviewer, a, paris(2026, 6, 10, 10, 0), p.ContactEmail)
	form := proposeForm(45, paris(2026, 6, 11, 10, 0), paris(2026, 6, 12, 10, 0))
	if resp, _ := testkit.PostForm(t, reviewer, app.URL+"/boite/candidatures/"+strconv.FormatInt(b.ID, 10)+"/entretien/creneaux", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("propose to b: %d", resp.StatusCode)
	}
	linkB := app.LinkTo(b.Email)
	_, pageB := testkit.Get(t, app.Client(), app.URL+linkB)
	slotsB := slotsOnPage(pageB)
	var slotA string
	app.DB.Get(&slotA, `SELECT slot_id::text FROM interviews WHERE application_id = $1`, a.ID)
	settle(t, app)

	counts := func() string {
		var n [4]int
		app.DB.Get(&n[0], `SELECT count(*) FROM interview_slots`)
		app.DB.Get(&n[1], `SELECT count(*) FROM interviews`)
		app.DB.Get(&n[2], `SELECT count(*) FROM emails`)
		app.DB.Get(&n[3], `SELECT count(*) FROM interview_declines`)
		return strconv.Itoa(n[0]) + "/" + strconv.Itoa(n[1]) + "/" + strconv.Itoa(n[2]) + "/" + strconv.Itoa(n[3])
	}
	with := func(f url.Values, k string, v ...string) url.Values {
		out := url.Values{}
		for key, vals := range f {
			out[key] = slices.Clone(vals)
		}
		out[k] = v
		return out
	}
	good := proposeForm(45, paris(2026, 6, 15, 14, 30))
	eleven := proposeForm(30)
	for i := range 11 {
		s := paris(2026, 6, 15, 8+i, 0)
		eleven.Add("date", s.Format("2006-01-02"))
		eleven.Add("heure", s.Format("15:04"))
		eleven.Add("duree", "30")
	}
	cases := []struct {
		name   string
		c      *http.Client
		target string
		form   url.Values
		status int
		says   []string // in the page, next to the field (and kept values)
	}{
		{"a slot in the past", reviewer, propose, with(good, "date", "2026-05-31"), 422,
			[]string{"le dimanche 31 mai 2026 à 14 h 30 est déjà passé", `value="2026-05-31"`}},
		{"overlapping slots", reviewer, propose, proposeForm(60, paris(2026, 6, 15, 14, 0), paris(2026, 6, 15, 14, 30)), 422,
			[]string{"il chevauche un autre créneau de cette proposition (lundi 15 juin 2026 à 14 h 00)"}},
		{"a slot over one already proposed", reviewer, propose, proposeForm(60, paris(2026, 6, 10, 9, 30)), 200, nil},
		{"a slot over one already offered", reviewer, app.URL + "/boite/candidatures/" + strconv.FormatInt(b.ID, 10) + "/entretien/creneaux",
			proposeForm(30, paris(2026, 6, 11, 10, 30)), 422, []string{"il chevauche un créneau déjà proposé (jeudi 11 juin 2026 à 10 h 00)"}},
		{"more than 10 slots", reviewer, propose, eleven, 422, []string{"Proposez au plus 10 créneaux à la fois (11 reçus)."}},
		{"a duration of 0", reviewer, propose, with(good, "duree", "0"), 422, []string{"sa durée doit être d&#39;au moins une minute"}},
		{"a duration over 8 hours", reviewer, propose, with(good, "duree", "481"), 422, []string{"sa durée ne peut pas dépasser 8 heures", `value="481"`}},
		{"a video link that is not https", reviewer, propose, with(good, "lieu", "http://visio.example.org/a"), 422,
			[]string{"Indiquez le lien de la visioconférence, une adresse qui commence par https://.", `value="http://visio.example.org/a"`}},
		{"no slot", reviewer, propose, url.Values{"modalite": {"phone"}}, 422, []string{"Proposez au moins un créneau"}},
		{"a phone interview without a number", reviewer, propose, with(good, "modalite", "phone"), 422,
			[]string{"La personne candidate n&#39;a pas indiqué de numéro de téléphone"}},
		{"an attendee who does not review", reviewer, propose, with(good, "participants", "intrus@example.org"), 422,
			[]string{"Choisissez les participant·es parmi les relecteur·rices de l&#39;offre."}},
		{"a move into the past", reviewer, app.URL + "/boite/candidatures/" + aid + "/entretien/deplacement",
			url.Values{"date": {"2026-05-01"}, "heure": {"10:00"}, "duree": {"45"}, "modalite": {"video"}, "lieu": {"https://v.example.org"}}, 422,
			[]string{"Ce nouvel horaire ne va pas : le vendredi 1er mai 2026 à 10 h 00 est déjà passé", `value="2026-05-01"`}},
		{"a pick of a slot of another application", app.Client(), app.URL + linkB + "/entretien", url.Values{"creneaux": {slotA}}, 404, nil},
		{"a pick of an unknown slot", app.Client(), app.URL + linkB + "/entretien", url.Values{"creneaux": {"999999"}}, 404, nil},
		{"a pick of no slot", app.Client(), app.URL + linkB + "/entretien", url.Values{"creneaux": {"premier"}}, 422, []string{"Choisissez un des créneaux proposés."}},
		{"a second pick while one is booked", app.Client(), app.URL + linkA + "/entretien", url.Values{"creneaux": {slotsB[0]}}, 404, nil},
		{"an empty message that none fits", app.Client(), app.URL + linkB + "/entretien/aucun", url.Values{"message": {"  "}}, 422,
			[]string{"Dites en quelques mots quand vous seriez disponible."}},
		{"a message too long", app.Client(), app.URL + linkB + "/entretien/aucun", url.Values{"message": {strings.Repeat("é", 2001)}}, 422,
			[]string{"Votre message ne doit pas dépasser 2000 caractères (2001 reçus)."}},
		{"a cancel by a reviewer of another posting", outsider, app.URL + "/boite/candidatures/" + aid + "/entretien/annulation", nil, 404, nil},
		{"a move by a reviewer of another posting", outsider, app.URL + "/boite/candidatures/" + aid + "/entretien/deplacement", good, 404, nil},
		{"a cancel with an unknown link", app.Client(), app.URL + "/candidature/" + strings.Repeat("x", 43) + "/entretien/annulation", nil, 404, nil},
		{"a cancel by an applicant without an interview", app.Client(), app.URL + linkB + "/entretien/annulation", nil, 409,
			[]string{"Vous n&#39;avez pas (ou plus) d&#39;entretien prévu"}},
		{"slots proposed by a reviewer of another posting", outsider, propose, good, 404, nil},
	}
	for _, tc := range cases {
		before := counts()
		var resp *http.Response
		var body string
		if tc.status == 200 {
			resp, body = testkit.PostForm(t, tc.c, tc.target, tc.form)
			// Over a slot already booked (taken), a new one is fine.
			if resp.StatusCode != http.StatusSeeOther {
				t.Errorf("%s: %d, want 303", tc.name, resp.StatusCode)
			}
			continue
		}
		resp, body = testkit.PostForm(t, tc.c, tc.target, tc.form)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.status)
			continue
		}
		if !frenchPage(resp, body) {
			t.Errorf("%s: no French page", tc.name)
		}
		for _, s := range tc.says {
			if !strings.Contains(body, s) {
				t.Errorf("%s: the page does not say %q", tc.name, s)
			}
		}
		if after := counts(); after != before {
			t.Errorf("%s: slots/interviews/emails/messages went from %s to %s", tc.name, before, after)
		}
	}

	// A slot taken by another applicant meanwhile: told, shown what remains.
	if _, err := app.Repo.PickSlot(context.Background(), a.ID, 0, "x", nil); err == nil {
		t.Fatal("picked slot 0")
	}
	c := seedApplication(t, app, p.ID, "Noé", "Petit", "noe@example.org")
	app.DB.MustExec(`UPDATE interview_slots SET application_id = NULL WHERE id = $1`, slotsB[0]) // into the pool
	app.DB.MustExec(`UPDATE applications SET status = 'interview' WHERE id = ANY($1::bigint[])`, pqArray([]string{strconv.FormatInt(b.ID, 10), strconv.FormatInt(c.ID, 10)}))
	if _, err := app.Repo.PickSlot(context.Background(), c.ID, mustInt(t, slotsB[0]), "uid-c@test", nil); err != nil {
		t.Fatal(err)
	}
	before := counts()
	resp, body := testkit.PostForm(t, app.Client(), app.URL+linkB+"/entretien", url.Values{"creneaux": {slotsB[0]}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Ce créneau vient d&#39;être choisi par une autre personne.") ||
		!slices.Equal(slotsOnPage(body), slotsB[1:]) {
		t.Errorf("a slot taken meanwhile: %d, slots %v (want %v)", resp.StatusCode, slotsOnPage(body), slotsB[1:])
	}
	// A pick once the posting is closed.
	app.DB.MustExec(`UPDATE postings SET status = 'closed' WHERE id = $1`, p.ID)
	resp, body = testkit.PostForm(t, app.Client(), app.URL+linkB+"/entretien", url.Values{"creneaux": {slotsB[1]}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Les candidatures de cette offre sont closes") {
		t.Errorf("a pick after the close: %d", resp.StatusCode)
	}
	if after := counts(); after != before {
		t.Errorf("refused picks wrote something: %s to %s", before, after)
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

var feedURLRe = regexp.MustCompile(`<code id="adresse-agenda">http://vivier\.test(/agenda/[A-Za-z0-9_-]{43}\.ics)</code>`)

// A reviewer's calendar feed lists the interviews they attend, read back
// by golang-ical; its address is shown once, stored hashed, and stops
// working once replaced or revoked.
func TestReviewerCalendarFeed(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	app.Clock.Set(paris(2026, 10, 20, 9, 0))
	p := app.OpenPosting(time.Time{})
	a := seedApplication(t, app, p.ID, "Camille", "Durand", "camille@example.org")
	reviewer := app.Client()
	app.SignIn(reviewer, p.ContactEmail)
	book(t, app, reviewer, a, paris(2026, 10, 27, 9, 30), p.ContactEmail) // after the change to winter time
	newFeed := func() string {
		t.Helper()
		resp, body := testkit.PostForm(t, reviewer, app.URL+"/boite/agenda", nil)
		m := feedURLRe.FindStringSubmatch(body)
		if resp.StatusCode != http.StatusOK || m == nil {
			t.Fatalf("new feed: %d, no address shown", resp.StatusCode)
		}
		return m[1]
	}
	feed := newFeed()
	var stored int
	app.DB.Get(&stored, `SELECT count(*) FROM calendar_feeds WHERE token_hash = sha256(convert_to($1, 'UTF8'))`,
		strings.TrimSuffix(strings.TrimPrefix(feed, "/agenda/"), ".ics"))
	if stored != 1 {
		t.Error("the feed's token is not stored as its SHA-256")
	}
	if _, body := testkit.Get(t, reviewer, app.URL+"/boite/agenda"); feedURLRe.MatchString(body) {
		t.Error("the feed's address is shown again")
	}
	resp, body := testkit.Get(t, app.Client(), app.URL+feed)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("feed: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	cal, err := ics.ParseCalendar(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	evs := cal.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events in the feed", len(evs))
	}
	start, _ := evs[0].GetStartAt()
	if !start.Equal(paris(2026, 10, 27, 9, 30)) || !strings.Contains(evs[0].GetProperty(ics.ComponentPropertySummary).Value, "Camille Durand") {
		t.Errorf("feed event at %v: %s", start, evs[0].GetProperty(ics.ComponentPropertySummary).Value)
	}
	// Another reviewer's feed does not list it.
	if err := app.Repo.AddReviewer(context.Background(), p.ID, "autre@anct.gouv.fr", "test"); err != nil {
		t.Fatal(err)
	}
	other := app.Client()
	app.SignIn(other, "autre@anct.gouv.fr")
	_, body = testkit.PostForm(t, other, app.URL+"/boite/agenda", nil)
	_, otherFeed := testkit.Get(t, app.Client(), app.URL+feedURLRe.FindStringSubmatch(body)[1])
	if strings.Contains(otherFeed, "BEGIN:VEVENT") {
		t.Error("a reviewer who does not attend sees the interview in their feed")
	}
	// Replaced, then revoked: the old addresses answer 404.
	replaced := newFeed()
	if resp, _ := testkit.Get(t, app.Client(), app.URL+feed); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a replaced feed: %d, want 404", resp.StatusCode)
	}
	testkit.PostForm(t, reviewer, app.URL+"/boite/agenda/revocation", nil)
	if resp, _ := testkit.Get(t, app.Client(), app.URL+replaced); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a revoked feed: %d, want 404", resp.StatusCode)
	}
}

// An applicant who withdraws with an interview to come cancels it in the
// same step: the reviewers attending get the cancellation.
func TestWithdrawalCancelsTheInterview(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	app.Clock.Set(paris(2026, 4, 1, 9, 0))
	p := app.OpenPosting(time.Time{})
	a := seedApplication(t, app, p.ID, "Camille", "Durand", "camille@example.org")
	reviewer := app.Client()
	app.SignIn(reviewer, p.ContactEmail)
	link := book(t, app, reviewer, a, paris(2026, 4, 8, 10, 0), p.ContactEmail)
	sent := len(app.SMTP.Messages())
	if resp, _ := testkit.PostForm(t, app.Client(), app.URL+link+"/retrait", url.Values{"confirmation": {"oui"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("withdraw: %d", resp.StatusCode)
	}
	invs := calendarMails(t, app, sent, 2)
	for _, inv := range invs {
		if inv.method != "CANCEL" || inv.sequence != "1" {
			t.Errorf("to %s: %s %s, want the cancellation", inv.to, inv.method, inv.sequence)
		}
	}
	var state string
	app.DB.Get(&state, `SELECT state FROM interviews WHERE application_id = $1`, a.ID)
	if state != "cancelled" {
		t.Errorf("the interview is %s after the withdrawal", state)
	}
}

// Moving an application to « Entretien » while the posting's pool has
// free slots: the status's email lists them, with a link to pick one.
func TestMovingToInterviewOffersThePool(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	app.Clock.Set(paris(2026, 2, 2, 9, 0))
	p := app.OpenPosting(time.Time{})
	a := seedApplication(t, app, p.ID, "Camille", "Durand", "camille@example.org")
	reviewer := app.Client()
	app.SignIn(reviewer, p.ContactEmail)
	pid, aid := strconv.FormatInt(p.ID, 10), strconv.FormatInt(a.ID, 10)
	resp, body := testkit.PostForm(t, reviewer, app.URL+"/boite/offres/"+pid+"/entretiens/creneaux", proposeForm(30, paris(2026, 2, 9, 9, 0), paris(2026, 2, 9, 9, 30)))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("pool: %d\n%s", resp.StatusCode, body)
	}
	_, form := testkit.Get(t, reviewer, app.URL+"/boite/candidatures/"+aid+"/statut?vers=interview")
	subject := regexp.MustCompile(`name="objet" value="([^"]*)"`).FindStringSubmatch(form)
	message := regexp.MustCompile(`(?s)name="message" rows="\d+"[^>]*>(.*?)</textarea>`).FindStringSubmatch(form)
	if subject == nil || message == nil {
		t.Fatal("no status form")
	}
	if resp, _ := testkit.PostForm(t, reviewer, app.URL+"/boite/candidatures/"+aid+"/statut", url.Values{"vers": {"interview"}, "envoyer": {"oui"},
		"objet": {unescape(subject[1])}, "message": {unescape(message[1])}, "delai": {"0"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("move to interview: %d", resp.StatusCode)
	}
	link := app.LinkTo(a.Email)
	settle(t, app)
	var text string
	for _, m := range app.SMTP.Messages() {
		if m.To[0] == a.Email {
			text = m.Text
		}
	}
	if !strings.Contains(text, "- lundi 9 février 2026 à 9 h 30 (30 min, en visioconférence)") || !strings.Contains(text, link) {
		t.Errorf("the status's email does not offer the pool:\n%s", text)
	}
	_, page := testkit.Get(t, app.Client(), app.URL+link)
	if len(slotsOnPage(page)) != 2 {
		t.Errorf("the private page offers %d slots, want the pool's 2", len(slotsOnPage(page)))
	}
}
