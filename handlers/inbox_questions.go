package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"vivier/internal/applyform"
	"vivier/internal/catalog"
	"vivier/repository"
)

// A posting's own questions: its reviewers (and admins) add, change,
// order and remove them while the posting is a draft or open. Answers
// already given keep the wording they answered.

type questionsPageData struct {
	inboxPage
	Posting   postingView
	Questions []questionLine
	// Editable: the posting is a draft or open.
	Editable bool
	// Editing is the question the form changes (nil: the form adds one).
	Editing *repository.Question
	Form    applyform.QuestionDraft
	Errors  applyform.Errors
	Summary []applyform.FieldError
	Kinds   []kindOption
	Flash   string
	Max     int
	Full    bool // the posting asks Max questions already
}

// questionLine is a question of the list, as the editor shows it.
type questionLine struct {
	repository.Question
	KindLabel string
	Bounds    string // "entre 0 et 20", for a number
	First     bool
	Last      bool
}

type kindOption struct {
	Value, Label string
}

func kindOptions() []kindOption {
	var out []kindOption
	for _, k := range catalog.QuestionKinds() {
		out = append(out, kindOption{Value: string(k), Label: k.Label()})
	}
	return out
}

// Value gives the template one of the form's values by its name.
func (d questionsPageData) Value(field string) string {
	switch field {
	case applyform.QFLabel:
		return d.Form.Label
	case applyform.QFKind:
		return d.Form.Kind
	case applyform.QFHelp:
		return d.Form.Help
	case applyform.QFChoices:
		return d.Form.Choices
	case applyform.QFMin:
		return d.Form.Min
	case applyform.QFMax:
		return d.Form.Max
	}
	return ""
}

// questionsEditable reports whether a posting's questions may change.
func questionsEditable(p *repository.Posting) bool {
	return p.Status == catalog.PostingDraft || p.Status == catalog.PostingOpen
}

func questionsPath(p *repository.Posting) string {
	return "/boite/offres/" + strconv.FormatInt(p.ID, 10) + "/questions"
}

// renderQuestions shows the editor; d.Errors makes it a 422.
func (h *Handler) renderQuestions(c *gin.Context, p *repository.Posting, d questionsPageData) {
	qs, err := h.Repo.Questions(c.Request.Context(), p.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	title := "Questions de l'offre — " + p.Title
	d.inboxPage, d.Posting, d.Editable, d.Kinds, d.Max = h.inboxPage(c, title), viewOf(p), questionsEditable(p), kindOptions(), applyform.MaxQuestions
	d.Full = len(qs) >= applyform.MaxQuestions
	for i, q := range qs {
		line := questionLine{Question: q, KindLabel: q.Kind.Label(), First: i == 0, Last: i == len(qs)-1}
		if q.Kind == catalog.QuestionNumber {
			line.Bounds = numberBounds(q.Min, q.Max)
		}
		d.Questions = append(d.Questions, line)
	}
	if d.Flash == "" {
		d.Flash, _ = h.popFlash(c)
	}
	status := http.StatusOK
	if len(d.Errors) > 0 {
		status = http.StatusUnprocessableEntity
		d.Page.Title = "Erreur — " + title
		for _, f := range applyform.QuestionFields() {
			if msg, ok := d.Errors[f]; ok {
				d.Summary = append(d.Summary, applyform.FieldError{Field: f, Label: applyform.QuestionFieldLabel(f), Message: msg})
			}
		}
		if msg, ok := d.Errors[""]; ok {
			d.Summary = append(d.Summary, applyform.FieldError{Message: msg})
		}
	}
	h.render(c, status, "inbox_questions", d)
}

// numberBounds says a number question's bounds in French ("" for none).
func numberBounds(lo, hi *float64) string {
	switch {
	case lo != nil && hi != nil:
		return "entre " + applyform.FormatNumber(*lo) + " et " + applyform.FormatNumber(*hi)
	case lo != nil:
		return "au moins " + applyform.FormatNumber(*lo)
	case hi != nil:
		return "au plus " + applyform.FormatNumber(*hi)
	}
	return ""
}

func (h *Handler) questionsPage(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	h.renderQuestions(c, p, questionsPageData{Form: applyform.QuestionDraft{Kind: string(catalog.QuestionShortText)}})
}

// postedQuestion of a question's :qid parameter, among the posting's
// questions; otherwise 404.
func (h *Handler) postedQuestion(c *gin.Context, p *repository.Posting) (*repository.Question, bool) {
	id, err := strconv.ParseInt(c.Param("qid"), 10, 64)
	if err != nil {
		h.notFound(c)
		return nil, false
	}
	qs, err := h.Repo.Questions(c.Request.Context(), p.ID)
	if err != nil {
		h.fail(c, err)
		return nil, false
	}
	for i := range qs {
		if qs[i].ID == id {
			return &qs[i], true
		}
	}
	h.notFound(c)
	return nil, false
}

func (h *Handler) editQuestionForm(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	q, ok := h.postedQuestion(c, p)
	if !ok {
		return
	}
	h.renderQuestions(c, p, questionsPageData{Editing: q, Form: applyform.DraftOf(questionOf(q))})
}

func questionOf(q *repository.Question) applyform.Question {
	return applyform.Question{ID: q.ID, Kind: q.Kind, Label: q.Label, Help: q.Help, Required: q.Required,
		Choices: q.Choices, Min: q.Min, Max: q.Max, InList: q.InList}
}

// refuseFrozen answers a change to the questions of a posting that is
// neither a draft nor open.
func (h *Handler) refuseFrozen(c *gin.Context) {
	h.errorPage(c, http.StatusConflict, "Questions figées",
		"Les questions d'une offre ne changent que tant qu'elle est en brouillon ou ouverte : celle-ci ne prend plus de candidatures, ses questions restent celles auxquelles les candidat·es ont répondu.")
}

func readQuestionDraft(c *gin.Context) applyform.QuestionDraft {
	return applyform.QuestionDraft{Kind: c.PostForm(applyform.QFKind), Label: c.PostForm(applyform.QFLabel),
		Help: c.PostForm(applyform.QFHelp), Choices: c.PostForm(applyform.QFChoices), Min: c.PostForm(applyform.QFMin),
		Max: c.PostForm(applyform.QFMax), Required: c.PostForm(applyform.QFRequired) != "",
		InList: c.PostForm(applyform.QFInList) != ""}
}

func (h *Handler) addQuestion(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	h.saveQuestion(c, p, nil)
}

func (h *Handler) updateQuestion(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	q, ok := h.postedQuestion(c, p)
	if !ok {
		return
	}
	h.saveQuestion(c, p, q)
}

// saveQuestion checks the posted question and adds it (editing nil) or
// changes editing; a refusal shows the form again with each message next
// to its field and what was typed.
func (h *Handler) saveQuestion(c *gin.Context, p *repository.Posting, editing *repository.Question) {
	if !questionsEditable(p) {
		h.refuseFrozen(c)
		return
	}
	draft := readQuestionDraft(c)
	d := questionsPageData{Editing: editing, Form: draft}
	q, errs := applyform.CheckQuestion(draft)
	if d.Errors = errs; len(errs) > 0 {
		h.renderQuestions(c, p, d)
		return
	}
	row := &repository.Question{PostingID: p.ID, Kind: q.Kind, Label: q.Label, Help: q.Help, Required: q.Required,
		Choices: q.Choices, Min: q.Min, Max: q.Max, InList: q.InList}
	if editing != nil {
		row.ID = editing.ID
	}
	err := h.Repo.SaveQuestion(c.Request.Context(), row, viewerOf(c).Email)
	switch {
	case errors.Is(err, repository.ErrTooManyQuestions):
		d.Errors = applyform.Errors{"": "Une offre pose au plus 30 questions : retirez-en une avant d'en ajouter une autre."}
		h.renderQuestions(c, p, d)
		return
	case errors.Is(err, repository.ErrKindAnswered):
		d.Errors = applyform.Errors{applyform.QFKind: "Des candidat·es ont déjà répondu à cette question : son type ne peut plus changer. Retirez-la et ajoutez-en une nouvelle."}
		h.renderQuestions(c, p, d)
		return
	case errors.Is(err, repository.ErrQuestionsFrozen):
		h.refuseFrozen(c)
		return
	case err != nil:
		h.fail(c, err)
		return
	}
	msg := "Question ajoutée : « " + row.Label + " »."
	if editing != nil {
		msg = "Question modifiée : « " + row.Label + " »."
	}
	h.redirectFlash(c, questionsPath(p), msg, "")
}

func (h *Handler) removeQuestion(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(c.Param("qid"), 10, 64)
	if err != nil {
		h.notFound(c)
		return
	}
	// A question removed already (a second click) is said removed again.
	label, err := h.Repo.RemoveQuestion(c.Request.Context(), p.ID, id, viewerOf(c).Email)
	if errors.Is(err, repository.ErrQuestionsFrozen) {
		h.refuseFrozen(c)
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	h.redirectFlash(c, questionsPath(p), "Question retirée : « "+label+" ». Les réponses déjà reçues restent sur les candidatures.", "")
}

func (h *Handler) moveQuestion(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	q, ok := h.postedQuestion(c, p)
	if !ok {
		return
	}
	var up bool
	switch c.PostForm("sens") {
	case "haut":
		up = true
	case "bas":
	default:
		h.errorPage(c, http.StatusBadRequest, "Déplacement inconnu", "Choisissez de monter ou de descendre la question.")
		return
	}
	err := h.Repo.MoveQuestion(c.Request.Context(), p.ID, q.ID, up, viewerOf(c).Email)
	if errors.Is(err, repository.ErrQuestionsFrozen) {
		h.refuseFrozen(c)
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	h.redirectFlash(c, questionsPath(p), "Ordre des questions enregistré.", "")
}
