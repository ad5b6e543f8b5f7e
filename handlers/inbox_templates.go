package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"vivier/internal/compose"
	"vivier/repository"
)

// A posting's own wording of its emails: edited in the inbox, checked on
// save, previewed for a real application.

type templateView struct {
	compose.Editable
	Subject, Body string
	Custom        bool
	Error         string
	Preview       *compose.Rendered
	PreviewFor    string
	PreviewNote   string
	Saved         bool
}

type templatesData struct {
	inboxPage
	Posting   postingView
	Templates []templateView
	Variables []compose.Variable
}

func (h *Handler) templateViews(c *gin.Context, p *repository.Posting) ([]templateView, error) {
	saved, err := h.Repo.PostingTemplates(c.Request.Context(), p.ID)
	if err != nil {
		return nil, err
	}
	var out []templateView
	for _, e := range compose.Editables() {
		v := templateView{Editable: e}
		if t, ok := saved[e.Key]; ok {
			v.Subject, v.Body, v.Custom = t.Subject, t.Body, true
			// Saved before the wordings had a language of their own.
			if err := compose.Valid(t); err != nil {
				v.Error = "Ce texte n'est plus accepté : le texte par défaut part à sa place tant qu'il n'est pas corrigé. " + err.Error()
			}
		} else {
			w := h.Emails.Source(e, nil)
			v.Subject, v.Body = w.Subject, w.Message
		}
		out = append(out, v)
	}
	return out, nil
}

func (h *Handler) postingTemplates(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	views, err := h.templateViews(c, p)
	if err != nil {
		h.fail(c, err)
		return
	}
	if msg, saved := h.popFlash(c); msg != "" {
		for i := range views {
			views[i].Saved = views[i].Key == saved
		}
	}
	h.render(c, http.StatusOK, "inbox_templates", templatesData{inboxPage: h.inboxPage(c, "Emails de l'offre — "+p.Title),
		Posting: viewOf(p), Templates: views, Variables: compose.Variables()})
}

// savePostingTemplate saves, resets or previews one email's wording.
func (h *Handler) savePostingTemplate(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	e, ok := compose.EditableByKey(c.Param("cle"))
	if !ok {
		h.notFound(c)
		return
	}
	back := "/boite/offres/" + strconv.FormatInt(p.ID, 10) + "/modeles"
	if c.PostForm("action") == "defaut" {
		if err := h.Repo.DeletePostingTemplate(ctx, p.ID, e.Key); err != nil {
			h.fail(c, err)
			return
		}
		h.redirectFlash(c, back+"#modele-"+e.Key, "Enregistré.", e.Key)
		return
	}
	o := compose.Words{Subject: strings.TrimSpace(c.PostForm("objet")), Message: strings.TrimSpace(strings.ReplaceAll(c.PostForm("message"), "\r\n", "\n"))}
	views, err := h.templateViews(c, p)
	if err != nil {
		h.fail(c, err)
		return
	}
	var current *templateView
	for i := range views {
		if views[i].Key == e.Key {
			current = &views[i]
		}
	}
	current.Subject, current.Body, current.Error = o.Subject, o.Message, ""
	status := http.StatusOK
	if badText(o.Subject) || badText(o.Message) {
		current.Error = "L'objet ou le message contient des caractères invisibles non autorisés : retapez-le ou collez-le sans mise en forme."
		status = http.StatusUnprocessableEntity
	} else if err := h.Emails.Check(o, p, nil); err != nil {
		current.Error = err.Error()
		status = http.StatusUnprocessableEntity
	} else if c.PostForm("action") == "apercu" {
		current.Preview, current.PreviewFor, current.PreviewNote, err = h.previewTemplate(c, p, e, o)
		if err != nil {
			h.fail(c, err)
			return
		}
	} else {
		if err := h.Repo.SavePostingTemplate(ctx, repository.PostingTemplate{PostingID: p.ID, Kind: e.Key,
			Subject: o.Subject, Body: o.Message, UpdatedBy: viewerOf(c).Email}); err != nil {
			h.fail(c, err)
			return
		}
		h.redirectFlash(c, back+"#modele-"+e.Key, "Enregistré.", e.Key)
		return
	}
	h.render(c, status, "inbox_templates", templatesData{inboxPage: h.inboxPage(c, "Emails de l'offre — "+p.Title),
		Posting: viewOf(p), Templates: views, Variables: compose.Variables()})
}

// previewTemplate renders the whole email for the posting's latest
// application (or an example person when there is none yet), with a note
// when the subject is too long and will be cut.
func (h *Handler) previewTemplate(c *gin.Context, p *repository.Posting, e compose.Editable, w compose.Words) (*compose.Rendered, string, string, error) {
	a, err := h.Repo.LatestApplication(c.Request.Context(), p.ID)
	who := ""
	switch {
	case errors.Is(err, repository.ErrNotFound):
		a = &repository.Application{ID: 1, FirstName: "Camille", LastName: "Exemple", Email: "camille.exemple@example.org",
			Location: "Lyon", DailyRate: 600, DaysPerWeek: 3, AvailableFrom: h.Now(), CreatedAt: h.Now(),
			Motivation: "(motivation d'exemple)"}
		who = "une personne d'exemple (l'offre n'a pas encore de candidature)"
	case err != nil:
		return nil, "", "", err
	default:
		who = a.FirstName + " " + a.LastName + ", la dernière candidature reçue"
	}
	r, note, err := h.Emails.Preview(p, a, e, w)
	if err != nil {
		return nil, "", "", err
	}
	return &r, who, note, nil
}
