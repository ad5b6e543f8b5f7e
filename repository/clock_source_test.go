package repository

import (
	"go/token"
	"regexp"
	"testing"
)

// The repository's statements take the time from its clock, as a
// parameter: none asks PostgreSQL for its own, which a test could not set.
func TestSQLTakesTheTimeAsAParameter(t *testing.T) {
	ownTime := regexp.MustCompile(`(?i)\b(now|clock_timestamp|statement_timestamp|transaction_timestamp)\s*\(|\b(current_timestamp|current_date|localtimestamp)\b`)
	eachStringLiteral(t, func(pos token.Position, s string) {
		if ownTime.MatchString(s) {
			t.Errorf("%s: SQL reads PostgreSQL's clock (%q): pass the transaction's instant as a parameter", pos, ownTime.FindString(s))
		}
	})
}
