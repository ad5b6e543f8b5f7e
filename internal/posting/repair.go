package posting

import (
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Front matter is hand-written by people who do not know YAML. When it does
// not parse, repairYAML rewrites the usual mistakes line by line, assuming
// the flat shape every posting has (scalar values and lists of scalars):
//   - list items indented inconsistently (0 to 4 spaces) are re-indented;
//   - plain values that YAML misreads ("titre : sous-titre", "@handle",
//     "*important*", `"cité" puis texte`) are double-quoted, comments aside;
//   - a plain value continued on indented lines is joined into one line;
//   - a known key indented by mistake is moved back to the left margin;
//   - a known key glued to its value ("open:false") gets its space.
//
// Anything else (a line that is no "key: value", an unclosed [ or {) is left
// alone so that truly broken YAML is still reported.

// knownKeys are the keys met in the two formats.
const knownKeys = `(?i:roles?|titles?|friend|startup|equipe|contacts?|contrat|externalurl|` +
	`poste_ouvert|post_ouvert|date|poste_ferme|depublication_date|open|status|poste_pourvu|` +
	`domaines?|techno|junior|type|airtable_formulaire|redirect_from)`

var (
	topKeyRe   = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_.-]*(?: +[A-Za-z0-9_.-]+)*) *:(?: +(.*))?$`)
	knownKeyRe = regexp.MustCompile(`^` + knownKeys + ` *:( |$)`)
	gluedKeyRe = regexp.MustCompile(`^(` + knownKeys + `):([^ /])`)
)

func repairYAML(src string) string {
	lines := strings.Split(src, "\n")
	out := make([]string, 0, len(lines))
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], " ")
		trimmed := strings.TrimLeft(line, " ")
		if trimmed == "" || trimmed[0] == '#' {
			out = append(out, line)
			continue
		}
		trimmed = gluedKeyRe.ReplaceAllString(trimmed, "$1: $2")
		if trimmed != line && knownKeyRe.MatchString(trimmed) {
			line = trimmed
		}
		m := topKeyRe.FindStringSubmatch(line)
		if m == nil {
			out = append(out, line)
			continue
		}
		key, val := m[1], strings.TrimSpace(m[2])
		if isComment(val) {
			val = ""
		}
		j := i + 1
		switch {
		case val == "":
			// A list (or nested block) follows: re-indent its items.
			out = append(out, key+":")
			for ; j < len(lines); j++ {
				l := strings.TrimRight(lines[j], " ")
				t := strings.TrimLeft(l, " ")
				indent := len(l) - len(t)
				if t == "" || t[0] == '#' {
					out = append(out, l)
				} else if isListItem(t) && indent <= 4 {
					out = append(out, "  - "+repairScalar(strings.TrimSpace(t[1:])))
				} else if indent > 0 && !knownKeyRe.MatchString(t) {
					out = append(out, l)
				} else {
					break
				}
			}
		case strings.ContainsAny(val[:1], "[{|>"):
			// Flow collection or block scalar: deliberate YAML, keep it.
			out = append(out, key+": "+val)
		default:
			parts := []string{val}
			for ; j < len(lines); j++ {
				l := lines[j]
				t := strings.TrimSpace(l)
				if t == "" || l[0] != ' ' || isListItem(t) || knownKeyRe.MatchString(t) {
					break
				}
				parts = append(parts, t)
			}
			out = append(out, key+": "+repairScalar(strings.Join(parts, " ")))
		}
		i = j - 1
	}
	return strings.Join(out, "\n")
}

func isListItem(t string) bool {
	return t == "-" || strings.HasPrefix(t, "- ")
}

func isComment(v string) bool {
	return strings.HasPrefix(v, "#")
}

// repairScalar keeps a value that YAML reads as a single scalar and
// double-quotes anything else.
func repairScalar(v string) string {
	if v == "" || v[0] != '"' && v[0] != '\'' {
		v = stripComment(v)
	}
	if v == "" {
		return ""
	}
	if doc, err := unmarshal("k: " + v); err == nil && len(doc.Content) == 1 {
		root := doc.Content[0]
		if root.Kind == yaml.MappingNode && len(root.Content) == 2 && root.Content[1].Kind == yaml.ScalarNode {
			return v
		}
	}
	return quoteYAML(stripComment(v))
}

// stripComment cuts a value at " #", where YAML starts a comment.
func stripComment(v string) string {
	if i := strings.Index(v, " #"); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v)
}
