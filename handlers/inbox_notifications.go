package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"vivier/internal/catalog"
	"vivier/repository"
)

// A reviewer chooses, for each posting they review, how they hear of its
// new applications and of applicants' replies: at once, in a daily
// digest, or not at all. Only the posting's reviewers have a choice to
// make: anyone else, admins included, gets 404.

// fieldNotify is the form field of the frequency.
const fieldNotify = "frequence"

type notifyChoice struct {
	Value   catalog.Notify
	Label   string
	Hint    string
	Checked bool
	Default bool // what applies without a choice
}

type notificationsData struct {
	inboxPage
	Posting postingView
	Choices []notifyChoice
	Contact bool
	Error   string
	Flash   string
}

// notifiedPosting loads the posting of :id when the viewer reviews it,
// with their current frequency; otherwise 404.
func (h *Handler) notifiedPosting(c *gin.Context) (*repository.Posting, catalog.Notify, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		h.notFound(c)
		return nil, "", false
	}
	ctx := c.Request.Context()
	current, err := h.Repo.NotifyPreference(ctx, id, viewerOf(c).Email)
	if errors.Is(err, repository.ErrNotFound) {
		h.notFound(c)
		return nil, "", false
	}
	if err != nil {
		h.fail(c, err)
		return nil, "", false
	}
	p, err := h.Repo.PostingByID(ctx, id)
	if err != nil {
		h.fail(c, err)
		return nil, "", false
	}
	return p, current, true
}

func (h *Handler) notificationsForm(c *gin.Context) {
	p, current, ok := h.notifiedPosting(c)
	if !ok {
		return
	}
	h.renderNotifications(c, http.StatusOK, p, current, "")
}

func (h *Handler) renderNotifications(c *gin.Context, status int, p *repository.Posting, checked catalog.Notify, msg string) {
	d := notificationsData{inboxPage: h.inboxPage(c, "Notifications — "+p.Title), Posting: viewOf(p), Error: msg,
		Contact: strings.EqualFold(p.ContactEmail, viewerOf(c).Email)}
	for _, n := range catalog.NotifyChoices() {
		d.Choices = append(d.Choices, notifyChoice{Value: n, Label: n.Label(), Hint: n.Hint(), Checked: n == checked,
			Default: n == catalog.DefaultNotify(d.Contact)})
	}
	d.Flash, _ = h.popFlash(c)
	h.render(c, status, "inbox_notifications", d)
}

func (h *Handler) saveNotifications(c *gin.Context) {
	p, current, ok := h.notifiedPosting(c)
	if !ok {
		return
	}
	n := catalog.Notify(c.PostForm(fieldNotify))
	if !n.Valid() {
		h.renderNotifications(c, http.StatusUnprocessableEntity, p, current,
			"Choisissez l'une des trois possibilités : à chaque nouveauté, un récapitulatif par jour, ou aucun email.")
		return
	}
	err := h.Repo.SetNotifyPreference(c.Request.Context(), p.ID, viewerOf(c).Email, n)
	if errors.Is(err, repository.ErrNotFound) {
		h.notFound(c) // taken off the posting meanwhile
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	h.redirectFlash(c, "/boite/offres/"+strconv.FormatInt(p.ID, 10)+"/notifications", "Votre choix est enregistré : "+strings.ToLower(n.Label()[:1])+n.Label()[1:]+".", "")
}
