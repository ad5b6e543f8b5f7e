package posting

import (
	"fmt"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

const (
	msgNoFrontMatter = "en-tête YAML manquant : le fichier doit commencer par une ligne « --- »"
	msgUnclosed      = "en-tête YAML non fermé : aucune ligne « --- » ne termine l'en-tête ouvert ici"
	msgNotMapping    = "en-tête YAML invalide : il doit être une suite de lignes « clé: valeur »"
	msgBadYAML       = "en-tête YAML illisible : "
)

// splitFrontMatter cuts text (already LF-only) at the opening fence and the
// first closing fence after it; a later "---" line belongs to the body.
// fenceLine is the 1-based line of the opening fence.
func splitFrontMatter(text string) (fm string, fenceLine int, body string, err *ParseError) {
	line, pos := 1, 0
	// Blank lines before the opening fence are tolerated.
	for {
		end := lineEnd(text, pos)
		cur := text[pos:end]
		if isFence(cur) {
			fenceLine = line
			pos = next(text, end)
			break
		}
		if strings.TrimFunc(cur, isBlank) != "" || end == len(text) {
			return "", 0, "", &ParseError{Line: line, Msg: msgNoFrontMatter}
		}
		pos, line = end+1, line+1
	}
	start := pos
	for pos < len(text) {
		end := lineEnd(text, pos)
		if isFence(text[pos:end]) {
			return text[start:pos], fenceLine, text[next(text, end):], nil
		}
		pos = end + 1
	}
	return "", 0, "", &ParseError{Line: fenceLine, Msg: msgUnclosed}
}

func lineEnd(text string, pos int) int {
	if i := strings.IndexByte(text[pos:], '\n'); i >= 0 {
		return pos + i
	}
	return len(text)
}

// next skips the newline at end, if any.
func next(text string, end int) int {
	if end < len(text) {
		return end + 1
	}
	return end
}

func isFence(line string) bool {
	return strings.TrimRightFunc(line, isBlank) == "---"
}

// isBlank is white space or an invisible format character (zero-width
// space, BOM), both of which authors leave around fences without knowing.
func isBlank(r rune) bool {
	return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r)
}

// decodeFrontMatter parses the YAML between the fences. Duplicate keys are
// allowed (the last wins) because it decodes into a yaml.Node. When the YAML
// does not parse, a repaired version is tried before reporting the original
// error at its line in the file.
func decodeFrontMatter(fm string, fenceLine int) (meta, *ParseError) {
	src := sanitiseYAML(fm)
	doc, err := unmarshal(src)
	if err != nil {
		var err2 error
		if doc, err2 = unmarshal(repairYAML(src)); err2 != nil {
			line, msg := yamlErrorLine(err, src)
			if l, ok := locateYAMLError(src); ok {
				line = l
			}
			return nil, &ParseError{Line: fenceLine + line, Msg: msgBadYAML + msg}
		}
	}
	root, ok := rootMapping(doc)
	if !ok {
		// "roles:Dev" alone reads as one string: try the repairs too.
		if doc2, err2 := unmarshal(repairYAML(src)); err2 == nil {
			if root2, ok2 := rootMapping(doc2); ok2 {
				root, ok = root2, true
			}
		}
	}
	if !ok {
		line := 1
		if root != nil {
			line = max(root.Line, 1)
		}
		return nil, &ParseError{Line: fenceLine + line, Msg: msgNotMapping}
	}
	if root == nil {
		return meta{}, nil // only blank lines, comments or null
	}
	return newMeta(root), nil
}

// rootMapping returns the document's top-level mapping; ok is also true
// for an empty document (nil root), false for a list or a bare string.
func rootMapping(doc *yaml.Node) (root *yaml.Node, ok bool) {
	if len(doc.Content) == 0 {
		return nil, true
	}
	root = resolve(doc.Content[0])
	switch {
	case root == nil:
		return nil, false
	case root.Kind == yaml.MappingNode:
		return root, true
	case root.Kind == yaml.ScalarNode && root.Tag == "!!null":
		return nil, true
	}
	return root, false
}

// unmarshal guards against panics inside the YAML library.
func unmarshal(src string) (doc *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, fmt.Errorf("yaml: %v", r)
		}
	}()
	doc = &yaml.Node{}
	if err = yaml.Unmarshal([]byte(src), doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// sanitiseYAML removes what the YAML scanner rejects but authors cannot see,
// keeping the line count so errors still point at the right line: tabs
// become two spaces, NBSP and exotic line separators become spaces, control
// and zero-width characters go, and list items get aligned.
func sanitiseYAML(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteRune(r)
		case r == '\t':
			b.WriteString("  ")
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		case unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) || r == 0xFFFE || r == 0xFFFF:
		default:
			b.WriteRune(r)
		}
	}
	return alignListItems(b.String())
}

// alignListItems re-indents the items of a top-level list whose items are
// not all indented alike: YAML would otherwise silently fold "- a" and a
// more indented "- b" into the single string "a - b".
func alignListItems(src string) string {
	lines := strings.Split(src, "\n")
	for i := 0; i < len(lines); i++ {
		m := topKeyRe.FindStringSubmatch(strings.TrimRight(lines[i], " "))
		if m == nil || stripComment(m[2]) != "" {
			continue
		}
		var items []int
		indents := map[int]bool{}
		j := i + 1
		for ; j < len(lines); j++ {
			t := strings.Trim(lines[j], " ")
			indent := len(lines[j]) - len(strings.TrimLeft(lines[j], " "))
			if t == "" || t[0] == '#' {
				continue
			}
			if !isListItem(t) || indent > 4 {
				break
			}
			items = append(items, j)
			indents[indent] = true
		}
		if len(indents) > 1 {
			for _, k := range items {
				lines[k] = "  " + strings.TrimLeft(lines[k], " ")
			}
		}
		i = j - 1
	}
	return strings.Join(lines, "\n")
}
