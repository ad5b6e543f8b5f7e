package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"vivier/internal/catalog"
	"vivier/internal/compose"
	"vivier/repository"
)

// Writing to an applicant from their application's page: a blank
// message, or one of the posting's (or the default) message wordings,
// edited, sent through the outbox, and answering one of their replies
// when written from it.

type messageFormData struct {
	inboxPage
	Posting postingView
	// Application is the copy fit for reviewers (see
	// repository.ForReviewers), Shown its name: during a blind first
	// pass, the form names nobody (the email itself does, as every email
	// to the applicant does).
	Application *repository.Application
	Shown       repository.Shown
	Wordings    []choice
	Wording     string
	Subject     string
	Message     string
	// InReplyTo is the id of the applicant's message answered ("" for none),
	// and Answering what it said, shown above the form.
	InReplyTo string
	Answering *repository.InboundMessage
	Errors    map[string]string
	List      string
	Variables []compose.Variable
	// RepliesGo says where the applicant's answer will arrive.
	RepliesGo string
}

// messageWordings are the wordings offered, by the key of their editable.
func messageWordings() []choice {
	out := []choice{{"", "Message vierge"}}
	for _, e := range compose.MessageEditables() {
		label := []rune(strings.TrimPrefix(e.Label, "Message : "))
		out = append(out, choice{e.Key, strings.ToUpper(string(label[:1])) + string(label[1:])})
	}
	return out
}

// repliesGo says where an applicant's answer to an email from Vivier
// arrives: on the application when a mailbox of replies is read (or, in
// development, when /dev/mail answers in their place), else in the
// posting's contact's own mailbox.
func (h *Handler) repliesGo(p *repository.Posting) string {
	switch {
	case h.Config.Inbound():
		return "Sa réponse arrivera sur cette candidature."
	case h.MailCatcher != nil:
		return "Sa réponse arrivera sur cette candidature. En développement, aucune boîte n'est relevée : répondez à sa place depuis /dev/mail (« Répondre en tant que candidat·e »)."
	case p.ContactEmail != "":
		return "Sa réponse arrivera dans la boîte de " + p.ContactEmail + ", la personne qui recrute : Vivier ne relève pas de boîte de réponses."
	}
	return "Vivier ne relève pas de boîte de réponses et l'offre n'a pas de contact : sa réponse ne vous parviendra pas."
}

// writable refuses writing to an applicant whose data is gone or who
// withdrew; it says why.
func writable(a *repository.Application) string {
	switch {
	case a.ErasedAt != nil:
		return "Les données de cette candidature ont été effacées : il n'y a plus personne à qui écrire."
	case a.Status == catalog.StatusWithdrawn:
		return "Cette personne a retiré sa candidature : Vivier ne lui écrit plus."
	}
	return ""
}

// newMessageForm is the message form's data about a, for its reviewers.
func (h *Handler) newMessageForm(c *gin.Context, p *repository.Posting, a *repository.Application) messageFormData {
	shown := repository.ShownOf(p, a)
	seen, _ := repository.ForReviewers(p, a)
	return messageFormData{inboxPage: h.inboxPage(c, "Écrire à "+shown.Name), Posting: viewOf(p),
		Application: seen, Shown: shown, Wordings: messageWordings(), Variables: compose.Variables(), Errors: map[string]string{},
		RepliesGo: h.repliesGo(p)}
}

func (h *Handler) messageForm(c *gin.Context) {
	a, p, ok := h.reviewedApplication(c)
	if !ok {
		return
	}
	d := h.newMessageForm(c, p, a)
	d.Wording, d.List = c.Query("modele"), c.Query("liste")
	if !h.answering(c, a, &d, c.Query("reponse")) {
		return
	}
	saved, err := h.Repo.PostingTemplates(c.Request.Context(), p.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	e, known := compose.EditableByKey(d.Wording)
	if !known || e.Kind != compose.Message {
		d.Wording = ""
		e = compose.MessageEditables()[len(compose.MessageEditables())-1] // the free message's greeting words
	}
	w := h.Emails.MessageWords(e, saved)
	d.Subject, d.Message = w.Subject, w.Message
	if d.Wording == "" {
		d.Message = ""
	}
	if d.Answering != nil {
		// "Re: " and the subject answered, unless a blind first pass
		// hides it (it may name the person): then the wording's subject.
		d.Subject = replySubject(d.Answering.Subject, w.Subject)
	}
	if why := writable(a); why != "" {
		d.Errors["message"] = why
	}
	h.render(c, http.StatusOK, "inbox_message", d)
}

// answering loads the applicant's message id answers (if any) into d; a
// message of another application is a 404.
func (h *Handler) answering(c *gin.Context, a *repository.Application, d *messageFormData, id string) bool {
	if id == "" {
		return true
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		h.notFound(c)
		return false
	}
	m, err := h.Repo.InboundByID(c.Request.Context(), n)
	if err != nil {
		h.fail(c, err)
		return false
	}
	if m.ApplicationID == nil || *m.ApplicationID != a.ID || m.Kind != repository.InboundReply {
		h.notFound(c)
		return false
	}
	if d.Shown.Hidden { // as the application's page shows it
		m.Subject, m.FromAddress, m.FromName, m.Notes, m.Attachments = "", "", "", "", nil
	}
	d.InReplyTo, d.Answering = id, m
	return true
}

// replySubject is "Re: " and the subject answered, or fallback.
func replySubject(answered, fallback string) string {
	s := strings.TrimSpace(answered)
	if s == "" {
		return fallback
	}
	if low := strings.ToLower(s); strings.HasPrefix(low, "re:") || strings.HasPrefix(low, "re :") {
		return s
	}
	return "Re: " + s
}

func (h *Handler) sendMessage(c *gin.Context) {
	a, p, ok := h.reviewedApplication(c)
	if !ok {
		return
	}
	d := h.newMessageForm(c, p, a)
	d.Wording, d.List = c.PostForm("modele"), c.PostForm("liste")
	d.Subject, d.Message = strings.TrimSpace(c.PostForm("objet")), strings.TrimSpace(c.PostForm("message"))
	if !h.answering(c, a, &d, c.PostForm("reponse")) {
		return
	}
	switch {
	case d.Subject == "":
		d.Errors["objet"] = "Indiquez l'objet de l'email."
	case strings.ContainsAny(d.Subject, "\r\n") || len([]rune(d.Subject)) > compose.MaxSubjectLen:
		d.Errors["objet"] = "L'objet tient sur une ligne de 200 caractères au plus."
	case badText(d.Subject):
		d.Errors["objet"] = "L'objet contient des caractères invisibles non autorisés : retapez-le."
	}
	switch {
	case badText(d.Message):
		d.Errors["message"] = "Le message contient des caractères invisibles non autorisés : retapez-le ou collez-le sans mise en forme."
	case d.Message == "":
		d.Errors["message"] = "Écrivez votre message."
	}
	if why := writable(a); why != "" {
		d.Errors["message"] = why
	}
	inReplyTo := ""
	if d.Answering != nil && strings.HasPrefix(d.Answering.MessageKey, "<") {
		inReplyTo = d.Answering.MessageKey
	}
	var email *repository.Email
	if len(d.Errors) == 0 {
		var err error
		email, err = h.Emails.Message(p, a, compose.Words{Subject: d.Subject, Message: d.Message}, inReplyTo)
		if err != nil {
			field := "message"
			if strings.HasPrefix(err.Error(), "Objet") {
				field = "objet"
			}
			d.Errors[field] = err.Error()
		}
	}
	if len(d.Errors) > 0 {
		h.render(c, http.StatusUnprocessableEntity, "inbox_message", d)
		return
	}
	if err := h.Repo.InsertEmails(c.Request.Context(), []*repository.Email{email}); err != nil {
		h.fail(c, err)
		return
	}
	h.audit(c, repository.AuditMessageSent, p.ID, a.ID, map[string]any{"email": email.ID})
	h.enqueue(c, email)
	to := d.Shown.Name
	if d.Shown.Hidden {
		to = applicantLabel + " (" + d.Shown.Name + ")"
	}
	h.redirectFlash(c, applicationLink(a.ID, c), "Message envoyé à "+to+".", "")
}
