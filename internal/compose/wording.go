package compose

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// The wordings' language, the only one people write emails in: text with
// variables, {{.Prenom}} (spaces inside the braces allowed), and a
// condition on one variable, {{if .Organisation}}…{{else}}…{{end}}, whose
// branches hold text and variables only. Nothing loops and nothing calls
// code: each piece of the source is read once and written at most once,
// so parsing and rendering are linear in the source and the values, and
// rendering stops at a bound the caller gives. A condition inside a
// condition is refused: it would stay linear, but no default needs one
// and people would have to track which {{end}} closes what.

type partKind uint8

const (
	partText partKind = iota
	partVar
	partIf
	partElse // read by the parser, not kept
	partEnd
)

type part struct {
	kind      partKind
	text      string // the text, or the variable's name
	then, alt []part // partIf: the branches
}

// Wording is a parsed wording.
type Wording struct {
	parts []part
}

// WordingError says what is wrong in a wording, where, in French.
type WordingError struct {
	Field    string // Objet or Message
	Line     int    // 0 for a one-line field
	Fragment string // the offending piece, cut when long
	Reason   string
	Unknown  bool // an unknown variable, not a syntax error
}

func (e *WordingError) Error() string {
	where := e.Field
	if !e.Unknown {
		where += " illisible"
	}
	if e.Line > 0 {
		where += ", ligne " + strconv.Itoa(e.Line)
	}
	if e.Fragment != "" {
		return where + " : « " + e.Fragment + " » " + e.Reason
	}
	return where + " : " + e.Reason
}

// allowed closes the reasons for a forbidden construct.
var allowed = ". Seuls {{.Variable}} et {{if .Variable}}…{{else}}…{{end}} le sont."

// keywords of Go's templates, named when refused.
var keywords = map[string]bool{"range": true, "with": true, "template": true, "define": true, "block": true,
	"break": true, "continue": true, "nil": true}

type parser struct {
	field     string
	src       string
	multiline bool
	// line counting, moving forward only, so linear overall
	pos, line int
}

func (p *parser) lineAt(pos int) int {
	if !p.multiline {
		return 0
	}
	if pos > p.pos {
		p.line += strings.Count(p.src[p.pos:pos], "\n")
		p.pos = pos
	}
	return p.line
}

func (p *parser) fail(pos int, fragment, reason string) *WordingError {
	return &WordingError{Field: p.field, Line: p.lineAt(pos), Fragment: cut(fragment, 40), Reason: reason}
}

// cut shortens s to n characters, with an ellipsis.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// ParseWording parses a wording; field (Objet or Message) names it in the
// errors, and a Message's errors give their line.
func ParseWording(field, src string) (*Wording, error) {
	p := &parser{field: field, src: src, multiline: field != "Objet", line: 1}
	var top []part
	var open *part // the {{if}} being read
	openLine, inAlt := 0, false
	emit := func(x part) {
		switch {
		case open == nil:
			top = append(top, x)
		case inAlt:
			open.alt = append(open.alt, x)
		default:
			open.then = append(open.then, x)
		}
	}
	for i := 0; i < len(src); {
		start := strings.Index(src[i:], "{{")
		textEnd := len(src)
		if start >= 0 {
			start += i
			textEnd = start
		}
		if text := src[i:textEnd]; text != "" {
			if k := strings.Index(text, "}}"); k >= 0 {
				return nil, p.fail(i+k, "}}", "ferme des accolades qui n'ont pas été ouvertes par « {{ ».")
			}
			emit(part{kind: partText, text: text})
		}
		if start < 0 {
			break
		}
		// The action ends at the first }}; a line break or another {{
		// before it means that this {{ was never closed.
		rest := src[start+2:]
		end := strings.Index(rest, "}}")
		stop := end
		if stop < 0 {
			stop = len(rest)
		}
		if k := strings.IndexByte(rest[:stop], '\n'); k >= 0 {
			stop, end = k, -1
		}
		if k := strings.Index(rest[:stop], "{{"); k >= 0 {
			stop, end = k, -1
		}
		if end < 0 {
			return nil, p.fail(start, "{{"+strings.TrimRight(rest[:stop], " \t\r"), "n'est pas fermé par « }} ».")
		}
		inner := rest[:end]
		action := "{{" + inner + "}}"
		i = start + 2 + end + 2
		x, err := p.action(start, action, inner)
		if err != nil {
			return nil, err
		}
		switch x.kind {
		case partIf:
			if open != nil {
				return nil, p.fail(start, action, "est dans un autre {{if}} : fermez le premier par {{end}} avant d'en ouvrir un second.")
			}
			top = append(top, *x)
			open, openLine, inAlt = &top[len(top)-1], p.lineAt(start), false
		case partElse:
			switch {
			case open == nil:
				return nil, p.fail(start, action, "n'a pas de {{if …}} avant lui.")
			case inAlt:
				return nil, p.fail(start, action, "est le second de son {{if}} : un {{if}} n'a qu'un {{else}}.")
			}
			inAlt = true
		case partEnd:
			if open == nil {
				return nil, p.fail(start, action, "n'a pas de {{if …}} avant lui.")
			}
			open = nil
		default:
			emit(*x)
		}
	}
	if open != nil {
		return nil, &WordingError{Field: field, Line: openLine, Fragment: "{{if ." + open.text + "}}", Reason: "n'est pas fermé par {{end}}."}
	}
	return &Wording{parts: top}, nil
}

// action reads what is between one pair of braces.
func (p *parser) action(pos int, action, inner string) (*part, error) {
	fields := strings.Fields(inner)
	switch {
	case strings.HasPrefix(inner, "-") || strings.HasSuffix(inner, "-"):
		return nil, p.fail(pos, action, "n'est pas permis : les tirets collés aux accolades ne le sont pas"+allowed)
	case strings.HasPrefix(strings.TrimSpace(inner), "/*"):
		return nil, p.fail(pos, action, "n'est pas permis : les commentaires ne le sont pas"+allowed)
	case len(fields) == 0:
		return nil, p.fail(pos, action, "est vide : écrivez-y une variable, par exemple {{.Prenom}}.")
	case strings.Contains(inner, "$"):
		return nil, p.fail(pos, action, "n'est pas permis : « $ » ne l'est pas"+allowed)
	case strings.Contains(inner, "|"):
		return nil, p.fail(pos, action, "n'est pas permis : « | » ne l'est pas"+allowed)
	}
	switch word := fields[0]; {
	case strings.HasPrefix(word, "."):
		if len(fields) > 1 {
			return nil, p.fail(pos, action, "n'est pas permis : une variable s'écrit seule entre les accolades, comme {{.Prenom}}.")
		}
		if err := p.variable(pos, action, word); err != nil {
			return nil, err
		}
		return &part{kind: partVar, text: word[1:]}, nil
	case word == "if":
		if len(fields) != 2 || !strings.HasPrefix(fields[1], ".") {
			return nil, p.fail(pos, action, "n'est pas permis : un {{if}} porte sur une seule variable, comme {{if .Organisation}}.")
		}
		if err := p.variable(pos, action, fields[1]); err != nil {
			return nil, err
		}
		return &part{kind: partIf, text: fields[1][1:]}, nil
	case word == "else" && len(fields) == 1:
		return &part{kind: partElse}, nil
	case word == "else":
		return nil, p.fail(pos, action, "n'est pas permis : un {{else}} s'écrit seul, sans condition"+allowed)
	case word == "end" && len(fields) == 1:
		return &part{kind: partEnd}, nil
	case keywords[word]:
		return nil, p.fail(pos, action, "n'est pas permis : « "+word+" » ne l'est pas"+allowed)
	default:
		return nil, p.fail(pos, action, "n'est pas permis : « "+cut(word, 20)+" » n'est pas une variable"+allowed)
	}
}

// variable checks a ".Name" against the known variables.
func (p *parser) variable(pos int, action, word string) error {
	name := word[1:]
	if name == "" {
		return p.fail(pos, action, "ne nomme aucune variable : écrivez par exemple {{.Prenom}}.")
	}
	for _, v := range Variables() {
		if v.Name == name {
			return nil
		}
	}
	reason := "la variable « " + cut(name, 30) + " » n'existe pas"
	if near := nearVariable(name); near != "" {
		reason += " : vouliez-vous écrire {{." + near + "}} ?"
	} else {
		reason += " (variables possibles : " + variableNames() + ")."
	}
	return &WordingError{Field: p.field, Line: p.lineAt(pos), Reason: reason, Unknown: true}
}

// nearVariable finds the variable a name meant, accents and case aside.
func nearVariable(name string) string {
	plain := strings.NewReplacer("é", "e", "è", "e", "ê", "e", "É", "E").Replace(name)
	for _, v := range Variables() {
		if strings.EqualFold(v.Name, plain) {
			return v.Name
		}
	}
	return ""
}

func variableNames() string {
	var names []string
	for _, v := range Variables() {
		names = append(names, "{{."+v.Name+"}}")
	}
	return strings.Join(names, ", ")
}

// Len is the number of characters w renders to with vars, counted
// without building the text.
func (w *Wording) Len(vars map[string]string) int {
	lens := make(map[string]int, len(vars))
	for k, v := range vars {
		lens[k] = utf8.RuneCountInString(v)
	}
	var count func([]part) int
	count = func(ps []part) int {
		n := 0
		for _, x := range ps {
			switch x.kind {
			case partText:
				n += utf8.RuneCountInString(x.text)
			case partVar:
				n += lens[x.text]
			case partIf:
				if vars[x.text] != "" {
					n += count(x.then)
				} else {
					n += count(x.alt)
				}
			}
		}
		return n
	}
	return count(w.parts)
}

// Render writes w with vars, at most limit characters: past it, the text
// is cut and ends with "…", and cut is true. Values are written as they
// are, never read as wording.
func (w *Wording) Render(vars map[string]string, limit int) (out string, cut bool) {
	var b strings.Builder
	n := 0
	full := false
	write := func(s string) {
		if full {
			return
		}
		c := utf8.RuneCountInString(s)
		if n+c <= limit {
			b.WriteString(s)
			n += c
			return
		}
		for _, r := range s {
			if n == limit {
				break
			}
			b.WriteRune(r)
			n++
		}
		full = true
	}
	var walk func([]part)
	walk = func(ps []part) {
		for _, x := range ps {
			switch x.kind {
			case partText:
				write(x.text)
			case partVar:
				write(vars[x.text])
			case partIf:
				if vars[x.text] != "" {
					walk(x.then)
				} else {
					walk(x.alt)
				}
			}
			if full {
				return
			}
		}
	}
	walk(w.parts)
	if !full {
		return b.String(), false
	}
	return ellipsis(b.String()), true
}

// ellipsis ends a text cut at its bound with ellipsisMark, in place of
// its last character, and never inside a placeholder (see batch.go) that
// the database completes later.
func ellipsis(s string) string {
	_, size := utf8.DecodeLastRuneInString(s)
	s = s[:len(s)-size]
	if open := strings.LastIndex(s, markOpen); open >= 0 && !strings.Contains(s[open:], markClose) {
		s = s[:open]
	}
	return s + ellipsisMark
}
