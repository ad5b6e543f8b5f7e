package handlers

import (
	"html/template"
	"net/http"

	"github.com/gin-gonic/gin"

	"vivier/internal/catalog"
	"vivier/repository"
)

// postingView is a posting with its stored, sanitised HTML marked safe.
type postingView struct {
	*repository.Posting
	Body    template.HTML
	Excerpt template.HTML
}

func viewOf(p *repository.Posting) postingView {
	// body_html and excerpt_html were sanitised by bluemonday at import.
	return postingView{Posting: p, Body: template.HTML(p.BodyHTML), Excerpt: template.HTML(p.ExcerptHTML)}
}

type homeData struct {
	Page
	Postings               []postingView
	Closed                 bool
	OpenCount, ClosedCount int
}

func (h *Handler) home(c *gin.Context)           { h.listPostings(c, false) }
func (h *Handler) closedPostings(c *gin.Context) { h.listPostings(c, true) }

func (h *Handler) listPostings(c *gin.Context, closed bool) {
	ctx, now := c.Request.Context(), h.Now()
	status, title := catalog.PostingOpen, "Offres ouvertes"
	if closed {
		status, title = catalog.PostingClosed, "Offres closes"
	}
	ps, err := h.Repo.PublicPostings(ctx, status, now)
	if err != nil {
		h.fail(c, err)
		return
	}
	open, closedCount, err := h.Repo.CountPublicPostings(ctx, now)
	if err != nil {
		h.fail(c, err)
		return
	}
	d := homeData{Page: h.page(title), Closed: closed, OpenCount: open, ClosedCount: closedCount}
	for i := range ps {
		d.Postings = append(d.Postings, viewOf(&ps[i]))
	}
	h.render(c, http.StatusOK, "home", d)
}
