// Package signin emails sign-in links. The web request only hands the
// address over (to a worker, or to Send itself when Redis is down): the
// lookup, the limit per address and the email happen here, so asking for
// a link costs the same whether the address may sign in or not.
package signin

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"vivier/internal/config"
	"vivier/internal/emailtmpl"
	"vivier/internal/links"
	"vivier/internal/ratelimit"
	"vivier/repository"
	"vivier/workers/tasks"
)

const (
	// TTL is how long a sign-in link lasts.
	TTL = 15 * time.Minute
	// PerAddress is how many links are emailed to one address per Window;
	// past it, requests are dropped silently: asking is never refused, so
	// nobody can lock a reviewer out.
	PerAddress = 5
	Window     = time.Hour
)

// Mailer writes sign-in links to the outbox.
type Mailer struct {
	Repo    *repository.Repo
	Emails  *emailtmpl.Renderer
	Config  *config.Config
	Limiter *ratelimit.Limiter // nil: no limit per address
	// Enqueuer hands the email to the workers; nil leaves it to the
	// outbox sweep.
	Enqueuer *tasks.Enqueuer
	Log      *slog.Logger
}

// Send emails a sign-in link to email, normalised already, if it may sign
// in and has not had its links for the hour; it does nothing otherwise.
// next is the local page to return to ("" for the inbox).
func (m *Mailer) Send(ctx context.Context, email, next string) error {
	known := m.Config.IsAdmin(email)
	if !known {
		var err error
		if known, err = m.Repo.IsReviewer(ctx, email); err != nil {
			return err
		}
	}
	if !known {
		m.Log.Info("sign-in asked for an unknown address")
		return nil
	}
	if m.Limiter != nil {
		ok, err := m.Limiter.Allow(ctx, "signin:address:"+email, PerAddress, Window)
		if err != nil {
			m.Log.Warn("rate limit unavailable", "error", err)
		}
		if !ok {
			m.Log.Warn("sign-in link not sent: the address had its links for the hour", "limit", PerAddress)
			return nil
		}
	}
	token, hash, err := links.NewToken()
	if err != nil {
		return err
	}
	link := m.Config.BaseURL + "/connexion/lien/" + token
	if next != "" {
		link += "?suite=" + url.QueryEscape(next)
	}
	r, err := m.Emails.Render(emailtmpl.SignInLink, &emailtmpl.Data{Operator: m.Config.OperatorName, OperatorArticle: m.Config.OperatorNameArticle, Link: link,
		ValidMinutes: int(TTL.Minutes())})
	if err != nil {
		return err
	}
	e := &repository.Email{Kind: emailtmpl.SignInLink, ToAddress: email, Subject: r.Subject, TextBody: r.Text,
		HTMLBody: r.HTML, Token: token}
	if err := m.Repo.CreateSignInToken(ctx, hash, email, TTL, []*repository.Email{e}); err != nil {
		return fmt.Errorf("sign-in link: %w", err)
	}
	if m.Enqueuer != nil {
		if err := m.Enqueuer.Enqueue(ctx, tasks.Outgoing{ID: e.ID, Queue: tasks.QueueCritical}); err != nil {
			m.Log.Warn("enqueue sign-in link failed; the outbox sweep will retry", "error", err)
		}
	}
	return nil
}
