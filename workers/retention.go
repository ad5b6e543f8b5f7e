package workers

import (
	"context"
	"log/slog"
	"time"

	"vivier/internal/compose"
	"vivier/internal/config"
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
	Emails   *compose.Composer
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
			// An interview still to come is cancelled, and its reviewers told.
			var cancellations []*repository.Email
			cancel := func(a *repository.Application, iv *repository.Interview) ([]*repository.Email, error) {
				es, err := s.Emails.ErasedInterview(&p.Posting, a, iv)
				cancellations = append(cancellations, es...)
				return es, err
			}
			n, err := s.Repo.EraseForRetention(ctx, p.ID, RetentionBatch, cancel)
			if err != nil {
				return out, err
			}
			if s.Enqueuer != nil && len(cancellations) > 0 {
				// The outbox holds the emails: if this fails, the sweep sends them.
				if err := s.Enqueuer.Enqueue(ctx, compose.Outgoing(cancellations...)...); err != nil {
					s.Log.Warn("enqueue interview cancellations failed; the outbox sweep will retry", "error", err, "posting_id", p.ID)
				}
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
		notice, err := s.Emails.RetentionNotice(p)
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
				written = append(written, tasks.Outgoing{ID: id, Queue: compose.RetentionNotice.Queue()})
			}
			if b.Contact != 0 {
				written = append(written, tasks.Outgoing{ID: b.Contact, Queue: compose.RetentionNoticeContact.Queue()})
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
