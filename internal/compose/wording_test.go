package compose

import (
	"strings"
	"testing"
	"unicode/utf8"

	"vivier/repository"
)

// The wordings' language: what it accepts and renders, and what it
// refuses, with the reason, the field and the place.
func TestWordingLanguage(t *testing.T) {
	vars := map[string]string{"Prenom": "Camille", "Nom": "Durand", "Offre": "Coach", "Organisation": "", "Contact": "c@anct.gouv.fr", "Operateur": "ANCT"}
	for _, tc := range []struct {
		src, want string
	}{
		{"Bonjour {{.Prenom}} {{.Nom}}", "Bonjour Camille Durand"},
		{"{{ .Prenom }}, {{\t.Offre  }}", "Camille, Coach"},
		{"Sans variable { ni } accolade {", "Sans variable { ni } accolade {"},
		{"{{if .Organisation}}({{.Organisation}}){{end}}.", "."},
		{"{{if .Contact}}Écrivez à {{.Contact}}{{else}}Répondez{{end}}.", "Écrivez à c@anct.gouv.fr."},
		{"{{if .Organisation}}A{{else}}B {{.Prenom}}{{end}}", "B Camille"},
		{"{{ if .Prenom }}oui{{ else }}non{{ end }}", "oui"},
		{"Ligne 1\n\n{{if .Contact}}\nLigne 3{{end}}", "Ligne 1\n\n\nLigne 3"},
		{"", ""},
	} {
		w, err := ParseWording("Message", tc.src)
		if err != nil {
			t.Errorf("%q refused: %v", tc.src, err)
			continue
		}
		if got, cut := w.Render(vars, MaxMessageLen); got != tc.want || cut {
			t.Errorf("%q rendered %q (cut %v), want %q", tc.src, got, cut, tc.want)
		}
		if n := w.Len(vars); n != utf8.RuneCountInString(tc.want) {
			t.Errorf("%q: length %d, want %d", tc.src, n, utf8.RuneCountInString(tc.want))
		}
	}

	for _, tc := range []struct {
		field, src, reason string
	}{
		{"Message", `{{range $}}{{range $}}{{range $}}{{printf "%01000000d" 1}}{{end}}{{end}}{{end}}`, "Message illisible, ligne 1 : « {{range $}} » n'est pas permis : « $ » ne l'est pas"},
		{"Message", "{{range .Offre}}x{{end}}", "« range » ne l'est pas"},
		{"Message", "{{with .Offre}}{{.}}{{end}}", "« with » ne l'est pas"},
		{"Message", `{{template "x"}}`, "« template » ne l'est pas"},
		{"Message", `{{define "x"}}y{{end}}`, "« define » ne l'est pas"},
		{"Message", `{{printf "%d" 1}}`, "« printf » n'est pas une variable"},
		{"Message", "{{.Prenom | printf}}", "« | » ne l'est pas"},
		{"Message", "{{$x := 1}}", "« $ » ne l'est pas"},
		{"Message", "{{/* note */}}", "les commentaires ne le sont pas"},
		{"Message", "{{- .Prenom -}}", "les tirets collés aux accolades"},
		{"Message", "{{}}", "« {{}} » est vide"},
		{"Message", "{{.}}", "« {{.}} » ne nomme aucune variable"},
		{"Message", "Bonjour\n{{.Prénom}}", "Message, ligne 2 : la variable « Prénom » n'existe pas : vouliez-vous écrire {{.Prenom}} ?"},
		{"Message", "{{.Inconnu}}", "la variable « Inconnu » n'existe pas (variables possibles : {{.Prenom}}, {{.Nom}}, {{.Offre}}, {{.Organisation}}, {{.Contact}}, {{.Operateur}})"},
		{"Message", "{{.Offre.Titre}}", "la variable « Offre.Titre » n'existe pas"},
		{"Message", "{{.Prenom .Nom}}", "une variable s'écrit seule"},
		{"Message", "Bonjour {{.Prenom !", "Message illisible, ligne 1 : « {{.Prenom ! » n'est pas fermé par « }} »"},
		{"Message", "a\nb\nBonjour {{.Prenom\n}}", "Message illisible, ligne 3 : « {{.Prenom » n'est pas fermé"},
		{"Message", "{{.Prenom {{.Nom}}", "« {{.Prenom » n'est pas fermé"},
		{"Message", "Bonjour }} et {{.Nom}}", "« }} » ferme des accolades qui n'ont pas été ouvertes"},
		{"Message", "{{if .Prenom}}a{{if .Nom}}b{{end}}{{end}}", "« {{if .Nom}} » est dans un autre {{if}}"},
		{"Message", "{{if .Prenom}}a{{else}}b{{else}}c{{end}}", "un {{if}} n'a qu'un {{else}}"},
		{"Message", "{{if .Prenom}}a{{else if .Nom}}b{{end}}", "un {{else}} s'écrit seul"},
		{"Message", "a{{else}}b", "« {{else}} » n'a pas de {{if …}} avant lui"},
		{"Message", "a{{end}}", "« {{end}} » n'a pas de {{if …}} avant lui"},
		{"Message", "x\n{{if .Prenom}}a\nb", "Message illisible, ligne 2 : « {{if .Prenom}} » n'est pas fermé par {{end}}"},
		{"Message", "{{if}}a{{end}}", "un {{if}} porte sur une seule variable"},
		{"Message", "{{if eq .Prenom \"x\"}}a{{end}}", "un {{if}} porte sur une seule variable"},
		{"Message", "{{if .Inconnu}}a{{end}}", "la variable « Inconnu » n'existe pas"},
		{"Objet", "Bonjour {{range .Offre}}", "Objet illisible : « {{range .Offre}} » n'est pas permis"},
	} {
		_, err := ParseWording(tc.field, tc.src)
		if err == nil {
			t.Errorf("%q accepted", tc.src)
			continue
		}
		if !strings.Contains(err.Error(), tc.reason) || !strings.HasPrefix(err.Error(), tc.field) {
			t.Errorf("%q: %q, want %q", tc.src, err.Error(), tc.reason)
		}
	}
}

// The attack of the report, which made Go's templates build hundreds of
// megabytes, is refused with the reason; and what an accepted wording
// renders stays within its bound.
func TestWordingsAreBounded(t *testing.T) {
	attack := `{{range $}}{{range $}}{{range $}}{{printf "%01000000d" 1}}{{end}}{{end}}{{end}}`
	d := sample()
	for _, words := range [][2]string{{attack, "Message"}, {"Objet", attack}} {
		err := check(words[0], words[1], d)
		if err == nil || !strings.Contains(err.Error(), "« {{range $}} » n'est pas permis") {
			t.Errorf("the attack: %v", err)
		}
		if _, _, err := ownWords(Words{words[0], words[1]}, d); err == nil {
			t.Error("the attack rendered as a reviewer's own words")
		}
	}

	// 9,000 characters of variables: refused once names count at their
	// longest, and cut at the bound whatever the values.
	many := strings.Repeat("{{.Prenom}}", 900)
	posting := &emailData{Operator: "ANCT", Posting: d.Posting}
	if err := check("Objet", many, posting); err == nil || !strings.Contains(err.Error(), "il peut atteindre 90\u202f000 caractères, au-delà des 10 000 permis") {
		t.Errorf("9,000 characters of names: %v", err)
	}
	d.Application.FirstName = strings.Repeat("é", 100)
	_, message, err := ownWords(Words{"Objet", many}, d)
	if err != nil || utf8.RuneCountInString(message) != MaxMessageLen || !strings.HasSuffix(message, "…") {
		t.Errorf("rendered %d characters (%v), want %d ending with …", utf8.RuneCountInString(message), err, MaxMessageLen)
	}
	// A subject is one line of 200 characters at most once rendered.
	d.Posting.Title = strings.Repeat("Titre ", 50)
	subject, _, err := ownWords(Words{"Offre : {{.Offre}} {{.Offre}}", "m"}, d)
	if err != nil || utf8.RuneCountInString(subject) != MaxSubjectLen || !strings.HasSuffix(subject, "…") || !subjectTooLong("{{.Offre}}", d) {
		t.Errorf("subject of %d characters: %q", utf8.RuneCountInString(subject), subject)
	}
	// Too long as written, or holding control characters.
	for _, tc := range []struct{ subject, message, reason string }{
		{"Objet", strings.Repeat("x", 10001), "Message : il ne doit pas dépasser 10 000 caractères (il en compte 10\u202f001)."},
		{strings.Repeat("x", 201), "m", "Objet : il tient sur une ligne de 200 caractères au plus."},
		{"Objet\nBcc: x", "m", "Objet : il tient sur une ligne"},
		{"Objet", "a\x00b", "Message : il contient des caractères invisibles"},
		{"Objet", "a\xffb", "Message : il contient des caractères invisibles"},
		{" ", "m", "Objet : indiquez l'objet"},
		{"Objet", " \n", "Message : écrivez le message."},
	} {
		if err := check(tc.subject, tc.message, d); err == nil || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%.20q / %.20q: %v, want %q", tc.subject, tc.message, err, tc.reason)
		}
	}
}

// A cut never leaves half of a placeholder that the database completes.
func TestCutKeepsPlaceholdersWhole(t *testing.T) {
	w, _ := ParseWording("Message", "abc{{.Prenom}}")
	got, cut := w.Render(map[string]string{"Prenom": markFirstName}, 6)
	if !cut || got != "abc…" {
		t.Errorf("got %q", got)
	}
}

// Every default wording is in the language, so the editor shows it as
// people may write it, and renders in French for a person.
func TestDefaultWordingsAreInTheLanguage(t *testing.T) {
	r, err := newRenderer()
	if err != nil {
		t.Fatal(err)
	}
	d := sample()
	d.Posting.Organisation = ""
	for _, e := range append(Editables(), StatusEditable("received")) {
		w := r.source(e, nil)
		if err := check(w.Subject, w.Message, &emailData{Operator: "ANCT", Posting: d.Posting}); err != nil {
			t.Errorf("%s: %v", e.Key, err)
		}
		s, m := r.words(e, d, nil)
		if strings.Contains(s+m, "{{") || !strings.Contains(s+m, d.Posting.Title) {
			t.Errorf("%s renders %q / %q", e.Key, s, m)
		}
	}
	// The acknowledgement's condition on the organisation.
	e, _ := EditableByKey("acknowledgement")
	if _, m := r.words(e, d, nil); !strings.Contains(m, "d'investigation ».") {
		t.Errorf("acknowledgement without an organisation: %q", m)
	}
	d.Posting.Organisation = "ANCT"
	if _, m := r.words(e, d, nil); !strings.Contains(m, "d'investigation » (ANCT).") {
		t.Errorf("acknowledgement with an organisation: %q", m)
	}
	// A wording stored before the language, that it refuses, gives way to
	// the default.
	old := &Words{Subject: "Merci", Message: `{{with .Prenom}}Bonjour {{.}}{{end}}`}
	if Valid(repository.PostingTemplate{Subject: old.Subject, Body: old.Message}) == nil {
		t.Fatal("an old Go template is accepted")
	}
	if _, m := r.words(e, d, old); !strings.Contains(m, "Nous avons bien reçu") {
		t.Errorf("old wording: %q", m)
	}
}
