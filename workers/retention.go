package workers

import (
	"context"
	"log/slog"
	"time"

	"vivier/internal/config"
	"vivier/internal/emailtmpl"
	"vivier/internal/frfmt"
	"vivier/repository"
	"vivier/workers/tasks"
)

// RetentionBatch is how many applications one transaction erases or
// tells: a huge posting does not hold a long transaction.
const RetentionBatch = 500

// RetentionScheduler erases the CV and personal fields of applications
// whose posting closed more than RETENTION_MONTHS ago, keeping the
// anonymous rows (counts by status survive), and a month before tells
// each applicant still holding data and the posting's contact. A posting
// reopened and closed again starts the clock again from its latest close.
//
// Every step is idempotent: erasure only takes applications not erased
// yet, and each notice has a unique key per posting and retention cycle,
// so two schedulers or a rerun never write one twice.
type RetentionScheduler struct {
	Repo     *repository.Repo
	Emails   *emailtmpl.Renderer
	Config   *config.Config
	Enqueuer *tasks.Enqueuer // nil: the outbox sweep enqueues the notices
	Log      *slog.Logger
}

// RetentionCounts says what one run did.
type RetentionCounts struct {
	// Notified counts the notices written to applicants, ContactsNotified
	// those to contacts.
	Notified, ContactsNotified int
	// Erased counts the applications erased, in ErasedPostings postings.
	Erased, ErasedPostings int
}

// RunOnce erases what is due now, on the repository's clock, and writes
// the notices due.
func (s *RetentionScheduler) RunOnce(ctx context.Context) (RetentionCounts, error) {
	var out RetentionCounts
	now := s.Repo.Now()
	months := s.Config.RetentionMonths
	due, err := s.Repo.PostingsToErase(ctx, now, months)
	if err != nil {
		return out, err
	}
	for _, p := range due {
		total := 0
		for {
			n, err := s.Repo.EraseForRetention(ctx, p.ID, RetentionBatch)
			if err != nil {
				return out, err
			}
			if n == 0 {
				break
			}
			total += n
		}
		if total > 0 {
			out.Erased += total
			out.ErasedPostings++
			s.Log.Info("retention: applications erased", "posting_id", p.ID, "count", total, "closed_at", p.LastClose)
		}
	}

	toTell, err := s.Repo.PostingsToNotify(ctx, now, months)
	if err != nil {
		return out, err
	}
	for i := range toTell {
		p := &toTell[i]
		notice, err := s.notice(p)
		if err != nil {
			return out, err
		}
		var written []tasks.Outgoing
		for {
			b, err := s.Repo.WriteRetentionNotices(ctx, p, notice, RetentionBatch)
			if err != nil {
				return out, err
			}
			for _, id := range b.Written {
				written = append(written, tasks.Outgoing{ID: id})
			}
			if b.Contact != 0 {
				written = append(written, tasks.Outgoing{ID: b.Contact})
				out.ContactsNotified++
			}
			out.Notified += len(b.Written)
			if b.Examined == 0 {
				break
			}
		}
		if s.Enqueuer != nil && len(written) > 0 {
			// The outbox holds the emails: if this fails, the sweep sends them.
			if err := s.Enqueuer.Enqueue(ctx, written...); err != nil {
				s.Log.Warn("enqueue retention notices failed; the outbox sweep will retry", "error", err, "posting_id", p.ID)
			}
		}
		if len(written) > 0 {
			s.Log.Info("retention: notices written", "posting_id", p.ID, "count", len(written), "erase_at", p.EraseAt)
		}
	}
	return out, nil
}

// placeholderApplicant stands for every applicant of a posting: the
// database fills in each one's names and private link.
var placeholderApplicant = &repository.Application{FirstName: repository.PlaceholderFirstName, LastName: repository.PlaceholderLastName}

// notice renders a posting's notices, once for all its applicants.
func (s *RetentionScheduler) notice(p *repository.RetentionPosting) (repository.RetentionNotice, error) {
	d := &emailtmpl.Data{Operator: s.Config.OperatorName, OperatorArticle: s.Config.OperatorNameArticle, Posting: &p.Posting, Application: placeholderApplicant,
		Contact: p.ContactEmail, Link: s.Config.BaseURL + "/candidature/" + repository.PlaceholderToken,
		RetentionMonths: s.Config.RetentionMonths, DataContact: dataContact(s.Config, &p.Posting),
		ClosedAt: p.LastClose, EraseAt: p.EraseAt, Count: p.Holding}
	r, err := s.Emails.Render(emailtmpl.RetentionNotice, d)
	if err != nil {
		return repository.RetentionNotice{}, err
	}
	n := repository.RetentionNotice{Subject: r.Subject, Text: r.Text, HTML: r.HTML, ReplyTo: p.ContactEmail, EraseAt: d.EraseAt}
	if p.ContactEmail != "" {
		d.Application = nil
		c, err := s.Emails.Render(emailtmpl.RetentionNoticeContact, d)
		if err != nil {
			return n, err
		}
		n.Contact = &repository.Email{Kind: emailtmpl.RetentionNoticeContact, ToAddress: p.ContactEmail,
			Subject: c.Subject, TextBody: c.Text, HTMLBody: c.HTML}
	}
	return n, nil
}

// dataContact is where applicants send requests about their data: the
// posting's contact, else the first admin (as the web app says).
func dataContact(cfg *config.Config, p *repository.Posting) string {
	if p != nil && p.ContactEmail != "" {
		return p.ContactEmail
	}
	if len(cfg.AdminEmails) > 0 {
		return cfg.AdminEmails[0]
	}
	return "l'équipe " + frfmt.De(cfg.OperatorNameArticle)
}

// Run erases and notifies every interval until ctx ends.
func (s *RetentionScheduler) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if c, err := s.RunOnce(ctx); err != nil {
			s.Log.Warn("retention run failed; will try again", "error", err)
		} else if c != (RetentionCounts{}) {
			s.Log.Info("retention run", "notified", c.Notified, "contacts_notified", c.ContactsNotified,
				"erased", c.Erased, "erased_postings", c.ErasedPostings)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
