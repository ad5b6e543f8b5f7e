package handlers

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"vivier/internal/compose"
	"vivier/internal/frfmt"
	"vivier/repository"
)

// A posting's upcoming interviews, and its pool of slots offered to every
// applicant in interview.

type upcomingView struct {
	When, Length, Mode, Place string
	Applicant                 string
	ApplicationID             int64
	Attendees                 []string
}

type inboxInterviewsData struct {
	inboxPage
	Posting  postingView
	Upcoming []upcomingView
	Pool     []slotView
	Form     slotForm
	Flash    string
}

func poolLink(postingID int64) string {
	return "/boite/offres/" + strconv.FormatInt(postingID, 10) + "/entretiens"
}

func (h *Handler) postingInterviews(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	reviewers, err := h.Repo.Reviewers(c.Request.Context(), p.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.renderPostingInterviews(c, http.StatusOK, p, emptySlotForm(reviewers, viewerOf(c).Email))
}

func (h *Handler) renderPostingInterviews(c *gin.Context, status int, p *repository.Posting, form slotForm) {
	ctx := c.Request.Context()
	now := h.Now()
	form.Action, form.HasPhone = poolLink(p.ID)+"/creneaux", true
	d := inboxInterviewsData{inboxPage: h.inboxPage(c, "Entretiens — "+p.Title), Posting: viewOf(p), Form: form}
	rows, err := h.Repo.UpcomingInterviews(ctx, p.ID, now)
	if err != nil {
		h.fail(c, err)
		return
	}
	for _, r := range rows {
		d.Upcoming = append(d.Upcoming, upcomingView{When: frfmt.Appointment(r.StartsAt), Length: frfmt.Minutes(r.Minutes),
			Mode: r.Mode.Label(), Place: r.Place, Applicant: repository.ShownOf(p, r.Application()).Name, ApplicationID: r.ApplicationID,
			Attendees: r.Attendees})
	}
	pool, err := h.Repo.PoolSlots(ctx, p.ID, now)
	if err != nil {
		h.fail(c, err)
		return
	}
	for _, s := range pool {
		d.Pool = append(d.Pool, slotView{ID: s.ID, Label: compose.SlotLabel(s.StartsAt, s.Minutes, s.Mode), Place: s.Place, Taken: s.Taken, Pool: true})
	}
	d.Flash, _ = h.popFlash(c)
	h.render(c, status, "inbox_interviews", d)
}

// proposePoolSlots adds slots to a posting's pool and offers them to
// every applicant in interview without one booked.
func (h *Handler) proposePoolSlots(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	reviewers, err := h.Repo.Reviewers(ctx, p.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	existing, err := h.Repo.PoolSlots(ctx, p.ID, h.Now())
	if err != nil {
		h.fail(c, err)
		return
	}
	// The pool has no one applicant: a phone interview calls the number
	// each one gave (those without one are not offered it).
	slots, form := readSlotForm(c, reviewers, existing, h.Now(), true)
	if slots == nil {
		h.renderPostingInterviews(c, http.StatusUnprocessableEntity, p, form)
		return
	}
	apps, err := h.Repo.ApplicationsAwaitingInterview(ctx, p.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	offered := make([]repository.InterviewSlot, len(slots))
	for i, s := range slots {
		offered[i] = *s
	}
	var offers []repository.SlotOffer
	var emails []*repository.Email
	for i := range apps {
		a := &apps[i]
		if repository.ShownOf(p, a).Hidden {
			continue // not offered before the blind first pass reveals it
		}
		e, err := h.Emails.InterviewSlots(p, a, offered)
		if err != nil {
			h.fail(c, err)
			return
		}
		offers = append(offers, repository.SlotOffer{ApplicationID: a.ID, Email: e})
		emails = append(emails, e)
	}
	if err := h.Repo.ProposeSlots(ctx, p.ID, nil, slots, viewerOf(c).Email, offers); err != nil {
		h.fail(c, err)
		return
	}
	h.enqueue(c, emails...)
	msg := strconv.Itoa(len(slots)) + " " + frfmt.Plural(float64(len(slots)), "créneau ajouté", "créneaux ajoutés") + " à l'offre"
	if n := len(offers); n > 0 {
		msg += " : " + strconv.Itoa(n) + " " + frfmt.Plural(float64(n), "personne en entretien a reçu", "personnes en entretien ont reçu") + " un email pour choisir."
	} else {
		msg += " : ils seront proposés aux personnes que vous passerez en entretien."
	}
	h.redirectFlash(c, poolLink(p.ID), msg, "")
}
