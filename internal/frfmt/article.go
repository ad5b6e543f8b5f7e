package frfmt

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// A name "with its article" is how it reads in a sentence: "l'Incubateur
// des Territoires", "la Fabrique numérique", "le GIP Inclusion", "les
// Ateliers", or a bare name such as "Etalab". The functions below put it
// after a preposition the way French grammar wants it.

// De gives "de l'Incubateur des Territoires", "de la Fabrique", "du GIP",
// "des Ateliers", "d'Etalab", "de Beta".
func De(name string) string {
	switch article, rest := splitArticle(name); article {
	case "le":
		return "du " + rest
	case "les":
		return "des " + rest
	case "":
		if startsWithVowel(name) {
			return "d'" + name
		}
	}
	return "de " + name
}

// A gives "à l'Incubateur des Territoires", "à la Fabrique", "au GIP",
// "aux Ateliers", "à Etalab".
func A(name string) string {
	switch article, rest := splitArticle(name); article {
	case "le":
		return "au " + rest
	case "les":
		return "aux " + rest
	}
	return "à " + name
}

// Capitalize upper-cases the first letter, for a name that starts a
// sentence: "L'Incubateur des Territoires traite vos données".
func Capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// splitArticle returns the definite article a name starts with ("le",
// "la", "l'", "les", or "" for none) and the rest. "Le" and "Les" are
// contracted too ("du Havre"); a capital stays where it is not.
func splitArticle(name string) (article, rest string) {
	lower := strings.ToLower(name)
	for _, a := range articles {
		if strings.HasPrefix(lower, a.prefix) && len(name) > len(a.prefix) {
			return a.article, name[len(a.prefix):]
		}
	}
	return "", name
}

var articles = []struct{ prefix, article string }{
	{"les ", "les"}, {"le ", "le"}, {"la ", "la"}, {"l'", "l'"}, {"l’", "l'"},
}

// HasArticle reports whether a name starts with a definite article.
func HasArticle(name string) bool {
	a, _ := splitArticle(name)
	return a != ""
}

func startsWithVowel(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return strings.ContainsRune("aeiouyàâäéèêëîïôöùûüœæAEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜŒÆ", r)
}
