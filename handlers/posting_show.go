package handlers

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"vivier/internal/applyform"
	"vivier/internal/catalog"
	"vivier/internal/frfmt"
	"vivier/internal/views"
	"vivier/repository"
)

type postingData struct {
	Page
	Posting         postingView
	Open            bool
	Form            *formView
	DayChoices      []choice
	MaxUpload       string
	MinMotivation   int
	MaxMotivation   int
	RetentionMonths int
	ConsentText     string
	Nonce           string
	Source          []hiddenField // where the applicant came from
	// ProConnect offers "Remplir avec ProConnect".
	ProConnect bool
	ClosedAt   *time.Time // when it stopped taking applications; nil while open
	JSONLD     template.JS
	// The posting's own questions: in the body of the form, and the
	// files after the CV.
	Questions, FileQuestions []questionInput
}

type choice struct{ Value, Label string }

// dayChoices are the availabilities offered, by half days ("jour" stays
// singular below two, as French has it).
var dayChoices = []choice{{"0.5", "0,5 jour"}, {"1", "1 jour"}, {"1.5", "1,5 jour"}, {"2", "2 jours"},
	{"2.5", "2,5 jours"}, {"3", "3 jours"}, {"3.5", "3,5 jours"}, {"4", "4 jours"}, {"4.5", "4,5 jours"}, {"5", "5 jours"}}

// publicPosting loads a posting the public may see (not draft, not
// archived); anything else is a 404.
func (h *Handler) publicPosting(c *gin.Context) (*repository.Posting, bool) {
	p, err := h.Repo.PostingBySlug(c.Request.Context(), c.Param("slug"))
	if errors.Is(err, repository.ErrNotFound) || (err == nil && (p.Status == catalog.PostingDraft || p.Status == catalog.PostingArchived)) {
		h.notFound(c)
		return nil, false
	}
	if err != nil {
		h.fail(c, err)
		return nil, false
	}
	return p, true
}

func (h *Handler) showPosting(c *gin.Context) {
	p, ok := h.publicPosting(c)
	if !ok {
		return
	}
	h.count(c, p, views.View)
	form := &formView{}
	if values, siret := h.prefill(c, p.Slug); values != nil {
		form = &formView{Values: values, FromProConnect: true, VerifiedSIRET: siret}
	}
	h.renderPosting(c, http.StatusOK, p, form)
}

func (h *Handler) renderPosting(c *gin.Context, status int, p *repository.Posting, form *formView) {
	d := postingData{
		Page:            h.page(p.Title),
		Posting:         viewOf(p),
		Open:            p.AcceptsApplications(h.Now()),
		Form:            form,
		DayChoices:      dayChoices,
		MaxUpload:       applyform.HumanSize(h.Config.UploadMaxBytes),
		MinMotivation:   applyform.MinMotivationLen,
		MaxMotivation:   applyform.MaxMotivationLen,
		RetentionMonths: h.Config.RetentionMonths,
		ConsentText:     h.consentText(p),
		Nonce:           nonceOf(form.Values),
		Source:          sourceFields(h.sourceOf(c, form.Values)),
		ProConnect:      h.ProConnect != nil,
	}
	if d.Nonce == "" {
		d.Nonce = newNonce()
	}
	if d.Open {
		qs, err := h.formQuestions(c.Request.Context(), p.ID)
		if err != nil {
			h.fail(c, err)
			return
		}
		d.Questions, d.FileQuestions = h.questionInputs(qs, form)
		d.JSONLD = h.jobPostingJSONLD(p)
		d.Page.Scripts = []string{"/static/posting.js"}
	} else {
		closed, err := h.closedSince(c.Request.Context(), p)
		if err != nil {
			h.fail(c, err)
			return
		}
		d.ClosedAt = closed[p.ID]
	}
	if len(form.Summary) > 0 {
		d.Page.Title = "Erreur — " + p.Title
	}
	h.render(c, status, "posting", d)
}

// consentText says who processes the data, why, how long it is kept and
// whom to ask: shown on the form and repeated in the acknowledgement.
func (h *Handler) consentText(p *repository.Posting) string {
	return frfmt.Capitalize(h.Config.OperatorNameArticle) + " traite les données de ce formulaire pour étudier votre candidature et vous en donner des nouvelles. " +
		"Seules les personnes chargées de ce recrutement y ont accès. Elles sont conservées " +
		strconv.Itoa(h.Config.RetentionMonths) + " mois après la clôture de l'offre, puis effacées ; vous pouvez les consulter, les retirer ou les effacer à tout moment depuis le lien de suivi que vous recevrez par email. " +
		"Pour toute question sur vos données, écrivez à " + h.dataContact(p) + "."
}

// closedSince says since when each of ps takes no more applications, as
// pages show it (see repository.LastCloses); those that take them, and
// drafts, are left out. One past its closing date that the scheduler has
// not closed yet closed at that date.
func (h *Handler) closedSince(ctx context.Context, ps ...*repository.Posting) (map[int64]*time.Time, error) {
	out := map[int64]*time.Time{}
	var ids []int64
	now := h.Now()
	for _, p := range ps {
		switch {
		case p.AcceptsApplications(now):
		case p.Status == catalog.PostingOpen:
			out[p.ID] = p.ClosesAt
		case p.Status == catalog.PostingClosed, p.Status == catalog.PostingArchived:
			ids = append(ids, p.ID)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	closes, err := h.Repo.LastCloses(ctx, ids)
	if err != nil {
		return nil, err
	}
	for id, t := range closes {
		out[id] = &t
	}
	return out, nil
}

func (h *Handler) dataContact(p *repository.Posting) string { return h.Emails.DataContact(p) }

// count counts what a person did on the posting's page (robots, by their
// user agent, are left out): one increment in Redis, nothing about the
// visitor kept. What cannot be counted is only logged.
func (h *Handler) count(c *gin.Context, p *repository.Posting, kind views.Kind) {
	if h.Views == nil || views.IsBot(c.Request.UserAgent()) {
		return
	}
	if err := h.Views.Count(c.Request.Context(), p.ID, kind, h.Now()); err != nil {
		h.logger(c).Warn("not counted", "error", err, "posting_id", p.ID, "kind", string(kind))
	}
}

// formStarted counts a form started: the posting page's script says so
// once, when the first field is typed in.
func (h *Handler) formStarted(c *gin.Context) {
	p, ok := h.publicPosting(c)
	if !ok {
		return
	}
	if p.AcceptsApplications(h.Now()) {
		h.count(c, p, views.FormStarted)
	}
	c.Status(http.StatusNoContent)
}
