package handlers

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"

	"vivier/internal/mailcatcher"
)

// Dev mode only: the mail caught by the embedded SMTP server.

type devMailData struct {
	Page
	Messages []*mailcatcher.Message
	Message  *mailcatcher.Message
}

func (h *Handler) devMailList(c *gin.Context) {
	msgs := h.MailCatcher.Messages()
	slices.Reverse(msgs)
	c.Header("Cache-Control", "no-store")
	h.render(c, http.StatusOK, "devmail_list", devMailData{Page: h.page("Emails interceptés"), Messages: msgs})
}

func (h *Handler) devMailMessage(c *gin.Context) *mailcatcher.Message {
	id, err := strconv.Atoi(c.Param("id"))
	if err != nil {
		h.notFound(c)
		return nil
	}
	m := h.MailCatcher.Message(id)
	if m == nil {
		h.notFound(c)
	}
	return m
}

func (h *Handler) devMailShow(c *gin.Context) {
	if m := h.devMailMessage(c); m != nil {
		pg := h.page(m.Subject)
		pg.Scripts = []string{"/static/devmail.js"}
		h.render(c, http.StatusOK, "devmail_show", devMailData{Page: pg, Message: m})
	}
}

// devMailHTML serves a message's HTML part, shown in an iframe of
// devmail_show or on its own. It runs no script (a sandbox without
// allow-scripts, and default-src 'none'); it keeps its origin so that the
// page around it can read its height.
func (h *Handler) devMailHTML(c *gin.Context) {
	if m := h.devMailMessage(c); m != nil {
		c.Header("Content-Security-Policy", "sandbox allow-same-origin; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'")
		c.Header("X-Frame-Options", "SAMEORIGIN")
		c.Data(http.StatusOK, "text/html; charset=utf-8", []byte(m.HTML))
	}
}
