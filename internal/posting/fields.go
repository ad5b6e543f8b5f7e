package posting

import (
	"net/url"
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
	"gopkg.in/yaml.v3"
)

// meta is the front matter's top-level mapping by lowercased key, so that
// externalURL and externalUrl meet; a duplicated key keeps its last value.
type meta map[string]*yaml.Node

// maxDepth bounds recursion into nested YAML values.
const maxDepth = 16

// emailRe finds an address in a bare email, a mailto: link or free text.
var emailRe = regexp.MustCompile(
	`[A-Za-z0-9._%+\-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}`)

func newMeta(mapping *yaml.Node) meta {
	m := meta{}
	for i := 0; i+1 < len(mapping.Content); i += 2 {
		k := resolve(mapping.Content[i])
		if k == nil || k.Kind != yaml.ScalarNode {
			continue
		}
		m[strings.ToLower(cleanText(k.Value))] = mapping.Content[i+1]
	}
	return m
}

// resolve follows aliases (a node can be an alias of an alias).
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxDepth; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}

// scalar returns a scalar's raw text; null and non-scalars give "".
func scalar(n *yaml.Node) string {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

// items returns the raw texts of a scalar or of a sequence's scalars.
func items(n *yaml.Node) []string {
	n = resolve(n)
	if n == nil {
		return nil
	}
	if n.Kind == yaml.SequenceNode {
		var out []string
		for _, c := range n.Content {
			if s := scalar(c); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	if s := scalar(n); s != "" {
		return []string{s}
	}
	return nil
}

// text returns the first non-empty cleaned value among keys; a list value
// is joined with ", ".
func (m meta) text(keys ...string) string {
	for _, k := range keys {
		var parts []string
		for _, s := range items(m[k]) {
			if c := cleanText(s); c != "" {
				parts = append(parts, c)
			}
		}
		if len(parts) > 0 {
			return strings.Join(parts, ", ")
		}
	}
	return ""
}

// list returns the cleaned, non-empty items of the first key that has any.
// splitCommas also splits a plain string value ("Python, Django").
func (m meta) list(splitCommas bool, keys ...string) []string {
	for _, k := range keys {
		n := resolve(m[k])
		var raw []string
		if n != nil && n.Kind == yaml.ScalarNode && splitCommas {
			raw = strings.Split(scalar(n), ",")
		} else {
			raw = items(n)
		}
		var out []string
		for _, s := range raw {
			if c := cleanText(s); c != "" {
				out = append(out, c)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

// boolean reads key as a boolean; ok is false when it is absent or not a
// recognisable yes/no value.
func (m meta) boolean(key string) (v, ok bool) {
	switch strings.ToLower(cleanText(scalar(m[key]))) {
	case "true", "yes", "oui", "on", "1", "vrai":
		return true, true
	case "false", "no", "non", "off", "0", "faux":
		return false, true
	}
	return false, false
}

// status reads the Incubateur des Territoires `status` field.
func (m meta) status() (open, ok bool) {
	s := strings.ToLower(foldAccents(cleanText(scalar(m["status"]))))
	switch s {
	case "open", "opened", "ouvert", "ouverte", "active", "actif", "published", "publie", "publiee", "en cours":
		return true, true
	case "closed", "close", "ferme", "fermee", "pourvu", "pourvue", "filled", "archived", "archive",
		"archivee", "inactive", "inactif", "expired", "expire", "expiree", "draft", "brouillon":
		return false, true
	}
	return false, false
}

// email returns the first address found in the keys' values, however deep.
func (m meta) email(keys ...string) string {
	for _, k := range keys {
		var found string
		budget := maxNodes
		walkScalars(m[k], 0, &budget, func(s string) bool {
			found = emailRe.FindString(norm.NFC.String(strings.ToValidUTF8(s, "")))
			return found != ""
		})
		if found != "" {
			return found
		}
	}
	return ""
}

// maxNodes bounds a walk: aliases can make a small document a huge tree.
const maxNodes = 1000

// walkScalars calls f on every scalar under n until f returns true.
func walkScalars(n *yaml.Node, depth int, budget *int, f func(string) bool) bool {
	n = resolve(n)
	*budget--
	if n == nil || depth > maxDepth || *budget < 0 {
		return false
	}
	if n.Kind == yaml.ScalarNode {
		return f(n.Value)
	}
	for _, c := range n.Content {
		if walkScalars(c, depth+1, budget, f) {
			return true
		}
	}
	return false
}

// httpURL returns the first value of keys that is an absolute http(s) URL.
func (m meta) httpURL(keys ...string) string {
	for _, k := range keys {
		for _, s := range items(m[k]) {
			if u := cleanText(s); IsHTTPURL(u) {
				return u
			}
		}
	}
	return ""
}

// IsHTTPURL tells an absolute http(s) address with a host, the only
// external links a posting keeps.
func IsHTTPURL(s string) bool {
	if s == "" || strings.ContainsAny(s, " <>\"") {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	scheme := strings.ToLower(u.Scheme)
	return scheme == "http" || scheme == "https"
}

// cleanText tidies a metadata value: invalid UTF-8, control and invisible
// format characters (zero-width spaces, BOM, bidi marks) are dropped, every
// run of white space (NBSP and line breaks included) becomes one space, the
// ends are trimmed and the result is NFC. It is idempotent, which the
// Markdown round trip relies on.
func cleanText(s string) string { return CleanLine(s) }

// CleanLine tidies a one-line value the way the parser tidies front
// matter, so that a value typed in the inbox survives the Markdown round
// trip unchanged.
func CleanLine(s string) string {
	s = strings.ToValidUTF8(s, "")
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = true
		case unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Co, r):
			// invisible: drop without leaving a space
		default:
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		}
	}
	return norm.NFC.String(b.String())
}

// foldAccents strips combining marks: "fermée" -> "fermee".
func foldAccents(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return norm.NFC.String(b.String())
}
