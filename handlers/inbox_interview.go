package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"vivier/internal/catalog"
	"vivier/internal/compose"
	"vivier/internal/frfmt"
	"vivier/repository"
)

// An application's interview, as its reviewers see it: the slots
// proposed, the interview booked (to move or cancel), the applicant's
// messages when none fits, and the form that proposes slots.

type interviewView struct {
	When, Length, Mode, Place string
	Attendees                 []string
	// The move form: the interview's values, or what was typed.
	Date, Time, Minutes, ModeValue string
}

type slotView struct {
	ID    int64
	Label string
	Place string
	Taken bool
	Past  bool
	Pool  bool
}

type declineView struct {
	At, Message string
}

type inboxInterviewData struct {
	inboxPage
	Posting postingView
	// Application is the copy fit for reviewers (see
	// repository.ForReviewers), Shown its name.
	Application *repository.Application
	Shown       repository.Shown
	// Blind says, during a blind first pass, why no slot may be proposed
	// yet ("" otherwise).
	Blind      string
	Interview  *interviewView
	Slots      []slotView
	Declines   []declineView
	Form       slotForm
	MoveErrors map[string]string
	Flash      string
	Modes      []modeOption
}

func (h *Handler) inboxInterview(c *gin.Context) {
	a, p, ok := h.reviewedApplication(c)
	if !ok {
		return
	}
	reviewers, err := h.Repo.Reviewers(c.Request.Context(), p.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.renderInboxInterview(c, http.StatusOK, a, p, emptySlotForm(reviewers, viewerOf(c).Email), nil)
}

func (h *Handler) renderInboxInterview(c *gin.Context, status int, a *repository.Application, p *repository.Posting, form slotForm, move map[string]string) {
	ctx := c.Request.Context()
	form.HasPhone = a.Phone != ""
	form.Action = interviewLink(a.ID) + "/creneaux"
	shown := repository.ShownOf(p, a)
	seen, _ := repository.ForReviewers(p, a)
	d := inboxInterviewData{inboxPage: h.inboxPage(c, "Entretien — "+shown.Name), Posting: viewOf(p),
		Application: seen, Shown: shown, Form: form, MoveErrors: move, Modes: modeOptions()}
	if shown.Hidden {
		d.Blind = blindInterviewRefusal(p)
	}
	if a.ErasedAt != nil {
		h.notFound(c)
		return
	}
	slots, err := h.Repo.SlotsOfApplication(ctx, a)
	if err != nil {
		h.fail(c, err)
		return
	}
	now := h.Now()
	for _, s := range slots {
		d.Slots = append(d.Slots, slotView{ID: s.ID, Label: compose.SlotLabel(s.StartsAt, s.Minutes, s.Mode), Place: s.Place,
			Taken: s.Taken, Past: !s.StartsAt.After(now), Pool: s.ApplicationID == nil})
	}
	iv, err := h.Repo.BookedInterview(ctx, a.ID)
	switch {
	case errors.Is(err, repository.ErrNotFound):
	case err != nil:
		h.fail(c, err)
		return
	default:
		d.Interview = viewOfInterview(iv)
		if len(move) > 0 {
			d.Interview.Date, d.Interview.Time = c.PostForm(fieldSlotDate), c.PostForm(fieldSlotTime)
			d.Interview.Minutes, d.Interview.ModeValue = c.PostForm(fieldSlotMinutes), c.PostForm(fieldSlotMode)
			d.Interview.Place = c.PostForm(fieldSlotPlace)
		}
	}
	declines, err := h.Repo.DeclinesOf(ctx, a.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	for _, dc := range declines {
		d.Declines = append(d.Declines, declineView{At: frfmt.DateTime(dc.CreatedAt), Message: dc.Message})
	}
	d.Flash, _ = h.popFlash(c)
	h.render(c, status, "inbox_interview", d)
}

func viewOfInterview(iv *repository.Interview) *interviewView {
	return &interviewView{When: frfmt.Appointment(iv.StartsAt), Length: frfmt.Minutes(iv.Minutes), Mode: iv.Mode.Label(),
		Place: iv.Place, Attendees: iv.Attendees, Date: slotDate(iv.StartsAt), Time: slotTime(iv.StartsAt),
		Minutes: strconv.Itoa(iv.Minutes), ModeValue: string(iv.Mode)}
}

func interviewLink(appID int64) string {
	return "/boite/candidatures/" + strconv.FormatInt(appID, 10) + "/entretien"
}

// proposeSlots offers slots to one application.
func (h *Handler) proposeSlots(c *gin.Context) {
	a, p, ok := h.reviewedApplication(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	if a.ErasedAt != nil {
		h.notFound(c)
		return
	}
	reviewers, err := h.Repo.Reviewers(ctx, p.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	existing, err := h.Repo.SlotsOfApplication(ctx, a)
	if err != nil {
		h.fail(c, err)
		return
	}
	slots, form := readSlotForm(c, reviewers, existing, h.Now(), a.Phone != "")
	if repository.ShownOf(p, a).Hidden {
		// An interview would put a name on a number: the blind first
		// pass reveals the application first.
		form.Errors[fieldSlots] = blindInterviewRefusal(p)
		slots = nil
	}
	if slots == nil {
		h.renderInboxInterview(c, http.StatusUnprocessableEntity, a, p, form, nil)
		return
	}
	offered := make([]repository.InterviewSlot, len(slots))
	for i, s := range slots {
		offered[i] = *s
	}
	e, err := h.Emails.InterviewSlots(p, a, offered)
	if err != nil {
		h.fail(c, err)
		return
	}
	if err := h.Repo.ProposeSlots(ctx, p.ID, &a.ID, slots, viewerOf(c).Email,
		[]repository.SlotOffer{{ApplicationID: a.ID, Email: e}}); err != nil {
		h.fail(c, err)
		return
	}
	h.enqueue(c, e)
	h.redirectFlash(c, interviewLink(a.ID), strconv.Itoa(len(slots))+" "+frfmt.Plural(float64(len(slots)), "créneau proposé", "créneaux proposés")+
		" : "+repository.ShownOf(p, a).Name+" a reçu un email pour choisir.", "")
}

// blindInterviewRefusal says why slots may not be proposed to an
// application of p still shown as a number.
func blindInterviewRefusal(p *repository.Posting) string {
	return "Cette candidature est encore relue à l'aveugle : passez-la à l'étape « " + p.BlindUntil.Label() +
		" » pour la révéler avant de proposer un entretien."
}

// moveInterview changes the time (and place) of the booked interview and
// sends the update to everyone.
func (h *Handler) moveInterview(c *gin.Context) {
	a, p, ok := h.reviewedApplication(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	before, err := h.Repo.BookedInterview(ctx, a.ID)
	if err != nil {
		h.fail(c, noInterview(err,
			"Cette candidature n'a pas (ou plus) d'entretien prévu : il a peut-être été annulé entre-temps."))
		return
	}
	row := slotRow{Date: strings.TrimSpace(c.PostForm(fieldSlotDate)), Time: strings.TrimSpace(c.PostForm(fieldSlotTime)),
		Minutes: strings.TrimSpace(c.PostForm(fieldSlotMinutes))}
	errs := map[string]string{}
	start, mins, rowErrs := checkSlot(row, h.Now())
	if len(rowErrs) > 0 {
		errs[fieldSlotDate] = "Ce nouvel horaire ne va pas : " + strings.Join(rowErrs, " ")
	}
	mode := catalog.InterviewMode(c.PostForm(fieldSlotMode))
	place := strings.TrimSpace(c.PostForm(fieldSlotPlace))
	if msg := checkPlace(mode, place, a.Phone != ""); msg != "" {
		errs[fieldSlotPlace] = msg
	}
	if len(errs) > 0 {
		reviewers, err := h.Repo.Reviewers(ctx, p.ID)
		if err != nil {
			h.fail(c, err)
			return
		}
		h.renderInboxInterview(c, http.StatusUnprocessableEntity, a, p, emptySlotForm(reviewers, viewerOf(c).Email), errs)
		return
	}
	if mode != catalog.InterviewInPerson && mode != catalog.InterviewVideo {
		place = ""
	}
	written, build := h.interviewEmails(compose.InterviewUpdate, p, a, before.StartsAt)
	_, err = h.Repo.MoveInterview(ctx, a.ID, repository.InterviewChange{StartsAt: start, Minutes: mins, Mode: mode, Place: place},
		viewerOf(c).Email, build)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.enqueue(c, *written...)
	h.redirectFlash(c, interviewLink(a.ID), "Entretien déplacé au "+frfmt.Appointment(start)+" : la mise à jour de l'invitation est envoyée à chacun·e.", "")
}

// cancelInterviewByReviewer cancels the booked interview and tells
// everyone.
func (h *Handler) cancelInterviewByReviewer(c *gin.Context) {
	a, p, ok := h.reviewedApplication(c)
	if !ok {
		return
	}
	written, build := h.interviewEmails(compose.InterviewCancelled, p, a, time.Time{})
	_, err := h.Repo.CancelInterview(c.Request.Context(), a.ID, viewerOf(c).Email, build)
	if err != nil {
		h.fail(c, noInterview(err,
			"Cette candidature n'a pas (ou plus) d'entretien prévu : il a peut-être été annulé entre-temps."))
		return
	}
	h.enqueue(c, *written...)
	h.redirectFlash(c, interviewLink(a.ID), "Entretien annulé : l'annulation est envoyée à chacun·e.", "")
}

// newInterviewUID is a new interview's UID, unique everywhere (RFC 5545).
func (h *Handler) newInterviewUID(appID int64) (string, error) {
	token, _, err := newToken()
	if err != nil {
		return "", err
	}
	host := "vivier"
	if u, err := url.Parse(h.Config.BaseURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return "entretien-" + strconv.FormatInt(appID, 10) + "-" + token[:16] + "@" + host, nil
}

// noInterview answers a move or a cancellation of an interview that is
// not (or no longer) booked: a conflict with what is stored, saying so.
func noInterview(err error, message string) error {
	if !errors.Is(err, repository.ErrNotFound) {
		return err
	}
	return &repository.Error{Code: repository.EConflict, Heading: "Pas d'entretien prévu", Message: message, Err: err}
}
