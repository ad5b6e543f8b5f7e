package handlers_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vivier/internal/mailcatcher"
	"vivier/internal/testkit"
)

// In Chromium: a reviewer proposes three slots to the posting's pool, two
// applicants in interview race for one from their private pages (one
// wins, the other is told and picks another), both invitations parse, and
// a move and a cancellation made by the reviewer arrive as an update and
// a cancellation in /dev/mail. Every page passes axe-core.
func TestInterviewsInABrowser(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{DevMail: true})
	app.Clock.Set(paris(2026, 9, 14, 9, 0))
	p := app.OpenPosting(time.Time{})
	a := seedApplication(t, app, p.ID, "Camille", "Durand", "camille@example.org")
	b := seedApplication(t, app, p.ID, "Léa", "Martin", "lea@example.org")
	app.DB.MustExec(`UPDATE applications SET status = 'interview' WHERE posting_id = $1`, p.ID)
	ctx := testkit.Browser(t)
	step := func(ctx context.Context, name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		testkit.CheckAccessibility(t, ctx, name)
	}
	text := func(ctx context.Context, sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}

	// The reviewer proposes three slots to the posting's pool.
	link := app.SignInLink(app.Client(), p.ContactEmail)
	pid := strconv.FormatInt(p.ID, 10)
	step(ctx, "signed in", chromedp.Navigate(app.URL+link), testkit.WaitVisible(`main button[type=submit]`),
		chromedp.Click(`main button[type=submit]`), testkit.WaitVisible(`main a[href^="/boite/offres/"]`),
		chromedp.Navigate(app.URL+"/boite/offres/"+pid), chromedp.Click(`a[href="/boite/offres/`+pid+`/entretiens"]`),
		testkit.WaitVisible(`#date-1`))
	var fill []chromedp.Action[chromedp.Void]
	for i, at := range []string{"10:00", "11:00", "14:30"} {
		n := strconv.Itoa(i + 1)
		fill = append(fill, chromedp.SetValue(`#date-`+n, "2026-09-22"), chromedp.SetValue(`#heure-`+n, at))
	}
	fill = append(fill, chromedp.SendKeys(`#lieu`, "https://visio.example.org/entretien"), chromedp.Click(`main button[type=submit]`),
		testkit.WaitVisible(`.fr-alert--success`))
	step(ctx, "three slots proposed", fill...)
	if got := text(ctx, `.fr-alert--success`); !strings.Contains(got, "3 créneaux ajoutés à l'offre : 2 personnes en entretien ont reçu un email pour choisir.") {
		t.Fatalf("after the proposal: %q", got)
	}
	settle(t, app)
	linkA, linkB := app.LinkTo(a.Email), app.LinkTo(b.Email)

	// Both applicants open their page, in tabs of their own, choose the
	// first slot and send at the same moment.
	tabA, cancelA := chromedp.NewContext(ctx)
	defer cancelA()
	tabB, cancelB := chromedp.NewContext(ctx)
	defer cancelB()
	for _, tab := range []struct {
		ctx  context.Context
		link string
	}{{tabA, linkA}, {tabB, linkB}} {
		step(tab.ctx, "the private page offers the slots", chromedp.Navigate(app.URL+tab.link), testkit.WaitVisible(`input[name=creneaux]`))
		if got := text(tab.ctx, `#entretien ~ form`); !strings.Contains(got, "mardi 22 septembre 2026 à 10 h 00 (45 min, en visioconférence)") {
			t.Fatalf("the private page offers %q", got)
		}
		if err := chromedp.Do(tab.ctx, chromedp.Click(`input[name=creneaux]`)); err != nil { // the first
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for _, tab := range []context.Context{tabA, tabB} {
		wg.Go(func() {
			_ = chromedp.Do(tab, chromedp.Click(`#entretien ~ form button[type=submit]`), testkit.WaitVisible(`.fr-alert`))
		})
	}
	wg.Wait()
	var winner, loser context.Context
	for _, tab := range []struct {
		ctx  context.Context
		link string
	}{{tabA, linkA}, {tabB, linkB}} {
		said := text(tab.ctx, `.fr-alert`)
		switch {
		case strings.Contains(said, "Votre entretien est fixé"):
			winner = tab.ctx
		case strings.Contains(said, "Ce créneau vient d'être choisi par une autre personne."):
			loser = tab.ctx
		default:
			t.Fatalf("after the race, a page says %q", said)
		}
	}
	if winner == nil || loser == nil {
		t.Fatal("the race did not have one winner and one loser")
	}
	testkit.CheckAccessibility(t, loser, "the loser is told")
	remaining, err := chromedp.Run(loser, chromedp.Evaluate[int](`document.querySelectorAll("input[name=creneaux]").length`))
	if err != nil || remaining != 2 {
		t.Fatalf("the loser is shown %d slots (%v), want the 2 that remain", remaining, err)
	}
	step(loser, "the loser picks another", chromedp.Click(`input[name=creneaux]`), chromedp.Click(`#entretien ~ form button[type=submit]`),
		testkit.WaitVisible(`.fr-alert--success`))
	if got := text(loser, `.fr-callout__title`); got != "mardi 22 septembre 2026 à 11 h 00" {
		t.Errorf("the loser's interview is on %q", got)
	}

	// Both invitations parse; each applicant's is for their own slot.
	settle(t, app)
	starts := map[string]time.Time{}
	uids := map[string]bool{}
	for _, m := range app.SMTP.Messages() {
		if m.Calendar != "" && (m.To[0] == a.Email || m.To[0] == b.Email) {
			inv := readInvitation(t, m)
			starts[inv.to], uids[inv.uid] = inv.start, true
		}
	}
	if len(starts) != 2 || len(uids) != 2 || starts[a.Email].Equal(starts[b.Email]) {
		t.Fatalf("invitations: %v, UIDs %v", starts, uids)
	}

	// The reviewer moves Camille's interview and cancels Léa's.
	aid, bid := strconv.FormatInt(a.ID, 10), strconv.FormatInt(b.ID, 10)
	step(ctx, "the interview page", chromedp.Navigate(app.URL+"/boite/candidatures/"+aid+"/entretien"), testkit.WaitVisible(`#deplacement-date`))
	step(ctx, "moved", chromedp.SetValue(`#deplacement-date`, "2026-09-23"), chromedp.SetValue(`#deplacement-heure`, "16:15"),
		chromedp.Click(`form[action$="/deplacement"] button`), testkit.WaitVisible(`.fr-alert--success`))
	step(ctx, "cancelled", chromedp.Navigate(app.URL+"/boite/candidatures/"+bid+"/entretien"), testkit.WaitVisible(`form[action$="/annulation"] button`),
		chromedp.Click(`form[action$="/annulation"] button`), testkit.WaitVisible(`.fr-alert--success`))
	settle(t, app)

	// /dev/mail shows the update and the cancellation, with their calendars.
	find := func(to, method string) *mailcatcher.Message {
		var found *mailcatcher.Message
		for _, m := range app.SMTP.Messages() {
			if m.To[0] == to && m.CalendarMethod == method {
				found = m
			}
		}
		if found == nil {
			t.Fatalf("no %s to %s", method, to)
		}
		return found
	}
	update, cancel := find(a.Email, "REQUEST"), find(b.Email, "CANCEL")
	step(ctx, "the caught mail", chromedp.Navigate(app.URL+"/dev/mail"), testkit.WaitVisible(`table`))
	list := text(ctx, `table`)
	for _, want := range []string{"Entretien déplacé au mercredi 23 septembre 2026 à 16 h 15", "Entretien annulé", "annulation", "invitation"} {
		if !strings.Contains(list, want) {
			t.Errorf("/dev/mail does not list %q", want)
		}
	}
	for _, m := range []struct {
		msg  *mailcatcher.Message
		want []string
	}{{update, []string{"METHOD:REQUEST", "SEQUENCE:1", "DTSTART;TZID=Europe/Paris:20260923T161500"}},
		{cancel, []string{"METHOD:CANCEL", "SEQUENCE:1", "STATUS:CANCELLED"}}} {
		step(ctx, "an email with its calendar", chromedp.Navigate(app.URL+"/dev/mail/"+strconv.Itoa(m.msg.ID)), testkit.WaitVisible(`#invitation`))
		shown := text(ctx, `#invitation`)
		for _, w := range m.want {
			if !strings.Contains(shown, w) {
				t.Errorf("/dev/mail/%d shows no %q:\n%s", m.msg.ID, w, shown)
			}
		}
	}
	if inv := readInvitation(t, update); !inv.start.Equal(paris(2026, 9, 23, 16, 15)) || inv.sequence != "1" {
		t.Errorf("the update: %+v", inv)
	}
}
