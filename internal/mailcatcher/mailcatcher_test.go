package mailcatcher_test

import (
	"net/smtp"
	"testing"
	"time"

	"vivier/internal/mailcatcher"
)

// With a Keep, the messages it chooses are kept whole and the others by
// their envelope and header only, still counted in order.
func TestKeepChoosesTheMessagesKeptWhole(t *testing.T) {
	c, err := mailcatcher.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetKeep(func(_ string, to []string) bool { return to[0] == "admin@example.org" })
	send := func(to, id string) {
		t.Helper()
		msg := "Message-ID: <" + id + ">\r\nSubject: Essai\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour " + to + "\r\n"
		if err := smtp.SendMail(c.Addr(), nil, "vivier@example.org", []string{to}, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	send("camille@example.org", "vivier.email.1@example.org")
	send("admin@example.org", "vivier.email.2@example.org")
	msgs := c.WaitFor(2, 10*time.Second)
	if len(msgs) != 2 {
		t.Fatalf("%d messages caught, want 2", len(msgs))
	}
	light, whole := msgs[0], msgs[1]
	if light.Header.Get("Message-Id") != "<vivier.email.1@example.org>" || light.Raw != nil || light.Text != "" || light.Received.IsZero() {
		t.Errorf("message not kept whole: header %v, %d bytes, text %q", light.Header, len(light.Raw), light.Text)
	}
	if whole.Header.Get("Message-Id") != "<vivier.email.2@example.org>" || whole.Text != "Bonjour admin@example.org\r\n" || whole.Subject != "Essai" {
		t.Errorf("message kept whole: header %v, subject %q, text %q", whole.Header, whole.Subject, whole.Text)
	}
}
