package workers_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"vivier/internal/catalog"
	"vivier/internal/frfmt"
	"vivier/internal/testkit"
	"vivier/repository"
	"vivier/workers"
)

// paris is a moment in Paris time.
func paris(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, frfmt.Paris)
}

// runDigests runs the scheduler's digest job once at the clock's time.
func runDigests(t *testing.T, s *workers.DigestScheduler) workers.DigestCounts {
	t.Helper()
	c, err := s.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// emailsOfKind lists the text of the emails of kind to address, oldest first.
func emailsOfKind(t *testing.T, app *testkit.App, kind, to string) []string {
	t.Helper()
	var out []string
	if err := app.DB.Select(&out, `SELECT text_body FROM emails WHERE kind = $1 AND to_address = $2 ORDER BY id`, kind, to); err != nil {
		t.Fatal(err)
	}
	return out
}

// A reviewer who chose the daily digest gets one email at 08:00 Paris
// time listing what arrived since the previous one: not before 08:00, not
// twice the same day (even from a scheduler started again), none on a
// day with nothing new; it reaches their mailbox through the outbox.
func TestDailyDigestOnceADayAndNoneWhenNothingIsNew(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	ctx := context.Background()
	p := importPosting(t, app, "recapitulatif", "contact@anct.gouv.fr")
	other := importPosting(t, app, "autre", "autre@anct.gouv.fr")
	const paul = "paul@anct.gouv.fr"
	if err := app.Repo.AddReviewer(ctx, p.ID, paul, "test"); err != nil {
		t.Fatal(err)
	}
	// Tuesday 8 January 2030: Paul chooses the digest.
	app.Clock.Set(paris(2030, 1, 8, 7, 30))
	if err := app.Repo.SetNotifyPreference(ctx, p.ID, paul, catalog.NotifyDaily); err != nil {
		t.Fatal(err)
	}
	app.Clock.Set(paris(2030, 1, 8, 10, 0))
	alice := apply(t, app, p.ID, "Alice", "alice@example.org", catalog.StatusReceived)
	apply(t, app, other.ID, "Autre", "autre.personne@example.org", catalog.StatusReceived) // not Paul's posting
	app.Clock.Set(paris(2030, 1, 9, 7, 59))
	bruno := apply(t, app, p.ID, "Bruno", "bruno@example.org", catalog.StatusReceived)

	if c := runDigests(t, app.Digests); c.Digests != 0 {
		t.Fatalf("at 07:59, %d digests written, want none before 08:00", c.Digests)
	}
	app.Clock.Set(paris(2030, 1, 9, 8, 0))
	if c := runDigests(t, app.Digests); c.Digests != 1 {
		t.Fatalf("at 08:00, %d digests written, want 1", c.Digests)
	}
	if c := runDigests(t, app.Digests); c.Digests != 0 {
		t.Fatalf("a second run the same day wrote %d digests", c.Digests)
	}
	// The scheduler started again: still none for this day.
	again := &workers.DigestScheduler{Repo: app.Repo, Emails: app.Digests.Emails, Enqueuer: app.Enqueuer, Log: app.Log}
	if c := runDigests(t, again); c.Digests != 0 {
		t.Fatalf("a scheduler started again wrote %d digests the same day", c.Digests)
	}
	digests := emailsOfKind(t, app, "reviewer_digest", paul)
	if len(digests) != 1 {
		t.Fatalf("%d digests to Paul, want 1", len(digests))
	}
	for _, want := range []string{"Offre recapitulatif", "Nouvelle candidature : Alice Durand, le 8 janvier 2030 à 10 h 00",
		"http://vivier.test/boite/candidatures/" + strconv.FormatInt(alice.ID, 10),
		"Nouvelle candidature : Bruno Durand, le 9 janvier 2030 à 7 h 59",
		"http://vivier.test/boite/candidatures/" + strconv.FormatInt(bruno.ID, 10),
		"http://vivier.test/boite/offres/" + strconv.FormatInt(p.ID, 10) + "/notifications"} {
		if !strings.Contains(digests[0], want) {
			t.Errorf("the digest does not say %q:\n%s", want, digests[0])
		}
	}
	if strings.Contains(digests[0], "Autre") {
		t.Errorf("the digest tells of another posting's application:\n%s", digests[0])
	}
	if n := len(emailsOfKind(t, app, "reviewer_digest", "contact@anct.gouv.fr")); n != 0 {
		t.Errorf("the contact, told at once, got %d digests", n)
	}
	msgs := app.SMTP.WaitFor(1, 20*time.Second)
	if len(msgs) != 1 || msgs[0].To[0] != paul || msgs[0].HeaderText("Subject") != "Vos candidatures du 9 janvier 2030 : 2 nouveautés" {
		t.Fatalf("the digest did not reach Paul as expected: %d messages", len(msgs))
	}

	// After 08:00, an application waits for the next day's digest.
	app.Clock.Set(paris(2030, 1, 9, 8, 1))
	chloe := apply(t, app, p.ID, "Chloé", "chloe@example.org", catalog.StatusReceived)
	app.Clock.Set(paris(2030, 1, 9, 18, 0))
	if c := runDigests(t, app.Digests); c.Digests != 0 {
		t.Fatalf("the evening run wrote %d digests", c.Digests)
	}
	app.Clock.Set(paris(2030, 1, 10, 8, 0))
	if c := runDigests(t, app.Digests); c.Digests != 1 {
		t.Fatalf("Thursday 08:00: %d digests, want 1", c.Digests)
	}
	digests = emailsOfKind(t, app, "reviewer_digest", paul)
	if len(digests) != 2 || !strings.Contains(digests[1], "Chloé Durand") || strings.Contains(digests[1], "Alice") || strings.Contains(digests[1], "Bruno") {
		t.Fatalf("Thursday's digest should tell of Chloé alone:\n%s", strings.Join(digests, "\n---\n"))
	}
	// Friday: nothing new, nothing sent.
	app.Clock.Set(paris(2030, 1, 11, 8, 0))
	if c := runDigests(t, app.Digests); c.Digests != 0 {
		t.Fatalf("a day without news wrote %d digests", c.Digests)
	}
	app.WaitEmails("sent", 2, 20*time.Second)
	app.WaitQueuesEmpty()
	if n := len(app.SMTP.Messages()); n != 2 {
		t.Errorf("%d messages reached the SMTP server, want the 2 digests", n)
	}

	// An applicant who erases their data is erased from the digests too.
	if err := app.Repo.Erase(ctx, chloe.ID, repository.ActorApplicant, nil, nil); err != nil {
		t.Fatal(err)
	}
	if digests = emailsOfKind(t, app, "reviewer_digest", ""); len(digests) != 1 || digests[0] != "" {
		t.Errorf("the digest naming an erased applicant is not emptied: %q", digests)
	}
}

// Applications waiting more than 14 days for an answer (received, status
// never changed) are named to the posting's contact on Mondays: in a
// weekly reminder when they are told at once, in their digest when they
// chose one (sent then even with nothing new), once a week.
func TestContactsAreRemindedOfApplicationsWaiting(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	ctx := context.Background()
	const contact, lea = "contact@anct.gouv.fr", "lea@anct.gouv.fr"
	atOnce := importPosting(t, app, "rappel", contact)
	daily := importPosting(t, app, "rappel-quotidien", lea)
	app.Clock.Set(paris(2029, 12, 10, 10, 0))
	if err := app.Repo.SetNotifyPreference(ctx, daily.ID, lea, catalog.NotifyDaily); err != nil {
		t.Fatal(err)
	}
	app.Clock.Set(paris(2029, 12, 14, 10, 0)) // Friday, 17 days before
	old := apply(t, app, atOnce.ID, "Ancien", "ancien@example.org", catalog.StatusReceived)
	answered := apply(t, app, atOnce.ID, "Répondu", "repondu@example.org", catalog.StatusReceived)
	oldDaily := apply(t, app, daily.ID, "Ancienne", "ancienne@example.org", catalog.StatusReceived)
	// Moved on and back to "received": it was answered.
	for _, to := range []catalog.Status{catalog.StatusInReview, catalog.StatusReceived} {
		if _, err := app.Repo.ChangeStatus(ctx, atOnce.ID, []int64{answered.ID}, repository.StatusChange{To: to, Actor: contact}); err != nil {
			t.Fatal(err)
		}
	}
	app.Clock.Set(paris(2029, 12, 28, 10, 0)) // 3 days before: not waiting long enough
	apply(t, app, atOnce.ID, "Récent", "recent@example.org", catalog.StatusReceived)

	app.Clock.Set(paris(2029, 12, 31, 7, 59)) // Monday
	if c := runDigests(t, app.Digests); c != (workers.DigestCounts{}) {
		t.Fatalf("before 08:00 on Monday: %+v", c)
	}
	app.Clock.Set(paris(2029, 12, 31, 8, 0))
	if c := runDigests(t, app.Digests); c != (workers.DigestCounts{Digests: 1, Reminders: 1}) {
		t.Fatalf("Monday 08:00: %+v, want a digest to Léa and a reminder to the contact", c)
	}
	reminders := emailsOfKind(t, app, "waiting_reminder", contact)
	if len(reminders) != 1 {
		t.Fatalf("%d reminders to the contact, want 1", len(reminders))
	}
	for _, want := range []string{"Ancien Durand, reçue le 14 décembre 2029 (17 jours)",
		"http://vivier.test/boite/candidatures/" + strconv.FormatInt(old.ID, 10),
		"http://vivier.test/boite/offres/" + strconv.FormatInt(atOnce.ID, 10) + "?recu_au=2029-12-17&statut=received"} {
		if !strings.Contains(reminders[0], want) {
			t.Errorf("the reminder does not say %q:\n%s", want, reminders[0])
		}
	}
	if strings.Contains(reminders[0], "Répondu") || strings.Contains(reminders[0], "Récent") || strings.Contains(reminders[0], "Ancienne") {
		t.Errorf("the reminder names an application answered, recent, or of a posting with a digest:\n%s", reminders[0])
	}
	digests := emailsOfKind(t, app, "reviewer_digest", lea)
	if len(digests) != 1 || !strings.Contains(digests[0], "Rien de nouveau") || !strings.Contains(digests[0], "Ancienne Durand") ||
		!strings.Contains(digests[0], "http://vivier.test/boite/candidatures/"+strconv.FormatInt(oldDaily.ID, 10)) {
		t.Fatalf("Léa's Monday digest should name the application waiting:\n%s", strings.Join(digests, "\n---\n"))
	}
	if c := runDigests(t, app.Digests); c != (workers.DigestCounts{}) {
		t.Fatalf("a second run on Monday: %+v", c)
	}
	// Tuesday: nothing new for Léa, the week's reminder written already.
	app.Clock.Set(paris(2030, 1, 1, 8, 0))
	if c := runDigests(t, app.Digests); c != (workers.DigestCounts{}) {
		t.Fatalf("Tuesday: %+v, want nothing", c)
	}
	// The next Monday, again.
	app.Clock.Set(paris(2030, 1, 7, 8, 0))
	if c := runDigests(t, app.Digests); c != (workers.DigestCounts{Digests: 1, Reminders: 1}) {
		t.Fatalf("the next Monday: %+v", c)
	}
}
