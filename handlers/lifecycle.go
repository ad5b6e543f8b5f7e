package handlers

import (
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"vivier/internal/catalog"
	"vivier/internal/compose"
	"vivier/internal/frfmt"
	"vivier/repository"
)

// A posting's life: draft → open → closed → archived, and reopen.

type closeGroupView struct {
	Group            catalog.CloseGroup
	Label, Hint      string
	Count            int
	Subject, Message string
	Error            string
	Optional         bool
}

type closePreviewData struct {
	inboxPage
	Posting   postingView
	Counts    repository.CloseCounts
	Groups    []closeGroupView
	Errors    bool
	Variables []compose.Variable
}

func (h *Handler) closeGroups(counts repository.CloseCounts, words map[catalog.CloseGroup]compose.Words) []closeGroupView {
	n := map[catalog.CloseGroup]int{catalog.CloseInReview: counts.InReview, catalog.CloseInterview: counts.Interview,
		catalog.CloseAccepted: counts.Accepted, catalog.CloseRejected: counts.RejectedNew}
	var out []closeGroupView
	for _, g := range catalog.CloseGroups() {
		out = append(out, closeGroupView{Group: g, Label: g.Label(), Hint: g.Hint(), Count: n[g],
			Subject: words[g].Subject, Message: words[g].Message, Optional: g == catalog.CloseAccepted})
	}
	return out
}

// closePreview shows how many applicants each group holds and the words
// each group will receive, editable for this close.
func (h *Handler) closePreview(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	if p.Status != catalog.PostingOpen {
		h.errorPage(c, http.StatusConflict, "Offre déjà close", "Cette offre n'est pas ouverte : il n'y a rien à clore.")
		return
	}
	counts, err := h.Repo.CloseCountsOf(c.Request.Context(), p.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	words, err := h.Closer.DefaultWords(c.Request.Context(), p)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "inbox_close", closePreviewData{inboxPage: h.inboxPage(c, "Clore l'offre — "+p.Title),
		Posting: viewOf(p), Counts: counts, Groups: h.closeGroups(counts, words), Variables: compose.Variables()})
}

func (h *Handler) closePosting(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	words := map[catalog.CloseGroup]compose.Words{}
	for _, g := range catalog.CloseGroups() {
		words[g] = compose.Words{Subject: strings.TrimSpace(c.PostForm("objet_" + string(g))), Message: strings.TrimSpace(c.PostForm("message_" + string(g)))}
	}
	counts, err := h.Repo.CloseCountsOf(ctx, p.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	groups := h.closeGroups(counts, words)
	bad := false
	for i := range groups {
		g := &groups[i]
		switch {
		case g.Optional && g.Subject == "": // no subject: this group gets nothing
		case g.Subject == "":
			g.Error = "Indiquez l'objet de l'email de ce groupe."
		case strings.ContainsAny(g.Subject, "\r\n") || utf8.RuneCountInString(g.Subject) > 200:
			g.Error = "L'objet tient sur une ligne de 200 caractères au plus."
		case badText(g.Subject) || badText(g.Message):
			g.Error = "L'objet ou le message de ce groupe contient des caractères invisibles non autorisés : retapez-le ou collez-le sans mise en forme."
		case g.Message == "":
			g.Error = "Écrivez le message de ce groupe."
		default:
			// In the wordings' language, names counted at their longest.
			if err := h.Emails.Check(compose.Words{Subject: g.Subject, Message: g.Message}, p, nil); err != nil {
				g.Error = err.Error()
			}
		}
		bad = bad || g.Error != ""
	}
	if bad {
		h.render(c, http.StatusUnprocessableEntity, "inbox_close", closePreviewData{inboxPage: h.inboxPage(c, "Clore l'offre — "+p.Title),
			Posting: viewOf(p), Counts: counts, Groups: groups, Errors: true, Variables: compose.Variables()})
		return
	}
	res, err := h.Closer.Close(ctx, p, viewerOf(c).Email, words)
	if err != nil {
		h.fail(c, repository.WithMessage(err, repository.EConflict, "Offre déjà close",
			"Cette offre vient d'être close (par une autre personne ou à sa date de clôture) : aucun email de plus n'a été écrit."))
		return
	}
	told := 0
	for _, n := range res.Written {
		told += n
	}
	msg := "L'offre est close. " + countOf(told, "email de mise à jour part", "emails de mise à jour partent") +
		" vers les personnes candidates ; vous recevez un récapitulatif."
	if told == 0 {
		msg = "L'offre est close. Aucun email de mise à jour ne part vers les personnes candidates ; vous recevez un récapitulatif."
	}
	h.redirectFlash(c, "/boite/offres/"+strconv.FormatInt(p.ID, 10), msg, "")
}

// reopenPosting opens a closed posting again; a closing date already
// passed is replaced by the one given, or removed.
func (h *Handler) reopenPosting(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	var closes *time.Time
	if day := strings.TrimSpace(c.PostForm("date")); day != "" {
		clock := strings.TrimSpace(c.PostForm("heure"))
		if clock == "" {
			clock = "23:59"
		}
		t, err := time.ParseInLocation("2006-01-02 15:04", day+" "+clock, frfmt.Paris)
		if err != nil || !t.After(h.Now()) {
			h.errorPage(c, http.StatusUnprocessableEntity, "Date de clôture invalide", "La nouvelle date de clôture doit être une date et une heure à venir.")
			return
		}
		closes = &t
	} else if p.ClosesAt != nil && p.ClosesAt.After(h.Now()) {
		closes = p.ClosesAt
	}
	if err := h.Repo.SetPostingState(ctx, p.ID, []catalog.PostingState{catalog.PostingClosed}, catalog.PostingOpen, viewerOf(c).Email); err != nil {
		h.fail(c, postingMoved(err))
		return
	}
	if err := h.Repo.SetClosingDate(ctx, p.ID, closes); err != nil {
		h.fail(c, err)
		return
	}
	h.redirectFlash(c, "/boite/offres/"+strconv.FormatInt(p.ID, 10), "L'offre est rouverte : elle accepte de nouveau des candidatures.", "")
}

func (h *Handler) publishPosting(c *gin.Context) {
	h.movePosting(c, []catalog.PostingState{catalog.PostingDraft}, catalog.PostingOpen, "L'offre est publiée.")
}

func (h *Handler) archivePosting(c *gin.Context) {
	h.movePosting(c, []catalog.PostingState{catalog.PostingClosed}, catalog.PostingArchived, "L'offre est archivée : elle n'apparaît plus sur le site public.")
}

// movePosting moves the posting and says so with done.
func (h *Handler) movePosting(c *gin.Context, from []catalog.PostingState, to catalog.PostingState, done string) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	if err := h.Repo.SetPostingState(c.Request.Context(), p.ID, from, to, viewerOf(c).Email); err != nil {
		h.fail(c, postingMoved(err))
		return
	}
	h.redirectFlash(c, "/boite/offres/"+strconv.FormatInt(p.ID, 10), done, "")
}

// postingMoved says what a conflict means to a move of a posting: it
// moved meanwhile.
func postingMoved(err error) error {
	return repository.WithMessage(err, repository.EConflict, "Action impossible",
		"L'offre n'est plus dans l'état qui permet cette action : rechargez la page.")
}
