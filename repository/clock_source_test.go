package repository

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The repository's statements take the time from its clock, as a
// parameter: none asks PostgreSQL for its own, which a test could not set.
func TestSQLTakesTheTimeAsAParameter(t *testing.T) {
	ownTime := regexp.MustCompile(`(?i)\b(now|clock_timestamp|statement_timestamp|transaction_timestamp)\s*\(|\b(current_timestamp|current_date|localtimestamp)\b`)
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			if s, err := strconv.Unquote(lit.Value); err == nil && ownTime.MatchString(s) {
				t.Errorf("%s: SQL reads PostgreSQL's clock (%q): pass the transaction's instant as a parameter",
					fset.Position(lit.Pos()), ownTime.FindString(s))
			}
			return true
		})
	}
}
