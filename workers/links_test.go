package workers_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"vivier/internal/links"
	"vivier/internal/testkit"
	"vivier/repository"
	"vivier/workers/tasks"
)

// queueLinkEmail writes an email carrying a private link to the outbox,
// as the web app does, enqueues it and returns it with its token.
func queueLinkEmail(t *testing.T, app *testkit.App, to string) (*repository.Email, string) {
	t.Helper()
	token, _, err := links.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	link := "http://vivier.test/candidature/" + token
	e := &repository.Email{Kind: "private_link", ToAddress: to, Subject: "Votre lien de suivi",
		TextBody: "Suivez votre candidature : " + link, HTMLBody: `<a href="` + link + `">Suivre ma candidature</a>`, Token: token}
	if err := app.Repo.InsertEmails(context.Background(), []*repository.Email{e}); err != nil {
		t.Fatal(err)
	}
	if err := app.Enqueuer.Enqueue(context.Background(), tasks.Outgoing{ID: e.ID}); err != nil {
		t.Fatal(err)
	}
	return e, token
}

// A link email refused for good keeps its link sealed; a reviewer's
// resend carries the working link, and once sent nothing is left sealed.
func TestResendOfAFailedEmailCarriesItsLink(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	var refuse atomic.Bool
	refuse.Store(true)
	app.SMTP.SetFault(func(string, []string) *smtp.SMTPError {
		if refuse.Load() {
			return &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 2, 2}, Message: "Mailbox full"}
		}
		return nil
	})
	e, token := queueLinkEmail(t, app, "camille@example.org")
	failed := waitStatus(t, app, e.ID, repository.EmailFailed, 20*time.Second)
	if len(failed.LinkSealed) == 0 || strings.Contains(failed.TextBody, token) || !strings.Contains(failed.TextBody, links.Marker) {
		t.Fatalf("failed email: sealed %d bytes, text %q", len(failed.LinkSealed), failed.TextBody)
	}

	refuse.Store(false)
	resent, err := app.Repo.ResendEmail(context.Background(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Enqueuer.Enqueue(context.Background(), tasks.Outgoing{ID: resent.ID}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, app, resent.ID, repository.EmailSent, 20*time.Second)
	msgs := app.SMTP.Messages()
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "/candidature/"+token) || !strings.Contains(msgs[0].HTML, "/candidature/"+token) {
		t.Fatalf("the resent email does not carry the link (%d messages)", len(msgs))
	}
	var sealed int
	app.DB.Get(&sealed, `SELECT count(*) FROM emails WHERE link_sealed IS NOT NULL`)
	if sealed != 0 {
		t.Errorf("%d emails keep a sealed link after the resend was sent", sealed)
	}
}

// A sealed link that does not open (LINK_KEY changed, or the value was
// tampered with) is not sent without its link: the email fails, saying
// why. A cancelled email forgets its link.
func TestUnreadableLinkFailsTheEmailAndCancelForgetsIt(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	broken, _ := queueLinkEmail(t, app, "camille@example.org")
	app.DB.MustExec(`UPDATE emails SET link_sealed = sha256(link_sealed) WHERE id = $1`, broken.ID)
	cancelled, _ := queueLinkEmail(t, app, "dominique@example.org")
	if err := app.Repo.CancelEmail(context.Background(), cancelled.ID); err != nil {
		t.Fatal(err)
	}
	if e := emailRow(t, app, cancelled.ID); len(e.LinkSealed) != 0 {
		t.Errorf("a cancelled email keeps its sealed link")
	}
	app.StartWorker()
	e := waitStatus(t, app, broken.ID, repository.EmailFailed, 20*time.Second)
	if !strings.Contains(e.LastError, "LINK_KEY") {
		t.Errorf("reason %q does not say why", e.LastError)
	}
	if n := len(app.SMTP.Messages()); n != 0 {
		t.Errorf("%d messages sent", n)
	}
}
