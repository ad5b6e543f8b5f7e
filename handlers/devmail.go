package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	netmail "net/mail"
	"slices"
	"strconv"
	"strings"
	"time"

	gomessage "github.com/emersion/go-message/mail"
	"github.com/gin-gonic/gin"

	"vivier/internal/inbound"
	"vivier/internal/mailcatcher"
	"vivier/repository"
)

// Dev mode only: the mail caught by the embedded SMTP server.

type devMailData struct {
	Page
	Messages []*mailcatcher.Message
	Message  *mailcatcher.Message
	// "Reply as the applicant": what was typed, what is wrong with it, and
	// what became of the reply (with a link to where it shows).
	Reply, ReplyError, Notice, NoticeLink string
	// Applicant is the application whose applicant the message went to;
	// nil when it went to someone else (a reviewer, an admin), and
	// NoReply then says why there is nothing to answer in their place.
	Applicant *repository.Application
	NoReply   string
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
		d := devMailData{Message: m}
		if err := h.devApplicant(c.Request.Context(), &d); err != nil {
			h.fail(c, err)
			return
		}
		h.renderDevMail(c, http.StatusOK, d)
	}
}

// devApplicant finds the application whose applicant the caught message
// of d went to: only they may be answered for. Otherwise it says why in
// d.NoReply.
func (h *Handler) devApplicant(ctx context.Context, d *devMailData) error {
	d.NoReply = "Cet email n'est pas adressé à une personne candidate (mais à un·e relecteur·rice, à un·e admin ou à la personne qui recrute) : il n'y a pas de réponse à écrire à sa place."
	e, err := h.Repo.EmailByMessageIDs(ctx, []string{d.Message.Header.Get("Message-Id")})
	if errors.Is(err, repository.ErrNotFound) || (err == nil && e.ApplicationID == nil) {
		return nil
	}
	if err != nil {
		return err
	}
	a, err := h.Repo.ApplicationByID(ctx, *e.ApplicationID)
	if errors.Is(err, repository.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	switch {
	case a.ErasedAt != nil:
		d.NoReply = "Les données de la candidature à laquelle cet email se rapporte ont été effacées : une réponse serait ignorée."
	case e.ToAddress != "" && strings.EqualFold(e.ToAddress, a.Email):
		d.Applicant, d.NoReply = a, ""
	}
	return nil
}

func (h *Handler) renderDevMail(c *gin.Context, status int, d devMailData) {
	d.Page = h.page(d.Message.Subject)
	d.Page.Scripts = []string{"/static/devmail.js"}
	h.render(c, status, "devmail_show", d)
}

// devMailReply writes, as the applicant's mail client would, a reply to
// a caught message, and hands it to the same processing as a reply read
// from the mailbox.
func (h *Handler) devMailReply(c *gin.Context) {
	m := h.devMailMessage(c)
	if m == nil {
		return
	}
	d := devMailData{Message: m, Reply: strings.TrimSpace(c.PostForm("texte"))}
	if err := h.devApplicant(c.Request.Context(), &d); err != nil {
		h.fail(c, err)
		return
	}
	if d.Applicant == nil {
		h.renderDevMail(c, http.StatusConflict, d)
		return
	}
	switch {
	case d.Reply == "":
		d.ReplyError = "Écrivez la réponse."
	case badText(d.Reply) || len(d.Reply) > 20000:
		d.ReplyError = "La réponse contient des caractères invisibles ou dépasse 20 000 caractères."
	}
	if d.ReplyError != "" {
		h.renderDevMail(c, http.StatusUnprocessableEntity, d)
		return
	}
	raw, err := devReply(m, d.Reply, h.Now())
	if err != nil {
		h.fail(c, err)
		return
	}
	outcome, err := h.Inbound.Process(c.Request.Context(), bytes.NewReader(raw), "dev:"+strconv.Itoa(m.ID))
	if err != nil {
		h.fail(c, err)
		return
	}
	d.Reply = ""
	switch outcome {
	case inbound.Stored:
		d.Notice = "Réponse reçue : elle figure sur la candidature, et ses relecteur·rices sont prévenu·es."
		d.NoticeLink = "/boite/candidatures/" + strconv.FormatInt(d.Applicant.ID, 10) + "#conversation"
	case inbound.Duplicate:
		d.Notice = "Cette réponse avait déjà été reçue."
	case inbound.Dropped:
		d.Notice = "La candidature a été effacée : la réponse est ignorée."
	case inbound.Unmatched:
		d.Notice = "Cette réponse ne correspond à aucune candidature : elle est classée parmi les messages non rattachés."
	}
	h.renderDevMail(c, http.StatusOK, d)
}

// devReply is the reply a mail client writes to m: from its recipient, to
// its Reply-To, quoting it below, with In-Reply-To and References.
func devReply(m *mailcatcher.Message, text string, now time.Time) ([]byte, error) {
	var h gomessage.Header
	from := &gomessage.Address{}
	if len(m.To) > 0 {
		from.Address = m.To[0]
	}
	// A mail client signs with the name the applicant's address bears.
	if to, err := netmail.ParseAddressList(m.HeaderText("To")); err == nil && len(to) > 0 && strings.EqualFold(to[0].Address, from.Address) {
		from.Name = to[0].Name
	}
	to := m.Header.Get("Reply-To")
	if to == "" {
		to = m.Header.Get("From")
	}
	h.SetAddressList("From", []*gomessage.Address{from})
	if addrs, err := netmail.ParseAddressList(to); err == nil {
		list := make([]*gomessage.Address, len(addrs))
		for i, a := range addrs {
			list[i] = &gomessage.Address{Name: a.Name, Address: a.Address}
		}
		h.SetAddressList("To", list)
	}
	h.SetSubject("Re: " + m.HeaderText("Subject"))
	h.SetDate(now)
	if err := h.GenerateMessageID(); err != nil {
		return nil, err
	}
	if id := strings.Trim(m.Header.Get("Message-Id"), "<> "); id != "" {
		h.SetMsgIDList("In-Reply-To", []string{id})
		orig := gomessage.HeaderFromMap(m.Header)
		refs, _ := orig.MsgIDList("References")
		h.SetMsgIDList("References", append(refs, id))
	}
	h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	var buf bytes.Buffer
	w, err := gomessage.CreateSingleInlineWriter(&buf, h)
	if err != nil {
		return nil, err
	}
	quoted := "> " + strings.ReplaceAll(strings.TrimSpace(m.Text), "\n", "\n> ")
	fmt.Fprintf(w, "%s\n\nLe %s, %s a écrit :\n%s\n", text, now.Format("02/01/2006 15:04"), m.HeaderText("From"), quoted)
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
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
