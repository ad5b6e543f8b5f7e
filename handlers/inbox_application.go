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
	"vivier/internal/compose"
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
	Timeline    []timelineItem
	Emails      []repository.Email
	Statuses    []statusTab
	Query       listQuery
	PrevLink    string
	NextLink    string
	ListLink    string
	Flash       string
	FlashAbout  string // flashWarning: the message is a warning
	NoteError   string
	NoteText    string // the note typed, shown again with NoteError
	// Mentionable are the other reviewers of the posting, whom a note may
	// mention with "@".
	Mentionable []string
	// Answers to the posting's own questions.
	Answers []answerView
	// Inbound is what the applicant (or their mail server) sent back.
	Inbound []inboundView
	// CannotWrite says why nobody may write to the applicant ("" if one may).
	CannotWrite string
	Wordings    []choice
	// RepliesGo says where the applicant's answer to a message arrives.
	RepliesGo string
	// Bounced: an email to the applicant did not arrive.
	Bounced bool
	// Correction is the form correcting the address of a bounced email,
	// as sent back with its error.
	Correction correctionForm

	// Shown: the person, or a number during a blind first pass (then
	// Application is the copy fit for reviewers: see repository.ForReviewers).
	Shown      repository.Shown
	Scorecards scorecardsView
}

// correctionForm is the address typed to resend a bounced email, and
// what is wrong with it.
type correctionForm struct {
	EmailID      int64
	Value, Error string
}

// applicationPageState is what a refused form leaves on the page shown
// again: the error of the note, the scorecard as typed, the corrected
// address of a bounced email.
type applicationPageState struct {
	NoteError  string
	Scorecard  *scorecardForm
	Correction *correctionForm
}

func (h *Handler) inboxApplication(c *gin.Context) {
	a, p, ok := h.reviewedApplication(c)
	if !ok {
		return
	}
	h.renderApplicationPage(c, http.StatusOK, a, p, applicationPageState{})
}

func (h *Handler) renderInboxApplication(c *gin.Context, status int, a *repository.Application, p *repository.Posting, noteError string) {
	h.renderApplicationPage(c, status, a, p, applicationPageState{NoteError: noteError})
}

// renderApplicationPage renders an application's page, with what a
// refused form sent back (st) shown again.
func (h *Handler) renderApplicationPage(c *gin.Context, status int, a *repository.Application, p *repository.Posting, st applicationPageState) {
	ctx, v := c.Request.Context(), viewerOf(c)
	shown := repository.ShownOf(p, a)
	real := a
	a, _ = repository.ForReviewers(p, a)
	d := inboxApplicationData{inboxPage: h.inboxPage(c, shown.Name+" — "+p.Title), Posting: viewOf(p),
		Application: a, NoteError: st.NoteError, Shown: shown, CannotWrite: writable(a), Wordings: messageWordings(),
		RepliesGo: h.repliesGo(p)}
	if st.Correction != nil {
		d.Correction = *st.Correction
	}
	if a.ErasedAt != nil {
		d.Page.Title = "Candidature effacée — " + p.Title
	}
	var err error
	if shown.Hidden {
		// No CV during a blind first pass.
	} else if doc, derr := h.Repo.DocumentByApplication(ctx, a.ID); derr == nil {
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
	if d.Scorecards, err = h.scorecardsOf(c, a, st.Scorecard); err != nil {
		h.fail(c, err)
		return
	}
	if d.Emails, err = h.Repo.EmailsOfApplication(ctx, a.ID); err != nil {
		h.fail(c, err)
		return
	}
	inbound, err := h.Repo.InboundOfApplication(ctx, a.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	d.Inbound = inboundFor(inbound, shown.Hidden)
	for _, e := range d.Emails {
		d.Bounced = d.Bounced || e.BouncedAt != nil
	}
	if shown.Hidden {
		d.Emails = maskEmails(d.Emails, real)
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
	d.Timeline = timeline(events, d.Notes, d.Emails, d.Inbound, interviews)
	if d.Answers, err = h.applicationAnswers(ctx, a, shown.Hidden); err != nil {
		h.fail(c, err)
		return
	}
	for _, s := range catalog.Pipeline() {
		d.Statuses = append(d.Statuses, statusTab{Status: s, Label: s.Label(), Current: a.Status == s})
	}

	// Previous and next within the list the reviewer came from.
	d.Query = readListQuery(c.Request.URL.Query())
	d.Query.After = ""
	// The source is taken as given: one never seen matches no neighbour.
	f, _ := d.Query.Filter(p.ID, v.Email, []string{d.Query.Source})
	f.Blind = p.BlindUntil != ""
	// Filters on answers and a sort on a question, as the list applies them.
	if len(d.Query.Answers) > 0 || isQuestionSort(d.Query.Sort) {
		columns, err := h.listColumns(ctx, p.ID, d.Query)
		if err != nil {
			h.fail(c, err)
			return
		}
		d.Query.answerFilter(&f, columns)
	}
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
	d.Flash, d.FlashAbout = h.popFlash(c)
	reviewers, err := h.Repo.Reviewers(ctx, p.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	for _, r := range reviewers {
		if !strings.EqualFold(r, v.Email) {
			d.Mentionable = append(d.Mentionable, r)
		}
	}
	if d.NoteError != "" && strings.HasSuffix(c.Request.URL.Path, "/notes") {
		d.NoteText = strings.TrimSpace(c.PostForm("note"))
	}
	if err := h.Repo.MarkRead(ctx, a.ID, v.Email); err != nil {
		h.logger(c).Warn("mark read", "error", err, "application_id", a.ID)
	}
	h.render(c, status, "inbox_application", d)
}

// timeline merges what happened to an application, oldest first.
func timeline(events []repository.Event, notes []repository.Note, emails []repository.Email, inbound []inboundView, interviews []repository.Interview) []timelineItem {
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
			if e.Reason != "" {
				what += " (motif : " + e.Reason + ")"
			}
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
		who := "système"
		if e.Kind == string(compose.Message) {
			who = "message écrit"
		}
		all = append(all, dated{e.CreatedAt.UnixNano(), timelineItem{At: frfmt.DateTime(e.CreatedAt), What: "Email « " + e.Subject + " » à " + e.ToAddress + " (" + emailStateLabel(e.Status) + ")", Who: who}})
		if e.BouncedAt != nil {
			all = append(all, dated{e.BouncedAt.UnixNano(), timelineItem{At: frfmt.DateTime(*e.BouncedAt), What: "Email « " + e.Subject + " » non remis à " + e.ToAddress + " : " + e.BounceReason, Who: "serveur de messagerie"}})
		}
	}
	for _, m := range inbound {
		var what string
		switch m.Kind {
		case repository.InboundReply:
			what = "Réponse reçue"
		case repository.InboundAutoReply:
			what = "Réponse automatique reçue"
		default:
			continue // a bounce shows on its email
		}
		if m.Subject != "" {
			what += " : « " + m.Subject + " »"
		}
		who := m.FromAddress
		if who == "" { // during a blind first pass
			who = m.From
		}
		all = append(all, dated{m.CreatedAt.UnixNano(), timelineItem{At: frfmt.DateTime(m.CreatedAt), What: what, Who: who}})
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

// emailBounced is the state shown for a sent email that a delivery
// status notification said did not arrive.
const emailBounced = "bounced"

func emailStateLabel(s string) string {
	switch s {
	case repository.EmailPending:
		return "en attente"
	case repository.EmailSending:
		return "en cours d'envoi"
	case repository.EmailSent:
		return "envoyé"
	case emailBounced:
		return "non remis"
	case repository.EmailFailed:
		return "échec"
	case repository.EmailCancelled:
		return "annulé"
	}
	return s
}

// inboxCV serves the CV to those allowed, inline for a PDF.
func (h *Handler) inboxCV(c *gin.Context) {
	a, p, ok := h.reviewedApplication(c)
	if !ok {
		return
	}
	if repository.ShownOf(p, a).Hidden { // no CV during a blind first pass
		h.notFound(c)
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
	ctx, author := c.Request.Context(), viewerOf(c).Email
	reviewers, err := h.Repo.Reviewers(ctx, p.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	m := findMentions(body, reviewers, author)
	emails, err := h.Repo.AddNoteWithEmails(ctx, a.ID, author, body, func(noteID int64) ([]*repository.Email, error) {
		var out []*repository.Email
		for _, to := range m.To {
			e, err := h.Emails.Mention(p, a, author, noteID, body, to)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		return out, nil
	})
	if err != nil {
		h.fail(c, err)
		return
	}
	h.enqueue(c, emails...)
	var details map[string]any
	if len(m.To) > 0 {
		details = map[string]any{"mentions": m.To}
	}
	h.audit(c, repository.AuditNoteAdded, p.ID, a.ID, details)
	about := ""
	if m.unresolved() {
		about = flashWarning
	}
	h.redirectFlash(c, applicationLink(a.ID, c), "Note ajoutée."+m.notice(), about)
}

// flashWarning marks a message after an action that did not do all that
// was asked (shown as a warning).
const flashWarning = "avertissement"

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
