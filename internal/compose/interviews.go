package compose

import (
	"strings"
	"time"

	"vivier/internal/catalog"
	"vivier/internal/frfmt"
	"vivier/internal/icalendar"
	"vivier/internal/links"
	"vivier/repository"
)

// interviewText is what the interview emails say of an interview, or of
// the slots offered.
type interviewText struct {
	When, Length    string // "mardi 3 mars 2026 à 14 h 30", "45 min"
	Mode            catalog.InterviewMode
	ModeLabel       string
	Place           string // the address or the link
	Phone           string // the applicant's, for reviewers of a phone interview
	Before          string // the time an interview was moved from
	Applicant       string // the applicant's full name
	ForReviewer     bool
	ByApplicant     bool // cancelled by the applicant
	ByClose         bool // cancelled by the posting's close
	ByErasure       bool // cancelled because the application's data was erased
	Slots           []string
	Message         string // the applicant's, when no slot fits
	PageLink        string // the application's page in the inbox
	calendarSummary string
}

// SlotLabel says a slot in French: "mardi 3 mars 2026 à 14 h 30 (45 min,
// en visioconférence)".
func SlotLabel(at time.Time, minutes int, mode catalog.InterviewMode) string {
	return frfmt.Appointment(at) + " (" + frfmt.Minutes(minutes) + ", " + strings.ToLower(mode.Label()) + ")"
}

// slotLabels says each slot in French (see SlotLabel).
func slotLabels(slots []repository.InterviewSlot) []string {
	out := make([]string, len(slots))
	for i, s := range slots {
		out[i] = SlotLabel(s.StartsAt, s.Minutes, s.Mode)
	}
	return out
}

// interviewOf is what an email says of iv. For an email to reviewers, a
// is the application as they may see it (reviewerData's): during a blind
// first pass, named by its number and without a phone number.
func (c *Composer) interviewOf(p *repository.Posting, a *repository.Application, iv *repository.Interview) *interviewText {
	name, _ := applicationName(p, a)
	t := &interviewText{When: frfmt.Appointment(iv.StartsAt), Length: frfmt.Minutes(iv.Minutes), Mode: iv.Mode,
		ModeLabel: iv.Mode.Label(), Place: iv.Place, Applicant: name, PageLink: c.applicationLink(a.ID),
		ByApplicant: iv.CancelledBy == repository.ActorApplicant}
	if iv.Mode == catalog.InterviewPhone && a.Phone != "" {
		t.Phone = frfmt.Phone(a.Phone)
	}
	t.calendarSummary = "Entretien : " + p.Title
	return t
}

// InterviewSlots offers slots to an applicant, with a private link of
// their own to pick one (its hash in LinkHash, to store).
func (c *Composer) InterviewSlots(p *repository.Posting, a *repository.Application, slots []repository.InterviewSlot) (*repository.Email, error) {
	d := c.data(p, a)
	token, hash, err := links.NewToken()
	if err != nil {
		return nil, err
	}
	d.Link = c.privateLink(token)
	d.Interview = &interviewText{Slots: slotLabels(slots)}
	e, err := c.email(InterviewSlots, d, a.Email, fullName(a), p.ContactEmail)
	if err != nil {
		return nil, err
	}
	e.Token, e.LinkHash = token, hash
	return e, nil
}

// InterviewNoneFits tells the posting's contact that no slot fits an
// applicant, with their message (none without a contact). During a
// blind first pass (see reviewerData) it names the application by its
// number and has no Reply-To to the applicant; the message stays, as a
// reply's text does.
func (c *Composer) InterviewNoneFits(p *repository.Posting, a *repository.Application, message string) ([]*repository.Email, error) {
	d := c.reviewerData(p, a)
	name, _ := applicationName(p, a)
	d.Interview = &interviewText{Applicant: name, Message: message, PageLink: c.applicationLink(a.ID)}
	if p.ContactEmail == "" {
		return nil, nil
	}
	replyTo := a.Email
	if d.Blind {
		replyTo = ""
	}
	e, err := c.email(InterviewNoneFits, d, p.ContactEmail, "", replyTo)
	if err != nil {
		return nil, err
	}
	return []*repository.Email{e}, nil
}

// Interview writes an email of kind (InterviewInvitation, InterviewUpdate,
// InterviewCancelled or InterviewReminder) about iv to the applicant and
// to each reviewer attending, each carrying, but the reminder, the
// interview's iCalendar object (METHOD:REQUEST, or CANCEL for a
// cancellation). The applicant's carries a private link of their own
// (its hash in LinkHash, to store). before is the time a moved interview
// was set for (zero otherwise).
func (c *Composer) Interview(kind Kind, p *repository.Posting, a *repository.Application, iv *repository.Interview, before time.Time) ([]*repository.Email, error) {
	var out []*repository.Email
	applicant, err := c.interviewEmail(kind, p, a, iv, before, byPerson, false, "")
	if err != nil {
		return nil, err
	}
	out = append(out, applicant)
	for _, to := range iv.Attendees {
		e, err := c.interviewEmail(kind, p, a, iv, before, byPerson, true, to)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// Why an interview is cancelled, when a reviewer or the applicant did not
// cancel it themselves.
type cancelCause int

const (
	byPerson  cancelCause = iota // a reviewer or the applicant
	byClose                      // the posting's close
	byErasure                    // the erasure of the application's data
)

// interviewsReviewers writes only the reviewers' emails of kind about iv
// (a close writes the applicant's in its own email).
func (c *Composer) interviewsReviewers(kind Kind, p *repository.Posting, a *repository.Application, iv *repository.Interview, cause cancelCause) ([]*repository.Email, error) {
	var out []*repository.Email
	for _, to := range iv.Attendees {
		e, err := c.interviewEmail(kind, p, a, iv, time.Time{}, cause, true, to)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (c *Composer) interviewEmail(kind Kind, p *repository.Posting, a *repository.Application, iv *repository.Interview,
	before time.Time, cause cancelCause, reviewer bool, to string) (*repository.Email, error) {
	d := c.data(p, a)
	if reviewer {
		// To a reviewer: through the blind switch, like every email to
		// reviewers (a number, no phone, no Reply-To to the applicant).
		d = c.reviewerData(p, a)
	}
	d.Interview = c.interviewOf(p, d.Application, iv)
	d.Interview.ForReviewer, d.Interview.ByClose, d.Interview.ByErasure = reviewer, cause == byClose, cause == byErasure
	if !before.IsZero() {
		d.Interview.Before = frfmt.Appointment(before)
	}
	var token string
	var hash []byte
	if !reviewer && kind != InterviewCancelled {
		var err error
		if token, hash, err = links.NewToken(); err != nil {
			return nil, err
		}
		d.Link = c.privateLink(token)
	}
	var e *repository.Email
	var err error
	if reviewer {
		replyTo := a.Email
		if d.Blind {
			replyTo = ""
		}
		e, err = c.email(kind, d, to, "", replyTo)
	} else {
		e, err = c.email(kind, d, a.Email, fullName(a), p.ContactEmail)
	}
	if err != nil {
		return nil, err
	}
	e.Token, e.LinkHash = token, hash
	if kind != InterviewReminder {
		e.Attachments = []repository.Attachment{c.Calendar(p, a, iv, reviewer)}
	}
	if kind == InterviewReminder {
		key := repository.ReminderKey(iv, e.ToAddress)
		e.DedupeKey = &key
	}
	return e, nil
}

// Calendar is the iCalendar object of iv as an attachment: an invitation
// (METHOD:REQUEST) for a booked interview, a cancellation
// (METHOD:CANCEL) for a cancelled one. The organiser is the posting's
// contact; the attendees the applicant and the reviewers attending; it
// is stamped with the interview's last change.
func (c *Composer) Calendar(p *repository.Posting, a *repository.Application, iv *repository.Interview, reviewer bool) repository.Attachment {
	method, name := icalendar.Request, "invitation.ics"
	if iv.State == catalog.InterviewCancelled {
		method, name = icalendar.Cancel, "annulation.ics"
	}
	ev := c.CalendarEvent(p, a, iv, reviewer)
	return repository.Attachment{FileName: name, ContentType: icalendar.ContentType(method),
		Content: icalendar.Write(method, iv.UpdatedAt, ev)}
}

// CalendarEvent is iv as calendars read it (reviewer: as its reviewers
// see it, with the applicant's name; during a blind first pass, as
// applicationName decides, with the application's number instead, and
// neither the applicant's address among the attendees nor their phone).
// a must carry its status and when it was revealed.
func (c *Composer) CalendarEvent(p *repository.Posting, a *repository.Application, iv *repository.Interview, reviewer bool) icalendar.Event {
	if reviewer {
		a = c.reviewerData(p, a).Application
	}
	t := c.interviewOf(p, a, iv)
	ev := icalendar.Event{UID: iv.UID, Sequence: iv.Sequence, Start: iv.StartsAt,
		Duration: time.Duration(iv.Minutes) * time.Minute, Summary: t.calendarSummary,
		Organizer: icalendar.Person{Name: c.operator, Email: p.ContactEmail},
		Cancelled: iv.State == catalog.InterviewCancelled}
	if reviewer {
		ev.Summary = "Entretien : " + t.Applicant + " — " + p.Title
		ev.URL = t.PageLink
	}
	desc := "Entretien pour l'offre « " + p.Title + " » (" + c.operator + "). " + t.ModeLabel + "."
	switch iv.Mode {
	case catalog.InterviewVideo:
		ev.Location = iv.Place
		if !reviewer {
			ev.URL = iv.Place
		}
		desc += " Lien : " + iv.Place
	case catalog.InterviewInPerson:
		ev.Location = iv.Place
	case catalog.InterviewPhone:
		ev.Location = "Par téléphone"
		if reviewer && t.Phone != "" {
			desc += " Téléphone de la personne candidate : " + t.Phone
		}
	}
	ev.Description = desc
	if a.Email != "" {
		ev.Attendees = append(ev.Attendees, icalendar.Person{Name: fullName(a), Email: a.Email})
	}
	for _, r := range iv.Attendees {
		ev.Attendees = append(ev.Attendees, icalendar.Person{Email: r})
	}
	return ev
}

// ErasedInterview writes the cancellations of iv, cancelled because the
// data of its application a (as erased: its personal fields blank) was
// erased, to the reviewers attending only: the applicant's address is
// gone, and so is their name (the application is named by its number).
func (c *Composer) ErasedInterview(p *repository.Posting, a *repository.Application, iv *repository.Interview) ([]*repository.Email, error) {
	return c.interviewsReviewers(InterviewCancelled, p, a, iv, byErasure)
}

// CloseInterview writes, for a close, the email to an applicant whose
// interview still to come it cancels: the words of their group (w, when
// the group gets an email; nil otherwise, for the cancellation alone),
// saying the interview is cancelled, with the cancellation attached; and
// the cancellations to the reviewers attending. An error says in French
// what is wrong with w.
func (c *Composer) CloseInterview(p *repository.Posting, g catalog.CloseGroup, w *Words, a *repository.Application, iv *repository.Interview) (*repository.Email, []*repository.Email, error) {
	others, err := c.interviewsReviewers(InterviewCancelled, p, a, iv, byClose)
	if err != nil {
		return nil, nil, err
	}
	if w == nil {
		e, err := c.interviewEmail(InterviewCancelled, p, a, iv, time.Time{}, byClose, false, "")
		return e, others, err
	}
	d := c.data(p, a)
	subject, message, err := ownWords(*w, d)
	if err != nil {
		return nil, nil, err
	}
	d.Subject, d.Message = subject, message
	d.Interview = c.interviewOf(p, a, iv)
	e, err := c.email(CloseUpdate(g), d, a.Email, fullName(a), p.ContactEmail)
	if err != nil {
		return nil, nil, err
	}
	e.Attachments = []repository.Attachment{c.Calendar(p, a, iv, false)}
	return e, others, nil
}

// StatusUpdateOffering is StatusUpdate to « Entretien » when the posting's
// pool has free slots: the email also lists them, with a private link of
// its own (its hash in LinkHash, stored with the email) to pick one.
func (c *Composer) StatusUpdateOffering(p *repository.Posting, a *repository.Application, to catalog.Status, w Words, sendAfter time.Time, slots []repository.InterviewSlot) (*repository.Email, error) {
	if len(slots) == 0 {
		return c.StatusUpdate(p, a, to, w, sendAfter)
	}
	d := c.data(p, a)
	d.Status = to
	subject, message, err := ownWords(w, d)
	if err != nil {
		return nil, err
	}
	token, hash, err := links.NewToken()
	if err != nil {
		return nil, err
	}
	d.Subject, d.Message, d.Link = subject, message, c.privateLink(token)
	d.Interview = &interviewText{Slots: slotLabels(slots)}
	e, err := c.email(StatusUpdate, d, a.Email, fullName(a), p.ContactEmail)
	if err != nil {
		return nil, err
	}
	e.SendAfter, e.AboutStatus, e.Token, e.LinkHash = sendAfter, to, token, hash
	return e, nil
}
