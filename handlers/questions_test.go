package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"vivier/internal/catalog"
	"vivier/internal/testkit"
	"vivier/repository"
)

// questionRoutes are the lines of the authorization table for the
// question editor and the files answered: a question of the posting and,
// on the application, a file answering another.
func questionRoutes(t *testing.T, app *testkit.App, postingID, appID int64) map[string]authRoute {
	t.Helper()
	ctx := context.Background()
	q := &repository.Question{PostingID: postingID, Kind: catalog.QuestionShortText, Label: "Votre outil préféré ?"}
	gone := &repository.Question{PostingID: postingID, Kind: catalog.QuestionYesNo, Label: "Question à retirer"}
	file := &repository.Question{PostingID: postingID, Kind: catalog.QuestionFile, Label: "Une lettre de recommandation"}
	for _, row := range []*repository.Question{q, gone, file} {
		if err := app.Repo.SaveQuestion(ctx, row, "admin@anct.gouv.fr"); err != nil {
			t.Fatal(err)
		}
	}
	app.DB.MustExec(`INSERT INTO application_answers (application_id, question_id, position, kind, label, file_name,
		content_type, size_bytes, sha256, content, created_at) VALUES ($1, $2, 2, 'file', $3, 'lettre.pdf', 'application/pdf', 4, '\x00', '%PDF', now())`,
		appID, file.ID, file.Label)
	pid, qid := strconv.FormatInt(postingID, 10), strconv.FormatInt(q.ID, 10)
	base := "/boite/offres/" + pid + "/questions"
	return map[string]authRoute{
		"GET /boite/offres/:id/questions":                   {method: "GET", path: base},
		"POST /boite/offres/:id/questions":                  {method: "POST", path: base, form: url.Values{"libelle": {"Une question"}, "type": {"yes_no"}}},
		"GET /boite/offres/:id/questions/:qid":              {method: "GET", path: base + "/" + qid},
		"POST /boite/offres/:id/questions/:qid":             {method: "POST", path: base + "/" + qid, form: url.Values{"libelle": {"Votre outil ?"}, "type": {"short_text"}}},
		"POST /boite/offres/:id/questions/:qid/deplacement": {method: "POST", path: base + "/" + qid + "/deplacement", form: url.Values{"sens": {"bas"}}},
		"POST /boite/offres/:id/questions/:qid/retrait":     {method: "POST", path: base + "/" + strconv.FormatInt(gone.ID, 10) + "/retrait"},
		"GET /boite/candidatures/:id/reponses/:qid":         {method: "GET", path: "/boite/candidatures/" + strconv.FormatInt(appID, 10) + "/reponses/" + strconv.FormatInt(file.ID, 10)},
	}
}

// addQuestion posts the editor's form and fails the test on a refusal.
func addQuestion(t *testing.T, app *testkit.App, c *http.Client, postingID int64, form url.Values) {
	t.Helper()
	resp, body := testkit.PostForm(t, c, app.URL+"/boite/offres/"+strconv.FormatInt(postingID, 10)+"/questions", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add question %q: %d\n%s", form.Get("libelle"), resp.StatusCode, body)
	}
}

func questionIDs(t *testing.T, app *testkit.App, postingID int64) []int64 {
	t.Helper()
	qs, err := app.Repo.Questions(context.Background(), postingID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, q := range qs {
		ids = append(ids, q.ID)
	}
	return ids
}

func field(id int64) string { return "question_" + strconv.FormatInt(id, 10) }

// A reviewer asks three questions; an applicant answers them; the answers
// are stored typed and shown on the application's page, and keep their
// wording when the questions change or go.
func TestQuestionsAreAskedAnsweredAndKept(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{AdminEmails: "admin@anct.gouv.fr"})
	p := app.OpenPosting(time.Time{})
	reviewer := app.Client()
	app.SignIn(reviewer, p.ContactEmail)
	addQuestion(t, app, reviewer, p.ID, url.Values{"libelle": {"Avez-vous déjà travaillé avec une collectivité ?"}, "type": {"yes_no"}, "obligatoire": {"oui"}, "colonne": {"oui"}})
	addQuestion(t, app, reviewer, p.ID, url.Values{"libelle": {"Années d'expérience en coaching"}, "type": {"number"}, "min": {"0"}, "max": {"40"}, "obligatoire": {"oui"}})
	addQuestion(t, app, reviewer, p.ID, url.Values{"libelle": {"Votre méthode"}, "type": {"one_choice"}, "choix": {"Scrum\nKanban\nAutre"}, "aide": {"Celle que vous pratiquez le plus."}})
	ids := questionIDs(t, app, p.ID)
	if len(ids) != 3 {
		t.Fatalf("%d questions stored, want 3", len(ids))
	}
	_, page := testkit.Get(t, app.Client(), app.URL+"/offres/"+p.Slug)
	for _, want := range []string{"Questions sur cette mission", "Avez-vous déjà travaillé avec une collectivité ?", `name="` + field(ids[1]) + `"`,
		"Un nombre entre 0 et 40.", "Celle que vous pratiquez le plus.", `value="Kanban"`, "Votre méthode (facultatif)"} {
		if !strings.Contains(page, want) {
			t.Errorf("the form lacks %q", want)
		}
	}

	// One error (a number out of its bounds), then fixed.
	c := app.Client()
	form := validForm()
	form.Set(field(ids[0]), "oui")
	form.Set(field(ids[1]), "45")
	form.Set(field(ids[2]), "Kanban")
	resp, body := testkit.PostMultipart(t, c, app.URL+"/offres/"+p.Slug+"/candidature", form, cv())
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Ce nombre est hors des limites : indiquez un nombre entre 0 et 40.") {
		t.Fatalf("a number out of its bounds: %d", resp.StatusCode)
	}
	if !strings.Contains(body, `href="#champ-`+field(ids[1])+`">Années d&#39;expérience en coaching</a>`) || !strings.Contains(body, `value="45"`) ||
		!strings.Contains(body, `value="Kanban" checked`) {
		t.Errorf("the refused form does not name the question in its summary or lost what was typed")
	}
	form.Set(field(ids[1]), "12,5")
	if resp, _ := testkit.PostMultipart(t, c, app.URL+"/offres/"+p.Slug+"/candidature", form, cv()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("application with its answers: %d", resp.StatusCode)
	}
	var appID int64
	app.DB.Get(&appID, `SELECT id FROM applications WHERE posting_id = $1`, p.ID)
	var typed struct {
		Bool   bool    `db:"b"`
		Number float64 `db:"n"`
		Choice string  `db:"c"`
	}
	if err := app.DB.Get(&typed, `SELECT (SELECT value_bool FROM application_answers WHERE question_id = $1) AS b,
		(SELECT value_number FROM application_answers WHERE question_id = $2) AS n,
		(SELECT value_choice FROM application_answers WHERE question_id = $3) AS c`, ids[0], ids[1], ids[2]); err != nil {
		t.Fatal(err)
	}
	if !typed.Bool || typed.Number != 12.5 || typed.Choice != "Kanban" {
		t.Errorf("answers stored as %+v", typed)
	}

	// The reviewer reads them; then rewords one, removes another: the
	// application keeps what was answered, to what.
	appPage := app.URL + "/boite/candidatures/" + strconv.FormatInt(appID, 10)
	_, body = testkit.Get(t, reviewer, appPage)
	for _, want := range []string{"Questions de l'offre", "Avez-vous déjà travaillé avec une collectivité ?</dt>", "<dd>Oui</dd>", "<dd>12,5</dd>", "<dd>Kanban</dd>"} {
		if !strings.Contains(body, want) {
			t.Errorf("the application's page lacks %q", want)
		}
	}
	// The yes/no question is a column of the list, filtered and sorted on.
	list := app.URL + "/boite/offres/" + strconv.FormatInt(p.ID, 10)
	r := "r" + strconv.FormatInt(ids[0], 10)
	_, body = testkit.Get(t, reviewer, list)
	if !strings.Contains(body, `<th scope="col">Avez-vous déjà travaillé avec une collectivité ?</th>`) || !strings.Contains(body, "<td>Oui</td>") ||
		!strings.Contains(body, `<select class="fr-select" id="`+r+`" name="`+r+`">`) {
		t.Errorf("the list lacks the column, its answer or its filter")
	}
	if _, body := testkit.Get(t, reviewer, list+"?"+r+"=non"); !strings.Contains(body, "Aucune candidature ne correspond.") {
		t.Errorf("filtered on « non », the list still shows the application")
	}
	if _, body := testkit.Get(t, reviewer, list+"?"+r+"=oui&tri=q"+strconv.FormatInt(ids[0], 10)); !strings.Contains(body, "<td>Oui</td>") {
		t.Errorf("filtered on « oui » and sorted on the question, the list lacks the application")
	}
	if resp, body := testkit.Get(t, reviewer, list+"?"+r+"=peut-etre"); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "répondez par oui ou par non") {
		t.Errorf("a filter on an answer that cannot be: %d", resp.StatusCode)
	}

	q := app.URL + "/boite/offres/" + strconv.FormatInt(p.ID, 10) + "/questions/"
	if resp, _ := testkit.PostForm(t, reviewer, q+strconv.FormatInt(ids[2], 10), url.Values{"libelle": {"Votre méthode préférée"}, "type": {"one_choice"}, "choix": {"Scrum\nShape Up"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reword a question: %d", resp.StatusCode)
	}
	if resp, _ := testkit.PostForm(t, reviewer, q+strconv.FormatInt(ids[1], 10)+"/retrait", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove a question: %d", resp.StatusCode)
	}
	// Its type cannot change once answered.
	if resp, body := testkit.PostForm(t, reviewer, q+strconv.FormatInt(ids[0], 10), url.Values{"libelle": {"Collectivité ?"}, "type": {"short_text"}}); resp.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "son type ne peut plus changer") {
		t.Errorf("changing the type of an answered question: %d", resp.StatusCode)
	}
	_, body = testkit.Get(t, reviewer, appPage)
	for _, want := range []string{"<dt>Votre méthode <span class=\"fr-text--xs\">(question reformulée depuis : « Votre méthode préférée »)</span></dt>", "<dd>Kanban</dd>",
		"Années d&#39;expérience en coaching <span class=\"fr-text--xs\">(question retirée depuis)</span>", "<dd>12,5</dd>"} {
		if !strings.Contains(body, want) {
			t.Errorf("after the changes, the application's page lacks %q", want)
		}
	}
	_, page = testkit.Get(t, app.Client(), app.URL+"/offres/"+p.Slug)
	if strings.Contains(page, "Années d&#39;expérience") || !strings.Contains(page, "Shape Up") {
		t.Errorf("the form does not ask the questions as they are now")
	}

	// Every answer goes into the CSV export and the right-of-access document.
	_, csv := testkit.Get(t, reviewer, app.URL+"/boite/offres/"+strconv.FormatInt(p.ID, 10)+"/export.csv")
	for _, want := range []string{";Avez-vous déjà travaillé avec une collectivité ?;Votre méthode préférée;Années d'expérience en coaching (question retirée)\r\n",
		";Oui;Kanban;12,5\r\n"} {
		if !strings.Contains(csv, want) {
			t.Errorf("the CSV export lacks %q:\n%s", want, csv)
		}
	}
	admin := app.Client()
	app.SignIn(admin, "admin@anct.gouv.fr")
	_, doc := testkit.Get(t, admin, appPage+"/donnees.json")
	for _, want := range []string{`"reponses_aux_questions": [`, `"question": "Années d'expérience en coaching"`, `"reponse": 12.5`, `"reponse": true`, `"reponse": "Kanban"`} {
		if !strings.Contains(doc, want) {
			t.Errorf("the personal data document lacks %s", want)
		}
	}

	// Once the posting is closed, its questions are frozen.
	app.DB.MustExec(`UPDATE postings SET status = 'closed' WHERE id = $1`, p.ID)
	if resp, body := testkit.PostForm(t, reviewer, app.URL+"/boite/offres/"+strconv.FormatInt(p.ID, 10)+"/questions", url.Values{"libelle": {"Encore une ?"}, "type": {"yes_no"}}); resp.StatusCode != http.StatusConflict ||
		!strings.Contains(body, "Questions figées") {
		t.Errorf("a question added to a closed posting: %d", resp.StatusCode)
	}
	if n := len(questionIDs(t, app, p.ID)); n != 2 {
		t.Errorf("%d questions after the refusal, want 2", n)
	}

	// Erasing the application erases its answers.
	if err := app.Repo.Erase(context.Background(), appID, repository.ActorApplicant, nil, nil); err != nil {
		t.Fatal(err)
	}
	var left int
	app.DB.Get(&left, `SELECT count(*) FROM application_answers WHERE application_id = $1`, appID)
	if left != 0 {
		t.Errorf("%d answers left after erasure", left)
	}
}

// Bad questions and bad answers: each a French message next to its field,
// what was typed kept, nothing written.
func TestQuestionsBadInput(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{Env: map[string]string{"APPLY_RATE_LIMIT": "0"}})
	p := app.OpenPosting(time.Time{})
	full := secondPosting(t, app, "autre@anct.gouv.fr")
	app.DB.MustExec(`UPDATE postings SET status = 'open' WHERE id = $1`, full.ID)
	reviewer := app.Client()
	app.SignIn(reviewer, p.ContactEmail)
	other := app.Client()
	app.SignIn(other, full.ContactEmail)
	for i := range 30 {
		addQuestion(t, app, other, full.ID, url.Values{"libelle": {"Question " + strconv.Itoa(i+1)}, "type": {"short_text"}})
	}
	addQuestion(t, app, reviewer, p.ID, url.Values{"libelle": {"Années d'expérience"}, "type": {"number"}, "min": {"0"}, "max": {"40"}})
	addQuestion(t, app, reviewer, p.ID, url.Values{"libelle": {"Votre méthode"}, "type": {"one_choice"}, "choix": {"Scrum\nKanban"}, "obligatoire": {"oui"}})
	ids := questionIDs(t, app, p.ID)

	many := make([]string, 200)
	for i := range many {
		many[i] = "Choix " + strconv.Itoa(i+1)
	}
	editor := "/boite/offres/" + strconv.FormatInt(p.ID, 10) + "/questions"
	for _, tc := range []struct {
		name, path string
		client     *http.Client
		form       url.Values
		message    string
		kept       string
	}{
		{name: "no label", form: url.Values{"libelle": {"  "}, "type": {"short_text"}, "aide": {"Une aide gardée"}}, message: "Indiquez l&#39;intitulé de la question", kept: `value="Une aide gardée"`},
		{name: "unknown type", form: url.Values{"libelle": {"Question ?"}, "type": {"audio"}}, message: "Choisissez un type de réponse parmi ceux proposés", kept: `value="Question ?"`},
		{name: "choice with no choices", form: url.Values{"libelle": {"Votre outil ?"}, "type": {"one_choice"}, "choix": {"\n \n"}}, message: "Indiquez les choix proposés, un par ligne.", kept: `value="Votre outil ?"`},
		{name: "200 choices", form: url.Values{"libelle": {"Votre ville ?"}, "type": {"several_choices"}, "choix": {strings.Join(many, "\n")}}, message: "Proposez au plus 30 choix (vous en avez écrit 200).", kept: "Choix 200"},
		{name: "bounds the wrong way", form: url.Values{"libelle": {"Âge du capitaine"}, "type": {"number"}, "min": {"10"}, "max": {"2"}}, message: "Le maximum doit être supérieur ou égal au minimum.", kept: `value="10"`},
		{name: "a 31st question", path: "/boite/offres/" + strconv.FormatInt(full.ID, 10) + "/questions", client: other, form: url.Values{"libelle": {"Une de trop"}, "type": {"yes_no"}}, message: "Une offre pose au plus 30 questions", kept: `value="Une de trop"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, c := editor, reviewer
			if tc.path != "" {
				path, c = tc.path, tc.client
			}
			before := len(questionIDs(t, app, p.ID)) + len(questionIDs(t, app, full.ID))
			resp, body := testkit.PostForm(t, c, app.URL+path, tc.form)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("status %d, want 422", resp.StatusCode)
			}
			if !strings.Contains(body, tc.message) {
				t.Errorf("page lacks %q", tc.message)
			}
			if !strings.Contains(body, tc.kept) {
				t.Errorf("what was typed is not kept: no %q", tc.kept)
			}
			if after := len(questionIDs(t, app, p.ID)) + len(questionIDs(t, app, full.ID)); after != before {
				t.Errorf("%d questions after the refusal, %d before", after, before)
			}
		})
	}

	c := app.Client()
	_, _, emailsBefore := app.Counts()
	for _, tc := range []struct {
		name    string
		set     map[string]string
		field   string
		message string
	}{
		{name: "number outside its bounds", set: map[string]string{field(ids[0]): "41", field(ids[1]): "Scrum"}, field: field(ids[0]), message: "Ce nombre est hors des limites : indiquez un nombre entre 0 et 40."},
		{name: "not a number", set: map[string]string{field(ids[0]): "beaucoup", field(ids[1]): "Scrum"}, field: field(ids[0]), message: "Saisissez un nombre"},
		{name: "required question left empty", set: map[string]string{field(ids[0]): "3"}, field: field(ids[1]), message: "Cette question est obligatoire : choisissez une réponse."},
		{name: "choice not offered", set: map[string]string{field(ids[1]): "Cascade"}, field: field(ids[1]), message: "Choisissez l&#39;une des réponses proposées."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := validForm()
			for k, v := range tc.set {
				form.Set(k, v)
			}
			resp, body := testkit.PostMultipart(t, c, app.URL+"/offres/"+p.Slug+"/candidature", form, cv())
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("status %d, want 422", resp.StatusCode)
			}
			if !strings.Contains(body, `<p class="fr-error-text" id="`+tc.field+`-erreur">`+tc.message) &&
				!strings.Contains(body, `<p class="fr-message fr-message--error">`+tc.message) {
				t.Errorf("no %q next to the question", tc.message)
			}
			if !strings.Contains(body, `value="Lyon"`) {
				t.Errorf("what was typed is not kept")
			}
			var answers int
			app.DB.Get(&answers, `SELECT count(*) FROM application_answers`)
			if apps, docs, emails := app.Counts(); apps+docs+emails-emailsBefore+answers != 0 {
				t.Fatalf("rows written: %d applications, %d documents, %d emails, %d answers", apps, docs, emails, answers)
			}
		})
	}
}
