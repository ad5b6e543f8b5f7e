package posting

import (
	"errors"
	"regexp"
	"testing"
	"unicode/utf8"
)

var slugRe = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// FuzzParse checks that no input makes the parser panic, that a parsed
// posting always has a usable title and slug, that failures are
// *ParseError with a line, and that Markdown() round-trips.
func FuzzParse(f *testing.F) {
	for _, c := range loadCorpus(f) {
		f.Add(c.name, c.data)
	}
	odd := []struct{ name, data string }{
		{"", ""},
		{"---", "---"},
		{"x.md", "---\n---"},
		{"x.md", "---\n---\n"},
		{"2021-02-30-x.md", "\ufeff\r\n---\r\nroles: \u200b\r\n---\r\n<!--more"},
		{"\xff\xfe.md", "---\nroles: \xff\xfe\x00\n---\n\xff"},
		{"a b·(c).d", "---\nroles: [\n---\n"},
		{"x.md", "---\n- a\n---\n"},
		{"x.md", "---\n&a [*a, *a]\n---\n"},
		{"x.md", "---\nroles: \"\\u2028\\x85\\uFEFF\"\ndate: 0001-01-01T00:00:00+14:00\n---\n# t\n"},
		{"x.md", "---\nroles: a\n  b: c\n\t- d\n---\n• x\\\n* y\n"},
		{"x.md", "---\nposte_ferme: 9999-12-31\ndate: Mon Dec 21 2020 14:05:12 GMT+0100\n---\n"},
		{"x.md", "---\ncontact: [a@b.co, {x: y}]\ntechno: ','\n---\n<!-- a --><!--more-->b"},
	}
	for _, o := range odd {
		f.Add(o.name, []byte(o.data))
	}
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		// parse, not Parse: Parse would turn a panic into an error.
		p, err := parse(name, data, testNow)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line < 1 || pe.Msg == "" {
				t.Fatalf("bad error %#v", err)
			}
			return
		}
		if p.Title == "" || !utf8.ValidString(p.Title) {
			t.Fatalf("bad title %q", p.Title)
		}
		if !slugRe.MatchString(p.Slug) || len(p.Slug) > maxSlugLen {
			t.Fatalf("bad slug %q", p.Slug)
		}
		if msg := roundTrip(p, testNow); msg != "" {
			t.Fatal(msg)
		}
	})
}
