package handlers

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// An applicant who lost their private link asks for it again by address
// on /lien-perdu, whatever the posting. The page answers the same, and
// does the same work, for any well-formed address: a worker looks it up
// and emails a new link for each live application (internal/privatelink).

// lostLinkPerClient bounds the requests of one client an hour.
const lostLinkPerClient = 10

type lostLinkData struct {
	Page
	Email, Error string
	Sent         bool
}

func (h *Handler) lostLinkForm(c *gin.Context) {
	h.render(c, http.StatusOK, "lost_link", lostLinkData{Page: h.page("Recevoir un nouveau lien de suivi")})
}

func (h *Handler) requestLostLink(c *gin.Context) {
	ctx := c.Request.Context()
	email := strings.ToLower(strings.TrimSpace(c.PostForm("email")))
	d := lostLinkData{Page: h.page("Recevoir un nouveau lien de suivi"), Email: email}
	if !plainAddress(email) {
		d.Error = "Saisissez une adresse email valide, au format nom@domaine.fr."
		d.Page.Title = "Erreur : " + d.Page.Title
		h.render(c, http.StatusUnprocessableEntity, "lost_link", d)
		return
	}
	if !h.allow(c, "lostlink:client:"+c.ClientIP(), lostLinkPerClient, time.Hour) {
		h.tooManyRequests(c)
		return
	}
	if err := h.Enqueuer.EnqueueLostLinkRequest(ctx, email); err != nil {
		// Redis is down: do the work here rather than lose the request;
		// the emails wait in the outbox until Redis is back.
		h.logger(c).Warn("enqueue private links request failed; handled in the request", "error", err)
		if err := h.lostLinkMailer.Send(ctx, email); err != nil {
			h.fail(c, err)
			return
		}
	}
	d.Sent = true
	h.render(c, http.StatusOK, "lost_link", d)
}
