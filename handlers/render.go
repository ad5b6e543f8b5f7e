package handlers

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/gin-gonic/gin"

	"vivier/internal/applyform"
	"vivier/internal/catalog"
	"vivier/internal/frfmt"
	"vivier/repository"
	"vivier/templates"
)

// Page is what the layout needs; every page's data embeds it.
type Page struct {
	Title    string
	Operator string
	Dev      bool
	User     string // the signed-in reviewer, in the inbox
	Scripts  []string
	// Refresh, when set, sends the browser on to this address at once
	// (a redirect the page's form-action policy would refuse a form).
	Refresh string

	// OperatorArticle is the operator's name with its article, for "de l'…"
	// and the like (the "de", "au" and "capitalize" functions).
	OperatorArticle string
}

func (h *Handler) page(title string) Page {
	return Page{Title: title, Operator: h.Config.OperatorName, OperatorArticle: h.Config.OperatorNameArticle, Dev: h.MailCatcher != nil}
}

type pages struct{ byName map[string]*template.Template }

var pageFuncs = template.FuncMap{
	"frDate":      frfmt.Date,
	"frDateTime":  frfmt.DateTime,
	"frDay":       frfmt.CalendarDate,
	"frDays":      frfmt.Days,
	"statusLabel": catalog.Status.Label,
	"plural":      frfmt.PluralOf,
	"phone":       frfmt.Phone,
	"de":          frfmt.De,
	"au":          frfmt.A,
	"capitalize":  frfmt.Capitalize,
	"join":        func(s []string, sep string) string { return strings.Join(s, sep) },
	"field":       newFieldView,
	"emailState":  emailStateLabel,
	"size":        applyform.HumanSize,
	"lower":       strings.ToLower,
	"rating": func(avg *float64) string {
		if avg == nil {
			return "—"
		}
		return strings.Replace(fmt.Sprintf("%.1f", *avg), ".", ",", 1) + "/4"
	},
	"postingStatusLabel": catalog.PostingState.Label,
	"interviewEvent":     interviewEventLabel,
}

func parsePages() (*pages, error) {
	p := &pages{byName: map[string]*template.Template{}}
	// Every file of templates/pages but the layout is a page.
	files, err := fs.Glob(templates.FS, "pages/*.html")
	if err != nil {
		return nil, err
	}
	for _, file := range files {
		name := strings.TrimSuffix(path.Base(file), ".html")
		if name == "layout" {
			continue
		}
		// Partials (pages/partials) and blocks (pages/blocks) are parts
		// that several pages, or one feature of a page, keep in their own file.
		t, err := template.New(name).Funcs(pageFuncs).ParseFS(templates.FS, "pages/layout.html", "pages/partials/*.html", "pages/blocks/*.html", file)
		if err != nil {
			return nil, fmt.Errorf("page template %s: %w", name, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// render writes a page; the template is executed into a buffer first so a
// template error becomes a clean 500 rather than half a page.
func (h *Handler) render(c *gin.Context, status int, name string, data any) {
	t, ok := h.pages.byName[name]
	if !ok {
		h.fail(c, fmt.Errorf("no page template %q", name))
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		h.logger(c).Error("render page", "page", name, "error", err)
		if name != "error" {
			t := errorTexts[repository.EInternal]
			h.errorPage(c, http.StatusInternalServerError, t.heading, t.message)
		}
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// formView is the application form as the page shows it.
type formView struct {
	Values          url.Values
	Errors          applyform.Errors
	Summary         []applyform.FieldError
	ChooseFileAgain bool
	// FromProConnect: the form was just filled from ProConnect.
	FromProConnect bool
	// VerifiedSIRET is the SIRET ProConnect gave this browser for this
	// form, if any.
	VerifiedSIRET string
}

type fieldView struct {
	Name, Type, Autocomplete, Hint, Label, Value, Error string
	Required                                            bool
}

var optionalFields = map[string]bool{applyform.FieldPhone: true, applyform.FieldSIRET: true, applyform.FieldLinks: true}

func newFieldView(f *formView, name, typ, autocomplete, hint string) fieldView {
	v := fieldView{Name: name, Type: typ, Autocomplete: autocomplete, Hint: hint, Label: applyform.Label(name),
		Required: !optionalFields[name]}
	if f != nil {
		v.Value = f.Values.Get(name)
		v.Error = f.Errors[name]
	}
	return v
}

// crossOriginDenied answers a state-changing request sent from another site.
// It is refused before the route table, so it gets its request id here.
func (h *Handler) crossOriginDenied(w http.ResponseWriter, r *http.Request) {
	id := requestIDOf(r)
	w.Header().Set(requestIDHeader, id)
	h.Log.Warn("cross-origin request refused", "request_id", id, "origin", r.Header.Get("Origin"))
	var buf bytes.Buffer
	err := h.pages.byName["error"].ExecuteTemplate(&buf, "layout", errorData{Page: h.page("Action refusée"),
		Heading: "Action refusée", Status: http.StatusForbidden,
		Message: "Cette action a été envoyée depuis un autre site : pour votre sécurité, elle n'a pas été prise en compte. Revenez sur la page et recommencez."})
	if err != nil {
		http.Error(w, "Action refusée", http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", contentSecurityPolicy)
	w.WriteHeader(http.StatusForbidden)
	w.Write(buf.Bytes())
}
