package handlers_test

import (
	"encoding/base64"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"vivier/internal/catalog"
	"vivier/internal/testkit"
)

// signedReply is Camille Durand's answer to one of our emails: its
// subject names them, and it carries a PDF (kept) and a picture
// (refused), both named after them.
func signedReply(inReplyTo, text string) []byte {
	pdf := base64.StdEncoding.EncodeToString(testkit.PDF(2000))
	png := base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\n not a CV at all"))
	return []byte(fmt.Sprintf(`From: Camille Durand <camille.durand@example.org>
To: %s
Subject: Re: Candidature de Camille Durand
Date: Mon, 30 Nov 2026 10:00:00 +0100
Message-ID: <reponse-signee@example.org>
In-Reply-To: %s
References: %s
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

%s
--b1
Content-Type: application/pdf; name="CV-Camille-Durand.pdf"
Content-Disposition: attachment; filename="CV-Camille-Durand.pdf"
Content-Transfer-Encoding: base64

%s
--b1
Content-Type: image/png; name="Photo-Camille-Durand.png"
Content-Disposition: attachment; filename="Photo-Camille-Durand.png"
Content-Transfer-Encoding: base64

%s
--b1--
`, inboundAddress, inReplyTo, inReplyTo, text, pdf, png))
}

var objetRe = regexp.MustCompile(`id="objet" name="objet" value="([^"]*)"`)

// During a blind first pass, the application's page shows what came back
// from the applicant as the emails to reviewers tell of it: the text,
// from « la personne candidate », without its subject, its files counted
// but not named (kept or refused); the form answering it names nobody
// and starts from the wording's subject, not "Re:" and the reply's. The
// emails to the applicant, a message written from the page included,
// and the mail server's answers about them show neither their subject
// nor any address, the address they had before a correction included.
// Once revealed, everything shows again.
func TestRepliesOnTheApplicationPageDuringABlindPass(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	ctx := t.Context()
	app.Clock.Set(parisAt(time.Now(), 9))
	p := app.OpenPosting(time.Time{})
	a, _ := applyThroughTheForm(t, app, p)
	app.WaitIdle()
	aid := strconv.FormatInt(a.ID, 10)
	page := app.URL + "/boite/candidatures/" + aid
	number := "Candidature n° " + aid
	contact := app.Client()
	app.SignIn(contact, p.ContactEmail)

	// The acknowledgement bounces; the contact corrects the address,
	// before the posting is reviewed blind.
	var ackID int64
	var ackMessageID string
	app.DB.QueryRow(`SELECT id, message_id FROM emails WHERE kind = 'acknowledgement'`).Scan(&ackID, &ackMessageID)
	deliver(t, app, postfixDSN(ackMessageID, "camille.durand@example.org"))
	if resp, _ := testkit.PostForm(t, contact, app.URL+"/boite/emails/"+strconv.FormatInt(ackID, 10)+"/correction",
		url.Values{"adresse": {"camille.durand@exemple.fr"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("correct the address: %d", resp.StatusCode)
	}
	testkit.Get(t, contact, page)
	settle(t, app)
	if err := app.Repo.SetBlindUntil(ctx, p.ID, catalog.StatusShortlisted, "admin@anct.gouv.fr"); err != nil {
		t.Fatal(err)
	}
	identity := append([]string{"camille.durand@exemple.fr", "CV-Camille-Durand.pdf", "Photo-Camille-Durand.png",
		"Candidature de", "&lt;&gt;", "<>"}, blindIdentity...)

	// The applicant replies.
	app.Clock.Advance(time.Hour)
	deliver(t, app, signedReply(ackMessageID, "Je suis disponible dès lundi."))
	var replyID string
	app.DB.Get(&replyID, `SELECT id::text FROM inbound_messages WHERE kind = 'reply'`)
	_, body := testkit.Get(t, contact, page)
	hidesFrom(t, identity, "the application page", body, number)
	text := html.UnescapeString(body)
	for _, want := range []string{"De la personne candidate, reçue le", "Je suis disponible dès lundi.",
		"1 pièce jointe gardée, à voir une fois la candidature dévoilée.", "Des parties du message n'ont pas pu être gardées.",
		"Écrire à la personne candidate",
		// The bounce: its address is corrected once revealed, not here.
		"son adresse, masquée pendant la relecture à l'aveugle, pourra être corrigée dans « Emails envoyés » une fois la candidature dévoilée, à l'étape « Présélectionnée »"} {
		if !strings.Contains(text, want) {
			t.Errorf("the application page lacks %q", want)
		}
	}
	if strings.Contains(body, "/correction") {
		t.Errorf("the application page offers to correct an address it hides")
	}

	// Answering it: the form names nobody, and its subject is the
	// wording's.
	_, form := testkit.Get(t, contact, page+"/message?reponse="+replyID)
	hidesFrom(t, identity, "the form answering the reply", form, "Je suis disponible dès lundi.")
	subject := objetRe.FindStringSubmatch(form)
	if subject == nil || html.UnescapeString(subject[1]) != "Votre candidature : {{.Offre}}" {
		t.Errorf("the answer's subject starts as %q, want the wording's", subject)
	}
	resp, _ := testkit.PostForm(t, contact, page+"/message", url.Values{"reponse": {replyID},
		"objet": {"Votre candidature, {{.Prenom}}"}, "message": {"Pouvez-vous préciser vos disponibilités ?"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("send the message: %d", resp.StatusCode)
	}
	settle(t, app)
	var sent struct {
		To      string `db:"to_address"`
		Subject string `db:"subject"`
		Text    string `db:"text_body"`
	}
	app.DB.Get(&sent, `SELECT to_address, subject, text_body FROM emails WHERE kind = 'message'`)
	if sent.To != "camille.durand@exemple.fr" || sent.Subject != "Votre candidature, Camille" || !strings.Contains(sent.Text, "Bonjour Camille") {
		t.Errorf("the message to the applicant is not as written to them: %+v", sent)
	}
	_, body = testkit.Get(t, contact, page) // with the message after sending
	hidesFrom(t, identity, "the application page after the message", body, "Message envoyé à la personne candidate")
	if n := strings.Count(html.UnescapeString(body), "— à la personne candidate"); n != 3 {
		t.Errorf("%d emails listed to « la personne candidate », want the acknowledgement, its resending and the message", n)
	}

	// Shortlisted: revealed.
	if resp, _ := testkit.PostForm(t, contact, page+"/statut", url.Values{"vers": {string(catalog.StatusShortlisted)}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("shortlist: %d", resp.StatusCode)
	}
	_, body = testkit.Get(t, contact, page)
	text = html.UnescapeString(body)
	for _, want := range []string{"De Camille Durand <camille.durand@example.org>", "Re: Candidature de Camille Durand", "CV-Camille-Durand.pdf",
		"Photo-Camille-Durand.png", "Votre candidature, Camille", "à camille.durand@exemple.fr", "Écrire à Camille"} {
		if !strings.Contains(text, want) {
			t.Errorf("once revealed, the application page lacks %q", want)
		}
	}
	_, form = testkit.Get(t, contact, page+"/message?reponse="+replyID)
	if subject := objetRe.FindStringSubmatch(form); subject == nil || html.UnescapeString(subject[1]) != "Re: Candidature de Camille Durand" {
		t.Errorf("once revealed, the answer's subject starts as %q", subject)
	}
}
