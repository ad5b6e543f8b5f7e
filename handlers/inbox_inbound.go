package handlers

import (
	"errors"
	"mime"
	"net/http"
	"net/mail"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"vivier/internal/links"
	"vivier/repository"
)

// What comes back from applicants: their replies' attachments, the
// correction of an address after a bounce, and, for admins, the messages
// matched to no application.

// inboundAttachment serves a reply's attachment to the reviewers of its
// application, always as a download.
func (h *Handler) inboundAttachment(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		h.notFound(c)
		return
	}
	f, appID, err := h.Repo.InboundAttachmentOf(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	a, err := h.Repo.ApplicationByID(c.Request.Context(), appID)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok, err := h.canSee(c.Request.Context(), viewerOf(c), a.PostingID)
	if err != nil {
		h.fail(c, err)
		return
	}
	if !ok {
		h.notFound(c)
		return
	}
	p, err := h.Repo.PostingByID(c.Request.Context(), a.PostingID)
	if err != nil {
		h.fail(c, err)
		return
	}
	if repository.ShownOf(p, a).Hidden { // a reply's files are the person's, like the CV
		h.notFound(c)
		return
	}
	h.audit(c, repository.AuditCVOpened, a.PostingID, a.ID, map[string]any{"piece_jointe": f.FileName})
	c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.FileName}))
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Cache-Control", "private, no-store")
	c.Data(http.StatusOK, f.ContentType, f.Content)
}

// correctAddress sends a bounced email again to a corrected address,
// which becomes the applicant's.
func (h *Handler) correctAddress(c *gin.Context) {
	e, ok := h.reviewedEmail(c)
	if !ok {
		return
	}
	typed := strings.TrimSpace(c.PostForm("adresse"))
	to := strings.ToLower(typed)
	why := ""
	addr, err := mail.ParseAddress(to)
	switch {
	case to == "":
		why = "Indiquez l'adresse corrigée."
	case err != nil || addr.Address != to || addr.Name != "" || badText(to) || !strings.Contains(to[strings.LastIndexByte(to, '@')+1:], "."):
		why = "« " + typed + " » n'est pas une adresse email valable (par exemple prenom.nom@exemple.fr)."
	case strings.EqualFold(to, e.ToAddress):
		why = "C'est l'adresse à laquelle l'email n'a pas pu être remis : indiquez la bonne."
	}
	if why != "" {
		a, p, ok := h.applicationOfEmail(c, e)
		if !ok {
			return
		}
		h.renderApplicationPage(c, http.StatusUnprocessableEntity, a, p, applicationPageState{
			Correction: &correctionForm{EmailID: e.ID, Value: typed, Error: why}})
		return
	}
	copy, err := h.Repo.ResendToCorrectedAddress(c.Request.Context(), e.ID, to, links.NewToken)
	if err != nil {
		h.fail(c, repository.WithMessage(err, repository.EConflict, "Renvoi impossible",
			"Seul un email non remis à la personne candidate peut être renvoyé à une adresse corrigée."))
		return
	}
	h.audit(c, repository.AuditAddressCorrected, *e.PostingID, *e.ApplicationID, map[string]any{"email": e.ID})
	h.enqueue(c, copy)
	h.redirectFlash(c, applicationLink(*e.ApplicationID, c), "Adresse corrigée : l'email va être renvoyé à "+to+".", "")
}

// applicationOfEmail loads the application and posting of an email the
// viewer may see (reviewedEmail checked it).
func (h *Handler) applicationOfEmail(c *gin.Context, e *repository.Email) (*repository.Application, *repository.Posting, bool) {
	a, err := h.Repo.ApplicationByID(c.Request.Context(), *e.ApplicationID)
	if err != nil {
		h.fail(c, err)
		return nil, nil, false
	}
	p, err := h.Repo.PostingByID(c.Request.Context(), a.PostingID)
	if err != nil {
		h.fail(c, err)
		return nil, nil, false
	}
	return a, p, true
}

type unmatchedData struct {
	inboxPage
	Messages []repository.InboundMessage
	Mailbox  []repository.InboundState
}

// unmatchedMessages lists, for admins, the messages of the mailbox that
// matched no application (filed in Vivier/non-rattachés).
func (h *Handler) unmatchedMessages(c *gin.Context) {
	ms, err := h.Repo.UnmatchedInbound(c.Request.Context(), 200)
	if err != nil {
		h.fail(c, err)
		return
	}
	states, err := h.Repo.InboundStates(c.Request.Context())
	if err != nil && !errors.Is(err, repository.ErrNotFound) {
		h.fail(c, err)
		return
	}
	c.Header("Cache-Control", "private, no-store")
	h.render(c, http.StatusOK, "admin_unmatched", unmatchedData{inboxPage: h.inboxPage(c, "Messages non rattachés"),
		Messages: ms, Mailbox: states})
}
