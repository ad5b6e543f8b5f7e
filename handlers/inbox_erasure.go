package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"vivier/repository"
)

// An admin erases an application's data when its applicant asks outside
// the site (an email to the contact, a letter), as the applicant's own
// page does: the CV and personal fields deleted, the contact told, an
// interview to come cancelled. Who asked, how and when is written with it
// in the audit log.

// erasureReasonMax bounds the reason an admin gives.
const erasureReasonMax = 500

type adminErasureData struct {
	inboxPage
	Posting     postingView
	Application *repository.Application
	Name        string
	Reason      string
	Errors      map[string]string
}

func (h *Handler) adminErasureForm(c *gin.Context) {
	a, p, ok := h.reviewedApplication(c)
	if !ok {
		return
	}
	if a.ErasedAt != nil {
		c.Redirect(http.StatusSeeOther, "/boite/candidatures/"+strconv.FormatInt(a.ID, 10))
		return
	}
	h.render(c, http.StatusOK, "inbox_erase", h.adminErasureData(c, p, a, "", nil))
}

func (h *Handler) adminErasureData(c *gin.Context, p *repository.Posting, a *repository.Application, reason string, errs map[string]string) adminErasureData {
	title := "Effacer les données de la candidature"
	if len(errs) > 0 {
		title = "Erreur : " + title
	}
	return adminErasureData{inboxPage: h.inboxPage(c, title), Posting: viewOf(p), Application: a,
		Name: repository.ShownOf(p, a).Name, Reason: reason, Errors: errs}
}

func (h *Handler) adminErase(c *gin.Context) {
	a, p, ok := h.reviewedApplication(c)
	if !ok {
		return
	}
	page := "/boite/candidatures/" + strconv.FormatInt(a.ID, 10)
	if a.ErasedAt != nil {
		h.redirectFlash(c, page, "Les données de cette candidature étaient déjà effacées.", "")
		return
	}
	reason := strings.TrimSpace(c.PostForm("motif"))
	errs := map[string]string{}
	switch {
	case reason == "":
		errs["motif"] = "Indiquez qui a demandé l'effacement, comment et quand (par exemple : « demande reçue par email par la personne à contacter, le 2 mars »)."
	case utf8.RuneCountInString(reason) > erasureReasonMax:
		errs["motif"] = "Le motif fait " + strconv.Itoa(utf8.RuneCountInString(reason)) + " caractères : " + strconv.Itoa(erasureReasonMax) + " au plus."
	}
	if c.PostForm("confirmation") != "oui" {
		errs["confirmation"] = "Cochez la case pour confirmer : l'effacement est définitif."
	}
	if len(errs) > 0 {
		h.render(c, http.StatusUnprocessableEntity, "inbox_erase", h.adminErasureData(c, p, a, reason, errs))
		return
	}
	err := h.eraseApplication(c, p, a, viewerOf(c).Email)
	if errors.Is(err, repository.ErrNotFound) { // erased meanwhile
		h.redirectFlash(c, page, "Les données de cette candidature étaient déjà effacées.", "")
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	h.audit(c, repository.AuditErased, p.ID, a.ID, map[string]any{"motif": reason})
	h.redirectFlash(c, page, "Données de la candidature n° "+strconv.FormatInt(a.ID, 10)+" effacées.", "")
}
