package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"vivier/internal/frfmt"
)

// Messages after an action ("flashes"): the handler puts the message in
// the session before it redirects, and the page it redirects to shows it
// once. Nothing in the URL is ever shown as a message. A flash is kept
// under the path of the page that shows it, so another page loaded in
// between (another tab) does not take it.

const (
	flashKey       = "flash:"
	flashAnchorKey = "flash-about:"
)

// redirectFlash redirects to target (a local path, with a query or an
// anchor) and leaves msg for that page. about names what the message is
// about on that page (an element's id), or "".
func (h *Handler) redirectFlash(c *gin.Context, target, msg, about string) {
	if h.Sessions != nil && msg != "" {
		path, _, _ := strings.Cut(target, "#")
		path, _, _ = strings.Cut(path, "?")
		ctx := c.Request.Context()
		h.Sessions.Put(ctx, flashKey+path, msg)
		if about != "" {
			h.Sessions.Put(ctx, flashAnchorKey+path, about)
		} else {
			h.Sessions.Remove(ctx, flashAnchorKey+path) // a message not yet shown is replaced whole
		}
	}
	c.Redirect(http.StatusSeeOther, target)
}

// popFlash returns the message left for this page and what it is about,
// and forgets them.
func (h *Handler) popFlash(c *gin.Context) (msg, about string) {
	if h.Sessions == nil {
		return "", ""
	}
	ctx, path := c.Request.Context(), c.Request.URL.Path
	return h.Sessions.PopString(ctx, flashKey+path), h.Sessions.PopString(ctx, flashAnchorKey+path)
}

// countOf writes a count with the noun that agrees with it: "1 candidature
// déplacée", "2 candidatures déplacées".
func countOf(n int, one, many string) string {
	return strconv.Itoa(n) + " " + frfmt.Plural(float64(n), one, many)
}
