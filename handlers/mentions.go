package handlers

import (
	"regexp"
	"slices"
	"strings"
)

// Mentions in a note: "@" followed by a reviewer's address
// (@marie.dupont@anct.gouv.fr) or by what comes before the "@" of it
// (@marie.dupont), or its first part when only one reviewer's starts so
// (@marie). Each reviewer mentioned gets an email with a link to the note.

// mentionRe finds "@word" or "@address" at the start of the note or after
// a space or an opening punctuation mark (so that a plain address in the
// text, marie@example.org, is no mention).
var mentionRe = regexp.MustCompile(`(?:^|[\s(\[{,;:«"'])@([\p{L}\p{N}._%+\-]+(?:@[\p{L}\p{N}.\-]+)?)`)

// mentions is what a note's "@" designate among a posting's reviewers.
type mentions struct {
	To []string // the reviewers mentioned, each once, in the order written
	// Unknown lists the "@…" that designate no reviewer, Ambiguous those
	// that designate several, as written.
	Unknown, Ambiguous []string
}

// findMentions reads the mentions of body among reviewers (lower-case
// addresses), leaving out the author.
func findMentions(body string, reviewers []string, author string) mentions {
	var m mentions
	author = strings.ToLower(author)
	for _, match := range mentionRe.FindAllStringSubmatch(body, -1) {
		written := strings.TrimRight(match[1], ".-")
		if written == "" {
			continue
		}
		word := strings.ToLower(written)
		var found []string
		if strings.Contains(word, "@") {
			if slices.Contains(reviewers, word) {
				found = []string{word}
			}
		} else {
			for _, r := range reviewers {
				if local, _, _ := strings.Cut(r, "@"); local == word {
					found = []string{r}
					break
				} else if strings.HasPrefix(local, word+".") || strings.HasPrefix(local, word+"-") || strings.HasPrefix(local, word+"_") {
					found = append(found, r)
				}
			}
		}
		switch {
		case len(found) == 1:
			if found[0] != author && !slices.Contains(m.To, found[0]) {
				m.To = append(m.To, found[0])
			}
		case len(found) > 1:
			if !slices.Contains(m.Ambiguous, "@"+written) {
				m.Ambiguous = append(m.Ambiguous, "@"+written)
			}
		default:
			if !slices.Contains(m.Unknown, "@"+written) {
				m.Unknown = append(m.Unknown, "@"+written)
			}
		}
	}
	return m
}

// notice says in French what became of the mentions, after "Note ajoutée.".
func (m mentions) notice() string {
	var b strings.Builder
	switch len(m.To) {
	case 0:
	case 1:
		b.WriteString(" " + m.To[0] + " est prévenu·e par email.")
	default:
		b.WriteString(" " + strings.Join(m.To[:len(m.To)-1], ", ") + " et " + m.To[len(m.To)-1] + " sont prévenu·es par email.")
	}
	quoted := func(s []string) string { return "« " + strings.Join(s, " », « ") + " »" }
	if len(m.Unknown) == 1 {
		b.WriteString(" " + quoted(m.Unknown) + " ne désigne aucune personne qui relit cette offre : personne n'a été prévenu pour cette mention.")
	} else if len(m.Unknown) > 1 {
		b.WriteString(" " + quoted(m.Unknown) + " ne désignent aucune personne qui relit cette offre : personne n'a été prévenu pour ces mentions.")
	}
	if len(m.Ambiguous) == 1 {
		b.WriteString(" " + quoted(m.Ambiguous) + " désigne plusieurs personnes qui relisent cette offre : personne n'a été prévenu ; écrivez l'adresse entière de celle à prévenir.")
	} else if len(m.Ambiguous) > 1 {
		b.WriteString(" " + quoted(m.Ambiguous) + " désignent chacun plusieurs personnes qui relisent cette offre : personne n'a été prévenu ; écrivez l'adresse entière de celles à prévenir.")
	}
	return b.String()
}

// unresolved reports whether some mention reached nobody.
func (m mentions) unresolved() bool { return len(m.Unknown)+len(m.Ambiguous) > 0 }
