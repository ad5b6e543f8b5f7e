package handlers_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vivier/internal/inbound"
	"vivier/internal/testkit"
	"vivier/repository"
)

// In Chromium, as in development mode: a reviewer opens an application,
// « Écrire », picks a wording; a bad submission names each field at
// fault in French with what was typed kept; the message goes. In
// /dev/mail, « Répondre en tant que candidat·e » answers it through the
// processing of replies read over IMAP, and the answer shows under
// « Réponses reçues ». A bounce of the acknowledgement (a DSN handed to
// the same processing) shows its warning, and the corrected-address form
// refuses a bad address next to the field and resends to a good one. An
// admin opens the messages matched to no application. Every page passes
// axe-core.
func TestConversationInABrowser(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{DevMail: true, AdminEmails: "admin@anct.gouv.fr"})
	p := app.OpenPosting(time.Time{})
	a, _ := applyThroughTheForm(t, app, p)
	app.WaitIdle()
	ack := caught(t, app, a.Email, "")
	ctx := testkit.Browser(t)
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		testkit.CheckAccessibility(t, ctx, name)
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	value := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Value(sel))
		if err != nil {
			t.Fatalf("value of %s: %v", sel, err)
		}
		return s
	}
	page := app.URL + "/boite/candidatures/" + strconv.FormatInt(a.ID, 10)

	// The reviewer writes from the interview wording.
	link := app.SignInLink(app.Client(), p.ContactEmail)
	step("signed in", chromedp.Navigate(app.URL+link), testkit.WaitVisible(`main button[type=submit]`),
		chromedp.Click(`main button[type=submit]`), testkit.WaitVisible(`main a[href^="/boite/offres/"]`))
	step("the application", chromedp.Navigate(page), testkit.WaitVisible(`#conversation`))
	if got := text(`#conversation + p`); got != "Aucune réponse." {
		t.Errorf("before any reply, « Réponses reçues » says %q", got)
	}
	if got := text(`label[for=modele] .fr-hint-text`); !strings.Contains(got, "répondez à sa place depuis /dev/mail") {
		t.Errorf("in development, the page says of the applicant's answer: %q", got)
	}
	step("the message form", chromedp.SetValue(`#modele`, "message_interview"),
		chromedp.Click(`form[action$="/message"] button[type=submit]`), testkit.WaitVisible(`#objet`))
	if got := value(`#message`); !strings.Contains(got, "entretien") {
		t.Errorf("the interview wording is not in the form: %q", got)
	}

	// No subject: the page says so next to it, and keeps the message.
	typed := "Nous aimerions vous rencontrer pour un entretien : mardi à 14 h vous conviendrait-il ?"
	step("no subject", chromedp.Clear(`#objet`), chromedp.SetValue(`#message`, typed),
		chromedp.Click(`form[method=post][action$="/message"] button[type=submit]`), testkit.WaitVisible(`#objet-erreur`))
	if got := text(`#objet-erreur`); got != "Indiquez l'objet de l'email." {
		t.Errorf("next to the subject: %q", got)
	}
	if got := value(`#message`); got != typed {
		t.Errorf("the message typed became %q", got)
	}
	// A variable that does not exist: named next to the message, the
	// subject kept.
	step("an unknown variable", chromedp.SetValue(`#objet`, "Entretien pour {{.Offre}}"),
		chromedp.SetValue(`#message`, typed+" {{.Poste}}"),
		chromedp.Click(`form[method=post][action$="/message"] button[type=submit]`), testkit.WaitVisible(`#message-erreur`))
	if got := text(`#message-erreur`); !strings.Contains(got, "Message") || !strings.Contains(got, "Poste") {
		t.Errorf("next to the message: %q", got)
	}
	if got := value(`#objet`); got != "Entretien pour {{.Offre}}" {
		t.Errorf("the subject typed became %q", got)
	}
	step("sent", chromedp.SetValue(`#message`, typed), chromedp.Click(`form[method=post][action$="/message"] button[type=submit]`),
		testkit.WaitVisible(`.fr-alert--success`))
	if got := text(`.fr-alert--success`); got != "Message envoyé à Camille Durand." {
		t.Errorf("after sending: %q", got)
	}
	settle(t, app)
	sent := caught(t, app, a.Email, "Entretien pour "+p.Title)

	// The applicant answers it from /dev/mail.
	step("the caught mail", chromedp.Navigate(app.URL+"/dev/mail"), testkit.WaitVisible(`table`))
	step("the message caught", chromedp.Click(`a[href="/dev/mail/`+strconv.Itoa(sent.ID)+`"]`), testkit.WaitVisible(`#texte`))
	step("an empty reply", chromedp.Click(`form[action$="/reponse"] button[type=submit]`), testkit.WaitVisible(`#texte-erreur`))
	if got := text(`#texte-erreur`); got != "Écrivez la réponse." {
		t.Errorf("an empty reply: %q", got)
	}
	step("replied", chromedp.SetValue(`#texte`, "Mardi à 14 h me convient très bien."),
		chromedp.Click(`form[action$="/reponse"] button[type=submit]`), testkit.WaitVisible(`.fr-alert--success`))
	if got := text(`.fr-alert--success`); !strings.HasPrefix(got, "Réponse reçue") {
		t.Errorf("after replying, /dev/mail says %q", got)
	}
	step("the reply on the application", chromedp.Click(`.fr-alert--success a`), testkit.WaitVisible(`#conversation`))
	if got := text(`#conversation + div`); !strings.Contains(got, "Mardi à 14 h me convient très bien.") || strings.Contains(got, "> Nous aimerions") {
		t.Errorf("under « Réponses reçues »: %q", got)
	}
	settle(t, app)
	if told := caught(t, app, p.ContactEmail, "Camille Durand a répondu"); !strings.Contains(told.Text, "Mardi à 14 h") {
		t.Errorf("the reviewer's notification:\n%s", told.Text)
	}

	// The acknowledgement bounces.
	process := func(raw []byte, name string) inbound.Outcome {
		t.Helper()
		got, err := app.Handler.Inbound.Process(t.Context(), bytes.NewReader(raw), name)
		if err != nil {
			t.Fatalf("process %s: %v", name, err)
		}
		return got
	}
	if got := process(postfixDSN(ack.Header.Get("Message-Id"), a.Email), "test:bounce"); got != inbound.Stored {
		t.Fatalf("the bounce: %v", got)
	}
	step("the bounce shown", chromedp.Navigate(page), testkit.WaitVisible(`#non-remis`))
	var ackRow int64
	app.DB.Get(&ackRow, `SELECT id FROM emails WHERE kind = 'acknowledgement'`)
	field := "#adresse-" + strconv.FormatInt(ackRow, 10)
	if got := text(`#email-` + strconv.FormatInt(ackRow, 10)); !strings.Contains(got, "5.1.1") {
		t.Errorf("the bounced email does not say why: %q", got)
	}
	step("a bad corrected address", chromedp.SetValue(field, "camille.durand@"), chromedp.Submit(field),
		testkit.WaitVisible(field+"-erreur"))
	if got := text(field + "-erreur"); !strings.Contains(got, "n'est pas une adresse email valable") {
		t.Errorf("next to the corrected address: %q", got)
	}
	if got := value(field); got != "camille.durand@" {
		t.Errorf("the address typed became %q", got)
	}
	step("the address corrected", chromedp.SetValue(field, "camille.durand@example.net"), chromedp.Submit(field),
		testkit.WaitVisible(`.fr-alert--success`))
	if got := text(`.fr-alert--success`); got != "Adresse corrigée : l'email va être renvoyé à camille.durand@example.net." {
		t.Errorf("after the correction: %q", got)
	}
	settle(t, app)
	caught(t, app, "camille.durand@example.net", ack.HeaderText("Subject"))

	// A message for no application, listed for admins.
	stray := "From: Dominique <dominique@example.com>\r\nTo: " + p.ContactEmail + "\r\nSubject: Une question sur vos offres\r\n" +
		"Message-ID: <question-1@example.com>\r\nDate: Mon, 30 Nov 2026 11:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Bonjour, recrutez-vous des développeuses ?\r\n"
	if got := process([]byte(stray), "test:stray"); got != inbound.Unmatched {
		t.Fatalf("the stray message: %v", got)
	}
	admin := app.SignInLink(app.Client(), "admin@anct.gouv.fr")
	step("the admin signed in", chromedp.Navigate(app.URL+admin), testkit.WaitVisible(`main button[type=submit]`),
		chromedp.Click(`main button[type=submit]`), testkit.WaitVisible(`main a[href^="/boite/offres/"]`))
	step("the unmatched messages", chromedp.Navigate(app.URL+"/admin/non-rattaches"), testkit.WaitVisible(`#non-rattaches`))
	if got := text(`#non-rattaches tbody`); !strings.Contains(got, "Une question sur vos offres") || !strings.Contains(got, "dominique@example.com") ||
		!strings.Contains(got, "recrutez-vous des développeuses") {
		t.Errorf("the unmatched messages: %q", got)
	}
	var replies int
	app.DB.Get(&replies, `SELECT count(*) FROM inbound_messages WHERE kind = $1`, repository.InboundReply)
	if replies != 1 {
		t.Errorf("%d replies stored, want 1", replies)
	}
}
