package repository

import (
	"fmt"
	"strconv"
)

// A close or a retention run writes one email per applicant with one
// statement: its texts come rendered once, with placeholders where each
// applicant's values go, and a Fill that says how to complete them. The
// composer (internal/compose) defines both; the SQL here only follows it.

// ApplicantValue is a value of an applicant the database can put in a
// batch's texts.
type ApplicantValue string

// The values a placeholder may stand for.
const (
	ApplicantFirstName ApplicantValue = "first_name"
	ApplicantLastName  ApplicantValue = "last_name"
)

// applicantColumns are the columns holding each ApplicantValue.
var applicantColumns = map[ApplicantValue]string{ApplicantFirstName: "first_name", ApplicantLastName: "last_name"}

// Mark is a placeholder and the value it stands for.
type Mark struct {
	Placeholder string
	Value       ApplicantValue
}

// Escape is how a character of a value is written in the HTML part.
type Escape struct {
	Char, Entity string
}

// Fill says how the database completes, for each applicant, texts
// rendered once for many.
type Fill struct {
	Marks []Mark
	// HTMLEscapes are applied, in order, to a value written in the HTML part.
	HTMLEscapes []Escape
	// MaxSubject bounds a completed subject, in characters (0: no bound);
	// a longer one is cut and ends with Ellipsis.
	MaxSubject int
	Ellipsis   string
}

// sqlFill builds SQL expressions from a Fill, adding what it holds to
// the statement's parameters.
type sqlFill struct {
	fill Fill
	args *[]any
	// The parameters of the placeholders and of HTMLEscapes, added once.
	marks   []string
	escapes [][2]string
}

func newSQLFill(f Fill, args *[]any) (*sqlFill, error) {
	for _, m := range f.Marks {
		if _, ok := applicantColumns[m.Value]; !ok || m.Placeholder == "" {
			return nil, fmt.Errorf("fill: no column for %q", m.Value)
		}
	}
	s := &sqlFill{fill: f, args: args}
	for _, m := range f.Marks {
		s.marks = append(s.marks, s.param(m.Placeholder, "text"))
	}
	for _, e := range f.HTMLEscapes {
		s.escapes = append(s.escapes, [2]string{s.param(e.Char, "text"), s.param(e.Entity, "text")})
	}
	return s, nil
}

// param adds v to the statement's parameters and returns its reference.
func (s *sqlFill) param(v any, typ string) string {
	*s.args = append(*s.args, v)
	return "$" + strconv.Itoa(len(*s.args)) + "::" + typ
}

// text is an expression completing the text held by expr for the
// applicant row (with first_name and last_name columns), with the
// values escaped for HTML when html is set.
func (s *sqlFill) text(expr, row string, html bool) string {
	for i, m := range s.fill.Marks {
		value := row + "." + applicantColumns[m.Value]
		if html {
			for _, e := range s.escapes {
				value = `replace(` + value + `, ` + e[0] + `, ` + e[1] + `)`
			}
		}
		expr = `replace(` + expr + `, ` + s.marks[i] + `, ` + value + `)`
	}
	return expr
}

// subject is text, cut past MaxSubject characters: a subject whose
// values, filled in, made it longer than a subject may be.
func (s *sqlFill) subject(expr, row string) string {
	expr = s.text(expr, row, false)
	n := s.fill.MaxSubject
	if n <= 0 {
		return expr
	}
	max, keep, more := s.param(n, "int"), s.param(n-1, "int"), s.param(s.fill.Ellipsis, "text")
	return `(CASE WHEN char_length(` + expr + `) > ` + max + ` THEN left(` + expr + `, ` + keep + `) || ` + more + ` ELSE ` + expr + ` END)`
}
