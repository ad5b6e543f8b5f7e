package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"vivier/internal/catalog"
	"vivier/internal/compose"
	"vivier/repository"
)

// Moving applications through the pipeline, with or without an email.

// delays offered before a status email leaves (it can be cancelled until then).
var delays = []choice{{"0", "tout de suite"}, {"60", "dans 1 heure"}, {"120", "dans 2 heures"}, {"1440", "dans 24 heures"}}

func readDelay(s string) (time.Duration, bool) {
	for _, d := range delays {
		if d.Value == s {
			n, _ := strconv.Atoi(s)
			return time.Duration(n) * time.Minute, true
		}
	}
	return 0, s == ""
}

type statusFormData struct {
	inboxPage
	Posting     postingView
	Application *repository.Application
	To          catalog.Status
	ToLabel     string
	Send        bool
	Subject     string
	Message     string
	Delay       string
	Delays      []choice
	Errors      map[string]string
	List        string
	Variables   []compose.Variable
	// Shown: the person, or a number during a blind first pass.
	Shown repository.Shown
	// NeedsReason: the move asks for a reason (a rejection), kept as typed.
	NeedsReason bool
	Reason      string
}

// statusForm shows the email prefilled from the new status's wording, in
// the wordings' language, to edit before the change is made.
func (h *Handler) statusForm(c *gin.Context) {
	a, p, ok := h.reviewedApplication(c)
	if !ok {
		return
	}
	to := catalog.Status(c.Query("vers"))
	if !to.ReviewerMaySet() {
		h.notFound(c)
		return
	}
	shown := repository.ShownOf(p, a)
	d := statusFormData{inboxPage: h.inboxPage(c, "Changer le statut — "+shown.Name), Posting: viewOf(p),
		Application: a, To: to, ToLabel: to.Label(), Send: true, Delays: delays, Delay: "0", List: c.Query("liste"),
		Variables: compose.Variables(), Shown: shown, NeedsReason: repository.NeedsReason(to)}
	saved, err := h.Repo.PostingTemplates(c.Request.Context(), p.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	w := h.Emails.StatusWords(to, saved)
	d.Subject, d.Message = w.Subject, w.Message
	h.render(c, http.StatusOK, "inbox_status", d)
}

func (h *Handler) changeStatus(c *gin.Context) {
	a, p, ok := h.reviewedApplication(c)
	if !ok {
		return
	}
	to := catalog.Status(c.PostForm("vers"))
	shown := repository.ShownOf(p, a)
	d := statusFormData{inboxPage: h.inboxPage(c, "Changer le statut — "+shown.Name), Posting: viewOf(p),
		Application: a, To: to, ToLabel: to.Label(), Send: c.PostForm("envoyer") == "oui",
		Subject: strings.TrimSpace(c.PostForm("objet")), Message: strings.TrimSpace(c.PostForm("message")),
		Delay: c.PostForm("delai"), Delays: delays, Errors: map[string]string{}, List: c.PostForm("liste"), Variables: compose.Variables(),
		Shown: shown, NeedsReason: repository.NeedsReason(to), Reason: strings.TrimSpace(c.PostForm("motif"))}
	if !to.ReviewerMaySet() {
		d.Errors["vers"] = "Choisissez un statut de la liste."
	}
	if d.NeedsReason {
		if msg := reasonError(d.Reason); msg != "" {
			d.Errors["motif"] = msg
		}
	}
	delay, okDelay := readDelay(d.Delay)
	if !okDelay {
		d.Errors["delai"] = "Choisissez un délai de la liste."
	}
	if d.Send {
		switch {
		case d.Subject == "":
			d.Errors["objet"] = "Indiquez l'objet de l'email."
		case strings.ContainsAny(d.Subject, "\r\n") || utf8.RuneCountInString(d.Subject) > 200:
			d.Errors["objet"] = "L'objet tient sur une ligne de 200 caractères au plus."
		case badText(d.Subject):
			d.Errors["objet"] = "L'objet contient des caractères invisibles non autorisés : retapez-le."
		}
		switch {
		case badText(d.Message):
			d.Errors["message"] = "Le message contient des caractères invisibles non autorisés : retapez-le ou collez-le sans mise en forme."
		case d.Message == "":
			d.Errors["message"] = "Écrivez le message, ou décochez l'envoi d'un email."
		}
		// The words are in the wordings' language, checked for this person.
		if d.Errors["objet"] == "" && d.Errors["message"] == "" {
			if err := h.Emails.Check(compose.Words{Subject: d.Subject, Message: d.Message}, p, a); err != nil {
				field := "message"
				if strings.HasPrefix(err.Error(), "Objet") {
					field = "objet"
				}
				d.Errors[field] = err.Error()
			}
		}
	}
	if a.Status == catalog.StatusWithdrawn || a.ErasedAt != nil {
		d.Errors["vers"] = "Cette candidature a été retirée ou effacée : son statut ne peut plus changer."
	}
	if len(d.Errors) > 0 {
		h.render(c, http.StatusUnprocessableEntity, "inbox_status", d)
		return
	}
	ch := repository.StatusChange{To: to, Actor: viewerOf(c).Email, Reason: d.Reason}
	if d.Send {
		words := compose.Words{Subject: d.Subject, Message: d.Message}
		pool, err := h.freePool(c, p, to)
		if err != nil {
			h.fail(c, err)
			return
		}
		ch.EmailFor = func(app *repository.Application) (*repository.Email, error) {
			return h.Emails.StatusUpdateOffering(p, app, to, words, h.Now().Add(delay), pool)
		}
	}
	res, err := h.Repo.ChangeStatus(c.Request.Context(), p.ID, []int64{a.ID}, ch)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.audit(c, repository.AuditStatusChanged, p.ID, a.ID, map[string]any{"de": a.Status, "vers": to, "email": d.Send})
	h.enqueue(c, res.Emails...)
	msg := "Statut modifié."
	if len(res.Revealed) > 0 {
		msg = "Statut modifié : la candidature a atteint l'étape « " + p.BlindUntil.Label() + " », son identité est maintenant visible."
	}
	h.redirectFlash(c, applicationLink(a.ID, c), msg, "")
}

// maxBulkMove bounds one bulk move (a list page shows 50 applications),
// and so the message naming those left where they were.
const maxBulkMove = 1000

// bulkChangeStatus moves the selected applications of a posting at once,
// each with the status's templated email when asked.
func (h *Handler) bulkChangeStatus(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	to := catalog.Status(c.PostForm("vers"))
	back := "/boite/offres/" + strconv.FormatInt(p.ID, 10) + listSuffix(c)
	var ids []int64
	for _, s := range c.PostFormArray("ids") {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	delay, okDelay := readDelay(c.PostForm("delai"))
	switch {
	case len(ids) == 0:
		h.errorPage(c, http.StatusUnprocessableEntity, "Aucune candidature choisie", "Cochez les candidatures à déplacer, puis choisissez leur nouveau statut.")
		return
	case len(ids) > maxBulkMove:
		h.errorPage(c, http.StatusUnprocessableEntity, "Trop de candidatures choisies",
			"Déplacez au plus "+strconv.Itoa(maxBulkMove)+" candidatures à la fois.")
		return
	case !to.ReviewerMaySet():
		h.errorPage(c, http.StatusUnprocessableEntity, "Statut manquant", "Choisissez le nouveau statut des candidatures cochées.")
		return
	case !okDelay:
		h.errorPage(c, http.StatusUnprocessableEntity, "Délai inconnu", "Choisissez un délai d'envoi de la liste.")
		return
	}
	reason := strings.TrimSpace(c.PostForm("motif"))
	if repository.NeedsReason(to) {
		if msg := reasonError(reason); msg != "" {
			h.errorPage(c, http.StatusUnprocessableEntity, "Motif du refus", msg+" Revenez à la liste, écrivez-le dans « Motif du refus » et déplacez de nouveau les candidatures cochées.")
			return
		}
	}
	ch := repository.StatusChange{To: to, Actor: viewerOf(c).Email, Reason: reason}
	saved, err := h.Repo.PostingTemplates(c.Request.Context(), p.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	if c.PostForm("envoyer") == "oui" {
		words := h.Emails.StatusWords(to, saved)
		pool, err := h.freePool(c, p, to)
		if err != nil {
			h.fail(c, err)
			return
		}
		ch.EmailFor = func(app *repository.Application) (*repository.Email, error) {
			return h.Emails.StatusUpdateOffering(p, app, to, words, h.Now().Add(delay), pool)
		}
	}
	res, err := h.Repo.ChangeStatus(c.Request.Context(), p.ID, ids, ch)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.audit(c, repository.AuditStatusChanged, p.ID, 0, map[string]any{"vers": to, "candidatures": ids, "modifiees": res.Changed, "email": ch.EmailFor != nil})
	h.enqueue(c, res.Emails...)
	h.redirectFlash(c, back, bulkMoveMessage(res, to), "")
}

// bulkMoveMessage says how many applications moved, and names each one
// left where it was, with the reason.
func bulkMoveMessage(res repository.StatusChangeResult, to catalog.Status) string {
	label := to.Label()
	msg := countOf(res.Changed, "candidature déplacée", "candidatures déplacées") + " vers « " + label + " »."
	if res.Changed == 0 {
		msg = "Aucune candidature déplacée vers « " + label + " »."
	}
	if len(res.Skipped) == 0 {
		return msg
	}
	parts := make([]string, len(res.Skipped))
	for i, s := range res.Skipped {
		who := "n° " + strconv.FormatInt(s.ID, 10)
		if name := strings.TrimSpace(s.FirstName + " " + s.LastName); name != "" {
			who = name + " (" + who + ")"
		}
		why := map[string]string{
			repository.SkipWithdrawn:  "retirée par la personne candidate",
			repository.SkipErased:     "données effacées",
			repository.SkipSameStatus: "déjà « " + label + " »",
			repository.SkipNotFound:   "introuvable dans cette offre",
		}[s.Reason]
		parts[i] = who + ", " + why
	}
	return msg + " " + countOf(len(res.Skipped), "non déplacée", "non déplacées") + " : " + strings.Join(parts, " ; ") + "."
}

// reviewedEmail loads the email of :id if the viewer may see its application.
func (h *Handler) reviewedEmail(c *gin.Context) (*repository.Email, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		h.notFound(c)
		return nil, false
	}
	e, err := h.Repo.EmailByID(c.Request.Context(), id)
	if errors.Is(err, repository.ErrNotFound) || (err == nil && (e.ApplicationID == nil || e.PostingID == nil)) {
		h.notFound(c)
		return nil, false
	}
	if err != nil {
		h.fail(c, err)
		return nil, false
	}
	ok, err := h.canSee(c.Request.Context(), viewerOf(c), *e.PostingID)
	if err != nil {
		h.fail(c, err)
		return nil, false
	}
	if !ok {
		h.notFound(c)
		return nil, false
	}
	return e, true
}

func (h *Handler) cancelEmail(c *gin.Context) {
	e, ok := h.reviewedEmail(c)
	if !ok {
		return
	}
	if err := h.Repo.CancelEmail(c.Request.Context(), e.ID); err != nil {
		h.fail(c, repository.WithMessage(err, repository.EConflict, "Trop tard",
			"Cet email est déjà parti (ou en cours d'envoi) : il ne peut plus être annulé."))
		return
	}
	h.redirectFlash(c, applicationLink(*e.ApplicationID, c), "Envoi annulé.", "")
}

func (h *Handler) resendEmail(c *gin.Context) {
	e, ok := h.reviewedEmail(c)
	if !ok {
		return
	}
	copy, err := h.Repo.ResendEmail(c.Request.Context(), e.ID)
	if err != nil {
		h.fail(c, repository.WithMessage(err, repository.EConflict, "Renvoi impossible", "Seul un email en échec peut être renvoyé."))
		return
	}
	h.enqueue(c, copy)
	h.redirectFlash(c, applicationLink(*e.ApplicationID, c), "L'email va être renvoyé.", "")
}

// reasonError says what is wrong with a rejection's reason ("" if nothing).
func reasonError(reason string) string {
	switch n := utf8.RuneCountInString(reason); {
	case badText(reason):
		return "Le motif contient des caractères invisibles non autorisés : retapez-le."
	case n == 0:
		return "Indiquez en quelques mots pourquoi la candidature n'est pas retenue."
	case n > repository.MaxReasonLen:
		return "Le motif tient en 500 caractères au plus."
	}
	return ""
}

// freePool lists, for a move to « Entretien », the posting's pool slots
// still free and to come: the status's email offers them (none for
// another status).
func (h *Handler) freePool(c *gin.Context, p *repository.Posting, to catalog.Status) ([]repository.InterviewSlot, error) {
	if to != catalog.StatusInterview {
		return nil, nil
	}
	slots, err := h.Repo.PoolSlots(c.Request.Context(), p.ID, h.Now())
	if err != nil {
		return nil, err
	}
	free := slots[:0]
	for _, s := range slots {
		if !s.Taken {
			free = append(free, s)
		}
	}
	return free, nil
}
