package migrations_test

import (
	"context"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"vivier/internal/testkit"
	"vivier/migrations"
)

// Emails written before links were sealed held working tokens in clear:
// the migration masks them all, and cancels those still waiting to leave
// (sending them would carry a dead link).
func TestMigrationMasksTheTokensOfEmailsWrittenBefore(t *testing.T) {
	t.Parallel()
	db, _ := testkit.DB(t)
	ctx := context.Background()
	p, err := goose.NewProvider(goose.DialectPostgres, db.DB, migrations.Files)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	private := "/candidature/" + strings.Repeat("Ab1_-", 8) + "xyz"
	signIn := "/connexion/lien/" + strings.Repeat("Zz9-_", 8) + "k2Q"
	body := func(path string) (string, string) {
		return "Votre lien : http://vivier.test" + path + "\nÀ bientôt.",
			`<a href="http://vivier.test` + path + `">http://vivier.test` + path + `</a>`
	}
	for _, e := range []struct{ kind, status, path string }{
		{"acknowledgement", "sent", private}, {"sign_in_link", "pending", signIn},
		{"private_link", "failed", private + "/donnees.json"}, {"contact_notification", "pending", "/offres/une-offre"},
	} {
		text, html := body(e.path)
		db.MustExec(`INSERT INTO emails (kind, to_address, subject, text_body, html_body, status) VALUES ($1, 'x@example.org', 'Objet', $2, $3, $4)`,
			e.kind, text, html, e.status)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}

	type row struct {
		Kind, Status, Text, HTML, LastError string
	}
	var rows []row
	if err := db.Select(&rows, `SELECT kind, status, text_body AS text, html_body AS html, last_error AS lasterror FROM emails ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if strings.Contains(r.Text+r.HTML, private) || strings.Contains(r.Text+r.HTML, signIn) {
			t.Errorf("%s still holds a working token:\n%s", r.Kind, r.Text)
		}
	}
	want := map[string]struct {
		status, path string
	}{
		"acknowledgement":      {"sent", "/candidature/[lien personnel retiré]"},
		"sign_in_link":         {"cancelled", "/connexion/lien/[lien personnel retiré]"},
		"private_link":         {"failed", "/candidature/[lien personnel retiré]/donnees.json"},
		"contact_notification": {"pending", "/offres/une-offre"},
	}
	for _, r := range rows {
		w := want[r.Kind]
		if r.Status != w.status || !strings.Contains(r.Text, "http://vivier.test"+w.path+"\n") || strings.Count(r.HTML, w.path) != 2 {
			t.Errorf("%s after the migration: %s\n%s\n%s", r.Kind, r.Status, r.Text, r.HTML)
		}
		if (r.Status == "cancelled") != (r.LastError != "") {
			t.Errorf("%s: %s with reason %q", r.Kind, r.Status, r.LastError)
		}
	}
}
