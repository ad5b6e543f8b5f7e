package handlers

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"vivier/internal/catalog"
	"vivier/internal/frfmt"
	"vivier/repository"
)

// One application, as its reviewers see it.

type timelineItem struct {
	At   string
	What string
	Who  string
}

type inboxApplicationData struct {
	inboxPage
	Posting     postingView
	Application *repository.Application
	Document    *repository.Document
	IsPDF       bool
	Notes       []repository.Note
	Rating      repository.Rating
	Timeline    []timelineItem
	Emails      []repository.Email
	Statuses    []statusTab
	Query       listQuery
	PrevLink    string
	NextLink    string
	ListLink    string
	Flash       string
	NoteError   string
	RatingScale []ratingMark
}

// ratingMark is one mark of the 1-to-4 rating and what it means, shown
// with the control.
type ratingMark struct {
	Score   int
	Meaning string
}

var ratingScale = []ratingMark{{1, "Ne convient pas"}, {2, "Plutôt non"}, {3, "Plutôt oui"}, {4, "Très bonne candidature"}}

func (h *Handler) inboxApplication(c *gin.Context) {
	a, p, ok := h.reviewedApplication(c)
	if !ok {
		return
	}
	h.renderInboxApplication(c, http.StatusOK, a, p, "")
}

func (h *Handler) renderInboxApplication(c *gin.Context, status int, a *repository.Application, p *repository.Posting, noteError string) {
	ctx, v := c.Request.Context(), viewerOf(c)
	d := inboxApplicationData{inboxPage: h.inboxPage(c, a.FirstName+" "+a.LastName+" — "+p.Title), Posting: viewOf(p),
		Application: a, NoteError: noteError, RatingScale: ratingScale}
	if a.ErasedAt != nil {
		d.Page.Title = "Candidature effacée — " + p.Title
	}
	var err error
	if doc, derr := h.Repo.DocumentByApplication(ctx, a.ID); derr == nil {
		doc.Content = nil
		d.Document, d.IsPDF = doc, doc.ContentType == "application/pdf"
	} else if !errors.Is(derr, repository.ErrNotFound) {
		h.fail(c, derr)
		return
	}
	if d.Notes, err = h.Repo.Notes(ctx, a.ID); err != nil {
		h.fail(c, err)
		return
	}
	if d.Rating, err = h.Repo.RatingOf(ctx, a.ID, v.Email); err != nil {
		h.fail(c, err)
		return
	}
	if d.Emails, err = h.Repo.EmailsOfApplication(ctx, a.ID); err != nil {
		h.fail(c, err)
		return
	}
	events, err := h.Repo.Events(ctx, a.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	interviews, err := h.Repo.InterviewsOfApplication(ctx, a.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	d.Timeline = timeline(events, d.Notes, d.Emails, interviews)
	for _, s := range catalog.Pipeline() {
		d.Statuses = append(d.Statuses, statusTab{Status: s, Label: s.Label(), Current: a.Status == s})
	}

	// Previous and next within the list the reviewer came from.
	d.Query = readListQuery(c.Request.URL.Query())
	d.Query.After = ""
	// The source is taken as given: one never seen matches no neighbour.
	f, _ := d.Query.Filter(p.ID, v.Email, []string{d.Query.Source})
	prev, next, err := h.Repo.Neighbours(ctx, f, a.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	suffix := d.Query.With("", "")
	if prev != 0 {
		d.PrevLink = "/boite/candidatures/" + strconv.FormatInt(prev, 10) + suffix
	}
	if next != 0 {
		d.NextLink = "/boite/candidatures/" + strconv.FormatInt(next, 10) + suffix
	}
	d.ListLink = "/boite/offres/" + strconv.FormatInt(p.ID, 10) + suffix
	d.Flash, _ = h.popFlash(c)
	if err := h.Repo.MarkRead(ctx, a.ID, v.Email); err != nil {
		h.logger(c).Warn("mark read", "error", err, "application_id", a.ID)
	}
	h.render(c, status, "inbox_application", d)
}

// timeline merges what happened to an application, oldest first.
func timeline(events []repository.Event, notes []repository.Note, emails []repository.Email, interviews []repository.Interview) []timelineItem {
	type dated struct {
		at   int64
		item timelineItem
	}
	var all []dated
	for _, e := range events {
		what := e.Kind
		switch e.Kind {
		case repository.EventReceived:
			what = "Candidature reçue"
		case repository.EventStatusChanged:
			what = fmt.Sprintf("Statut : %s → %s", deref(e.FromStatus).Label(), deref(e.ToStatus).Label())
		case repository.EventWithdrawn:
			what = "Candidature retirée par la personne candidate"
		case repository.EventWithdrawalUndone:
			what = "Retrait annulé par la personne candidate : " + deref(e.ToStatus).Label()
		case repository.EventErased:
			what = "Données effacées"
		default:
			if l := interviewEventLabel(e.Kind); l != "" {
				what = l
			}
		}
		all = append(all, dated{e.CreatedAt.UnixNano(), timelineItem{At: frfmt.DateTime(e.CreatedAt), What: what, Who: e.Actor}})
	}
	for _, n := range notes {
		all = append(all, dated{n.CreatedAt.UnixNano(), timelineItem{At: frfmt.DateTime(n.CreatedAt), What: "Note ajoutée", Who: n.Author}})
	}
	for _, e := range emails {
		all = append(all, dated{e.CreatedAt.UnixNano(), timelineItem{At: frfmt.DateTime(e.CreatedAt), What: "Email « " + e.Subject + " » à " + e.ToAddress + " (" + emailStateLabel(e.Status) + ")", Who: "système"}})
	}
	for _, iv := range interviews {
		what := "Entretien le " + frfmt.Appointment(iv.StartsAt) + " (" + frfmt.Minutes(iv.Minutes) + ", " + iv.Mode.Label() + ") : " + iv.State.Label()
		if iv.Sequence > 0 && iv.State == catalog.InterviewBooked {
			what += ", déplacé"
		}
		all = append(all, dated{iv.CreatedAt.UnixNano(), timelineItem{At: frfmt.DateTime(iv.CreatedAt), What: what, Who: repository.ActorApplicant}})
	}
	for i := 1; i < len(all); i++ { // insertion sort: a handful of items
		for j := i; j > 0 && all[j].at < all[j-1].at; j-- {
			all[j], all[j-1] = all[j-1], all[j]
		}
	}
	out := make([]timelineItem, len(all))
	for i, d := range all {
		out[i] = d.item
	}
	return out
}

// interviewEventLabel names an interview event of the history ("" for
// another kind).
func interviewEventLabel(kind string) string {
	switch kind {
	case repository.EventInterviewProposed:
		return "Créneaux d'entretien proposés"
	case repository.EventInterviewBooked:
		return "Créneau d'entretien choisi"
	case repository.EventInterviewMoved:
		return "Entretien déplacé"
	case repository.EventInterviewCancelled:
		return "Entretien annulé"
	case repository.EventInterviewNoneFits:
		return "Aucun créneau ne convient"
	}
	return ""
}

func deref(s *catalog.Status) catalog.Status {
	if s == nil {
		return ""
	}
	return *s
}

func emailStateLabel(s string) string {
	switch s {
	case repository.EmailPending:
		return "en attente"
	case repository.EmailSending:
		return "en cours d'envoi"
	case repository.EmailSent:
		return "envoyé"
	case repository.EmailFailed:
		return "échec"
	case repository.EmailCancelled:
		return "annulé"
	}
	return s
}

// inboxCV serves the CV to those allowed, inline for a PDF.
func (h *Handler) inboxCV(c *gin.Context) {
	a, _, ok := h.reviewedApplication(c)
	if !ok {
		return
	}
	doc, err := h.Repo.DocumentByApplication(c.Request.Context(), a.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	disposition := "attachment"
	if doc.ContentType == "application/pdf" && c.Query("telecharger") == "" {
		disposition = "inline"
	}
	h.audit(c, repository.AuditCVOpened, a.PostingID, a.ID, map[string]any{"telechargement": disposition == "attachment"})
	c.Header("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": doc.FileName}))
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Cache-Control", "private, no-store")
	// The PDF is shown in an iframe of our own page. No "sandbox": the
	// browsers' PDF viewers refuse to run in a sandboxed frame.
	c.Header("Content-Security-Policy", "frame-ancestors 'self'")
	c.Header("X-Frame-Options", "SAMEORIGIN")
	c.Data(http.StatusOK, doc.ContentType, doc.Content)
}

func (h *Handler) addNote(c *gin.Context) {
	a, p, ok := h.reviewedApplication(c)
	if !ok {
		return
	}
	body := strings.TrimSpace(c.PostForm("note"))
	switch n := utf8.RuneCountInString(body); {
	case badText(body):
		h.renderInboxApplication(c, http.StatusUnprocessableEntity, a, p, "Votre note contient des caractères invisibles non autorisés : retapez-la ou collez-la sans mise en forme.")
		return
	case n == 0:
		h.renderInboxApplication(c, http.StatusUnprocessableEntity, a, p, "Écrivez votre note avant de l'ajouter.")
		return
	case n > 5000:
		h.renderInboxApplication(c, http.StatusUnprocessableEntity, a, p, "Une note ne doit pas dépasser 5000 caractères.")
		return
	}
	if err := h.Repo.AddNote(c.Request.Context(), a.ID, viewerOf(c).Email, body); err != nil {
		h.fail(c, err)
		return
	}
	h.audit(c, repository.AuditNoteAdded, p.ID, a.ID, nil)
	h.redirectFlash(c, applicationLink(a.ID, c), "Note ajoutée.", "")
}

func (h *Handler) rate(c *gin.Context) {
	a, p, ok := h.reviewedApplication(c)
	if !ok {
		return
	}
	score, err := strconv.Atoi(c.PostForm("note"))
	if err != nil || score < 1 || score > 4 {
		h.renderInboxApplication(c, http.StatusUnprocessableEntity, a, p, "L'évaluation va de 1 à 4.")
		return
	}
	if err := h.Repo.SetRating(c.Request.Context(), a.ID, viewerOf(c).Email, score); err != nil {
		h.fail(c, err)
		return
	}
	h.audit(c, repository.AuditRatingSet, p.ID, a.ID, map[string]any{"note": score})
	h.redirectFlash(c, applicationLink(a.ID, c), "Évaluation enregistrée.", "")
}

// applicationLink returns to an application page, keeping the list's
// filter (posted back as "liste").
func applicationLink(id int64, c *gin.Context) string {
	return "/boite/candidatures/" + strconv.FormatInt(id, 10) + listSuffix(c)
}

// listSuffix is the list's filter posted back as "liste", as a query
// string ("" for none, or one too long for an address).
func listSuffix(c *gin.Context) string {
	v := readListQuery(mustParseQuery(c.PostForm("liste"))).Values().Encode()
	if v == "" || len(v) > maxQueryBytes {
		return ""
	}
	return "?" + v
}

func mustParseQuery(s string) url.Values {
	v, _ := url.ParseQuery(strings.TrimPrefix(s, "?"))
	return v
}
