package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"vivier/repository"
)

// Admins add and remove the reviewers of a posting.

func (h *Handler) addReviewer(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	email := strings.ToLower(strings.TrimSpace(c.PostForm("email")))
	if !plainAddress(email) {
		h.errorPage(c, http.StatusUnprocessableEntity, "Adresse invalide", "Saisissez l'adresse email de la personne à ajouter, au format nom@domaine.fr.")
		return
	}
	if err := h.Repo.AddReviewer(c.Request.Context(), p.ID, email, viewerOf(c).Email); err != nil {
		h.fail(c, err)
		return
	}
	h.audit(c, repository.AuditReviewerAdded, p.ID, 0, map[string]any{"relecteur": email})
	h.redirectFlash(c, "/boite/offres/"+strconv.FormatInt(p.ID, 10)+"#relecteurs", email+" peut désormais relire les candidatures de cette offre.", "relecteurs")
}

func (h *Handler) removeReviewer(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	email := strings.ToLower(strings.TrimSpace(c.PostForm("email")))
	if badText(email) || len(email) > 254 {
		h.errorPage(c, http.StatusUnprocessableEntity, "Adresse invalide", "Choisissez dans la liste la personne à retirer.")
		return
	}
	if err := h.Repo.RemoveReviewer(c.Request.Context(), p.ID, email); err != nil {
		h.fail(c, err)
		return
	}
	h.audit(c, repository.AuditReviewerRemoved, p.ID, 0, map[string]any{"relecteur": email})
	h.redirectFlash(c, "/boite/offres/"+strconv.FormatInt(p.ID, 10)+"#relecteurs", email+" n'a plus accès aux candidatures de cette offre.", "relecteurs")
}
