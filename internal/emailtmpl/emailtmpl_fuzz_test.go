package emailtmpl

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRender: whatever an applicant or a reviewer types, rendering never
// panics, the subject stays on one line, and the HTML part holds no tag
// the input brought in.
func FuzzRender(f *testing.F) {
	f.Add("Camille", "Durand", "Coach", "Je suis motivée.", "Bonjour {{.Prenom}}")
	f.Add("<script>", "\r\nBcc: x@y", "\x00", "{{.Nom}}", "{{")
	f.Add("Zoé", "O'Hara & <Fils>", "Offre « spéciale »", "ligne 1\nligne 2", "{{.Inconnu}}")
	r, err := New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, first, last, title, message, override string) {
		d := sample()
		d.Application.FirstName, d.Application.LastName, d.Posting.Title, d.Message = first, last, title, message
		for _, kind := range kinds {
			got, err := r.Render(kind, d)
			if err != nil {
				t.Fatalf("%s: %v", kind, err)
			}
			if strings.ContainsAny(got.Subject, "\r\n") {
				t.Fatalf("%s: subject on two lines: %q", kind, got.Subject)
			}
			if utf8.ValidString(first+last+title+message) && strings.Contains(got.HTML, "<script>") {
				t.Fatalf("%s: input reached the HTML unescaped", kind)
			}
		}
		// A reviewer's override is either refused with a reason or renders.
		o := Override{Subject: "Objet", Body: override}
		if CheckOverride(o) == nil {
			e, _ := EditableByKey("acknowledgement")
			if _, _, err := r.Words(e, d, &o); err != nil {
				t.Fatalf("an accepted override fails to render: %v", err)
			}
		}
	})
}
