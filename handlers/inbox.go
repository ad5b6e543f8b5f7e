package handlers

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"vivier/repository"
)

// The inbox: where reviewers see the postings they review and their
// applications. Anything a viewer may not see answers 404, like a page
// that does not exist, so nothing leaks.

type inboxPage struct {
	Page
	Viewer viewer
}

func (h *Handler) inboxPage(c *gin.Context, title string) inboxPage {
	v := viewerOf(c)
	pg := h.page(title)
	pg.User = v.Email
	pg.Scripts = []string{"/static/inbox.js"}
	return inboxPage{Page: pg, Viewer: v}
}

// canSee reports whether the viewer reviews the posting (admins see all).
func (h *Handler) canSee(ctx context.Context, v viewer, postingID int64) (bool, error) {
	if v.Admin {
		return true, nil
	}
	return h.Repo.CanReview(ctx, postingID, v.Email)
}

// reviewedPosting loads the posting of the :id parameter if the viewer
// may see it; otherwise it answers 404 and returns false.
func (h *Handler) reviewedPosting(c *gin.Context) (*repository.Posting, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		h.notFound(c)
		return nil, false
	}
	ok, err := h.canSee(c.Request.Context(), viewerOf(c), id)
	if err != nil {
		h.fail(c, err)
		return nil, false
	}
	if !ok {
		h.notFound(c)
		return nil, false
	}
	p, err := h.Repo.PostingByID(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return nil, false
	}
	return p, true
}

// reviewedApplication loads the application of the :id parameter and its
// posting if the viewer may see them; otherwise 404.
func (h *Handler) reviewedApplication(c *gin.Context) (*repository.Application, *repository.Posting, bool) {
	ctx := c.Request.Context()
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		h.notFound(c)
		return nil, nil, false
	}
	a, err := h.Repo.ApplicationByID(ctx, id)
	if err != nil {
		h.fail(c, err)
		return nil, nil, false
	}
	ok, err := h.canSee(ctx, viewerOf(c), a.PostingID)
	if err != nil {
		h.fail(c, err)
		return nil, nil, false
	}
	if !ok {
		h.notFound(c)
		return nil, nil, false
	}
	p, err := h.Repo.PostingByID(ctx, a.PostingID)
	if err != nil {
		h.fail(c, err)
		return nil, nil, false
	}
	return a, p, true
}

// requireAdmin answers 404 to anyone but an admin.
func (h *Handler) requireAdmin(c *gin.Context) {
	if !viewerOf(c).Admin {
		h.notFound(c)
		return
	}
	c.Next()
}

type inboxPostingsData struct {
	inboxPage
	Postings []postingLine
}

// postingLine is a line of the reviewer's postings.
type postingLine struct {
	repository.PostingSummary
	// ClosedAt is when it stopped taking applications; nil while open.
	ClosedAt *time.Time
}

func (h *Handler) inboxPostings(c *gin.Context) {
	v := viewerOf(c)
	ps, err := h.Repo.ReviewerPostings(c.Request.Context(), v.Email, v.Admin)
	if err != nil {
		h.fail(c, err)
		return
	}
	all := make([]*repository.Posting, len(ps))
	for i := range ps {
		all[i] = &ps[i].Posting
	}
	closed, err := h.closedSince(c.Request.Context(), all...)
	if err != nil {
		h.fail(c, err)
		return
	}
	lines := make([]postingLine, len(ps))
	for i, p := range ps {
		lines[i] = postingLine{PostingSummary: p, ClosedAt: closed[p.ID]}
	}
	h.render(c, http.StatusOK, "inbox_postings", inboxPostingsData{inboxPage: h.inboxPage(c, "Mes offres"), Postings: lines})
}
