package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"vivier/internal/applyform"
)

// The edge's checks of what a URL carries, for every route: PostgreSQL
// refuses NUL and bytes that are not UTF-8 with an error, and a long value
// is echoed into pages and queries. Each handler then checks the ranges of
// its own parameters.

const (
	maxPathBytes    = 2048 // a whole path
	maxSegmentBytes = 255  // one segment: slugs hold 100, tokens 43
	maxQueryBytes   = 8192 // a whole query string, as sent
	// maxQueryValue bounds each query value, in characters: a list's
	// cursor holds two names, under 1,800 characters once encoded.
	maxQueryValue = 2000
)

// queryLabels name the query parameters people see as fields.
var queryLabels = map[string]string{
	"q": "Rechercher", "statut": "Statut", "dispo_min": "Disponibilité minimale", "dispo_max": "Disponibilité maximale",
	"tjm_min": "TJM minimal", "tjm_max": "TJM maximal", "recu_du": "Reçue à partir du", "recu_au": "Reçue jusqu'au",
	"source": "Source", "tri": "Trier par", "apres": "Page suivante", "acteur": "Personne", "action": "Action", "offre": "Offre",
}

// sourceParams are where an applicant came from (see sourceOf): a bad
// value there is no fault of the visitor's, so the posting page drops it
// rather than being refused.
var sourceParams = map[string]bool{applyform.FieldUTMSource: true, applyform.FieldUTMMedium: true,
	applyform.FieldUTMCampaign: true, applyform.FieldRef: true}

// guardInput answers 404 to a path that cannot name anything and 400 to
// a query that is not clean text of a sane length.
func (h *Handler) guardInput() gin.HandlerFunc {
	return func(c *gin.Context) {
		if !cleanPath(c.Request.URL.Path) {
			h.notFound(c)
			return
		}
		if msg := checkQuery(c.Request.URL.RawQuery); msg != "" {
			h.errorPage(c, http.StatusBadRequest, "Adresse invalide", msg+" Corrigez l'adresse, ou repartez de la page précédente.")
			return
		}
		c.Next()
	}
}

// cleanPath reports whether each segment of a decoded path is UTF-8
// without control characters, and short enough to name something.
func cleanPath(p string) bool {
	if len(p) > maxPathBytes {
		return false
	}
	for _, seg := range strings.Split(p, "/") {
		if len(seg) > maxSegmentBytes || !cleanText(seg) {
			return false
		}
	}
	return true
}

// cleanText is valid UTF-8 without control characters (NUL, line breaks,
// tabs, DEL, C1).
func cleanText(s string) bool {
	return utf8.ValidString(s) && strings.IndexFunc(s, unicode.IsControl) < 0
}

// checkQuery returns what is wrong with a raw query string, in French,
// naming the parameter; "" when nothing is.
func checkQuery(raw string) string {
	if raw == "" {
		return ""
	}
	values, err := url.ParseQuery(raw)
	if err != nil {
		return "L'adresse de cette page est mal formée (un « % » y est suivi d'autre chose que deux chiffres hexadécimaux, ou un « ; » y sépare des paramètres)."
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := "« " + k + " »"
		if l, ok := queryLabels[k]; ok {
			name = "« " + l + " »"
		}
		if !cleanText(k) || len(k) > 100 {
			return "L'adresse de cette page contient un nom de paramètre invalide."
		}
		if sourceParams[k] {
			continue
		}
		for _, v := range values[k] {
			switch n := utf8.RuneCountInString(v); {
			case !utf8.ValidString(v):
				return "La valeur de " + name + " dans l'adresse n'est pas du texte valide (UTF-8)."
			case !cleanText(v):
				return "La valeur de " + name + " dans l'adresse contient un caractère de contrôle (invisible), qui n'est pas accepté."
			case k == "q" && n > maxQueryValue:
				return fmt.Sprintf("La recherche ne doit pas dépasser %d mots ni %d caractères : celle-ci est bien plus longue.",
					maxSearchWords, maxSearchRunes)
			case n > maxQueryValue:
				return fmt.Sprintf("La valeur de %s dans l'adresse est trop longue (%d caractères ; %d au plus).", name, n, maxQueryValue)
			}
		}
	}
	if len(raw) > maxQueryBytes {
		return fmt.Sprintf("L'adresse de cette page est trop longue (%d caractères ; %d au plus).", len(raw), maxQueryBytes)
	}
	return ""
}

// badText reports text PostgreSQL refuses (bytes that are not UTF-8,
// NUL) or holding other invisible control characters than line breaks
// and tabs: what a form's free text may not hold.
func badText(s string) bool {
	return !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t'
	}) >= 0
}
