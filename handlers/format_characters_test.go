package handlers_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"vivier/internal/testkit"
)

// A name or a CV file name written with bidirectional controls or other
// invisible format characters reaches reviewers without them.
func TestReviewersSeeNamesWithoutFormatCharacters(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Time{})
	c := app.Client()
	v := validForm()
	v.Set("prenom", "\u202eellimaC\u202c")
	v.Set("nom", "\u2066Dur\u200band\u2069\ufeff")
	cvFile := testkit.File{Field: "cv", Name: "CV Camille\u202efdp.exe", Data: testkit.PDF(10 << 10)}
	if resp, _ := testkit.PostMultipart(t, c, app.URL+"/offres/"+p.Slug+"/candidature", v, cvFile); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply: %d", resp.StatusCode)
	}
	var id int64
	var first, last, file string
	app.DB.QueryRow(`SELECT a.id, a.first_name, a.last_name, d.file_name FROM applications a JOIN documents d ON d.application_id = a.id`).Scan(&id, &first, &last, &file)
	if first != "ellimaC" || last != "Durand" || file != "CV Camillefdp.pdf" {
		t.Errorf("stored %q %q, CV %q", first, last, file)
	}
	app.SignIn(c, p.ContactEmail)
	_, list := testkit.Get(t, c, app.URL+"/boite/offres/"+strconv.FormatInt(p.ID, 10))
	_, page := testkit.Get(t, c, app.URL+"/boite/candidatures/"+strconv.FormatInt(id, 10))
	resp, _ := testkit.Get(t, c, app.URL+"/boite/candidatures/"+strconv.FormatInt(id, 10)+"/cv?telecharger=1")
	for name, s := range map[string]string{"list": list, "application page": page, "CV's Content-Disposition": resp.Header.Get("Content-Disposition")} {
		if strings.ContainsAny(s, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200e\u200f\ufeff") {
			t.Errorf("the %s holds a format character", name)
		}
	}
	if !strings.Contains(list, "Durand ellimaC") || !strings.Contains(page, "CV Camillefdp.pdf") {
		t.Error("the cleaned name or file name is not shown")
	}
}
