// Package posting reads job postings written as Markdown files with YAML
// front matter, in the beta.gouv.fr and incubateur.anct.gouv.fr formats,
// and renders their bodies to sanitised HTML.
package posting

import (
	"fmt"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"vivier/internal/applyform"
)

// Posting is one job posting read from a Markdown file with front matter.
type Posting struct {
	SourceName   string     // the file's base name, as given (NFC-normalised)
	Slug         string     // from the file name: see Slugify
	Title        string     // roles/role, then title/titles; never empty
	Organisation string     // friend / startup / equipe
	ContactEmail string     // first email address in contact; may be empty
	Contract     string     // contrat
	ExternalURL  string     // externalURL / externalUrl, http(s) only
	OpensAt      *time.Time // poste_ouvert / post_ouvert / date / file name date
	ClosesAt     *time.Time // poste_ferme / depublication_date
	Open         bool       // open, else status, else poste_pourvu, else ClosesAt
	Domains      []string   // domaines / domaine
	Technos      []string   // techno
	Junior       bool       // junior
	BodyMarkdown string     // the body as written (NFC, LF line endings)
	BodyHTML     string     // rendered, sanitised HTML
	ExcerptHTML  string     // before <!--more-->, else the first paragraph
	// Questions are the posting's own questions (QuestionsKey), when the
	// file has the key (HasQuestions).
	Questions    []applyform.Question
	HasQuestions bool
}

// ParseError names the file and the 1-based line at fault, with a French
// message meant for the person who wrote the file.
type ParseError struct {
	File string
	Line int
	Msg  string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// Parse reads one posting. name is the file's base name. now is used only
// to decide Open from a past closing date. Errors are *ParseError.
func Parse(name string, data []byte, now time.Time) (p *Posting, err error) {
	// A malformed file must never take the importer down, whatever a
	// dependency does with it.
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, &ParseError{File: name, Line: 1,
				Msg: fmt.Sprintf("fichier illisible (erreur interne : %v)", r)}
		}
	}()
	return parse(name, data, now)
}

func parse(name string, data []byte, now time.Time) (*Posting, error) {
	text := normalise(data)
	fm, fenceLine, body, perr := splitFrontMatter(text)
	if perr == nil {
		var m meta
		if m, perr = decodeFrontMatter(fm, fenceLine); perr == nil {
			var qs []applyform.Question
			var has bool
			if qs, has, perr = m.questions(fenceLine); perr == nil {
				p := build(name, m, body, now)
				p.Questions, p.HasQuestions = qs, has
				return p, nil
			}
		}
	}
	perr.File = name
	return nil, perr
}

// normalise makes every file look alike before parsing: valid UTF-8, no
// BOM, NFC (decomposed accents are common) and LF line endings.
func normalise(data []byte) string {
	s := strings.ToValidUTF8(string(data), "\uFFFD")
	s = strings.TrimLeft(s, "\uFEFF")
	s = norm.NFC.String(s)
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

func build(name string, m meta, body string, now time.Time) *Posting {
	p := &Posting{
		SourceName:   norm.NFC.String(strings.ToValidUTF8(name, "\uFFFD")),
		Slug:         Slugify(name),
		Title:        m.text("roles", "role", "title", "titles"),
		Organisation: m.text("friend", "startup", "equipe"),
		ContactEmail: m.email("contact", "contacts"),
		Contract:     m.text("contrat", "contract"),
		ExternalURL:  m.httpURL("externalurl", "external_url"),
		OpensAt:      m.date(false, "poste_ouvert", "post_ouvert", "date"),
		ClosesAt:     m.date(true, "poste_ferme", "depublication_date"),
		Domains:      m.list(false, "domaines", "domaine"),
		Technos:      m.list(true, "techno", "technos"),
		BodyMarkdown: body,
		BodyHTML:     RenderMarkdown(body),
		ExcerptHTML:  excerptHTML(body),
	}
	if p.Title == "" {
		p.Title = titleFromName(name)
	}
	if p.OpensAt == nil {
		if t, ok := dateFromName(name); ok {
			p.OpensAt = &t
		}
	}
	p.Junior, _ = m.boolean("junior")
	p.Open = isOpen(m, p.ClosesAt, now)
	return p
}

// isOpen applies the precedence: an explicit `open`, then `status`, then
// `poste_pourvu: true`, then a closing date already past.
func isOpen(m meta, closesAt *time.Time, now time.Time) bool {
	if v, ok := m.boolean("open"); ok {
		return v
	}
	if v, ok := m.status(); ok {
		return v
	}
	if filled, ok := m.boolean("poste_pourvu"); ok && filled {
		return false
	}
	return closesAt == nil || !closesAt.Before(now)
}

// date returns the first of keys that holds a readable date; unreadable
// dates are ignored rather than failing the whole posting.
func (m meta) date(endOfDay bool, keys ...string) *time.Time {
	for _, k := range keys {
		if t, ok := parseDate(cleanText(scalar(m[k])), endOfDay); ok {
			return &t
		}
	}
	return nil
}
