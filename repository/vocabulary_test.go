package repository

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"vivier/internal/catalog"
)

// The vocabulary reaches SQL as parameters: no statement of the
// repository writes a status, a posting state or a close group as a
// literal, which would be a second spelling of the catalogue's.
func TestSQLTakesTheVocabularyAsParameters(t *testing.T) {
	var words []string
	for _, s := range catalog.Statuses() {
		words = append(words, string(s))
	}
	for _, s := range []catalog.PostingState{catalog.PostingDraft, catalog.PostingOpen, catalog.PostingClosed, catalog.PostingArchived} {
		words = append(words, string(s))
	}
	for _, g := range catalog.CloseGroups() {
		words = append(words, string(g))
	}
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
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			for _, w := range words {
				if strings.Contains(s, "'"+w+"'") {
					t.Errorf("%s: SQL spells %q as a literal: pass it as a parameter", fset.Position(lit.Pos()), w)
				}
			}
			return true
		})
	}
}
