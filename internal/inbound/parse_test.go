package inbound

import (
	"strings"
	"testing"
)

// A reply keeps the applicant's own words, whatever client quoted ours.
func TestStripQuoted(t *testing.T) {
	cases := map[string]string{
		"Thunderbird":                     "Oui, mardi.\n\nLe 30/11/2026 à 09:00, Vivier a écrit :\n> Bonjour Camille,\n> Êtes-vous disponible ?",
		"Gmail, attribution on two lines": "Oui, mardi.\n\nLe lun. 30 nov. 2026 à 09:00, Vivier <ne-pas-repondre@vivier.test> a\nécrit :\n> Bonjour",
		"English client":                  "Oui, mardi.\n\nOn Mon, Nov 30, 2026 at 9:00 AM Vivier wrote:\n> Hello",
		"Outlook":                         "Oui, mardi.\n\nDe : Vivier <ne-pas-repondre@vivier.test>\nEnvoyé : lundi 30 novembre 2026 09:00\nObjet : Entretien",
		"separator":                       "Oui, mardi.\n-----Original Message-----\nFrom: Vivier",
		"quoted lines in between":         "> Êtes-vous disponible ?\nOui, mardi.\n> Et le tarif ?",
	}
	for name, in := range cases {
		want := "Oui, mardi."
		if name == "quoted lines in between" {
			want = "Oui, mardi."
		}
		if got := StripQuoted(in); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if got := StripQuoted("Le projet me plaît.\nLe tarif aussi."); got != "Le projet me plaît.\nLe tarif aussi." {
		t.Errorf("a line starting with « Le » was taken for an attribution: %q", got)
	}
}

// A delivery status notification names the message that did not arrive
// and why; a delay is not a bounce.
func TestParseDSN(t *testing.T) {
	dsn := func(action string) string {
		return "From: MAILER-DAEMON@mx.example\nTo: recrutement@vivier.test\nSubject: Undelivered\nMIME-Version: 1.0\n" +
			"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nSorry.\n" +
			"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\nFinal-Recipient: rfc822; camille@example.org\n" +
			"Action: " + action + "\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\n\n" +
			"--b\nContent-Type: message/rfc822\n\nFrom: Vivier <ne-pas-repondre@vivier.test>\nMessage-ID: <vivier.email.7@vivier.test>\nSubject: x\n\nbody\n--b--\n"
	}
	p, err := Parse(strings.NewReader(dsn("failed")), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if p.Bounce == nil || p.Bounce.MessageID != "<vivier.email.7@vivier.test>" || p.Bounce.Recipient != "camille@example.org" ||
		p.Bounce.Reason != "5.1.1 550 5.1.1 User unknown" {
		t.Errorf("bounce: %+v", p.Bounce)
	}
	if p, _ := Parse(strings.NewReader(dsn("delayed")), 1<<20); p.Bounce != nil {
		t.Errorf("a delay was taken for a bounce: %+v", p.Bounce)
	}
}
