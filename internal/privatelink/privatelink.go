// Package privatelink emails applicants who lost their private link a new
// one for each of their live applications (/lien-perdu). As for sign-in
// links, the web request only hands the address over (to a worker, or to
// Send itself when Redis is down): the lookup, the limit per address and
// the emails happen here, so asking costs the same whether the address
// applied or not, and the page tells nobody who applied.
package privatelink

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"vivier/internal/compose"
	"vivier/internal/links"
	"vivier/internal/ratelimit"
	"vivier/repository"
	"vivier/workers/tasks"
)

const (
	// PerAddress is how many times an address gets its links per Window;
	// past it, requests are dropped silently.
	PerAddress = 3
	Window     = time.Hour
)

// Mailer writes new private links to the outbox.
type Mailer struct {
	Repo    *repository.Repo
	Emails  *compose.Composer
	Limiter *ratelimit.Limiter // nil: no limit per address
	// Enqueuer hands the emails to the workers; nil leaves them to the
	// outbox sweep.
	Enqueuer *tasks.Enqueuer
	Log      *slog.Logger
}

// Send emails a new private link for each live application of email,
// normalised already; every link each had before stops working. It does
// nothing for an address without any, or past its limit.
func (m *Mailer) Send(ctx context.Context, email string) error {
	log := m.Log
	if id := tasks.RequestID(ctx); id != "" {
		log = log.With("request_id", id)
	}
	apps, err := m.Repo.ApplicationsByAddress(ctx, email)
	if err != nil {
		return err
	}
	if len(apps) == 0 {
		log.Info("private links asked for an address without application")
		return nil
	}
	if m.Limiter != nil {
		ok, err := m.Limiter.Allow(ctx, "lostlink:address:"+email, PerAddress, Window)
		if err != nil {
			log.Warn("rate limit unavailable", "error", err)
		}
		if !ok {
			log.Warn("private links not sent: the address had them for the hour", "limit", PerAddress)
			return nil
		}
	}
	newLinks := make([]repository.NewLink, 0, len(apps))
	var emails []*repository.Email
	for i := range apps {
		a := &apps[i]
		p, err := m.Repo.PostingByID(ctx, a.PostingID)
		if err != nil {
			return err
		}
		token, hash, err := links.NewToken()
		if err != nil {
			return err
		}
		e, err := m.Emails.LostLink(p, a, token)
		if err != nil {
			return fmt.Errorf("private link of application %d: %w", a.ID, err)
		}
		newLinks = append(newLinks, repository.NewLink{ApplicationID: a.ID, Hash: hash, Emails: []*repository.Email{e}})
		emails = append(emails, e)
	}
	if _, err := m.Repo.ReplaceAccessTokensOf(ctx, newLinks); err != nil {
		return err
	}
	if m.Enqueuer != nil {
		if err := m.Enqueuer.Enqueue(ctx, compose.Outgoing(emails...)...); err != nil {
			log.Warn("enqueue private links failed; the outbox sweep will retry", "error", err)
		}
	}
	return nil
}
