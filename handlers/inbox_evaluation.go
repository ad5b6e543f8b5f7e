package handlers

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"vivier/internal/catalog"
	"vivier/repository"
)

// A posting's evaluation: its criteria, which its reviewers (and admins)
// edit at any time, and its blind first pass.

// criterionInput is a criterion's form as typed, with the errors next to
// each field.
type criterionInput struct {
	ID                     int64
	Name, Guidance, Weight string
	Errors                 map[string]string
}

// criterionFormView is a criterion's form as the page shows it.
type criterionFormView struct {
	Prefix                 string // of the fields' ids
	ID                     int64
	Title                  string
	Name, Guidance, Weight string
	Errors                 map[string]string
	Weights                []int
	Open                   bool // shown unfolded: its change was refused
}

type evaluationData struct {
	inboxPage
	Posting     postingView
	Criteria    []criterionView
	New         criterionInput
	Edit        criterionInput // the criterion whose change was refused (ID 0: none)
	NewForm     criterionFormView
	EditForms   []criterionFormView
	Defaults    []repository.Criterion
	Weights     []int
	MaxCriteria int
	BlindStages []statusTab
	BlindError  string
	Flash       string
}

func (h *Handler) evaluationSettings(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	h.renderEvaluation(c, http.StatusOK, p, evaluationData{})
}

func (h *Handler) renderEvaluation(c *gin.Context, status int, p *repository.Posting, d evaluationData) {
	d.inboxPage = h.inboxPage(c, "Évaluation — "+p.Title)
	d.Posting, d.MaxCriteria = viewOf(p), repository.MaxCriteria
	for w := repository.MinCriterionWeight; w <= repository.MaxCriterionWeight; w++ {
		d.Weights = append(d.Weights, w)
	}
	if d.New.Weight == "" {
		d.New.Weight = "1"
	}
	criteria, err := h.Repo.Criteria(c.Request.Context(), p.ID, false)
	if err != nil {
		h.fail(c, err)
		return
	}
	for _, cr := range criteria {
		d.Criteria = append(d.Criteria, criterionView{ID: cr.ID, Name: cr.Name, Guidance: cr.Guidance, Weight: cr.Weight})
		f := criterionFormView{Prefix: "critere-" + strconv.FormatInt(cr.ID, 10), ID: cr.ID, Title: cr.Name, Name: cr.Name,
			Guidance: cr.Guidance, Weight: strconv.Itoa(cr.Weight), Weights: d.Weights}
		if d.Edit.ID == cr.ID {
			f.Name, f.Guidance, f.Weight, f.Errors, f.Open = d.Edit.Name, d.Edit.Guidance, d.Edit.Weight, d.Edit.Errors, true
		}
		d.EditForms = append(d.EditForms, f)
	}
	d.NewForm = criterionFormView{Prefix: "nouveau", Name: d.New.Name, Guidance: d.New.Guidance, Weight: d.New.Weight,
		Errors: d.New.Errors, Weights: d.Weights}
	if len(criteria) == 0 {
		d.Defaults = repository.DefaultCriteria()
	}
	d.BlindStages = []statusTab{{Label: "Non : les relecteur·rices voient les personnes dès la réception", Current: p.BlindUntil == ""}}
	for _, s := range catalog.BlindStages() {
		d.BlindStages = append(d.BlindStages, statusTab{Status: s, Label: "Oui, jusqu'à « " + s.Label() + " »", Current: p.BlindUntil == s})
	}
	d.Flash, _ = h.popFlash(c)
	h.render(c, status, "inbox_evaluation", d)
}

func evaluationLink(p *repository.Posting) string {
	return "/boite/offres/" + strconv.FormatInt(p.ID, 10) + "/evaluation"
}

// readCriterion reads a criterion's form and names each field at fault.
func readCriterion(c *gin.Context) (repository.Criterion, criterionInput) {
	in := criterionInput{Name: strings.TrimSpace(c.PostForm("nom")), Guidance: strings.TrimSpace(c.PostForm("attendu")),
		Weight: strings.TrimSpace(c.PostForm("poids")), Errors: map[string]string{}}
	switch n := utf8.RuneCountInString(in.Name); {
	case badText(in.Name) || strings.ContainsAny(in.Name, "\r\n"):
		in.Errors["nom"] = "Le nom tient sur une ligne, sans caractères invisibles."
	case n == 0:
		in.Errors["nom"] = "Donnez un nom au critère."
	case n > repository.MaxCriterionName:
		in.Errors["nom"] = "Le nom d'un critère tient en 100 caractères au plus."
	}
	switch {
	case badText(in.Guidance):
		in.Errors["attendu"] = "Le texte contient des caractères invisibles non autorisés : retapez-le ou collez-le sans mise en forme."
	case utf8.RuneCountInString(in.Guidance) > repository.MaxCriterionHint:
		in.Errors["attendu"] = "Ce texte tient en 1000 caractères au plus."
	}
	w, err := strconv.Atoi(in.Weight)
	if err != nil || w < repository.MinCriterionWeight || w > repository.MaxCriterionWeight {
		in.Errors["poids"] = "Le poids est un nombre entier de 1 à 5."
	}
	return repository.Criterion{Name: in.Name, Guidance: in.Guidance, Weight: w}, in
}

func (h *Handler) addCriterion(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	cr, in := readCriterion(c)
	if len(in.Errors) == 0 {
		err := h.Repo.AddCriteria(c.Request.Context(), p.ID, []repository.Criterion{cr}, viewerOf(c).Email)
		switch {
		case errors.Is(err, repository.ErrTooManyCriteria):
			in.Errors["nom"] = "Une offre a " + strconv.Itoa(repository.MaxCriteria) + " critères au plus : retirez-en un avant d'en ajouter."
		case err != nil:
			h.fail(c, err)
			return
		default:
			h.redirectFlash(c, evaluationLink(p), "Critère « "+cr.Name+" » ajouté.", "")
			return
		}
	}
	h.renderEvaluation(c, http.StatusUnprocessableEntity, p, evaluationData{New: in})
}

func (h *Handler) addDefaultCriteria(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	err := h.Repo.AddCriteria(c.Request.Context(), p.ID, repository.DefaultCriteria(), viewerOf(c).Email)
	if errors.Is(err, repository.ErrTooManyCriteria) {
		h.renderEvaluation(c, http.StatusUnprocessableEntity, p, evaluationData{New: criterionInput{Errors: map[string]string{
			"nom": "Les critères proposés dépasseraient " + strconv.Itoa(repository.MaxCriteria) + " critères : retirez-en d'abord."}}})
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	h.redirectFlash(c, evaluationLink(p), "Critères proposés ajoutés.", "")
}

// criterionOf reads the :critere parameter; 0 when it is not an id.
func criterionOf(c *gin.Context) int64 {
	id, err := strconv.ParseInt(c.Param("critere"), 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}

func (h *Handler) updateCriterion(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	id := criterionOf(c)
	if id == 0 {
		h.notFound(c)
		return
	}
	cr, in := readCriterion(c)
	in.ID, cr.ID = id, id
	if len(in.Errors) > 0 {
		h.renderEvaluation(c, http.StatusUnprocessableEntity, p, evaluationData{Edit: in})
		return
	}
	if err := h.Repo.UpdateCriterion(c.Request.Context(), p.ID, cr, viewerOf(c).Email); err != nil {
		h.fail(c, err) // another posting's or a removed criterion: 404
		return
	}
	h.redirectFlash(c, evaluationLink(p), "Critère « "+cr.Name+" » modifié.", "")
}

func (h *Handler) removeCriterion(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	id := criterionOf(c)
	if id == 0 {
		h.notFound(c)
		return
	}
	if err := h.Repo.RemoveCriterion(c.Request.Context(), p.ID, id, viewerOf(c).Email); err != nil {
		h.fail(c, err)
		return
	}
	h.redirectFlash(c, evaluationLink(p), "Critère retiré : il n'apparaît plus dans les grilles ; les notes déjà données restent dans le rapport de sélection.", "")
}

// setBlindReview sets the stage until which the posting's applications
// are shown as numbers ("" for none).
func (h *Handler) setBlindReview(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	until := catalog.Status(c.PostForm("jusqu_a"))
	if until != "" && !slices.Contains(catalog.BlindStages(), until) {
		h.renderEvaluation(c, http.StatusUnprocessableEntity, p, evaluationData{BlindError: "Choisissez une étape de la liste."})
		return
	}
	if err := h.Repo.SetBlindUntil(c.Request.Context(), p.ID, until, viewerOf(c).Email); err != nil {
		h.fail(c, err)
		return
	}
	msg := "Les candidatures de cette offre sont relues à visage découvert."
	if until != "" {
		msg = "Les candidatures de cette offre sont relues à l'aveugle jusqu'à l'étape « " + until.Label() + " »."
	}
	h.redirectFlash(c, evaluationLink(p), msg, "")
}
