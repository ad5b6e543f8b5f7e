package handlers

import (
	"html/template"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"vivier/internal/importer"
	"vivier/internal/posting"
	"vivier/repository"
)

// The posting editor: admins write a posting in the inbox or edit one;
// any reviewer downloads a posting as a beta.gouv.fr Markdown file.

type postingFormData struct {
	inboxPage
	Posting       *postingView // nil on the creation form
	Form          postingForm
	Errors        postingErrors
	Summary       []postingFieldError
	Action        string
	Previewed     bool
	Preview       template.HTML
	PreviewAnchor string
	// Contact is the posting's contact, whose access the admin decides on
	// when the edit names another one ("" on the creation form).
	Contact string
}

// editorField is one field of the editor, as the template shows it.
type editorField struct {
	Name, Label, Hint, Value, Error, Type string
	Required                              bool
}

// Field describes a text field of the form for the template.
func (d postingFormData) Field(name string) editorField {
	values := map[string]string{pfTitle: d.Form.Title, pfOrganisation: d.Form.Organisation, pfContact: d.Form.Contact,
		pfContract: d.Form.Contract, pfLink: d.Form.Link, pfOpens: d.Form.Opens, pfClosesDate: d.Form.ClosesDate,
		pfClosesTime: d.Form.ClosesTime, pfDomains: d.Form.Domains, pfTechnos: d.Form.Technos, pfBody: d.Form.Body}
	types := map[string]string{pfContact: "email", pfLink: "url", pfOpens: "date", pfClosesDate: "date", pfClosesTime: "time"}
	f := editorField{Name: name, Label: postingFieldLabels[name], Hint: postingFieldHints[name], Value: values[name],
		Error: d.Errors[name], Type: types[name], Required: name == pfTitle || name == pfBody}
	if f.Type == "" {
		f.Type = "text"
	}
	return f
}

func (h *Handler) postingFormPage(c *gin.Context, p *repository.Posting, f postingForm) postingFormData {
	d := postingFormData{Form: f, Errors: postingErrors{}, Action: "/boite/offres/nouvelle"}
	if p == nil {
		d.inboxPage = h.inboxPage(c, "Nouvelle offre")
	} else {
		v := viewOf(p)
		d.Posting = &v
		d.inboxPage = h.inboxPage(c, "Modifier l'offre — "+p.Title)
		d.Action = "/boite/offres/" + strconv.FormatInt(p.ID, 10) + "/modification"
		d.Contact = strings.ToLower(p.ContactEmail)
	}
	return d
}

// renderPostingForm shows the form with its errors, refused (422) when
// there are any.
func (h *Handler) renderPostingForm(c *gin.Context, d postingFormData) {
	status := http.StatusOK
	if len(d.Errors) > 0 {
		status = http.StatusUnprocessableEntity
		d.Summary = d.Errors.summary()
		d.Page.Title = "Erreur — " + d.Page.Title
	}
	h.render(c, status, "inbox_posting_form", d)
}

func (h *Handler) newPostingForm(c *gin.Context) {
	h.renderPostingForm(c, h.postingFormPage(c, nil, postingForm{}))
}

func (h *Handler) createPosting(c *gin.Context) {
	f := readPostingForm(c)
	d := h.postingFormPage(c, nil, f)
	// The "Aperçu" button of the creation form posts here, named.
	if c.PostForm("apercu") != "" {
		h.previewInto(c, &d)
		return
	}
	row, errs := f.check(nil)
	if d.Errors = errs; len(errs) > 0 {
		h.renderPostingForm(c, d)
		return
	}
	if err := h.renderRow(row); err != nil {
		h.fail(c, err)
		return
	}
	if err := h.Repo.CreatePosting(c.Request.Context(), row, viewerOf(c).Email); err != nil {
		h.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/boite/offres/"+strconv.FormatInt(row.ID, 10))
}

func (h *Handler) editPostingForm(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	h.renderPostingForm(c, h.postingFormPage(c, p, postingFormOf(p)))
}

func (h *Handler) updatePosting(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	f := readPostingForm(c)
	d := h.postingFormPage(c, p, f)
	if c.PostForm("apercu") != "" {
		h.previewInto(c, &d)
		return
	}
	row, errs := f.check(p)
	if d.Errors = errs; len(errs) > 0 {
		h.renderPostingForm(c, d)
		return
	}
	row.ID, row.Slug = p.ID, p.Slug
	if err := h.renderRow(row); err != nil {
		h.fail(c, err)
		return
	}
	former := repository.FormerContactKept
	if f.FormerContact == formerRemove {
		former = repository.FormerContactRemoved
	}
	previous, err := h.Repo.UpdatePosting(c.Request.Context(), row, viewerOf(c).Email, former)
	if err != nil {
		h.fail(c, err)
		return
	}
	msg := "Les modifications de l'offre sont enregistrées."
	switch {
	case previous != "" && former == repository.FormerContactRemoved:
		h.audit(c, repository.AuditReviewerRemoved, p.ID, 0, map[string]any{"relecteur": previous})
		msg += " " + previous + ", l'ancienne personne à contacter, n'a plus accès aux candidatures de cette offre."
	case previous != "":
		msg += " " + previous + ", l'ancienne personne à contacter, garde l'accès aux candidatures : vous pouvez lui retirer cet accès dans la liste des personnes qui relisent cette offre."
	}
	h.redirectFlash(c, "/boite/offres/"+strconv.FormatInt(p.ID, 10), msg, "")
}

// previewPosting re-shows the edit form as typed, with the body rendered
// under it: the "Aperçu" button posts here (no JavaScript needed).
func (h *Handler) previewPosting(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	d := h.postingFormPage(c, p, readPostingForm(c))
	h.previewInto(c, &d)
}

// previewInto renders the typed body as the posting page would show it.
// Nothing is saved and only the body is checked: a body over the limit is
// refused rather than rendered.
func (h *Handler) previewInto(c *gin.Context, d *postingFormData) {
	body := cleanBody(d.Form.Body)
	if n := len([]rune(body)); n > maxPostingBody {
		d.Errors[pfBody] = "Le texte ne doit pas dépasser 50 000 caractères (il en compte " + strconv.Itoa(n) + ")."
	} else {
		d.Previewed = true
		// RenderMarkdown's output is sanitised by bluemonday.
		d.Preview = template.HTML(posting.RenderMarkdown(body))
	}
	h.renderPostingForm(c, *d)
}

// renderRow fills the HTML of a posting from its Markdown, as an import
// of its Markdown file would: the excerpt rule (before <!--more-->, else
// the first paragraph) lives in the parser, so the file is parsed.
func (h *Handler) renderRow(row *repository.Posting) error {
	if row.Slug == "" {
		row.Slug = posting.Slugify(row.Title)
	}
	parsed, err := posting.Parse(row.Slug+".md", importer.FromRow(row).Markdown(), h.Now())
	if err != nil {
		return err
	}
	row.BodyHTML, row.ExcerptHTML = posting.RenderMarkdown(row.BodyMD), parsed.ExcerptHTML
	return nil
}

// safeSlugRe is what Slugify makes; anything else is not put in a header.
var safeSlugRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,99}$`)

// downloadMarkdown sends the posting as a Markdown file with beta.gouv.fr
// front matter; importing that file gives the same posting back.
func (h *Handler) downloadMarkdown(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	var err error
	name := p.Slug
	if !safeSlugRe.MatchString(name) {
		name = "offre-" + strconv.FormatInt(p.ID, 10)
	}
	// The posting's own questions go in the file too (posting.QuestionsKey).
	if p.Questions, err = h.Repo.Questions(c.Request.Context(), p.ID); err != nil {
		h.fail(c, err)
		return
	}
	p.HasQuestions = len(p.Questions) > 0
	c.Header("Content-Disposition", `attachment; filename="`+name+`.md"`)
	c.Data(http.StatusOK, "text/markdown; charset=utf-8", importer.FromRow(p).Markdown())
}
