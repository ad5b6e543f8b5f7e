package posting

import (
	"regexp"
	"strconv"
	"strings"
)

var (
	yamlErrRe  = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)
	anchorRe   = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)
	parserErrs = []string{
		"did not find expected key", "did not find expected node content",
		"did not find expected '-' indicator", "did not find expected ',' or ']'",
		"did not find expected ',' or '}'", "did not find expected <document start>",
	}
)

// yamlErrorLine turns a yaml.v3 error into a 1-based line of the front
// matter and a French message. yaml.v3 numbers scanner errors from 1 but
// parser errors from 0, and omits the line when it is the first one.
func yamlErrorLine(err error, src string) (int, string) {
	m := yamlErrRe.FindStringSubmatch(strings.SplitN(err.Error(), "\n", 2)[0])
	if m == nil {
		return 1, err.Error()
	}
	line, msg := 1, m[2]
	if m[1] != "" {
		line, _ = strconv.Atoi(m[1])
		for _, p := range parserErrs {
			if msg == p {
				line++
				break
			}
		}
	}
	if a := anchorRe.FindStringSubmatch(msg); a != nil {
		for i, l := range strings.Split(src, "\n") {
			if strings.Contains(l, "*"+a[1]) {
				line = i + 1
				break
			}
		}
	}
	n := strings.Count(src, "\n") + 1
	line = min(max(line, 1), n)
	return line, frenchYAMLMessage(msg)
}

// incompleteErrs are what a prefix of valid YAML can fail with when it
// stops inside a multi-line value; they say nothing about that line.
var incompleteErrs = []string{
	"found unexpected end of stream", "did not find expected ',' or ']'", "did not find expected ',' or '}'",
}

// maxLocateLines bounds the quadratic search below.
const maxLocateLines = 300

// locateYAMLError finds the first line at which the YAML stops parsing,
// since yaml.v3 reports the start of the enclosing block for many errors:
// it is the last line of the shortest prefix that fails for a reason other
// than being cut short.
func locateYAMLError(src string) (int, bool) {
	lines := strings.Split(src, "\n")
	if len(lines) > maxLocateLines {
		return 0, false
	}
	for k := 1; k <= len(lines); k++ {
		if t := strings.TrimSpace(lines[k-1]); t == "" || t[0] == '#' {
			continue
		}
		_, err := unmarshal(strings.Join(lines[:k], "\n"))
		if err == nil {
			continue
		}
		incomplete := false
		for _, e := range incompleteErrs {
			incomplete = incomplete || strings.Contains(err.Error(), e)
		}
		if !incomplete {
			return k, true
		}
	}
	return 0, false
}

func frenchYAMLMessage(msg string) string {
	switch {
	case msg == "mapping values are not allowed in this context":
		return "deux-points « : » inattendu dans une valeur (mettez la valeur entre guillemets)"
	case msg == "could not find expected ':'":
		return "deux-points « : » attendu après la clé"
	case msg == "did not find expected key":
		return "clé attendue : l'indentation est sans doute incorrecte"
	case msg == "did not find expected '-' indicator":
		return "élément de liste « - » attendu : l'indentation est sans doute incorrecte"
	case msg == "did not find expected ',' or ']'":
		return "liste entre crochets non fermée : « ] » attendu"
	case msg == "did not find expected ',' or '}'":
		return "accolades non fermées : « } » attendu"
	case msg == "did not find expected node content":
		return "valeur attendue"
	case strings.HasPrefix(msg, "found unexpected end of stream"):
		return "fin de l'en-tête inattendue : un guillemet n'est sans doute pas fermé"
	case strings.HasPrefix(msg, "found character that cannot start any token"):
		return "caractère interdit en début de valeur (mettez la valeur entre guillemets)"
	case anchorRe.MatchString(msg):
		return "référence « * » inconnue (mettez la valeur entre guillemets)"
	case msg == "block sequence entries are not allowed in this context":
		return "élément de liste « - » inattendu à cet endroit : l'indentation est sans doute incorrecte"
	case msg == "did not find expected alphabetic or numeric character":
		return "nom attendu après « & » ou « * » (mettez la valeur entre guillemets)"
	case msg == "did not find expected comment or line break":
		return "texte inattendu après « | » ou « > » (mettez la valeur entre guillemets)"
	case strings.Contains(msg, "escape"):
		return "séquence « \\ » invalide dans une valeur entre guillemets doubles"
	case msg == "found unknown directive name":
		return "ligne commençant par « % » (mettez la valeur entre guillemets)"
	case msg == "found unexpected document indicator":
		return "ligne « --- » ou « ... » inattendue au milieu d'une valeur"
	case strings.HasPrefix(msg, "found undefined tag handle"):
		return "étiquette « ! » inconnue (mettez la valeur entre guillemets)"
	}
	return "YAML invalide (" + msg + ")"
}
