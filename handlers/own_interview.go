package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"vivier/internal/catalog"
	"vivier/internal/compose"
	"vivier/repository"
)

// The applicant's side of an interview, on their private page: pick one
// of the slots offered, or say none fits, and cancel the one booked.

// maxNoneFitsLen bounds the applicant's message when no slot fits.
const maxNoneFitsLen = 2000

// ownPickForm is what the private page says back after a pick or a
// message that did not go through.
type ownPickForm struct {
	// PickError is said above the slots (taken meanwhile, past, closed).
	PickError string
	// Message is what was typed when no slot fits; MessageError what is
	// wrong with it.
	Message, MessageError string
}

// ownInterview fills the private page's interview: the one booked, or,
// while the posting is open and the application still in the running,
// the slots still free.
func (h *Handler) ownInterview(c *gin.Context, a *repository.Application, p *repository.Posting, d *ownApplicationData) error {
	ctx := c.Request.Context()
	iv, err := h.Repo.BookedInterview(ctx, a.ID)
	switch {
	case errors.Is(err, repository.ErrNotFound):
	case err != nil:
		return err
	default:
		d.Interview = viewOfInterview(iv)
		return nil
	}
	if p.Status != catalog.PostingOpen || a.Status == catalog.StatusWithdrawn || a.Status == catalog.StatusRejected {
		return nil
	}
	slots, err := h.Repo.SlotsOfApplication(ctx, a)
	if err != nil {
		return err
	}
	now := h.Now()
	hidden := repository.ShownOf(p, a).Hidden
	for _, s := range slots {
		// The pool is for applications in interview only, once a blind
		// first pass has revealed them.
		if s.Taken || !s.StartsAt.After(now) || (s.ApplicationID == nil && (a.Status != catalog.StatusInterview || hidden)) {
			continue
		}
		d.Slots = append(d.Slots, slotView{ID: s.ID, Label: compose.SlotLabel(s.StartsAt, s.Minutes, s.Mode), Place: s.Place})
	}
	return nil
}

func (h *Handler) ownLink(c *gin.Context, done string) string {
	return "/candidature/" + c.Param("token") + "?fait=" + done
}

// pickSlot books the slot the applicant picked, and sends the
// invitations. Of two applicants picking one slot at once, one wins; the
// other is told, and shown the slots that remain.
func (h *Handler) pickSlot(c *gin.Context) {
	a, p, ok := h.ownApplication(c)
	if !ok {
		return
	}
	slotID, err := strconv.ParseInt(c.PostForm(fieldSlots), 10, 64)
	if err != nil || slotID <= 0 {
		h.renderOwnApplication(c, http.StatusUnprocessableEntity, a, p, ownPickForm{PickError: "Choisissez un des créneaux proposés."})
		return
	}
	if a.Status == catalog.StatusWithdrawn || a.Status == catalog.StatusRejected {
		h.renderOwnApplication(c, http.StatusConflict, a, p, ownPickForm{PickError: "Votre candidature n'est plus en cours : les entretiens ne se prennent plus ici."})
		return
	}
	uid, err := h.newInterviewUID(a.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	written, build := h.interviewEmails(compose.InterviewInvitation, p, a, time.Time{})
	_, err = h.Repo.PickSlot(c.Request.Context(), a.ID, slotID, uid, build)
	msg := ""
	switch {
	case errors.Is(err, repository.ErrSlotTaken):
		msg = "Ce créneau vient d'être choisi par une autre personne. Choisissez-en un autre parmi ceux qui restent."
	case errors.Is(err, repository.ErrSlotPast):
		msg = "Ce créneau est passé. Choisissez-en un autre parmi ceux qui restent."
	case errors.Is(err, repository.ErrInterviewBooked):
		msg = "Vous avez déjà un entretien prévu : annulez-le d'abord pour en choisir un autre."
	case errors.Is(err, repository.ErrPostingClosed):
		msg = "Les candidatures de cette offre sont closes : les entretiens ne se prennent plus ici."
	case err != nil:
		h.fail(c, err) // a slot that is not offered to this application: 404
		return
	}
	if msg != "" {
		h.renderOwnApplication(c, http.StatusConflict, a, p, ownPickForm{PickError: msg})
		return
	}
	h.enqueue(c, *written...)
	c.Redirect(http.StatusSeeOther, h.ownLink(c, "entretien"))
}

// noSlotFits passes the applicant's message to the posting's contact.
func (h *Handler) noSlotFits(c *gin.Context) {
	a, p, ok := h.ownApplication(c)
	if !ok {
		return
	}
	message := strings.TrimSpace(c.PostForm("message"))
	form := ownPickForm{Message: message}
	switch n := utf8.RuneCountInString(message); {
	case badText(message):
		form.MessageError = "Votre message contient des caractères invisibles non autorisés : retapez-le ou collez-le sans mise en forme."
	case n == 0:
		form.MessageError = "Dites en quelques mots quand vous seriez disponible."
	case n > maxNoneFitsLen:
		form.MessageError = "Votre message ne doit pas dépasser " + strconv.Itoa(maxNoneFitsLen) + " caractères (" + strconv.Itoa(n) + " reçus)."
	}
	if form.MessageError == "" && p.Status != catalog.PostingOpen {
		form.MessageError = "Les candidatures de cette offre sont closes : les entretiens ne se prennent plus ici."
	}
	if form.MessageError != "" {
		h.renderOwnApplication(c, http.StatusUnprocessableEntity, a, p, form)
		return
	}
	emails, err := h.Emails.InterviewNoneFits(p, a, message)
	if err != nil {
		h.fail(c, err)
		return
	}
	if err := h.Repo.NoneFits(c.Request.Context(), a.ID, message, emails); err != nil {
		h.fail(c, err)
		return
	}
	h.enqueue(c, emails...)
	c.Redirect(http.StatusSeeOther, h.ownLink(c, "aucun-creneau"))
}

// cancelOwnInterview cancels the applicant's booked interview and tells
// everyone.
func (h *Handler) cancelOwnInterview(c *gin.Context) {
	a, p, ok := h.ownApplication(c)
	if !ok {
		return
	}
	written, build := h.interviewEmails(compose.InterviewCancelled, p, a, time.Time{})
	_, err := h.Repo.CancelInterview(c.Request.Context(), a.ID, repository.ActorApplicant, build)
	if err != nil {
		h.fail(c, noInterview(err,
			"Vous n'avez pas (ou plus) d'entretien prévu : il a peut-être déjà été annulé."))
		return
	}
	h.enqueue(c, *written...)
	c.Redirect(http.StatusSeeOther, h.ownLink(c, "annulation"))
}
