package handlers

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"vivier/internal/frfmt"
	"vivier/internal/icalendar"
	"vivier/repository"
)

// A reviewer's private calendar feed: an address ending in .ics that
// calendar applications subscribe to, listing the interviews the
// reviewer attends. Its token is shown once, stored hashed like every
// other token, and revoked (or replaced) from the same page.

type calendarFeedData struct {
	inboxPage
	// Since: when the current feed was made ("" for none).
	Since string
	// URL is the feed's address, shown only right after it is made.
	URL   string
	Flash string
}

func (h *Handler) calendarFeedPage(c *gin.Context) {
	h.renderCalendarFeed(c, "")
}

func (h *Handler) renderCalendarFeed(c *gin.Context, url string) {
	v := viewerOf(c)
	d := calendarFeedData{inboxPage: h.inboxPage(c, "Mon agenda d'entretiens"), URL: url}
	since, err := h.Repo.CalendarFeedSince(c.Request.Context(), v.Email)
	switch {
	case errors.Is(err, repository.ErrNotFound):
	case err != nil:
		h.fail(c, err)
		return
	default:
		d.Since = frfmt.DateTime(since)
	}
	d.Flash, _ = h.popFlash(c)
	c.Header("Cache-Control", "no-store")
	h.render(c, http.StatusOK, "calendar_feed", d)
}

// createCalendarFeed makes the viewer a new feed address, which replaces
// the one they had, and shows it once.
func (h *Handler) createCalendarFeed(c *gin.Context) {
	token, hash, err := newToken()
	if err != nil {
		h.fail(c, err)
		return
	}
	if err := h.Repo.SetCalendarFeed(c.Request.Context(), viewerOf(c).Email, hash); err != nil {
		h.fail(c, err)
		return
	}
	h.renderCalendarFeed(c, h.Config.BaseURL+"/agenda/"+token+".ics")
}

func (h *Handler) revokeCalendarFeed(c *gin.Context) {
	if err := h.Repo.RevokeCalendarFeed(c.Request.Context(), viewerOf(c).Email); err != nil {
		h.fail(c, err)
		return
	}
	h.redirectFlash(c, "/boite/agenda", "Adresse d'agenda révoquée : les calendriers abonnés ne reçoivent plus vos entretiens.", "")
}

// calendarFeed serves a feed: the interviews its owner attends, from 30
// days ago on, cancelled ones marked so.
func (h *Handler) calendarFeed(c *gin.Context) {
	token, ok := strings.CutSuffix(c.Param("token"), ".ics")
	if !ok || len(token) > 64 {
		h.notFound(c)
		return
	}
	ctx := c.Request.Context()
	email, err := h.Repo.CalendarFeedOwner(ctx, hashToken(token))
	if err != nil {
		h.fail(c, err)
		return
	}
	now := h.Now()
	rows, err := h.Repo.FeedInterviews(ctx, email, now.Add(-30*24*time.Hour))
	if err != nil {
		h.fail(c, err)
		return
	}
	events := make([]icalendar.Event, 0, len(rows))
	postings := map[int64]*repository.Posting{}
	for _, r := range rows {
		p, ok := postings[r.PostingID]
		if !ok {
			if p, err = h.Repo.PostingByID(ctx, r.PostingID); err != nil {
				h.fail(c, err)
				return
			}
			postings[r.PostingID] = p
		}
		iv := r.Interview
		events = append(events, h.Emails.CalendarEvent(p, r.Application(), &iv, true))
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Referrer-Policy", "no-referrer")
	c.Data(http.StatusOK, "text/calendar; charset=utf-8", icalendar.Feed("Entretiens — "+h.Config.OperatorName, now, events))
}
