package handlers_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"vivier/internal/catalog"
	"vivier/internal/frfmt"
	"vivier/internal/inbound"
	"vivier/internal/mailcatcher"
	"vivier/internal/testkit"
	"vivier/repository"
)

// deliver hands a message to the processing of the mailbox of replies,
// as the IMAP reader (and development mode's « reply as the applicant »)
// does, and expects it stored.
func deliver(t *testing.T, app *testkit.App, raw []byte) {
	t.Helper()
	got, err := app.Handler.Inbound.Process(t.Context(), bytes.NewReader(raw), "test")
	if err != nil || got != inbound.Stored {
		t.Fatalf("inbound message: %v, %v; want it stored", got, err)
	}
}

// applicantReply is Camille Durand's answer to one of our emails, signed
// with their address and name, its subject naming them, a file attached.
func applicantReply(inReplyTo, messageID, text, file string) []byte {
	pdf := base64.StdEncoding.EncodeToString(testkit.PDF(2000))
	return []byte(fmt.Sprintf(`From: Camille Durand <camille.durand@example.org>
To: %s
Subject: Re: Candidature de Camille Durand
Date: Mon, 30 Nov 2026 10:00:00 +0100
Message-ID: %s
In-Reply-To: %s
References: %s
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

%s
--b1
Content-Type: application/pdf; name="%[6]s"
Content-Disposition: attachment; filename="%[6]s"
Content-Transfer-Encoding: base64

%[7]s
--b1--
`, inboundAddress, messageID, inReplyTo, inReplyTo, text, file, pdf))
}

// parisAt is hour o'clock, Paris time, on the day of t.
func parisAt(t time.Time, hour int) time.Time {
	t = t.In(frfmt.Paris)
	return time.Date(t.Year(), t.Month(), t.Day(), hour, 0, 0, 0, frfmt.Paris)
}

// runDigestsNow runs the scheduler's digest job at the clock's time.
func runDigestsNow(t *testing.T, app *testkit.App) {
	t.Helper()
	if _, err := app.Digests.RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// storedTo lists the emails of kind written to address, oldest first.
func storedTo(t *testing.T, app *testkit.App, kind, address string) []repository.Email {
	t.Helper()
	var out []repository.Email
	if err := app.DB.Select(&out, `SELECT to_address, to_name, reply_to, subject, text_body, html_body FROM emails
		WHERE kind = $1 AND to_address = $2 ORDER BY id`, kind, address); err != nil {
		t.Fatal(err)
	}
	return out
}

// An applicant's reply reaches each reviewer as they chose for the
// posting: at once for those who chose « À chaque nouveauté » (the
// contact by default), in the next daily digest for those who chose it,
// not at all for « Aucun email » and for reviewers who chose nothing.
// Automatic replies and bounces tell no one. A digest that tells of a
// reply is emptied when the applicant erases their data.
func TestRepliesFollowEachReviewersNotificationChoice(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	ctx := t.Context()
	app.Clock.Set(parisAt(time.Now(), 10))
	p := app.OpenPosting(time.Time{})
	const paul, lea, marc, sophie = "paul@anct.gouv.fr", "lea@anct.gouv.fr", "marc@anct.gouv.fr", "sophie@anct.gouv.fr"
	for _, r := range []string{paul, lea, marc, sophie} {
		if err := app.Repo.AddReviewer(ctx, p.ID, r, "test"); err != nil {
			t.Fatal(err)
		}
	}
	for who, n := range map[string]catalog.Notify{paul: catalog.NotifyAtOnce, marc: catalog.NotifyNever} {
		if err := app.Repo.SetNotifyPreference(ctx, p.ID, who, n); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := applyThroughTheForm(t, app, p)
	app.WaitIdle()
	// Léa chooses the digest after the application came: hers will tell
	// of the reply alone.
	app.Clock.Advance(time.Minute)
	if err := app.Repo.SetNotifyPreference(ctx, p.ID, lea, catalog.NotifyDaily); err != nil {
		t.Fatal(err)
	}
	var ackID string
	app.DB.Get(&ackID, `SELECT message_id FROM emails WHERE kind = 'acknowledgement'`)
	if ackID == "" {
		t.Fatal("the acknowledgement has no Message-ID")
	}

	app.Clock.Advance(time.Hour)
	deliver(t, app, applicantReply(ackID, "<reponse-1@example.org>", "Je suis disponible dès lundi.", "references.pdf"))
	// An out-of-office and a bounce: kept, nobody told.
	deliver(t, app, outOfOffice(inboundAddress, ackID))
	deliver(t, app, postfixDSN(ackID, a.Email))
	app.WaitIdle()
	var told []string
	app.DB.Select(&told, `SELECT to_address FROM emails WHERE kind = 'reply_notification' ORDER BY to_address`)
	if want := p.ContactEmail + "," + paul; strings.Join(told, ",") != want {
		t.Fatalf("reply notifications to %v, want %s (the contact by default, and who chose at once) only", told, want)
	}
	at := caught(t, app, paul, "Camille Durand a répondu")
	if !strings.Contains(at.Text, "Je suis disponible dès lundi.") || !strings.Contains(at.Text, "references.pdf") ||
		!strings.Contains(at.Text, "/boite/candidatures/"+strconv.FormatInt(a.ID, 10)) {
		t.Errorf("the notification at once:\n%s", at.Text)
	}

	// The next morning, Léa's digest tells of the reply; nobody else gets one.
	app.Clock.Set(parisAt(app.Clock.Now().AddDate(0, 0, 1), 8))
	runDigestsNow(t, app)
	digests := storedTo(t, app, "reviewer_digest", lea)
	if len(digests) != 1 {
		t.Fatalf("%d digests to Léa, want 1", len(digests))
	}
	for _, want := range []string{"Réponse reçue : Camille Durand, le ", "http://vivier.test/boite/candidatures/" + strconv.FormatInt(a.ID, 10)} {
		if !strings.Contains(digests[0].TextBody, want) {
			t.Errorf("Léa's digest does not say %q:\n%s", want, digests[0].TextBody)
		}
	}
	if strings.Contains(digests[0].TextBody, "Nouvelle candidature") || !strings.HasSuffix(digests[0].Subject, ": 1 nouveauté") {
		t.Errorf("Léa's digest should tell of the reply alone (the automatic reply and the bounce are not news): %q\n%s", digests[0].Subject, digests[0].TextBody)
	}
	var others int
	app.DB.Get(&others, `SELECT count(*) FROM emails WHERE kind = 'reviewer_digest' AND to_address <> $1`, lea)
	if others != 0 {
		t.Errorf("%d digests to others than Léa", others)
	}
	for _, who := range []string{marc, sophie, lea} {
		if n := len(storedTo(t, app, "reply_notification", who)); n != 0 {
			t.Errorf("%s got %d notifications of the reply at once", who, n)
		}
	}

	// The applicant erases their data: the digest that told of their
	// reply is emptied too.
	if err := app.Repo.Erase(ctx, a.ID, repository.ActorApplicant, nil, nil); err != nil {
		t.Fatal(err)
	}
	var body string
	app.DB.Get(&body, `SELECT text_body FROM emails WHERE kind = 'reviewer_digest'`)
	if body != "" {
		t.Errorf("the digest telling of an erased applicant's reply is not emptied:\n%s", body)
	}
}

// reviewerMessages lists what the SMTP server got for the reviewers in
// addresses, as one text each: every header (decoded) and both parts.
func reviewerMessages(msgs []*mailcatcher.Message, addresses ...string) map[string][]string {
	out := map[string][]string{}
	for _, m := range msgs {
		for _, to := range m.To {
			for _, r := range addresses {
				if to != r {
					continue
				}
				var b strings.Builder
				for k := range m.Header {
					b.WriteString(k + ": " + m.HeaderText(k) + "\n")
				}
				b.WriteString(m.Text + "\n" + m.HTML)
				out[r] = append(out[r], b.String())
			}
		}
	}
	return out
}

// During a blind first pass, every email to reviewers names the
// application « Candidature n° N » and carries nothing that identifies
// the person: the notification of a reply (no sender, no subject, no
// file name, no Reply-To to the applicant; its text stays), the daily
// digest, the Monday reminder and the mention in a note. Once the
// application reaches the posting's stage, they name the person again.
func TestReviewerEmailsDuringABlindPass(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	ctx := t.Context()
	day := parisAt(time.Now(), 10)
	app.Clock.Set(day)
	p := app.OpenPosting(time.Time{})
	if err := app.Repo.SetBlindUntil(ctx, p.ID, catalog.StatusShortlisted, "admin@anct.gouv.fr"); err != nil {
		t.Fatal(err)
	}
	const paul, lea = "paul@anct.gouv.fr", "lea@anct.gouv.fr"
	for who, n := range map[string]catalog.Notify{paul: catalog.NotifyAtOnce, lea: catalog.NotifyDaily} {
		if err := app.Repo.AddReviewer(ctx, p.ID, who, "test"); err != nil {
			t.Fatal(err)
		}
		if err := app.Repo.SetNotifyPreference(ctx, p.ID, who, n); err != nil {
			t.Fatal(err)
		}
	}
	app.Clock.Advance(time.Minute)
	a, _ := applyThroughTheForm(t, app, p)
	app.WaitIdle()
	number := "Candidature n° " + strconv.FormatInt(a.ID, 10)
	var ackID string
	app.DB.Get(&ackID, `SELECT message_id FROM emails WHERE kind = 'acknowledgement'`)
	page := app.URL + "/boite/candidatures/" + strconv.FormatInt(a.ID, 10)

	// A reply, a mention, the next day's digest and, fourteen days on,
	// the Monday reminder: all while the application is hidden.
	app.Clock.Advance(time.Hour)
	deliver(t, app, applicantReply(ackID, "<reponse-1@example.org>", "Je suis disponible dès lundi.", "CV-Camille-Durand.pdf"))
	contact := app.Client()
	app.SignIn(contact, p.ContactEmail)
	if resp, _ := testkit.PostForm(t, contact, page+"/notes", url.Values{"note": {"@paul peux-tu regarder ses réponses ?"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add note: %d", resp.StatusCode)
	}
	app.Clock.Set(parisAt(day.AddDate(0, 0, 1), 8))
	runDigestsNow(t, app)
	monday := day.AddDate(0, 0, 14)
	for monday.Weekday() != time.Monday {
		monday = monday.AddDate(0, 0, 1)
	}
	app.Clock.Set(parisAt(monday, 8))
	runDigestsNow(t, app)
	app.WaitIdle()

	identity := []string{"Camille", "Durand", "camille.durand@example.org", "06 12 34 56 78", "732 829 320", "github.com/camille", "CV Camille.pdf"}
	hides := func(where, text string) {
		t.Helper()
		var shown []string
		for _, s := range identity {
			if strings.Contains(text, s) {
				shown = append(shown, s)
			}
		}
		if len(shown) > 0 || !strings.Contains(text, number) {
			t.Errorf("%s shows %q during the blind pass, or does not name %q:\n%s", where, shown, number, text)
		}
	}
	wantEmails := map[string]string{"reply_notification": paul, "note_mention": paul, "reviewer_digest": lea, "waiting_reminder": p.ContactEmail}
	for kind, to := range wantEmails {
		es := storedTo(t, app, kind, to)
		if len(es) != 1 {
			t.Fatalf("%d %s to %s, want 1", len(es), kind, to)
		}
		e := es[0]
		hides("the stored "+kind, e.ToName+"\n"+e.ReplyTo+"\n"+e.Subject+"\n"+e.TextBody+"\n"+e.HTMLBody)
	}
	if n := len(storedTo(t, app, "reply_notification", p.ContactEmail)); n != 1 {
		t.Errorf("the contact got %d notifications of the reply, want 1", n)
	}
	reply := storedTo(t, app, "reply_notification", paul)[0]
	if !strings.Contains(reply.TextBody, "Je suis disponible dès lundi.") || !strings.Contains(reply.TextBody, "1 pièce jointe gardée") {
		t.Errorf("the reply's notification lost its text, or does not say a file was kept:\n%s", reply.TextBody)
	}
	if d := storedTo(t, app, "reviewer_digest", lea)[0].TextBody; !strings.Contains(d, "Nouvelle candidature : "+number) || !strings.Contains(d, "Réponse reçue : "+number) {
		t.Errorf("Léa's digest does not tell of the application and its reply by number:\n%s", d)
	}
	hidden := app.SMTP.Messages()
	got := reviewerMessages(hidden, p.ContactEmail, paul, lea)
	for who, n := range map[string]int{paul: 3, lea: 1} { // paul: the new application, the reply, the mention
		if len(got[who]) != n {
			t.Errorf("%s received %d emails, want %d", who, len(got[who]), n)
		}
	}
	for who, texts := range got {
		for _, text := range texts {
			if strings.Contains(text, "/connexion/lien/") {
				continue // a sign-in link
			}
			hides("an email received by "+who, text)
		}
	}

	// Shortlisted: revealed, and named in the emails that follow.
	app.Clock.Advance(time.Hour)
	app.SignIn(contact, p.ContactEmail)
	if resp, _ := testkit.PostForm(t, contact, page+"/statut", url.Values{"vers": {string(catalog.StatusShortlisted)}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("shortlist: %d", resp.StatusCode)
	}
	deliver(t, app, applicantReply(ackID, "<reponse-2@example.org>", "Voici mes références.", "CV-Camille-Durand.pdf"))
	if resp, _ := testkit.PostForm(t, contact, page+"/notes", url.Values{"note": {"@paul la voici dévoilée."}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add note: %d", resp.StatusCode)
	}
	app.Clock.Set(parisAt(monday.AddDate(0, 0, 1), 8))
	runDigestsNow(t, app)
	app.WaitIdle()
	replies := storedTo(t, app, "reply_notification", paul)
	if len(replies) != 2 || !strings.HasPrefix(replies[1].Subject, "Camille Durand a répondu") ||
		!strings.Contains(replies[1].TextBody, "Re: Candidature de Camille Durand") || !strings.Contains(replies[1].TextBody, "CV-Camille-Durand.pdf") {
		t.Errorf("once revealed, the reply's notification does not name the person, its subject and its file:\n%v", replies)
	}
	mentions := storedTo(t, app, "note_mention", paul)
	if len(mentions) != 2 || !strings.HasSuffix(mentions[1].Subject, "vous mentionne dans une note sur Camille Durand") {
		t.Errorf("once revealed, the mention does not name the person: %v", mentions)
	}
	digests := storedTo(t, app, "reviewer_digest", lea)
	if len(digests) != 2 || !strings.Contains(digests[1].TextBody, "Réponse reçue : Camille Durand") {
		t.Errorf("once revealed, the digest does not name the person:\n%v", digests)
	}
}
