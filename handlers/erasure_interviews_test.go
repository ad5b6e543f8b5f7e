package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"vivier/internal/compose"
	"vivier/internal/testkit"
	"vivier/workers"
)

// Erasing an application, by its applicant or by retention, cancels its
// interview still to come in the same step: the reviewers attending get
// the cancellation (METHOD:CANCEL, the same UID, SEQUENCE raised), which
// names the application by its number; the erased applicant's address
// gets nothing; the reviewers' calendar feeds stop listing it.
func TestErasureCancelsTheInterviewToCome(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	app.Clock.Set(paris(2026, 4, 1, 9, 0))
	p := app.OpenPosting(time.Time{})
	a := seedApplication(t, app, p.ID, "Camille", "Durand", "camille@example.org")
	b := seedApplication(t, app, p.ID, "Léa", "Martin", "lea@example.org")
	reviewer := app.Client()
	app.SignIn(reviewer, p.ContactEmail)
	linkA := book(t, app, reviewer, a, paris(2026, 4, 8, 10, 0), p.ContactEmail)
	book(t, app, reviewer, b, paris(2026, 4, 9, 10, 0), p.ContactEmail)
	uids := map[string]string{}
	for _, m := range app.SMTP.Messages() {
		if m.CalendarMethod == "REQUEST" && m.To[0] != p.ContactEmail {
			uids[m.To[0]] = readInvitation(t, m).uid
		}
	}
	_, body := testkit.PostForm(t, reviewer, app.URL+"/boite/agenda", nil)
	feed := feedURLRe.FindStringSubmatch(body)
	if feed == nil {
		t.Fatal("no calendar feed made")
	}
	feedEvents := func() []string {
		t.Helper()
		_, body := testkit.Get(t, app.Client(), app.URL+feed[1])
		cal, err := ics.ParseCalendar(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var uids []string
		for _, ev := range cal.Events() {
			uids = append(uids, ev.Id())
		}
		return uids
	}
	if got := feedEvents(); len(got) != 2 {
		t.Fatalf("the feed lists %v, want both interviews", got)
	}

	// cancelled checks the cancellation that an erasure sent, after the
	// first `after` messages, for the interview of uid.
	cancelled := func(after int, uid string, byApplicant bool) {
		t.Helper()
		settle(t, app)
		msgs := app.SMTP.Messages()[after:]
		if len(msgs) == 0 {
			t.Fatal("the erasure sent nothing")
		}
		var n int
		for _, m := range msgs {
			if m.Calendar == "" {
				continue
			}
			n++
			inv := readInvitation(t, m)
			if inv.to != p.ContactEmail || inv.method != "CANCEL" || inv.uid != uid || inv.sequence != "1" || inv.status != "CANCELLED" {
				t.Errorf("after the erasure, to %s: %s %s, UID %s, SEQUENCE %s; want the cancellation of %s to the reviewer", inv.to, inv.method, inv.status, inv.uid, inv.sequence, uid)
			}
			for _, who := range inv.attendee {
				if strings.Contains(who, "example.org") {
					t.Errorf("the cancellation names the erased applicant among its attendees: %s", who)
				}
			}
			if strings.Contains(m.Text, "Camille") || strings.Contains(m.Text, "Léa") || !strings.Contains(m.Text, "Candidature n° ") ||
				!strings.Contains(m.Text, "les données de cette candidature ont été effacées") {
				t.Errorf("the reviewer's cancellation:\n%s", m.Text)
			}
			if byApplicant != strings.Contains(m.Text, "à la demande de la personne candidate") {
				t.Errorf("the cancellation says who erased wrongly:\n%s", m.Text)
			}
		}
		for _, m := range msgs {
			if m.To[0] == a.Email || m.To[0] == b.Email {
				t.Errorf("%q went to the erased applicant's address", m.Subject)
			}
		}
		if n != 1 {
			t.Errorf("%d emails with a calendar after the erasure, want the reviewer's cancellation", n)
		}
	}

	// The applicant erases their data.
	sent := len(app.SMTP.Messages())
	if resp, _ := testkit.PostForm(t, app.Client(), app.URL+linkA+"/effacement", url.Values{"confirmation": {"oui"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("erase: %d", resp.StatusCode)
	}
	cancelled(sent, uids[a.Email], true)
	var state string
	app.DB.Get(&state, `SELECT state FROM interviews WHERE application_id = $1`, a.ID)
	if state != "cancelled" {
		t.Errorf("the erased application's interview is %s", state)
	}
	if got := feedEvents(); len(got) != 1 || got[0] != uids[b.Email] {
		t.Errorf("after the erasure the feed lists %v, want only %s", got, uids[b.Email])
	}
	if _, page := testkit.Get(t, reviewer, app.URL+"/boite/offres/"+strconv.FormatInt(p.ID, 10)+"/entretiens"); strings.Contains(page, "mercredi 8 avril 2026") {
		t.Error("the posting's interviews still list the erased application's")
	}

	// Retention erases the other one, whose posting was closed (by an
	// import, which cancels nothing) long ago.
	app.DB.MustExec(`UPDATE postings SET status = 'closed', closes_at = $2, updated_at = $2 WHERE id = $1`, p.ID, paris(2023, 1, 1, 12, 0))
	emails, err := compose.New(app.Config)
	if err != nil {
		t.Fatal(err)
	}
	retention := &workers.RetentionScheduler{Repo: app.Repo, Emails: emails, Config: app.Config, Enqueuer: app.Enqueuer, Log: app.Log}
	sent = len(app.SMTP.Messages())
	if n, err := retention.RunOnce(t.Context()); err != nil || n.Erased != 1 {
		t.Fatalf("retention: %+v, %v", n, err)
	}
	cancelled(sent, uids[b.Email], false)
	if got := feedEvents(); len(got) != 0 {
		t.Errorf("after retention the feed lists %v", got)
	}
}
