package handlers_test

import (
	"encoding/csv"
	"strconv"
	"strings"
	"testing"
	"time"

	"vivier/internal/testkit"
)

// The export writes phone numbers and dates as a spreadsheet should take
// them: phones without a formula guard (national form for French numbers,
// 00 for the "+" of others), dates sortable in Paris time.
func TestExportWritesPhonesAndDatesForSpreadsheets(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Time{})
	fr := seedApplication(t, app, p.ID, "Camille", "Durand", "camille@example.org")
	be := seedApplication(t, app, p.ID, "Lotte", "Peeters", "lotte@example.org")
	app.DB.MustExec(`UPDATE applications SET phone = '+33612345678', created_at = '2026-11-30 10:07:00+00', available_from = '2026-12-01' WHERE id = $1`, fr.ID)
	app.DB.MustExec(`UPDATE applications SET phone = '+32470123456', created_at = '2026-07-14 22:30:00+00', available_from = '2027-01-04' WHERE id = $1`, be.ID)
	c := app.Client()
	app.SignIn(c, p.ContactEmail)
	_, body := testkit.Get(t, c, app.URL+"/boite/offres/"+strconv.FormatInt(p.ID, 10)+"/export.csv")
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff")))
	r.Comma = ';'
	records, err := r.ReadAll()
	if err != nil || len(records) != 3 {
		t.Fatalf("export: %d records, %v", len(records), err)
	}
	col := map[string]int{}
	for i, name := range records[0] {
		col[name] = i
	}
	rows := map[string][]string{}
	for _, rec := range records[1:] {
		rows[rec[col["Prénom"]]] = rec
	}
	for name, want := range map[string][3]string{
		"Camille": {"06 12 34 56 78", "2026-11-30 11:07", "2026-12-01"},
		"Lotte":   {"00 32 470 12 34 56", "2026-07-15 00:30", "2027-01-04"},
	} {
		got := rows[name]
		if got == nil {
			t.Fatalf("no row for %s", name)
		}
		if got[col["Téléphone"]] != want[0] || got[col["Reçue le"]] != want[1] || got[col["Disponible le"]] != want[2] {
			t.Errorf("%s: phone %q, received %q, available %q; want %q", name,
				got[col["Téléphone"]], got[col["Reçue le"]], got[col["Disponible le"]], want)
		}
	}
}
