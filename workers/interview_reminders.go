package workers

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"vivier/internal/compose"
	"vivier/repository"
	"vivier/workers/tasks"
)

// ReminderLead is how long before an interview its reminder goes out.
const ReminderLead = 24 * time.Hour

// InterviewReminders writes, 24 hours before each booked interview, a
// reminder to the applicant and to each reviewer attending, through the
// outbox. An interview cancelled meanwhile gets none; one moved gets one
// for its new time only (the move cancels the reminder not yet sent and
// clears the mark); each is written once, even by two schedulers: the
// mark is set in the reminders' own transaction, on the interview as it
// was read.
type InterviewReminders struct {
	Repo     *repository.Repo
	Emails   *compose.Composer
	Enqueuer *tasks.Enqueuer // nil: the outbox sweep enqueues them
	Log      *slog.Logger
}

// RunOnce writes the reminders due now, on the repository's clock, and
// returns how many interviews it reminded.
func (s *InterviewReminders) RunOnce(ctx context.Context) (int, error) {
	due, err := s.Repo.DueReminders(ctx, ReminderLead)
	if err != nil {
		return 0, err
	}
	n := 0
	for i := range due {
		iv := &due[i]
		a, err := s.Repo.ApplicationByID(ctx, iv.ApplicationID)
		if err != nil {
			return n, err
		}
		p, err := s.Repo.PostingByID(ctx, iv.PostingID)
		if err != nil {
			return n, err
		}
		emails, err := s.Emails.Interview(compose.InterviewReminder, p, a, iv, time.Time{})
		if err != nil {
			return n, err
		}
		switch err := s.Repo.WriteReminders(ctx, iv, emails); {
		case errors.Is(err, repository.ErrConflict):
			continue // moved, cancelled or reminded meanwhile
		case err != nil:
			return n, err
		}
		n++
		if s.Enqueuer != nil {
			if err := s.Enqueuer.Enqueue(ctx, compose.Outgoing(emails...)...); err != nil {
				s.Log.Warn("enqueue reminders failed; the outbox sweep will retry", "error", err)
			}
		}
	}
	return n, nil
}

// Run writes due reminders every interval until ctx ends.
func (s *InterviewReminders) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.RunOnce(ctx); err != nil {
			s.Log.Warn("interview reminders failed; will try again", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
