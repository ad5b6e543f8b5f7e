package handlers_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"vivier/internal/testkit"
	"vivier/repository"
)

// mime writes a message with one text part and, when name is set, an
// attachment of data.
func mimeMessage(headers, text, name, contentType string, data []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%sMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"zz\"\n\n--zz\nContent-Type: text/plain; charset=utf-8\n\n%s\n", headers, text)
	if name != "" {
		fmt.Fprintf(&b, "--zz\nContent-Type: %s; name=\"%s\"\nContent-Disposition: attachment; filename=\"%s\"\nContent-Transfer-Encoding: base64\n\n", contentType, name, name)
		enc := base64.StdEncoding.EncodeToString(data)
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\n")
	}
	b.WriteString("--zz--\n")
	return b.Bytes()
}

// Every kind of bad message is filed, none stores half of itself, and the
// reader goes on with the next one.
func TestInboundBadInput(t *testing.T) {
	t.Parallel()
	app, dov := conversationApp(t)
	p := app.OpenPosting(time.Time{})
	a, _ := applyThroughTheForm(t, app, p)
	app.WaitIdle()
	ack := caught(t, app, a.Email, "")
	ackID, routing := ack.Header.Get("Message-Id"), strings.Trim(ack.Header.Get("Reply-To"), "<>")
	from := "From: Camille Durand <camille.durand@example.org>\n"
	forged := fmt.Sprintf("recrutement+%d.aaaaaaaaaaaaaaaaaaaaaaaaaa@vivier.test", a.ID)
	exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00"), bytes.Repeat([]byte{0}, 2000)...)

	cases := []struct {
		name string
		raw  []byte
		// want: the folder it ends in, and the reply text stored on the
		// application ("" when it is not on the application).
		folder, text, notes string
	}{
		{"no match", []byte(from + "To: " + inboundAddress + "\nSubject: Bonjour\nMessage-ID: <m1@example.org>\n\nUne question sur vos offres.\n"),
			"Vivier/non-rattachés", "", ""},
		{"forged token", []byte(from + "To: " + forged + "\nSubject: Re: candidature\nMessage-ID: <m2@example.org>\n\nJe tente ma chance.\n"),
			"Vivier/non-rattachés", "", ""},
		{"30 MB attachment", mimeMessage(from+"To: "+routing+"\nSubject: Mon portfolio\nMessage-ID: <m3@example.org>\n", "Voici mon portfolio.", "portfolio.pdf", "application/pdf", testkit.PDF(30<<20)),
			"Vivier/traités", "Voici mon portfolio.", "portfolio.pdf : refusée, plus de 10 Mo"},
		{"executable attachment", mimeMessage(from+"To: "+routing+"\nSubject: Mon CV\nMessage-ID: <m4@example.org>\n", "Mon CV en pièce jointe.", "cv.pdf.exe", "application/octet-stream", exe),
			"Vivier/traités", "Mon CV en pièce jointe.", "cv.pdf.exe : refusée, ni PDF, ni DOC, ni DOCX, ni ODT"},
		{"unknown charset", []byte(from + "To: " + routing + "\nSubject: Re: =?x-inconnu?q?Candidature?=\nMessage-ID: <m5@example.org>\nContent-Type: text/plain; charset=x-inconnu\n\nDisponible en janvier.\n"),
			"Vivier/traités", "Disponible en janvier.", "jeu de caractères inconnu"},
		{"broken MIME", []byte(from + "To: " + routing + "\nSubject: Re: candidature\nMessage-ID: <m6@example.org>\nContent-Type: multipart/mixed; boundary=\"nulle-part\"\n\n--nulle-part\nContent-Type: text/plain\n\nDébut d'un message coupé\n"),
			"Vivier/traités", "Début d'un message coupé", ""},
		{"HTML only", []byte(from + "To: " + routing + "\nSubject: Re: candidature\nMessage-ID: <m7@example.org>\nIn-Reply-To: " + ackID + "\nContent-Type: text/html; charset=utf-8\n\n<html><head><style>p{color:red}</style><script>alert(1)</script></head><body><p>Merci <b>beaucoup</b> &amp; à bientôt&nbsp;!</p><p><img src=x onerror=alert(2)>Camille</p><div class=\"gmail_quote\">Le lundi, Vivier a écrit : citation</div></body></html>\n"),
			"Vivier/traités", "Merci beaucoup & à bientôt\u00a0!\n\nCamille", ""},
	}
	for _, c := range cases {
		dov.Deliver(c.raw)
	}
	dov.WaitCount("INBOX", 0)
	dov.WaitCount("Vivier/non-rattachés", 2)
	dov.WaitCount("Vivier/traités", 5)
	var stored []repository.InboundMessage
	if err := app.DB.Select(&stored, `SELECT id, message_key, kind, application_id, posting_id, email_id, matched_by, from_address,
		from_name, subject, body, notes, sent_at, created_at FROM inbound_messages ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	byKey := map[string]repository.InboundMessage{}
	for _, m := range stored {
		byKey[m.MessageKey] = m
	}
	for i, c := range cases {
		m, ok := byKey[fmt.Sprintf("<m%d@example.org>", i+1)]
		if !ok {
			t.Errorf("%s: not stored at all", c.name)
			continue
		}
		if c.folder == "Vivier/non-rattachés" {
			if m.Kind != repository.InboundUnmatched || m.ApplicationID != nil {
				t.Errorf("%s: stored as %s for application %v, want unmatched", c.name, m.Kind, m.ApplicationID)
			}
			continue
		}
		if m.Kind != repository.InboundReply || m.ApplicationID == nil || *m.ApplicationID != a.ID {
			t.Errorf("%s: stored as %s for application %v", c.name, m.Kind, m.ApplicationID)
		}
		if m.Body != c.text {
			t.Errorf("%s: text %q, want %q", c.name, m.Body, c.text)
		}
		if !strings.Contains(m.Notes, c.notes) {
			t.Errorf("%s: notes %q, want %q", c.name, m.Notes, c.notes)
		}
	}
	var attachments int
	app.DB.Get(&attachments, `SELECT count(*) FROM inbound_attachments`)
	if attachments != 0 {
		t.Errorf("%d attachments kept, want none (too big, executable)", attachments)
	}
	// The HTML reply is shown as text: nothing of its markup runs.
	reviewer := app.Client()
	app.SignIn(reviewer, p.ContactEmail)
	_, body := testkit.Get(t, reviewer, fmt.Sprintf("%s/boite/candidatures/%d", app.URL, a.ID))
	if strings.Contains(body, "alert(") || strings.Contains(body, "<b>beaucoup") || !strings.Contains(body, "Merci beaucoup &amp; à bientôt") {
		t.Errorf("the HTML-only reply is not shown as safe text")
	}
	// A reply for an erased application is dropped, not stored.
	app.DB.MustExec(`UPDATE applications SET erased_at = now() WHERE id = $1`, a.ID)
	dov.Deliver([]byte(from + "To: " + routing + "\nSubject: Re: candidature\nMessage-ID: <m8@example.org>\n\nJe reviens vers vous.\n"))
	dov.WaitCount("Vivier/traités", 6)
	var n int
	app.DB.Get(&n, `SELECT count(*) FROM inbound_messages WHERE message_key = '<m8@example.org>'`)
	if n != 0 {
		t.Errorf("a reply for an erased application was stored")
	}
}

// Admins list the messages matched to no application.
func TestUnmatchedMessagesForAdmins(t *testing.T) {
	t.Parallel()
	dov := testkit.NewDovecot(t)
	app := testkit.NewApp(t, testkit.Options{AdminEmails: "admin@anct.gouv.fr", Env: map[string]string{
		"INBOUND_IMAP_URL": dov.URL(), "INBOUND_ADDRESS": inboundAddress, "INBOUND_POLL": "1s"}})
	p := app.OpenPosting(time.Time{})
	dov.Deliver([]byte("From: Dominique <dominique@example.org>\nTo: " + inboundAddress + "\nSubject: Une offre pour moi ?\nMessage-ID: <u1@example.org>\n\nBonjour, avez-vous des missions ?\n"))
	dov.WaitCount("Vivier/non-rattachés", 1)
	admin, reviewer := app.Client(), app.Client()
	app.SignIn(admin, "admin@anct.gouv.fr")
	app.SignIn(reviewer, p.ContactEmail)
	resp, body := testkit.Get(t, admin, app.URL+"/admin/non-rattaches")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Une offre pour moi ?") || !strings.Contains(body, "dominique@example.org") ||
		!strings.Contains(body, "avez-vous des missions") {
		t.Errorf("unmatched list: %d", resp.StatusCode)
	}
	if resp, _ := testkit.Get(t, reviewer, app.URL+"/admin/non-rattaches"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a reviewer who is not an admin: %d, want 404", resp.StatusCode)
	}
}

// A mailbox that cannot be reached for a while is retried with backoff,
// reported in /readyz and the metrics, and nothing in it is lost.
func TestUnreachableMailboxIsRetried(t *testing.T) {
	t.Parallel()
	dov := testkit.NewDovecot(t)
	dov.Deliver([]byte("From: Dominique <dominique@example.org>\nTo: " + inboundAddress + "\nSubject: Arrivé pendant la panne\nMessage-ID: <panne@example.org>\n\nBonjour.\n"))
	dov.Stop()
	app := testkit.NewApp(t, testkit.Options{Env: map[string]string{
		"INBOUND_IMAP_URL": dov.URL(), "INBOUND_ADDRESS": inboundAddress, "INBOUND_POLL": "1s", "METRICS_TOKEN": "un-jeton-de-metriques-de-test"}})
	readyz := func() string {
		_, body := testkit.Get(t, app.Client(), app.URL+"/readyz")
		return body
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(readyz(), `"mailbox":"unreachable"`) {
		if time.Now().After(deadline) {
			t.Fatalf("/readyz never said the mailbox is unreachable: %s", readyz())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if m := scrape(t, app, "un-jeton-de-metriques-de-test"); !strings.Contains(m, "vivier_inbound_mailbox_up 0") {
		t.Errorf("metrics do not say the mailbox is down")
	}
	dov.Start()
	dov.WaitCount("Vivier/non-rattachés", 1)
	waitInbound(t, app, repository.InboundUnmatched, 1)
	for deadline = time.Now().Add(20 * time.Second); !strings.Contains(readyz(), `"mailbox":"ok"`); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("/readyz never said the mailbox is back: %s", readyz())
		}
	}
	if m := scrape(t, app, "un-jeton-de-metriques-de-test"); !strings.Contains(m, "vivier_inbound_mailbox_up 1") || !strings.Contains(m, `vivier_inbound_messages_total{outcome="unmatched"} 1`) {
		t.Errorf("metrics after the mailbox came back")
	}
}
