package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"vivier/internal/catalog"
	"vivier/internal/frfmt"
	"vivier/repository"
)

// An application's scorecards: the reader's own form, and everyone's once
// the reader has filled theirs (so that no one anchors on the first mark).

// markOption is a mark with its legend, as the form offers it.
type markOption struct {
	Mark   int
	Legend string
}

// recommendationOption is an overall recommendation the form offers.
type recommendationOption struct {
	Value int
	Label string
}

// criterionView is a criterion as pages show it.
type criterionView struct {
	ID       int64
	Name     string
	Guidance string
	Weight   int
	Removed  bool
}

// scorecardForm is the reader's scorecard as the form shows it: what they
// submitted, or typed, and the errors next to each field.
type scorecardForm struct {
	Recommendation string
	Comment        string
	Marks          map[int64]string // by criterion id
	Errors         map[string]string
}

// MarkOf is the mark typed for criterion id ("" for none).
func (f scorecardForm) MarkOf(id int64) string { return f.Marks[id] }

// ErrorOf is the error of criterion id's mark.
func (f scorecardForm) ErrorOf(id int64) string { return f.Errors[markField(id)] }

// markCell is one mark of a reviewer's scorecard in the table.
type markCell struct {
	Text     string // "3" or "—"
	Disagree bool
}

// scorecardRow is a reviewer's scorecard in the table.
type scorecardRow struct {
	Reviewer       string
	Mine           bool
	Recommendation string
	Disagree       bool
	Marks          []markCell // by the table's columns
	Score          string
	Comment        string
	UpdatedAt      string
}

// scorecardsView is the scorecards' part of the application page.
type scorecardsView struct {
	ApplicationID   int64
	Criteria        []criterionView // those in use: the form's
	MarkOptions     []markOption
	Recommendations []recommendationOption
	Form            scorecardForm
	Submitted       bool // the reader filled theirs: the others show
	Count           int
	Mean            string // weighted mean, "2,8" ("" before the reader submitted or without scorecards)
	Columns         []criterionView
	Rows            []scorecardRow
	Disagreements   []string
	Erased          bool
}

func markField(id int64) string { return "critere-" + strconv.FormatInt(id, 10) }

// frMean writes a mean as French reads it, with one decimal: "2,8".
func frMean(f float64) string {
	return strings.Replace(strconv.FormatFloat(f, 'f', 1, 64), ".", ",", 1)
}

// scorecardsOf builds the scorecards' part for the reader; form, when
// not nil, is what they just typed, kept with its errors.
func (h *Handler) scorecardsOf(c *gin.Context, a *repository.Application, form *scorecardForm) (scorecardsView, error) {
	ctx, me := c.Request.Context(), strings.ToLower(viewerOf(c).Email)
	v := scorecardsView{ApplicationID: a.ID, Erased: a.ErasedAt != nil}
	for _, m := range catalog.Marks() {
		v.MarkOptions = append(v.MarkOptions, markOption{Mark: int(m), Legend: m.Legend()})
	}
	for _, r := range catalog.Recommendations() {
		v.Recommendations = append(v.Recommendations, recommendationOption{Value: int(r), Label: r.Label()})
	}
	all, err := h.Repo.Criteria(ctx, a.PostingID, true)
	if err != nil {
		return v, err
	}
	cards, err := h.Repo.ScorecardsOf(ctx, a.ID)
	if err != nil {
		return v, err
	}
	for _, cr := range all {
		cv := criterionView{ID: cr.ID, Name: cr.Name, Guidance: cr.Guidance, Weight: cr.Weight, Removed: cr.RemovedAt != nil}
		if !cv.Removed {
			v.Criteria = append(v.Criteria, cv)
		}
	}
	v.Count = len(cards)
	v.Form = scorecardForm{Marks: map[int64]string{}, Errors: map[string]string{}}
	var sum float64
	for _, s := range cards {
		sum += s.Score
		if s.Reviewer == me {
			v.Submitted = true
			v.Form.Recommendation, v.Form.Comment = strconv.Itoa(int(s.Recommendation)), s.Comment
			for id, m := range s.Marks {
				v.Form.Marks[id] = strconv.Itoa(int(m))
			}
		}
	}
	if form != nil {
		v.Form = *form
	}
	if !v.Submitted || len(cards) == 0 {
		return v, nil
	}
	v.Mean = frMean(sum / float64(len(cards)))
	// The table's columns: the criteria in use, and those removed that
	// hold marks on this application.
	marked := map[int64]bool{}
	for _, s := range cards {
		for id := range s.Marks {
			marked[id] = true
		}
	}
	for _, cr := range all {
		if cr.RemovedAt == nil || marked[cr.ID] {
			v.Columns = append(v.Columns, criterionView{ID: cr.ID, Name: cr.Name, Weight: cr.Weight, Removed: cr.RemovedAt != nil})
		}
	}
	split := disagreements(v.Columns, cards)
	v.Disagreements = split.messages
	for _, s := range cards {
		row := scorecardRow{Reviewer: s.Reviewer, Mine: s.Reviewer == me, Recommendation: s.Recommendation.Label(),
			Disagree: split.recommendation, Score: frMean(s.Score), Comment: s.Comment, UpdatedAt: frfmt.DateTime(s.UpdatedAt)}
		for _, col := range v.Columns {
			cell := markCell{Text: "—", Disagree: split.criteria[col.ID]}
			if m, ok := s.Marks[col.ID]; ok {
				cell.Text = strconv.Itoa(int(m))
			}
			row.Marks = append(row.Marks, cell)
		}
		v.Rows = append(v.Rows, row)
	}
	return v, nil
}

// split says where reviewers disagree: on a criterion whose marks are two
// or more apart, and on the recommendation when some say yes and others no.
type split struct {
	criteria       map[int64]bool
	recommendation bool
	messages       []string
}

func disagreements(columns []criterionView, cards []repository.Scorecard) split {
	out := split{criteria: map[int64]bool{}}
	for _, col := range columns {
		lo, hi := catalog.MaxMark+1, catalog.MinMark-1
		for _, s := range cards {
			if m, ok := s.Marks[col.ID]; ok {
				lo, hi = min(lo, m), max(hi, m)
			}
		}
		if hi-lo >= 2 {
			out.criteria[col.ID] = true
			out.messages = append(out.messages, "« "+col.Name+" » : notes de "+strconv.Itoa(int(lo))+" à "+strconv.Itoa(int(hi))+".")
		}
	}
	yes, no := 0, 0
	for _, s := range cards {
		if s.Recommendation.Positive() {
			yes++
		} else {
			no++
		}
	}
	if yes > 0 && no > 0 {
		out.recommendation = true
		out.messages = append(out.messages, "Avis partagés : "+countOf(yes, "oui", "oui")+" et "+countOf(no, "non", "non")+".")
	}
	return out
}

// readScorecard reads a submitted scorecard against the criteria in use,
// and says in French what is wrong next to each field.
func readScorecard(c *gin.Context, criteria []criterionView) (repository.ScorecardInput, scorecardForm) {
	f := scorecardForm{Recommendation: strings.TrimSpace(c.PostForm("avis")), Comment: strings.TrimSpace(c.PostForm("commentaire")),
		Marks: map[int64]string{}, Errors: map[string]string{}}
	in := repository.ScorecardInput{Comment: f.Comment, Marks: map[int64]catalog.Mark{}}
	for _, cr := range criteria {
		s := strings.TrimSpace(c.PostForm(markField(cr.ID)))
		f.Marks[cr.ID] = s
		n, err := strconv.Atoi(s)
		switch {
		case s == "":
			f.Errors[markField(cr.ID)] = "Notez « " + cr.Name + " » de 1 à 4."
		case err != nil || !catalog.Mark(n).Valid():
			f.Errors[markField(cr.ID)] = "La note de « " + cr.Name + " » va de 1 à 4."
		default:
			in.Marks[cr.ID] = catalog.Mark(n)
		}
	}
	n, err := strconv.Atoi(f.Recommendation)
	switch {
	case f.Recommendation == "":
		f.Errors["avis"] = "Choisissez votre avis : définitivement non, non, oui ou définitivement oui."
	case err != nil || !catalog.Recommendation(n).Valid():
		f.Errors["avis"] = "Choisissez un avis de la liste."
	default:
		in.Recommendation = catalog.Recommendation(n)
	}
	switch {
	case badText(f.Comment):
		f.Errors["commentaire"] = "Votre commentaire contient des caractères invisibles non autorisés : retapez-le ou collez-le sans mise en forme."
	case utf8.RuneCountInString(f.Comment) > repository.MaxScorecardNote:
		f.Errors["commentaire"] = "Le commentaire ne doit pas dépasser 5000 caractères."
	}
	return in, f
}

// submitScorecard saves the reader's scorecard of an application: a
// second submission updates theirs.
func (h *Handler) submitScorecard(c *gin.Context) {
	a, p, ok := h.reviewedApplication(c)
	if !ok {
		return
	}
	if a.ErasedAt != nil {
		h.errorPage(c, http.StatusConflict, "Candidature effacée", "Les données de cette candidature ont été effacées : elle ne peut plus être évaluée.")
		return
	}
	view, err := h.scorecardsOf(c, a, nil)
	if err != nil {
		h.fail(c, err)
		return
	}
	in, form := readScorecard(c, view.Criteria)
	if len(form.Errors) > 0 {
		h.renderApplicationPage(c, http.StatusUnprocessableEntity, a, p, applicationPageState{Scorecard: &form})
		return
	}
	created, err := h.Repo.SaveScorecard(c.Request.Context(), p.ID, a.ID, viewerOf(c).Email, in)
	if errors.Is(err, repository.ErrUnknownCriterion) {
		form.Errors["avis"] = "Les critères de cette offre viennent de changer : vérifiez vos notes et enregistrez à nouveau."
		h.renderApplicationPage(c, http.StatusConflict, a, p, applicationPageState{Scorecard: &form})
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	msg := "Votre grille d'évaluation est mise à jour."
	if created {
		msg = "Votre grille d'évaluation est enregistrée : les grilles des autres relecteur·rices sont maintenant visibles."
	}
	h.redirectFlash(c, applicationLink(a.ID, c)+"#grilles", msg, "")
}
