package repository

import (
	"go/token"
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
	for _, m := range catalog.InterviewModes() {
		words = append(words, string(m))
	}
	// An interview's "cancelled" is also an email's status, which SQL
	// spells as it is: only "booked" is the interviews' own word.
	words = append(words, string(catalog.InterviewBooked))
	eachStringLiteral(t, func(pos token.Position, s string) {
		for _, w := range words {
			if strings.Contains(s, "'"+w+"'") {
				t.Errorf("%s: SQL spells %q as a literal: pass it as a parameter", pos, w)
			}
		}
	})
}
