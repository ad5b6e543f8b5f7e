package handlers_test

import (
	"context"
	"encoding/base64"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"vivier/internal/catalog"
	"vivier/internal/testkit"
	"vivier/repository"
)

// Where questions meet scorecards and the blind first pass.

// blindPostingWithQuestions opens a posting reviewed blind until
// « Présélectionnée » that asks a short text, a one-choice question shown
// as a column and a file, and returns it, its contact signed in, and the
// questions' ids in that order.
func blindPostingWithQuestions(t *testing.T, app *testkit.App) (*repository.Posting, *http.Client, []int64) {
	t.Helper()
	p := app.OpenPosting(time.Time{})
	contact := app.Client()
	app.SignIn(contact, p.ContactEmail)
	addQuestion(t, app, contact, p.ID, url.Values{"libelle": {"Votre outil d'animation"}, "type": {"short_text"}, "obligatoire": {"oui"}})
	addQuestion(t, app, contact, p.ID, url.Values{"libelle": {"Votre méthode"}, "type": {"one_choice"}, "choix": {"Ateliers\nEntretiens\nAutre"},
		"obligatoire": {"oui"}, "colonne": {"oui"}})
	addQuestion(t, app, contact, p.ID, url.Values{"libelle": {"Un support d'atelier"}, "type": {"file"}})
	if resp, _ := testkit.PostForm(t, contact, app.URL+"/boite/offres/"+strconv.FormatInt(p.ID, 10)+"/anonymat",
		url.Values{"jusqu_a": {"shortlisted"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("blind pass: %d", resp.StatusCode)
	}
	ids := questionIDs(t, app, p.ID)
	if len(ids) != 3 {
		t.Fatalf("%d questions stored, want 3", len(ids))
	}
	return p, contact, ids
}

// applyWith sends the application form with the questions' answers
// (method, tool, and a file named fileName when not "").
func applyWith(t *testing.T, app *testkit.App, p *repository.Posting, ids []int64, form url.Values, tool, method, fileName string) int64 {
	t.Helper()
	form.Set(field(ids[0]), tool)
	form.Set(field(ids[1]), method)
	files := []testkit.File{cv()}
	if fileName != "" {
		files = append(files, testkit.File{Field: field(ids[2]), Name: fileName, Data: testkit.PDF(20 << 10)})
	}
	if resp, body := testkit.PostMultipart(t, app.Client(), app.URL+"/offres/"+p.Slug+"/candidature", form, files...); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply: %d\n%s", resp.StatusCode, body)
	}
	var id int64
	app.DB.Get(&id, `SELECT id FROM applications WHERE posting_id = $1 AND email = $2`, p.ID, form.Get("email"))
	if id == 0 {
		t.Fatal("no application stored")
	}
	return id
}

// A file answering a question may name the person as a CV does: during a
// blind first pass its name and download are hidden from the page, its
// address answers 404, the CSV and the reviewers' email do not name it;
// the reveal gives it back.
func TestBlindPassHidesAnsweredFiles(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{AdminEmails: "admin@anct.gouv.fr"})
	p, contact, ids := blindPostingWithQuestions(t, app)
	aid := applyWith(t, app, p, ids, validForm(), "Miro et des post-it", "Ateliers", "Support de Camille Durand.pdf")
	page := app.URL + "/boite/candidatures/" + strconv.FormatInt(aid, 10)
	fileURL := "/boite/candidatures/" + strconv.FormatInt(aid, 10) + "/reponses/" + strconv.FormatInt(ids[2], 10)

	_, body := testkit.Get(t, contact, page)
	body = html.UnescapeString(body)
	if strings.Contains(body, "Support de Camille") || strings.Contains(body, fileURL) {
		t.Errorf("the blind application page names or links the file answered")
	}
	if !strings.Contains(body, "Un support d'atelier") || !strings.Contains(body, "masqué pendant la relecture à l'aveugle") ||
		!strings.Contains(body, "Miro et des post-it") {
		t.Errorf("the blind application page does not show the answers, the file as hidden")
	}
	if resp, _ := testkit.Get(t, contact, app.URL+fileURL); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the file answered during the blind pass: %d, want 404", resp.StatusCode)
	}
	_, csv := testkit.Get(t, contact, app.URL+"/boite/offres/"+strconv.FormatInt(p.ID, 10)+"/export.csv")
	if strings.Contains(csv, "Support de Camille") || !strings.Contains(csv, "Miro et des post-it") {
		t.Errorf("the blind CSV names the file answered, or lacks the answers:\n%s", csv)
	}
	var note repository.Email
	app.DB.Get(&note, `SELECT text_body, html_body FROM emails WHERE kind = 'contact_notification'`)
	if strings.Contains(note.TextBody+note.HTMLBody, "Support de Camille") {
		t.Errorf("the reviewers' email names the file answered during the blind pass")
	}

	// Shortlisting reveals the file with the rest.
	if resp, _ := testkit.PostForm(t, contact, page+"/statut", url.Values{"vers": {"shortlisted"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("shortlist: %d", resp.StatusCode)
	}
	if _, body := testkit.Get(t, contact, page); !strings.Contains(body, fileURL) || !strings.Contains(html.UnescapeString(body), "Support de Camille Durand.pdf") {
		t.Errorf("the revealed application does not offer the file answered")
	}
	if resp, _ := testkit.Get(t, contact, app.URL+fileURL); resp.StatusCode != http.StatusOK {
		t.Errorf("the file answered once revealed: %d, want 200", resp.StatusCode)
	}
	admin := app.Client()
	app.SignIn(admin, "admin@anct.gouv.fr")
	if _, journal := testkit.Get(t, admin, app.URL+"/admin/journal?action=application_revealed"); !strings.Contains(html.UnescapeString(journal), "fichiers joints") {
		t.Errorf("the journal's reveal does not say the files answered became visible")
	}
}

// The email telling reviewers of a new application holds the answers to
// the posting's questions (the blind pass shows them: they are what the
// reviewers read instead of the person), a file by its name once visible.
func TestReviewersEmailHoldsTheAnswers(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p, _, ids := blindPostingWithQuestions(t, app)
	applyWith(t, app, p, ids, validForm(), "Miro et des post-it", "Entretiens", "")
	var note repository.Email
	app.DB.Get(&note, `SELECT subject, text_body, html_body FROM emails WHERE kind = 'contact_notification'`)
	for _, body := range []string{note.TextBody, html.UnescapeString(note.HTMLBody)} {
		for _, s := range []string{"Votre outil d'animation", "Miro et des post-it", "Votre méthode", "Entretiens"} {
			if !strings.Contains(body, s) {
				t.Errorf("the reviewers' email lacks %q:\n%s", s, body)
			}
		}
		if strings.Contains(body, "Un support d'atelier") {
			t.Errorf("the reviewers' email lists a question left unanswered")
		}
		if strings.Contains(body, "Durand") {
			t.Errorf("the reviewers' email names the person during the blind pass")
		}
	}
}

// The list of a posting reviewed blind neither sorts on names (their
// order would tell who is who) nor carries a name in its page links;
// sorted on a question's column, its pages carry the answers' order only.
func TestBlindListNeitherSortsNorPagesByName(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p, contact, ids := blindPostingWithQuestions(t, app)
	ctx := context.Background()
	qs, err := app.Repo.Questions(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"Abadie", "Zephyrin"}
	for i := range 52 {
		a := &repository.Application{PostingID: p.ID, FirstName: "Camille", LastName: names[i%2] + strconv.Itoa(i),
			Email: "personne" + strconv.Itoa(i) + "@example.org", Location: "Lyon", DailyRate: 500 + i, DaysPerWeek: 2,
			AvailableFrom: time.Now(), Links: pq.StringArray{}, Motivation: strings.Repeat("Une motivation détaillée. ", 4), ConsentAt: time.Now(),
			AccessTokenHash: []byte("hash-" + strconv.Itoa(i)), Answers: []repository.Answer{
				{QuestionID: qs[1].ID, Position: 2, Kind: qs[1].Kind, Label: qs[1].Label, Choice: &qs[1].Choices[i%3]}}}
		if _, err := app.Repo.CreateApplication(ctx, a, nil, func(*repository.Application) ([]*repository.Email, error) { return nil, nil }); err != nil {
			t.Fatal(err)
		}
	}
	list := app.URL + "/boite/offres/" + strconv.FormatInt(p.ID, 10)
	resp, body := testkit.Get(t, contact, list+"?tri=nom")
	body = html.UnescapeString(body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Tri par nom impossible pendant la relecture à l'aveugle") {
		t.Errorf("a sort on names during the blind pass: %d, not refused with its reason", resp.StatusCode)
	}
	if strings.Contains(body, `<option value="nom"`) {
		t.Errorf("the blind list offers to sort on names")
	}
	for _, sort := range []string{"", "tri=nom", "tri=q" + strconv.FormatInt(ids[1], 10), "tri=tjm"} {
		_, body := testkit.Get(t, contact, list+"?"+sort)
		for _, cursor := range cursorsIn(body) {
			if strings.Contains(strings.ToLower(cursor), "abadie") || strings.Contains(strings.ToLower(cursor), "zephyrin") {
				t.Errorf("sorted %q, the next page's link carries a name: %s", sort, cursor)
			}
		}
		if strings.Contains(body, "Abadie") || strings.Contains(body, "Zephyrin") {
			t.Errorf("sorted %q, the blind list names people", sort)
		}
	}
}

// cursorRe finds the page cursors of a list's links.
var cursorRe = regexp.MustCompile(`apres=([A-Za-z0-9_-]+)`)

// cursorsIn returns the page cursors of a list's links, decoded.
func cursorsIn(body string) []string {
	var out []string
	for _, m := range cursorRe.FindAllStringSubmatch(body, -1) {
		b, err := base64.RawURLEncoding.DecodeString(m[1])
		if err != nil {
			out = append(out, m[1])
			continue
		}
		out = append(out, string(b))
	}
	return out
}

// The CSV export is the list as its reader sees it: the mean of an
// application's scorecards shows once the reader filled their own (so
// that no one anchors on the others' marks), the number of scorecards
// always; the question's columns and the scorecards' are both there.
func TestExportShowsTheMeanOnceTheReaderScored(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p, contact, ids := blindPostingWithQuestions(t, app)
	aid := applyWith(t, app, p, ids, validForm(), "Miro", "Ateliers", "")
	ctx := context.Background()
	if err := app.Repo.AddReviewer(ctx, p.ID, "second@anct.gouv.fr", p.ContactEmail); err != nil {
		t.Fatal(err)
	}
	second := app.Client()
	app.SignIn(second, "second@anct.gouv.fr")
	testkit.PostForm(t, contact, app.URL+"/boite/offres/"+strconv.FormatInt(p.ID, 10)+"/criteres", url.Values{"nom": {"Animation"}, "poids": {"2"}})
	cs, err := app.Repo.Criteria(ctx, p.ID, false)
	if err != nil || len(cs) == 0 {
		t.Fatalf("criteria: %v, %v", cs, err)
	}
	form := url.Values{"avis": {"4"}, "commentaire": {"Très bien"}}
	for _, c := range cs {
		form.Set("critere-"+strconv.FormatInt(c.ID, 10), "3")
	}
	page := app.URL + "/boite/candidatures/" + strconv.FormatInt(aid, 10) + "/evaluation"
	if resp, body := testkit.PostForm(t, contact, page, form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("scorecard: %d\n%s", resp.StatusCode, body)
	}
	export := app.URL + "/boite/offres/" + strconv.FormatInt(p.ID, 10) + "/export.csv"
	row := func(c *http.Client) []string {
		t.Helper()
		_, body := testkit.Get(t, c, export)
		lines := strings.Split(strings.TrimPrefix(body, "\ufeff"), "\r\n")
		if len(lines) < 2 {
			t.Fatalf("the CSV: %q", body)
		}
		header := strings.Split(lines[0], ";")
		for _, h := range []string{"Moyenne des grilles", "Grilles d'évaluation", "Votre méthode", "Votre outil d'animation", "Un support d'atelier"} {
			if !strings.Contains(lines[0], h) {
				t.Errorf("the CSV's header lacks %q: %q", h, lines[0])
			}
		}
		cells := strings.Split(lines[1], ";")
		out := make([]string, 0, 2)
		for i, h := range header {
			if (h == "Moyenne des grilles" || h == "Grilles d'évaluation") && i < len(cells) {
				out = append(out, cells[i])
			}
		}
		return out
	}
	if got := row(second); len(got) != 2 || got[0] != "" || got[1] != "1" {
		t.Errorf("before their own scorecard, the second reviewer's CSV reads mean and count %q, want \"\" and 1", got)
	}
	if got := row(contact); len(got) != 2 || got[0] != "3,0" || got[1] != "1" {
		t.Errorf("the scorer's CSV reads mean and count %q, want 3,0 and 1", got)
	}
}

// The selection report, on its page and in its CSV, gives each
// application's answers to the questions shown as columns of the list,
// those its reviewers screened on ("—" when unanswered, none once erased).
func TestSelectionReportHoldsTheScreeningAnswers(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p, contact, ids := blindPostingWithQuestions(t, app)
	aid := applyWith(t, app, p, ids, validForm(), "Miro et des post-it", "Entretiens", "")
	report := app.URL + "/boite/offres/" + strconv.FormatInt(p.ID, 10) + "/rapport"
	_, body := testkit.Get(t, contact, report)
	body = html.UnescapeString(body)
	if !strings.Contains(body, `id="rapport-`+strconv.FormatInt(aid, 10)+`-reponses"`) || !strings.Contains(body, "Votre méthode : <strong>Entretiens</strong>") {
		t.Errorf("the report's page lacks the answer screened on")
	}
	if strings.Contains(body, "Miro et des post-it") {
		t.Errorf("the report's page lists an answer that is not a column of the list")
	}
	_, csv := testkit.Get(t, contact, report+".csv")
	lines := strings.Split(strings.TrimPrefix(csv, "\ufeff"), "\r\n")
	if len(lines) < 2 || !strings.Contains(lines[0], ";Grilles;Votre méthode;Relecteur·rice;") || !strings.Contains(lines[1], ";0;Entretiens;") {
		t.Errorf("the report's CSV lacks the answer screened on:\n%s", csv)
	}
}

// The selection report keeps to the scorecards' rule while an
// application is being evaluated: a reviewer who has not filled theirs
// sees how many there are, not the marks, the mean or who gave them, on
// the page and in the CSV; once they filled theirs, or the application is
// decided, every scorecard shows. An admin who is not among the posting's
// reviewers sees them all.
func TestSelectionReportKeepsScorecardsFromThoseWhoHaveNotScored(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{AdminEmails: "admin@anct.gouv.fr"})
	p, contact, ids := blindPostingWithQuestions(t, app)
	aid := applyWith(t, app, p, ids, validForm(), "Miro", "Ateliers", "")
	ctx := context.Background()
	if err := app.Repo.AddReviewer(ctx, p.ID, "second@anct.gouv.fr", p.ContactEmail); err != nil {
		t.Fatal(err)
	}
	second, admin := app.Client(), app.Client()
	app.SignIn(second, "second@anct.gouv.fr")
	app.SignIn(admin, "admin@anct.gouv.fr")
	testkit.PostForm(t, contact, app.URL+"/boite/offres/"+strconv.FormatInt(p.ID, 10)+"/criteres", url.Values{"nom": {"Animation"}, "poids": {"2"}})
	cs, err := app.Repo.Criteria(ctx, p.ID, false)
	if err != nil || len(cs) == 0 {
		t.Fatalf("criteria: %v, %v", cs, err)
	}
	score := func(c *http.Client, mark, comment string) {
		t.Helper()
		form := url.Values{"avis": {"4"}, "commentaire": {comment}}
		for _, cr := range cs {
			form.Set("critere-"+strconv.FormatInt(cr.ID, 10), mark)
		}
		if resp, body := testkit.PostForm(t, c, app.URL+"/boite/candidatures/"+strconv.FormatInt(aid, 10)+"/evaluation", form); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("scorecard: %d\n%s", resp.StatusCode, body)
		}
	}
	score(contact, "3", "Des ateliers solides")
	report := app.URL + "/boite/offres/" + strconv.FormatInt(p.ID, 10) + "/rapport"
	read := func(who string, c *http.Client) (page, csv string) {
		t.Helper()
		_, page = testkit.Get(t, c, report)
		_, csv = testkit.Get(t, c, report+".csv")
		return html.UnescapeString(page), csv
	}
	secret := []string{p.ContactEmail, "Des ateliers solides", "3,0/4"}
	withheld := "1 grille, visible une fois la vôtre remplie"

	page, csv := read("second", second)
	if !strings.Contains(page, withheld) {
		t.Errorf("the report of a reviewer who has not scored does not say the scorecard waits for theirs")
	}
	for _, s := range secret {
		if strings.Contains(page, s) || strings.Contains(csv, strings.TrimSuffix(s, "/4")) {
			t.Errorf("the report of a reviewer who has not scored shows %q", s)
		}
	}
	if !strings.Contains(csv, "visibles une fois votre grille remplie") {
		t.Errorf("the CSV of a reviewer who has not scored does not say why no scorecard shows:\n%s", csv)
	}
	for who, c := range map[string]*http.Client{"the scorer": contact, "an admin who reviews nothing": admin} {
		page, csv := read(who, c)
		for _, s := range secret {
			if !strings.Contains(page, s) || !strings.Contains(csv, strings.TrimSuffix(s, "/4")) {
				t.Errorf("the report of %s lacks %q", who, s)
			}
		}
	}

	// Decided, it is on file for every reader.
	if _, err := app.Repo.ChangeStatus(ctx, p.ID, []int64{aid}, repository.StatusChange{To: catalog.StatusRejected,
		Actor: p.ContactEmail, Reason: "Moins d'ateliers"}); err != nil {
		t.Fatal(err)
	}
	page, csv = read("second", second)
	for _, s := range secret {
		if !strings.Contains(page, s) || !strings.Contains(csv, strings.TrimSuffix(s, "/4")) {
			t.Errorf("once decided, the report of a reviewer who has not scored lacks %q", s)
		}
	}
}
