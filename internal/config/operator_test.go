package config

import (
	"strings"
	"testing"
)

// The operator's name with its article: the default one's, a bare name
// for another operator until told, and what OPERATOR_NAME_ARTICLE says.
func TestOperatorNameArticle(t *testing.T) {
	load := func(env map[string]string) (*Config, error) { return Load(func(k string) string { return env[k] }) }
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{nil, "l'Incubateur des Territoires"},
		{map[string]string{"OPERATOR_NAME": "Etalab"}, "Etalab"},
		{map[string]string{"OPERATOR_NAME": "Fabrique numérique", "OPERATOR_NAME_ARTICLE": " la Fabrique numérique "}, "la Fabrique numérique"},
	} {
		cfg, err := load(c.env)
		if err != nil || cfg.OperatorNameArticle != c.want {
			t.Errorf("%v: %q, %v; want %q", c.env, cfg.OperatorNameArticle, err, c.want)
		}
	}
	for _, bad := range []string{"l'", "La", "l'Incubateur\ndes Territoires"} {
		_, err := load(map[string]string{"OPERATOR_NAME_ARTICLE": bad})
		if err == nil || !strings.Contains(err.Error(), "OPERATOR_NAME_ARTICLE") {
			t.Errorf("OPERATOR_NAME_ARTICLE=%q: %v, want the variable named", bad, err)
		}
	}
}
