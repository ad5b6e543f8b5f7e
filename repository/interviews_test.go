package repository_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"vivier/internal/catalog"
	"vivier/repository"
)

// Many applicants pick the one slot of a posting's pool at the same
// moment, each in a transaction of their own against the real
// PostgreSQL: the unique index on booked slots lets exactly one win; the
// others get ErrSlotTaken, and nothing of theirs is written (no
// interview, no history line, no email).
func TestManyPickersRaceForOneSlot(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	const pickers = 24
	var apps []*repository.Application
	for i := range pickers {
		a := e.apply(p, "Personne", fmt.Sprint(i))
		e.setStatus(a, catalog.StatusInterview)
		apps = append(apps, a)
	}
	slots := []*repository.InterviewSlot{{StartsAt: time.Now().Add(72 * time.Hour), Minutes: 45, Mode: catalog.InterviewPhone,
		Attendees: []string{p.ContactEmail}}}
	if err := e.Repo.ProposeSlots(context.Background(), p.ID, nil, slots, p.ContactEmail, nil); err != nil {
		t.Fatal(err)
	}
	slotID := slots[0].ID

	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, pickers)
	for i, a := range apps {
		wg.Go(func() {
			<-start
			_, errs[i] = e.Repo.PickSlot(context.Background(), a.ID, slotID, fmt.Sprintf("uid-%d@test", i),
				func(iv *repository.Interview) ([]*repository.Email, error) {
					return []*repository.Email{email("interview_invitation", a, "Invitation")}, nil
				})
		})
	}
	close(start)
	wg.Wait()
	won, taken := 0, 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case errors.Is(err, repository.ErrSlotTaken):
			taken++
		default:
			t.Errorf("picker %d: %v", i, err)
		}
	}
	if won != 1 || taken != pickers-1 {
		t.Fatalf("%d won and %d were told the slot is taken, want 1 and %d", won, taken, pickers-1)
	}
	if n := e.count(`SELECT count(*) FROM interviews WHERE slot_id = $1`, slotID); n != 1 {
		t.Errorf("%d interviews on the slot, want 1", n)
	}
	if n := e.count(`SELECT count(*) FROM emails WHERE kind = 'interview_invitation'`); n != 1 {
		t.Errorf("%d invitations written, want 1 (the losers' transactions left nothing)", n)
	}
	if n := e.count(`SELECT count(*) FROM application_events WHERE kind = $1`, repository.EventInterviewBooked); n != 1 {
		t.Errorf("%d history lines of a booking, want 1", n)
	}
}

// A cancelled interview frees its slot; a cancelled or moved interview
// is reminded at most once, for the time it has, and never once
// cancelled.
func TestRemindersFollowTheInterview(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	now := time.Date(2026, 3, 25, 10, 0, 0, 0, time.UTC)
	e.Repo.Now = func() time.Time { return now }
	p := e.openPosting()
	a := e.apply(p, "Camille", "Durand")
	b := e.apply(p, "Léa", "Martin")
	ctx := context.Background()
	slots := []*repository.InterviewSlot{{StartsAt: now.Add(48 * time.Hour), Minutes: 60, Mode: catalog.InterviewPhone}}
	if err := e.Repo.ProposeSlots(ctx, p.ID, &a.ID, slots, p.ContactEmail, nil); err != nil {
		t.Fatal(err)
	}
	// b may not pick a slot offered to a alone.
	if _, err := e.Repo.PickSlot(ctx, b.ID, slots[0].ID, "uid-b@test", nil); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("a slot of another application: %v, want ErrNotFound", err)
	}
	iv, err := e.Repo.PickSlot(ctx, a.ID, slots[0].ID, "uid-a@test", nil)
	if err != nil {
		t.Fatal(err)
	}
	due := func() []repository.Interview {
		ivs, err := e.Repo.DueReminders(ctx, 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return ivs
	}
	if len(due()) != 0 {
		t.Fatal("a reminder is due two days before")
	}
	now = now.Add(25 * time.Hour)
	ivs := due()
	if len(ivs) != 1 || ivs[0].ID != iv.ID {
		t.Fatalf("due: %v", ivs)
	}
	if err := e.Repo.WriteReminders(ctx, &ivs[0], []*repository.Email{email("interview_reminder", a, "Rappel")}); err != nil {
		t.Fatal(err)
	}
	if err := e.Repo.WriteReminders(ctx, &ivs[0], []*repository.Email{email("interview_reminder", a, "Rappel")}); !errors.Is(err, repository.ErrConflict) {
		t.Errorf("a second reminder: %v, want ErrConflict", err)
	}
	if len(due()) != 0 {
		t.Error("still due once reminded")
	}
	// Moved to two days later: reminded again, for the new time, when due.
	moved, err := e.Repo.MoveInterview(ctx, a.ID, repository.InterviewChange{StartsAt: now.Add(72 * time.Hour), Minutes: 30,
		Mode: catalog.InterviewPhone}, p.ContactEmail, nil)
	if err != nil || moved.Sequence != 1 {
		t.Fatalf("move: %v, sequence %d", err, moved.Sequence)
	}
	if len(due()) != 0 {
		t.Error("a reminder due three days before the new time")
	}
	now = now.Add(49 * time.Hour)
	if len(due()) != 1 {
		t.Error("no reminder due for the new time")
	}
	// Cancelled: never reminded; its slot is free again.
	cancelled, err := e.Repo.CancelInterview(ctx, a.ID, repository.ActorApplicant, nil)
	if err != nil || cancelled.Sequence != 2 || cancelled.State != catalog.InterviewCancelled {
		t.Fatalf("cancel: %v, %+v", err, cancelled)
	}
	if len(due()) != 0 {
		t.Error("a cancelled interview is due a reminder")
	}
	if err := e.Repo.WriteReminders(ctx, moved, nil); !errors.Is(err, repository.ErrConflict) {
		t.Errorf("reminding a cancelled interview: %v, want ErrConflict", err)
	}
	if _, err := e.Repo.CancelInterview(ctx, a.ID, repository.ActorApplicant, nil); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("cancelling twice: %v, want ErrNotFound", err)
	}
}

// An email's attachments are stored with it, read back when it is
// claimed, and go with the copy a reviewer resends after a failure.
func TestAttachmentsTravelWithTheirEmail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	a := e.apply(p, "Camille", "Durand")
	m := email("interview_invitation", a, "Invitation")
	m.Attachments = []repository.Attachment{{FileName: "invitation.ics", ContentType: "text/calendar; method=REQUEST", Content: []byte("BEGIN:VCALENDAR")}}
	e.insertEmails(m)
	claimed, err := e.Repo.ClaimEmail(context.Background(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(claimed.Attachments) != 1 || claimed.Attachments[0].FileName != "invitation.ics" || string(claimed.Attachments[0].Content) != "BEGIN:VCALENDAR" {
		t.Fatalf("claimed with %+v", claimed.Attachments)
	}
	if err := e.Repo.MarkEmailFailed(context.Background(), claimed, "550"); err != nil {
		t.Fatal(err)
	}
	resent, err := e.Repo.ResendEmail(context.Background(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	as, err := e.Repo.AttachmentsOf(context.Background(), resent.ID)
	if err != nil || len(as) != 1 || as[0].ContentType != "text/calendar; method=REQUEST" {
		t.Errorf("the resent copy carries %+v (%v)", as, err)
	}
}
