package workers

import (
	"context"
	"log/slog"
	"time"

	"vivier/internal/compose"
	"vivier/internal/frfmt"
	"vivier/repository"
	"vivier/workers/tasks"
)

// DigestHour is when, in Paris time, the day's digests and Monday's
// reminders are due.
const DigestHour = 8

// DigestScheduler writes the reviewers' daily digests and the contacts'
// weekly reminders of applications waiting for an answer.
//
// A day's digest is due from 08:00 Paris time and reports what happened
// from where the person's previous digest stopped (or from 08:00 the day
// before) to 08:00: it is written with its record (the person, the kind,
// the day) in one transaction, so a second run that day, after a restart
// or from a second scheduler, writes nothing. With nothing to say, no
// email is written, only the record (the day is not looked at again).
// On Mondays a contact's digest lists the applications waiting more than
// compose.WaitingDays even when nothing is new; a contact told at once
// gets them in a weekly reminder instead (due from Monday 08:00, for the
// week).
type DigestScheduler struct {
	Repo     *repository.Repo
	Emails   *compose.Composer
	Enqueuer *tasks.Enqueuer // nil: the outbox sweep enqueues them
	Log      *slog.Logger
}

// DigestCounts says what one run wrote.
type DigestCounts struct {
	Digests, Reminders int
}

// dueDay is the Paris day whose digests are due at now (its 08:00 passed),
// and that 08:00; ok is false before 08:00 (the previous day's were due
// then, and are not sent late: the next digest covers their time).
func dueDay(now time.Time) (day, at time.Time, ok bool) {
	t := now.In(frfmt.Paris)
	at = time.Date(t.Year(), t.Month(), t.Day(), DigestHour, 0, 0, 0, frfmt.Paris)
	day = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return day, at, !t.Before(at)
}

// dueWeek is the Monday whose reminders are due at now, and its 08:00;
// ok is false on Monday before 08:00.
func dueWeek(now time.Time) (monday, at time.Time, ok bool) {
	t := now.In(frfmt.Paris)
	back := (int(t.Weekday()) + 6) % 7 // days since Monday
	m := t.AddDate(0, 0, -back)
	at = time.Date(m.Year(), m.Month(), m.Day(), DigestHour, 0, 0, 0, frfmt.Paris)
	monday = time.Date(m.Year(), m.Month(), m.Day(), 0, 0, 0, 0, time.UTC)
	return monday, at, !t.Before(at)
}

// RunOnce writes the digests and reminders due at the repository's clock
// and not yet written.
func (s *DigestScheduler) RunOnce(ctx context.Context) (DigestCounts, error) {
	var out DigestCounts
	now := s.Repo.Now()
	day, at, ok := dueDay(now)
	if !ok {
		return out, nil
	}
	var written []*repository.Email
	defer func() { s.enqueue(ctx, written) }()
	people, err := s.Repo.DigestRecipients(ctx, day)
	if err != nil {
		return out, err
	}
	monday, weekAt, weekDue := dueWeek(now)
	for _, person := range people {
		e, err := s.digest(ctx, person, day, at, day.Equal(monday))
		if err != nil {
			return out, err
		}
		if e != nil {
			written = append(written, e)
			out.Digests++
		}
	}
	if !weekDue {
		return out, nil
	}
	cutoff := compose.WaitingCutoff(weekAt)
	if people, err = s.Repo.ReminderRecipients(ctx, monday, cutoff); err != nil {
		return out, err
	}
	for _, person := range people {
		waiting, err := s.Repo.WaitingApplications(ctx, person, cutoff)
		if err != nil {
			return out, err
		}
		e, apps, err := s.Emails.WaitingReminder(person, weekAt, waiting)
		if err != nil {
			return out, err
		}
		rec := repository.DigestRecord{Email: person, Kind: repository.DigestWeekly, Day: monday, CoversUntil: weekAt}
		if ok, err := s.Repo.WriteDigest(ctx, rec, e, apps); err != nil {
			return out, err
		} else if ok && e != nil {
			written = append(written, e)
			out.Reminders++
		}
	}
	return out, nil
}

// enqueue hands the emails written to the queue.
func (s *DigestScheduler) enqueue(ctx context.Context, written []*repository.Email) {
	if s.Enqueuer == nil || len(written) == 0 {
		return
	}
	// The outbox holds the emails: if this fails, the sweep sends them.
	if err := s.Enqueuer.Enqueue(ctx, compose.Outgoing(written...)...); err != nil {
		s.Log.Warn("enqueue digests failed; the outbox sweep will retry", "error", err)
	}
}

// digest writes person's digest of day, covering up to at, and records
// it (even with nothing to say: it is then not looked at again that day).
// On Mondays it names the applications waiting even when nothing is new.
func (s *DigestScheduler) digest(ctx context.Context, person string, day, at time.Time, isMonday bool) (*repository.Email, error) {
	since, err := s.Repo.LastDigestEnd(ctx, person, repository.DigestDaily)
	if err != nil {
		return nil, err
	}
	// From the previous digest, or the day before; never more than a week
	// back (a digest resumed after a long pause tells of the last week).
	if since.IsZero() {
		since = at.AddDate(0, 0, -1)
	}
	if floor := at.AddDate(0, 0, -7); since.Before(floor) {
		since = floor
	}
	events, err := s.Repo.DigestEvents(ctx, person, since, at)
	if err != nil {
		return nil, err
	}
	var e *repository.Email
	var apps []int64
	if len(events) > 0 || isMonday {
		waiting, err := s.Repo.WaitingApplications(ctx, person, compose.WaitingCutoff(at))
		if err != nil {
			return nil, err
		}
		if e, apps, err = s.Emails.Digest(person, day, at, events, waiting); err != nil {
			return nil, err
		}
	}
	rec := repository.DigestRecord{Email: person, Kind: repository.DigestDaily, Day: day, CoversUntil: at}
	ok, err := s.Repo.WriteDigest(ctx, rec, e, apps)
	if err != nil || !ok || e == nil {
		return nil, err
	}
	return e, nil
}

// Run writes the digests and reminders due every interval until ctx ends.
func (s *DigestScheduler) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if c, err := s.RunOnce(ctx); err != nil {
			s.Log.Warn("digests failed; will try again", "error", err)
		} else if c != (DigestCounts{}) {
			s.Log.Info("digests run", "digests", c.Digests, "reminders", c.Reminders)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
