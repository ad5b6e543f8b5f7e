package handlers

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"vivier/internal/compose"
	"vivier/repository"
)

// The applicant's private page, reached from the link in the
// acknowledgement: the token in the URL is the only key.

type ownApplicationData struct {
	Page
	Token       string
	Posting     postingView
	Application *repository.Application
	Events      []repository.Event
	Flash       string
	CVName      string
	// PostingOpen is true while the posting takes applications: a
	// withdrawal can be undone until then.
	PostingOpen bool
	// The interview: the one booked, or the slots to pick from.
	Interview *interviewView
	Slots     []slotView
	Pick      ownPickForm
}

// ownApplication finds the application of the token in the URL; an
// unknown token is a plain 404, like any missing page.
func (h *Handler) ownApplication(c *gin.Context) (*repository.Application, *repository.Posting, bool) {
	ctx := c.Request.Context()
	a, err := h.Repo.ApplicationByTokenHash(ctx, hashToken(c.Param("token")))
	if errors.Is(err, repository.ErrNotFound) {
		const heading = "Lien inconnu ou expiré"
		h.render(c, http.StatusNotFound, "error", errorData{Page: h.page(heading), Heading: heading, Status: http.StatusNotFound,
			Message:   "Ce lien de suivi n'est pas (ou plus) valable : seul le dernier lien reçu pour une candidature fonctionne. Vous pouvez en recevoir un nouveau par email.",
			BackURL:   "/lien-perdu",
			BackLabel: "Recevoir un nouveau lien"})
		c.Abort()
		return nil, nil, false
	}
	if err != nil {
		h.fail(c, err)
		return nil, nil, false
	}
	p, err := h.postingByID(ctx, a.PostingID)
	if err != nil {
		h.fail(c, err)
		return nil, nil, false
	}
	// The link is a secret: keep it out of caches and referrers.
	c.Header("Cache-Control", "no-store")
	c.Header("Referrer-Policy", "no-referrer")
	return a, p, true
}

func (h *Handler) postingByID(ctx context.Context, id int64) (*repository.Posting, error) {
	return h.Repo.PostingByID(ctx, id)
}

func (h *Handler) showOwnApplication(c *gin.Context) {
	a, p, ok := h.ownApplication(c)
	if !ok {
		return
	}
	h.renderOwnApplication(c, http.StatusOK, a, p, ownPickForm{})
}

func (h *Handler) renderOwnApplication(c *gin.Context, status int, a *repository.Application, p *repository.Posting, pick ownPickForm) {
	events, err := h.Repo.Events(c.Request.Context(), a.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	d := ownApplicationData{Page: h.page("Ma candidature"), Token: c.Param("token"), Posting: viewOf(p), Application: a, Events: events,
		PostingOpen: p.AcceptsApplications(h.Now()), Pick: pick}
	if doc, err := h.Repo.DocumentInfo(c.Request.Context(), a.ID); err == nil {
		d.CVName = doc.FileName
	}
	if err := h.ownInterview(c, a, p, &d); err != nil {
		h.fail(c, err)
		return
	}
	// Applicants have no session: the URL carries a code, never a text.
	d.Flash = ownMessages[c.Query("fait")]
	h.render(c, status, "own_application", d)
}

// ownMessages are the only messages the private page shows after an
// action, by their code in the URL ("?fait=retrait").
var ownMessages = map[string]string{
	"retrait":        "Votre candidature est retirée. La personne qui recrute en a été informée.",
	"retablissement": "Le retrait est annulé : votre candidature est de nouveau étudiée. La personne qui recrute en a été informée.",
	"entretien":      "Votre entretien est fixé : une invitation à ajouter à votre agenda vous est envoyée par email.",
	"aucun-creneau":  "Votre message est transmis : la personne qui recrute vous proposera d'autres créneaux.",
	"annulation":     "Votre entretien est annulé : la personne qui recrute en est informée.",
}

func (h *Handler) withdrawOwnApplication(c *gin.Context) {
	a, p, ok := h.ownApplication(c)
	if !ok {
		return
	}
	if c.PostForm("confirmation") != "oui" {
		c.Redirect(http.StatusSeeOther, "/candidature/"+c.Param("token")+"/retrait")
		return
	}
	emails, err := h.Emails.Withdrawn(p, a)
	if err != nil {
		h.fail(c, err)
		return
	}
	// An interview still to come is cancelled, and everyone told.
	cancellations, cancel := h.interviewEmails(compose.InterviewCancelled, p, a, time.Time{})
	switch err := h.Repo.Withdraw(c.Request.Context(), a.ID, emails, cancel); {
	case errors.Is(err, repository.ErrConflict): // withdrawing twice is harmless
	case err != nil:
		h.fail(c, err)
		return
	default:
		h.enqueue(c, append(emails, *cancellations...)...)
	}
	c.Redirect(http.StatusSeeOther, "/candidature/"+c.Param("token")+"?fait=retrait")
}

func (h *Handler) confirmErasure(c *gin.Context) {
	a, p, ok := h.ownApplication(c)
	if !ok {
		return
	}
	h.render(c, http.StatusOK, "erase_confirm", ownApplicationData{Page: h.page("Effacer mes données"),
		Token: c.Param("token"), Posting: viewOf(p), Application: a})
}

func (h *Handler) eraseOwnApplication(c *gin.Context) {
	a, p, ok := h.ownApplication(c)
	if !ok {
		return
	}
	if c.PostForm("confirmation") != "oui" {
		c.Redirect(http.StatusSeeOther, "/candidature/"+c.Param("token")+"/effacement")
		return
	}
	if err := h.eraseApplication(c, p, a, repository.ActorApplicant); err != nil {
		h.fail(c, err)
		return
	}
	h.audit(c, repository.AuditErased, p.ID, a.ID, nil)
	c.Redirect(http.StatusSeeOther, "/donnees-effacees")
}

// eraseApplication erases a's data as actor (the applicant, or an admin
// at their request): the contact is told, and an interview still to come
// is cancelled with its reviewers told; the emails leave once committed.
// ErrNotFound: it was erased already.
func (h *Handler) eraseApplication(c *gin.Context, p *repository.Posting, a *repository.Application, actor string) error {
	emails, err := h.Emails.Erased(p, a)
	if err != nil {
		return err
	}
	cancellations, cancel := h.erasureCancellations(p)
	if err := h.Repo.Erase(c.Request.Context(), a.ID, actor, emails, cancel); err != nil {
		return err
	}
	h.enqueue(c, append(emails, *cancellations...)...)
	return nil
}

// interviewEmails builds, for a repository call, the emails of kind about
// a's interview (before: its time before a move), and keeps what it wrote
// in the list it returns, for enqueueing once committed.
func (h *Handler) interviewEmails(kind compose.Kind, p *repository.Posting, a *repository.Application, before time.Time) (*[]*repository.Email, repository.InterviewBuild) {
	var written []*repository.Email
	return &written, func(iv *repository.Interview) ([]*repository.Email, error) {
		es, err := h.Emails.Interview(kind, p, a, iv, before)
		written = es
		return es, err
	}
}

// erasureCancellations is what an erasure of an application of p writes
// for its interview still to come: the cancellations to the reviewers
// attending, gathered in the list it returns for enqueueing after the
// commit.
func (h *Handler) erasureCancellations(p *repository.Posting) (*[]*repository.Email, repository.ErasureBuild) {
	var written []*repository.Email
	return &written, func(a *repository.Application, iv *repository.Interview) ([]*repository.Email, error) {
		es, err := h.Emails.ErasedInterview(p, a, iv)
		written = append(written, es...)
		return es, err
	}
}

func (h *Handler) erased(c *gin.Context) {
	h.render(c, http.StatusOK, "erased", struct{ Page }{h.page("Données effacées")})
}

func (h *Handler) staticPage(name string) gin.HandlerFunc {
	titles := map[string]string{"accessibility": "Déclaration d'accessibilité", "legal": "Mentions légales", "privacy": "Données personnelles"}
	return func(c *gin.Context) {
		h.render(c, http.StatusOK, "static_"+name, struct {
			Page
			RetentionMonths int
			Contact         string
		}{h.page(titles[name]), h.Config.RetentionMonths, h.dataContact(nil)})
	}
}
