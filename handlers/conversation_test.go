package handlers_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"vivier/internal/mailcatcher"
	"vivier/internal/testkit"
	"vivier/repository"
)

// The inbox of replies used by the conversation tests.
const inboundAddress = "recrutement@vivier.test"

// conversationApp runs the product with a real Dovecot as the mailbox of
// replies, read by the worker.
func conversationApp(t *testing.T) (*testkit.App, *testkit.Dovecot) {
	t.Helper()
	dov := testkit.NewDovecot(t)
	app := testkit.NewApp(t, testkit.Options{Env: map[string]string{
		"INBOUND_IMAP_URL": dov.URL(), "INBOUND_ADDRESS": inboundAddress, "INBOUND_POLL": "1s"}})
	return app, dov
}

// caught waits for the message whose subject starts with prefix sent to
// address.
func caught(t *testing.T, app *testkit.App, address, prefix string) *mailcatcher.Message {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range app.SMTP.Messages() {
			if len(m.To) == 1 && strings.EqualFold(m.To[0], address) && strings.HasPrefix(m.HeaderText("Subject"), prefix) {
				return m
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no email %q… reached %s", prefix, address)
	return nil
}

// waitInbound waits until n messages of kind are stored for an
// application (0: any application).
func waitInbound(t *testing.T, app *testkit.App, kind string, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var got int
		app.DB.Get(&got, `SELECT count(*) FROM inbound_messages WHERE kind = $1`, kind)
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 20s for %d %s message(s), got %d", n, kind, got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// reply is a reply as a mail client writes it: the reviewer's text
// quoted below the applicant's, with a PDF attached.
func reply(to, inReplyTo, subject, text string) []byte {
	pdf := base64.StdEncoding.EncodeToString(testkit.PDF(2000))
	return []byte(fmt.Sprintf(`From: Camille Durand <camille.durand@example.org>
To: %s
Subject: Re: %s
Date: Mon, 30 Nov 2026 10:00:00 +0100
Message-ID: <reponse-1@example.org>
In-Reply-To: %s
References: %s
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

%s

Le lun. 30 nov. 2026 à 09:00, Vivier <ne-pas-repondre@vivier.test> a écrit :
> Bonjour Camille,
> Nous aimerions en parler avec vous lors d'un entretien.
--b1
Content-Type: application/pdf; name="disponibilites.pdf"
Content-Disposition: attachment; filename="disponibilites.pdf"
Content-Transfer-Encoding: base64

%s
--b1--
`, to, subject, inReplyTo, inReplyTo, text, pdf))
}

// postfixDSN is a delivery status notification as Postfix writes it for
// a message it could not deliver.
func postfixDSN(messageID, recipient string) []byte {
	return []byte(fmt.Sprintf(`Return-Path: <>
From: MAILER-DAEMON@mx.vivier.test (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: %[3]s
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="A1B2C3.1700000000/mx.vivier.test"
Message-Id: <20261130100500.A1B2C3@mx.vivier.test>
Date: Mon, 30 Nov 2026 10:05:00 +0100 (CET)

This is a MIME-encapsulated message.

--A1B2C3.1700000000/mx.vivier.test
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.vivier.test.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

<%[2]s>: host mx.example.org[192.0.2.1] said: 550 5.1.1 <%[2]s>:
    Recipient address rejected: User unknown in virtual mailbox table (in
    reply to RCPT TO command)

--A1B2C3.1700000000/mx.vivier.test
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.vivier.test
X-Postfix-Queue-ID: A1B2C3
X-Postfix-Sender: rfc822; %[3]s
Arrival-Date: Mon, 30 Nov 2026 10:04:58 +0100 (CET)

Final-Recipient: rfc822; %[2]s
Original-Recipient: rfc822;%[2]s
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.org
Diagnostic-Code: smtp; 550 5.1.1 <%[2]s>: Recipient address rejected: User
    unknown in virtual mailbox table

--A1B2C3.1700000000/mx.vivier.test
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: Vivier <ne-pas-repondre@vivier.test>
To: <%[2]s>
Subject: Candidature bien reçue
Message-ID: %[1]s

--A1B2C3.1700000000/mx.vivier.test--
`, messageID, recipient, inboundAddress))
}

// outOfOffice is an automatic answer to one of our emails.
func outOfOffice(to, inReplyTo string) []byte {
	return []byte(fmt.Sprintf(`From: Camille Durand <camille.durand@example.org>
To: %s
Subject: Absence du bureau
Message-ID: <absence-1@example.org>
In-Reply-To: %s
Auto-Submitted: auto-replied
X-Autoreply: yes
Precedence: auto_reply
Content-Type: text/plain; charset=utf-8

Je suis absente jusqu'au 7 décembre.
`, to, inReplyTo))
}

var routingRe = regexp.MustCompile(`^recrutement\+([0-9]+)\.[a-z2-7]{26}@vivier\.test$`)

// A reviewer writes from the application page; the applicant answers from
// their mail client into a real Dovecot; the answer appears on the
// application within seconds and the reviewers are told; a bounce of the
// acknowledgement shows as such, with a resend to a corrected address;
// an out-of-office is kept as such and tells nobody; the same reply
// delivered twice is stored once. Nothing is deleted from the mailbox.
func TestConversationThroughDovecot(t *testing.T) {
	t.Parallel()
	app, dov := conversationApp(t)
	p := app.OpenPosting(time.Time{})
	a, _ := applyThroughTheForm(t, app, p)
	app.WaitIdle()
	ack := caught(t, app, a.Email, "")
	reviewer := app.Client()
	app.SignIn(reviewer, p.ContactEmail)
	page := fmt.Sprintf("%s/boite/candidatures/%d", app.URL, a.ID)

	// The reviewer writes, from the interview wording.
	_, body := testkit.Get(t, reviewer, page)
	if !strings.Contains(body, "Écrire un message") || !strings.Contains(body, "Proposition d&#39;entretien") {
		t.Fatalf("the application page offers no way to write:\n%s", body)
	}
	resp, body := testkit.Get(t, reviewer, page+"/message?modele=message_interview")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "entretien") {
		t.Fatalf("message form: %d\n%s", resp.StatusCode, body)
	}
	resp, _ = testkit.PostForm(t, reviewer, page+"/message", url.Values{"modele": {"message_interview"},
		"objet": {"Proposition d'entretien : {{.Offre}}"}, "message": {"Nous aimerions en parler avec vous lors d'un entretien."}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("send message: %d", resp.StatusCode)
	}
	app.WaitIdle()
	sent := caught(t, app, a.Email, "Proposition d'entretien")
	if got := sent.Header.Get("Auto-Submitted"); got != "" {
		t.Errorf("a reviewer's message says Auto-Submitted: %s", got)
	}
	// Threaded under the acknowledgement, and routed back to Vivier.
	ackID := ack.Header.Get("Message-Id")
	if !strings.HasPrefix(ackID, "<vivier.email.") || sent.Header.Get("In-Reply-To") != ackID || !strings.Contains(sent.Header.Get("References"), ackID) {
		t.Errorf("threading: Message-ID %q, In-Reply-To %q, References %q, acknowledgement %q",
			sent.Header.Get("Message-Id"), sent.Header.Get("In-Reply-To"), sent.Header.Get("References"), ackID)
	}
	replyTo := sent.Header.Get("Reply-To")
	m := routingRe.FindStringSubmatch(strings.Trim(replyTo, "<>"))
	if m == nil || m[1] != fmt.Sprint(a.ID) || ack.Header.Get("Reply-To") != replyTo {
		t.Fatalf("Reply-To %q (acknowledgement's %q), want the application's routing address", replyTo, ack.Header.Get("Reply-To"))
	}
	var stored string
	app.DB.Get(&stored, `SELECT message_id FROM emails WHERE kind = 'message'`)
	if stored != sent.Header.Get("Message-Id") {
		t.Errorf("stored Message-ID %q, sent %q", stored, sent.Header.Get("Message-Id"))
	}

	// The applicant answers from their mail client.
	raw := reply(replyTo, sent.Header.Get("Message-Id"), sent.HeaderText("Subject"), "Mardi à 14 h me convient très bien.")
	dov.Deliver(raw)
	waitInbound(t, app, repository.InboundReply, 1)
	dov.WaitCount("Vivier/traités", 1)
	dov.WaitCount("INBOX", 0)
	_, body = testkit.Get(t, reviewer, page)
	for _, want := range []string{"Mardi à 14 h me convient très bien.", "disponibilites.pdf", "Réponse reçue"} {
		if !strings.Contains(body, want) {
			t.Errorf("the application page lacks %q", want)
		}
	}
	if strings.Contains(body, "Nous aimerions en parler avec vous lors d&#39;un entretien.</p>\n  {{") || strings.Contains(body, "&gt; Bonjour Camille") {
		t.Errorf("the quoted history is shown with the reply")
	}
	app.WaitIdle()
	told := caught(t, app, p.ContactEmail, "Camille Durand a répondu")
	if !strings.Contains(told.Text, "Mardi à 14 h me convient très bien.") || !strings.Contains(told.Text, fmt.Sprintf("/boite/candidatures/%d", a.ID)) {
		t.Errorf("the reviewer's notification:\n%s", told.Text)
	}
	// The attachment downloads for the reviewer.
	var attachment int64
	app.DB.Get(&attachment, `SELECT id FROM inbound_attachments`)
	resp, got := testkit.Get(t, reviewer, fmt.Sprintf("%s/boite/pieces-jointes/%d", app.URL, attachment))
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(got, "%PDF") {
		t.Errorf("attachment: %d", resp.StatusCode)
	}

	// The reviewer answers that reply: In-Reply-To is the applicant's.
	var replyID int64
	app.DB.Get(&replyID, `SELECT id FROM inbound_messages WHERE kind = 'reply'`)
	resp, body = testkit.Get(t, reviewer, fmt.Sprintf("%s/message?reponse=%d", page, replyID))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Mardi à 14 h") {
		t.Fatalf("answer form: %d", resp.StatusCode)
	}
	testkit.PostForm(t, reviewer, page+"/message", url.Values{"reponse": {fmt.Sprint(replyID)},
		"objet": {"Re: entretien"}, "message": {"C'est noté pour mardi."}})
	app.WaitIdle()
	answer := caught(t, app, a.Email, "Re: entretien")
	if answer.Header.Get("In-Reply-To") != "<reponse-1@example.org>" || !strings.Contains(answer.Header.Get("References"), ackID) {
		t.Errorf("answer threading: In-Reply-To %q, References %q", answer.Header.Get("In-Reply-To"), answer.Header.Get("References"))
	}

	// The same reply delivered twice is stored once.
	dov.Deliver(raw)
	dov.WaitCount("Vivier/traités", 2)
	waitInbound(t, app, repository.InboundReply, 1)

	// An out-of-office: kept as such, nobody told.
	dov.Deliver(outOfOffice(replyTo, answer.Header.Get("Message-Id")))
	waitInbound(t, app, repository.InboundAutoReply, 1)
	app.WaitIdle()
	var notifications int
	app.DB.Get(&notifications, `SELECT count(*) FROM emails WHERE kind = 'reply_notification'`)
	if notifications != 1 {
		t.Errorf("%d reply notifications, want 1 (an automatic reply tells nobody)", notifications)
	}
	_, body = testkit.Get(t, reviewer, page)
	if !strings.Contains(body, "réponse automatique") || !strings.Contains(body, "Je suis absente jusqu&#39;au 7 décembre.") {
		t.Errorf("the out-of-office is not shown as such")
	}

	// A bounce of the acknowledgement, as Postfix writes it.
	dov.Deliver(postfixDSN(ackID, a.Email))
	waitInbound(t, app, repository.InboundBounce, 1)
	dov.WaitCount("Vivier/traités", 4)
	_, body = testkit.Get(t, reviewer, page)
	if !strings.Contains(body, "non remis") || !strings.Contains(body, "5.1.1") || !strings.Contains(body, `id="non-remis"`) {
		t.Errorf("the bounce does not show on the application")
	}
	_, list := testkit.Get(t, reviewer, fmt.Sprintf("%s/boite/offres/%d", app.URL, p.ID))
	if !strings.Contains(list, "email non remis") {
		t.Errorf("the bounce does not show in the list")
	}
	// Resent to a corrected address, with a new private link.
	var ackRow int64
	app.DB.Get(&ackRow, `SELECT id FROM emails WHERE kind = 'acknowledgement'`)
	resp, body = testkit.PostForm(t, reviewer, fmt.Sprintf("%s/boite/emails/%d/correction", app.URL, ackRow), url.Values{"adresse": {"pas une adresse"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "n&#39;est pas une adresse email valable") || !strings.Contains(body, `value="pas une adresse"`) {
		t.Errorf("a bad corrected address: %d", resp.StatusCode)
	}
	resp, _ = testkit.PostForm(t, reviewer, fmt.Sprintf("%s/boite/emails/%d/correction", app.URL, ackRow), url.Values{"adresse": {"camille.durand@example.net"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("correct the address: %d", resp.StatusCode)
	}
	app.WaitIdle()
	again := caught(t, app, "camille.durand@example.net", ack.HeaderText("Subject"))
	if !strings.Contains(again.Text, "/candidature/") || strings.Contains(again.Text, "[lien personnel retiré]") {
		t.Errorf("the resent acknowledgement carries no working private link:\n%s", again.Text)
	}
	// Nothing was deleted from the mailbox.
	if n := dov.Count("Vivier/traités") + dov.Count("INBOX") + dov.Count("Vivier/non-rattachés"); n != 4 {
		t.Errorf("%d messages in the mailbox, want the 4 delivered", n)
	}
}

// The applicant's right-of-access download holds what they wrote back
// (text, subject, date, and each attachment's name, type, size, SHA-256
// and content), and says of each email whether it bounced, and why.
func TestPersonalDataHoldsRepliesAndBounces(t *testing.T) {
	t.Parallel()
	app, dov := conversationApp(t)
	p := app.OpenPosting(time.Time{})
	a, private := applyThroughTheForm(t, app, p)
	app.WaitIdle()
	ack := caught(t, app, a.Email, "")
	ackID := ack.Header.Get("Message-Id")
	dov.Deliver(reply(ack.Header.Get("Reply-To"), ackID, ack.HeaderText("Subject"), "Voici mes disponibilités."))
	waitInbound(t, app, repository.InboundReply, 1)
	dov.Deliver(postfixDSN(ackID, a.Email))
	waitInbound(t, app, repository.InboundBounce, 1)

	doc := personalDataOf(t, app.Client(), app.URL+private+"/donnees.json")
	replies, _ := doc["reponses_recues"].([]any)
	if len(replies) != 1 {
		t.Fatalf("reponses_recues = %v, want the one reply", doc["reponses_recues"])
	}
	r := replies[0].(map[string]any)
	if r["texte"] != "Voici mes disponibilités." || r["objet"] != "Re: "+ack.HeaderText("Subject") ||
		r["expediteur"] != "camille.durand@example.org" || r["reponse_automatique"] != false {
		t.Errorf("the reply: %v", r)
	}
	if at, _ := r["envoyee_le"].(string); !strings.HasPrefix(at, "2026-11-30T10:00:00+01:00") {
		t.Errorf("the reply's date: %v", r["envoyee_le"])
	}
	if at, _ := r["recue_le"].(string); at == "" {
		t.Errorf("the reply's reception date is missing")
	}
	files, _ := r["pieces_jointes"].([]any)
	if len(files) != 1 {
		t.Fatalf("pieces_jointes = %v", r["pieces_jointes"])
	}
	f := files[0].(map[string]any)
	pdf := testkit.PDF(2000)
	sum := sha256.Sum256(pdf)
	content, err := base64.StdEncoding.DecodeString(f["contenu_base64"].(string))
	if err != nil || !bytes.Equal(content, pdf) || f["nom_du_fichier"] != "disponibilites.pdf" || f["type"] != "application/pdf" ||
		f["taille_octets"] != float64(len(pdf)) || f["sha256"] != hex.EncodeToString(sum[:]) {
		t.Errorf("the attachment: %v %v %v %v (content %d bytes, %v)", f["nom_du_fichier"], f["type"], f["taille_octets"], f["sha256"], len(content), err)
	}
	emails, _ := doc["emails"].([]any)
	var seen bool
	for _, e := range emails {
		e := e.(map[string]any)
		if e["type"] != "acknowledgement" {
			if e["non_remis"] != false || e["motif_de_non_remise"] != "" {
				t.Errorf("email %v (%v) says it bounced", e["id"], e["type"])
			}
			continue
		}
		seen = true
		if reason, _ := e["motif_de_non_remise"].(string); e["non_remis"] != true || !strings.Contains(reason, "5.1.1") || e["non_remis_le"] == nil {
			t.Errorf("the bounced acknowledgement: non_remis %v, le %v, motif %q", e["non_remis"], e["non_remis_le"], reason)
		}
	}
	if !seen {
		t.Errorf("the acknowledgement is not among the emails")
	}
}
