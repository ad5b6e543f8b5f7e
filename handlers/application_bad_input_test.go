package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"vivier/internal/catalog"
	"vivier/internal/testkit"
)

// Every kind of bad input gets its status and a French message on the
// re-rendered form, and writes nothing.
func TestBadInputIsRefusedAndNothingIsStored(t *testing.T) {
	t.Parallel()
	const limit = 64 << 10
	// Every request counts against the form's rate limit, before its body
	// is read: this table sends more than the default allows.
	app := testkit.NewApp(t, testkit.Options{UploadMaxBytes: limit, NoWorker: true, Env: map[string]string{"APPLY_RATE_LIMIT": "0"}})
	p := app.OpenPosting(time.Time{})
	closed := app.Posting("tests/2021-03-15-closed-copy.md", []byte("---\nrole: Coach\nopen: false\ncontact: a@b.fr\n---\nCorps de l'offre.\n"))
	if closed.Status != catalog.PostingClosed {
		t.Fatalf("the copy should be closed, is %s", closed.Status)
	}
	c := app.Client()

	with := func(field, value string) url.Values {
		v := validForm()
		v.Set(field, value)
		return v
	}
	without := func(field string) url.Values {
		v := validForm()
		v.Del(field)
		return v
	}
	elf := append([]byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00"), make([]byte, 2000)...)

	cases := []struct {
		name    string
		slug    string
		values  url.Values
		files   []testkit.File
		raw     string // a raw body instead of a multipart form
		status  int
		message string
	}{
		{name: "first name missing", values: without("prenom"), status: 422, message: "Indiquez votre prénom"},
		{name: "last name missing", values: without("nom"), status: 422, message: "Indiquez votre nom"},
		{name: "email missing", values: without("email"), status: 422, message: "Indiquez votre adresse email"},
		{name: "email invalid", values: with("email", "camille@"), status: 422, message: "adresse email valide"},
		{name: "location missing", values: without("localisation"), status: 422, message: "Indiquez votre localisation"},
		{name: "daily rate missing", values: without("tjm"), status: 422, message: "taux journalier moyen"},
		{name: "daily rate not a number", values: with("tjm", "beaucoup"), status: 422, message: "Le TJM doit être un nombre entier"},
		{name: "daily rate negative", values: with("tjm", "-5"), status: 422, message: "Le TJM doit être un nombre entier"},
		{name: "availability missing", values: without("jours_par_semaine"), status: 422, message: "combien de jours par semaine"},
		{name: "availability over 5", values: with("jours_par_semaine", "6"), status: 422, message: "de 0,5 à 5 jours"},
		{name: "availability not by halves", values: with("jours_par_semaine", "1.3"), status: 422, message: "par demi-journées"},
		{name: "start date missing", values: without("disponible_le"), status: 422, message: "à partir de laquelle"},
		{name: "start date invalid", values: with("disponible_le", "2026-13-45"), status: 422, message: "date valide"},
		{name: "start date too far", values: with("disponible_le", "2099-01-01"), status: 422, message: "deux ans"},
		{name: "phone invalid", values: with("telephone", "12"), status: 422, message: "numéro de téléphone valide"},
		{name: "SIRET wrong length", values: with("siret", "123"), status: 422, message: "14 chiffres"},
		{name: "SIRET bad checksum", values: with("siret", "73282932000075"), status: 422, message: "clé de contrôle"},
		{name: "link not http", values: with("liens", "javascript:alert(1)"), status: 422, message: "n&#39;est pas un lien valide"},
		{name: "motivation missing", values: without("motivation"), status: 422, message: "pourquoi cette mission vous intéresse"},
		{name: "motivation too short", values: with("motivation", "Motivé."), status: 422, message: "un peu courte"},
		{name: "motivation with a NUL byte", values: with("motivation", "Très motivée pour cette mission\x00 passionnante et utile."), status: 422, message: "caractères invisibles"},
		{name: "motivation oversized", values: with("motivation", strings.Repeat("Très motivé. ", 500)), status: 422, message: "ne doit pas dépasser 5000"},
		{name: "consent unchecked", values: without("consentement"), status: 422, message: "Cochez la case"},
		{name: "honeypot filled", values: with("site_web", "http://spam.example"), status: 422, message: "n&#39;a pas pu être envoyée"},
		{name: "CR/LF in first name", values: with("prenom", "Camille\r\nBcc: victim@example.org"), status: 422, message: "doit tenir sur une ligne"},
		{name: "CR/LF in email", values: with("email", "camille@example.org\r\nBcc: victim@example.org"), status: 422, message: "adresse email valide"},
		{name: "CV missing", values: validForm(), files: []testkit.File{}, status: 422, message: "Choisissez votre CV"},
		{name: "CV empty", values: validForm(), files: []testkit.File{{Field: "cv", Name: "cv.pdf"}}, status: 422, message: "est vide"},
		{name: "executable renamed .pdf", values: validForm(), files: []testkit.File{{Field: "cv", Name: "cv.pdf", Data: elf}}, status: 422, message: "pas un CV au format PDF"},
		{name: "CV over the limit", values: validForm(), files: []testkit.File{{Field: "cv", Name: "cv.pdf", Data: testkit.PDF(limit + 1)}}, status: 413, message: "dépasse la taille maximale de 64 Ko"},
		{name: "request far over the limit", values: validForm(), files: []testkit.File{{Field: "cv", Name: "cv.pdf", Data: testkit.PDF(3 << 20)}}, status: 413, message: "dépasse la taille maximale"},
		{name: "malformed multipart body", raw: "--nope\r\nnot a part", status: 400, message: "illisible"},
		{name: "unknown posting", slug: "pas-une-offre", values: validForm(), status: 404, message: "Page introuvable"},
		{name: "closed posting", slug: closed.Slug, values: validForm(), status: 409, message: "Cette offre est close"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			slug := p.Slug
			if tc.slug != "" {
				slug = tc.slug
			}
			target := app.URL + "/offres/" + slug + "/candidature"
			var resp *http.Response
			var body string
			if tc.raw != "" {
				req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(tc.raw))
				req.Header.Set("Content-Type", "multipart/form-data; boundary=xyz")
				resp, body = testkit.Do(t, c, req)
			} else {
				files := tc.files
				if files == nil {
					files = []testkit.File{{Field: "cv", Name: "cv.pdf", Data: testkit.PDF(20 << 10)}}
				}
				resp, body = testkit.PostMultipart(t, c, target, tc.values, files...)
			}
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if !strings.Contains(body, tc.message) {
				t.Errorf("page lacks %q", tc.message)
			}
			if tc.status == 422 && !strings.Contains(body, `role="alert"`) {
				t.Errorf("no error summary at the top of the form")
			}
			if tc.status == 422 && tc.values.Get("localisation") != "" && !strings.Contains(body, `value="Lyon"`) {
				t.Errorf("what was typed is not kept")
			}
			if apps, docs, emails := app.Counts(); apps+docs+emails != 0 {
				t.Fatalf("rows written: %d applications, %d documents, %d emails", apps, docs, emails)
			}
		})
	}
}
