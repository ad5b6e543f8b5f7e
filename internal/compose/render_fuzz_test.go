package compose

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRender: whatever an applicant or a reviewer types, rendering never
// panics, the subject stays on one line, and the HTML part holds no tag
// the input brought in. A reviewer's wording is either refused with a
// reason naming its field, or renders within the bounds, its variables
// replaced by values that are never read as wording.
func FuzzRender(f *testing.F) {
	f.Add("Camille", "Durand", "Coach", "Je suis motivée.", "Bonjour {{.Prenom}}")
	f.Add("<script>", "\r\nBcc: x@y", "\x00", "{{.Nom}}", "{{")
	f.Add("Zoé", "O'Hara & <Fils>", "Offre « spéciale »", "ligne 1\nligne 2", "{{.Inconnu}}")
	f.Add("{{.Nom}}", "{{range $}}", "{{printf \"%d\" 1}}", "}}", `{{range $}}{{range $}}{{range $}}{{printf "%01000000d" 1}}{{end}}{{end}}{{end}}`)
	f.Add("Léa", "⟦nom⟧", "T", "m", "{{if .Organisation}}({{.Organisation}}){{else}}{{ .Offre }}{{end}} {{end}}")
	f.Add("Léa", "Nom", strings.Repeat("Titre long ", 20), "m", strings.Repeat("{{.Offre}}", 999))
	r, err := newRenderer()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, first, last, title, message, override string) {
		d := sample()
		d.Application.FirstName, d.Application.LastName, d.Posting.Title, d.Message = first, last, title, message
		d.Digest.Postings[0].Items[0].Name, d.Digest.Waiting[0].Title = first+" "+last, title
		d.Mention.Name, d.Mention.Note = first+" "+last, message
		for kind := range kinds {
			got, err := r.render(kind, d)
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
		// A reviewer's wording, as subject or message.
		for _, o := range []Words{{Subject: "Objet", Message: override}, {Subject: override, Message: "Message"}} {
			err := check(o.Subject, o.Message, d)
			if err != nil {
				if msg := err.Error(); !strings.HasPrefix(msg, "Objet") && !strings.HasPrefix(msg, "Message") {
					t.Fatalf("refusal %q names no field", msg)
				}
				continue
			}
			for _, e := range Editables() {
				subject, body := r.words(e, d, &o)
				if n := utf8.RuneCountInString(subject); n > MaxSubjectLen || strings.ContainsAny(subject, "\r\n") {
					t.Fatalf("subject of %d characters or on two lines: %q", n, subject)
				}
				if n := utf8.RuneCountInString(body); n > MaxMessageLen {
					t.Fatalf("message of %d characters", n)
				}
			}
		}
		// Values are written as they are, never read as wording.
		w, err := ParseWording("Message", "{{.Prenom}}")
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := w.Render(variables(d), MaxMessageLen); utf8.RuneCountInString(first) <= MaxMessageLen && got != first {
			t.Fatalf("{{.Prenom}} rendered %q for %q", got, first)
		}
	})
}
