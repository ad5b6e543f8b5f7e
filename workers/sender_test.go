package workers_test

import (
	"context"
	"testing"

	"vivier/internal/testkit"
	"vivier/repository"
	"vivier/workers"
)

// A pooled connection is reused without NOOP or RSET around each message;
// when the server closed it meanwhile, the next message goes out on a new
// connection at once, and exactly once.
func TestSenderRedialsAConnectionClosedWhilePooled(t *testing.T) {
	t.Parallel()
	catcher := testkit.SMTP(t)
	proxy := testkit.NewProxy(t, catcher.Addr())
	sender, err := workers.NewSender("smtp://"+proxy.Addr()+"?tls=none", "Vivier <ne-pas-repondre@vivier.example>", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Close()
	send := func(id int64) {
		t.Helper()
		e := &repository.Email{ID: id, ToAddress: "camille@example.org", Subject: "Essai", TextBody: "Bonjour"}
		if _, err := sender.Send(context.Background(), e); err != nil {
			t.Fatalf("message %d: %v", id, err)
		}
	}
	send(1)
	send(2) // the same connection
	proxy.Down()
	proxy.Up()
	send(3) // its connection is gone: dialed again
	got := catcher.Messages()
	if len(got) != 3 {
		t.Fatalf("the server received %d messages, want 3", len(got))
	}
}
