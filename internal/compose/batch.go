package compose

import (
	"errors"
	htmltemplate "html/template"
	"slices"
	"strings"

	"vivier/repository"
)

// A close writes to thousands of applicants, and a retention run to every
// applicant of a posting, with one statement: the email is rendered once,
// with placeholders where each applicant's names go, and the database
// puts every applicant's names in their place, escaped as the templates
// escape them. This file is the one definition of those placeholders and
// of that escaping; the repository applies them as it is told (see
// repository.Fill).

// Placeholders are written between these brackets, which no template
// escapes and nobody types in a name.
const (
	markOpen  = "⟦"
	markClose = "⟧"
)

// The placeholders of an applicant's names.
const (
	markFirstName = markOpen + "prénom" + markClose
	markLastName  = markOpen + "nom" + markClose
)

// PlaceholderToken stands for an applicant's private link token in a
// retention notice as it is rendered; the stored notice has links.Marker
// in its place, and a fresh token of its own sealed. Plain ASCII letters:
// neither HTML nor URL escaping changes it.
const PlaceholderToken = "JETONVIVIERAREMPLACER"

// ellipsisMark ends a text cut at its bound.
const ellipsisMark = "…"

// batchApplicant stands for every applicant of a batch.
func batchApplicant() *repository.Application {
	return &repository.Application{FirstName: markFirstName, LastName: markLastName}
}

// newFill says how the database completes a batch's texts: the names in
// place of their placeholders, escaped in the HTML part as the renderer
// escapes them, and the subject cut as renderWords cuts it.
func newFill() (repository.Fill, error) {
	escapes, err := htmlEscapes()
	if err != nil {
		return repository.Fill{}, err
	}
	for _, m := range []string{markFirstName, markLastName} {
		if htmltemplate.HTMLEscapeString(m) != m || escape(m, escapes) != m {
			return repository.Fill{}, errors.New("compose: a placeholder is changed by HTML escaping")
		}
	}
	return repository.Fill{
		Marks: []repository.Mark{
			{Placeholder: markFirstName, Value: repository.ApplicantFirstName},
			{Placeholder: markLastName, Value: repository.ApplicantLastName},
		},
		HTMLEscapes: escapes,
		MaxSubject:  MaxSubjectLen,
		Ellipsis:    ellipsisMark,
	}, nil
}

// htmlEscapes are the replacements html/template makes in a value it
// writes in an HTML element's text, found by asking it, '&' first (the
// others write one). PostgreSQL's text holds no NUL, and html/template
// escapes nothing beyond ASCII.
func htmlEscapes() ([]repository.Escape, error) {
	t, err := htmltemplate.New("probe").Parse(`<p>{{.}}</p>`)
	if err != nil {
		return nil, err
	}
	var out []repository.Escape
	for c := rune(1); c < 0x80; c++ {
		var b strings.Builder
		if err := t.Execute(&b, string(c)); err != nil {
			return nil, err
		}
		if got := strings.TrimSuffix(strings.TrimPrefix(b.String(), "<p>"), "</p>"); got != string(c) {
			out = append(out, repository.Escape{Char: string(c), Entity: got})
		}
	}
	slices.SortStableFunc(out, func(a, b repository.Escape) int {
		switch {
		case a.Char == "&":
			return -1
		case b.Char == "&":
			return 1
		}
		return 0
	})
	return out, nil
}

// escape applies escapes to s, in order, as the database does.
func escape(s string, escapes []repository.Escape) string {
	for _, e := range escapes {
		s = strings.ReplaceAll(s, e.Char, e.Entity)
	}
	return s
}
