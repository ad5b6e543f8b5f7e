package handlers_test

import (
	"context"
	"html"
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

// Bad input on scorecards, criteria, reveals and rejections: each gets a
// French message next to its field, or a 404, and nothing is half-written.
func TestScorecardBadInput(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	mine := app.OpenPosting(time.Time{})
	other := secondPosting(t, app, "autre@anct.gouv.fr")
	ctx := context.Background()
	if err := app.Repo.AddCriteria(ctx, mine.ID, []repository.Criterion{{Name: "Méthode", Weight: 2}, {Name: "Expérience", Weight: 1}}, "test"); err != nil {
		t.Fatal(err)
	}
	cs, _ := app.Repo.Criteria(ctx, mine.ID, false)
	met, exp := "critere-"+strconv.FormatInt(cs[0].ID, 10), "critere-"+strconv.FormatInt(cs[1].ID, 10)
	if err := app.Repo.SetBlindUntil(ctx, mine.ID, catalog.StatusShortlisted, "test"); err != nil {
		t.Fatal(err)
	}
	a := seedApplication(t, app, mine.ID, "Camille", "Durand", "camille@example.org")
	elsewhere := seedApplication(t, app, other.ID, "Dominique", "Martin", "dominique@example.org")
	reviewer, outsider := app.Client(), app.Client()
	app.SignIn(reviewer, mine.ContactEmail)
	app.SignIn(outsider, other.ContactEmail)
	aid, pid := strconv.FormatInt(a.ID, 10), strconv.FormatInt(mine.ID, 10)

	counts := func() string {
		var s string
		app.DB.Get(&s, `SELECT concat_ws(',', (SELECT count(*) FROM scorecards), (SELECT count(*) FROM scorecard_marks),
			(SELECT count(*) FROM evaluation_criteria), (SELECT count(*) FROM application_events),
			(SELECT count(*) FROM emails), (SELECT count(*) FROM applications WHERE revealed_at IS NOT NULL))`)
		return s
	}
	card := func(marks ...string) url.Values {
		v := url.Values{"avis": {"3"}, "commentaire": {"Bonne lecture du sujet"}}
		if len(marks) > 0 {
			v.Set(met, marks[0])
		}
		if len(marks) > 1 {
			v.Set(exp, marks[1])
		}
		return v
	}
	type badCase struct {
		name   string
		client *http.Client
		path   string
		form   url.Values
		status int
		says   []string // in the page, next to the field
	}
	cases := []badCase{
		{"a mark of 0", reviewer, "/boite/candidatures/" + aid + "/evaluation", card("0", "3"), 422,
			[]string{"La note de « Méthode » va de 1 à 4.", "Bonne lecture du sujet", `id="` + met + `-messages"`}},
		{"a mark of 5", reviewer, "/boite/candidatures/" + aid + "/evaluation", card("3", "5"), 422,
			[]string{"La note de « Expérience » va de 1 à 4."}},
		{"a criterion left unmarked", reviewer, "/boite/candidatures/" + aid + "/evaluation", card("3"), 422,
			[]string{"Notez « Expérience » de 1 à 4."}},
		{"no recommendation", reviewer, "/boite/candidatures/" + aid + "/evaluation", url.Values{met: {"2"}, exp: {"2"}}, 422,
			[]string{"Choisissez votre avis"}},
		{"a recommendation of 7", reviewer, "/boite/candidatures/" + aid + "/evaluation", url.Values{met: {"2"}, exp: {"2"}, "avis": {"7"}}, 422,
			[]string{"Choisissez un avis de la liste."}},
		{"a scorecard on another posting's application", reviewer, "/boite/candidatures/" + strconv.FormatInt(elsewhere.ID, 10) + "/evaluation",
			card("3", "3"), 404, []string{"Page introuvable"}},
		{"a reveal by someone who is not a reviewer", outsider, "/boite/candidatures/" + aid + "/statut",
			url.Values{"vers": {"shortlisted"}}, 404, []string{"Page introuvable"}},
		{"a rejection without a reason", reviewer, "/boite/candidatures/" + aid + "/statut",
			url.Values{"vers": {"rejected"}, "envoyer": {"oui"}, "objet": {"Votre candidature"}, "message": {"Merci."}}, 422,
			[]string{"Indiquez en quelques mots pourquoi la candidature n'est pas retenue.", `id="motif-erreur"`, "Votre candidature"}},
		{"a bulk rejection without a reason", reviewer, "/boite/offres/" + pid + "/statuts",
			url.Values{"vers": {"rejected"}, "ids": {aid}}, 422, []string{"Indiquez en quelques mots pourquoi"}},
		{"a criterion without a name", reviewer, "/boite/offres/" + pid + "/criteres",
			url.Values{"nom": {"  "}, "attendu": {"Des exemples"}, "poids": {"2"}}, 422, []string{"Donnez un nom au critère.", "Des exemples", `id="nouveau-nom-erreur"`}},
		{"a criterion weighing 9", reviewer, "/boite/offres/" + pid + "/criteres",
			url.Values{"nom": {"Écoute"}, "poids": {"9"}}, 422, []string{"Le poids est un nombre entier de 1 à 5.", `value="Écoute"`}},
		{"a change to another posting's criterion", outsider, "/boite/offres/" + pid + "/criteres/" + strconv.FormatInt(cs[0].ID, 10),
			url.Values{"nom": {"Autre"}, "poids": {"1"}}, 404, nil},
		{"a blind pass until an unknown stage", reviewer, "/boite/offres/" + pid + "/anonymat",
			url.Values{"jusqu_a": {"accepted"}}, 422, []string{"Choisissez une étape de la liste."}},
	}
	for _, tc := range cases {
		before := counts()
		resp, body := testkit.PostForm(t, tc.client, app.URL+tc.path, tc.form)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
		body = html.UnescapeString(body)
		for _, s := range tc.says {
			if !strings.Contains(body, html.UnescapeString(s)) {
				t.Errorf("%s: the page does not say %q", tc.name, s)
			}
		}
		if after := counts(); after != before {
			t.Errorf("%s: written anyway (%s → %s)", tc.name, before, after)
		}
	}
	if p, _ := app.Repo.PostingByID(ctx, mine.ID); p.BlindUntil != catalog.StatusShortlisted {
		t.Errorf("blind pass now %q", p.BlindUntil)
	}

	// A second scorecard by the same reviewer updates the first.
	for _, v := range []url.Values{card("1", "2"), {met: {"4"}, exp: {"4"}, "avis": {"4"}}} {
		if resp, _ := testkit.PostForm(t, reviewer, app.URL+"/boite/candidatures/"+aid+"/evaluation", v); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("scorecard: %d", resp.StatusCode)
		}
	}
	cards, _ := app.Repo.ScorecardsOf(ctx, a.ID)
	if len(cards) != 1 || cards[0].Recommendation != catalog.DefinitelyYes || cards[0].Score != 4 || cards[0].Comment != "" {
		t.Errorf("after two submissions: %+v, want one scorecard, the second", cards)
	}
}

// Two reviewers fill scorecards on a posting reviewed blind: the second
// sees the first's only after submitting; the list, the page, the CSV and
// the email to the contact show a number and no identity until the stage
// is reached, which the audit log records; the selection report lists the
// marks, the decision and its reason.
func TestScorecardsOnABlindPosting(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{AdminEmails: "admin@anct.gouv.fr"})
	p := app.OpenPosting(time.Time{})
	ctx := context.Background()
	admin, first, second := app.Client(), app.Client(), app.Client()
	app.SignIn(admin, "admin@anct.gouv.fr")
	pid := strconv.FormatInt(p.ID, 10)
	testkit.PostForm(t, admin, app.URL+"/boite/offres/"+pid+"/criteres", url.Values{"nom": {"Animation"}, "attendu": {"A animé des ateliers"}, "poids": {"3"}})
	testkit.PostForm(t, admin, app.URL+"/boite/offres/"+pid+"/criteres", url.Values{"nom": {"Écrit"}, "poids": {"1"}})
	if resp, _ := testkit.PostForm(t, admin, app.URL+"/boite/offres/"+pid+"/anonymat", url.Values{"jusqu_a": {"shortlisted"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("blind pass: %d", resp.StatusCode)
	}
	if _, body := testkit.Get(t, app.Client(), app.URL+"/offres/"+p.Slug); !strings.Contains(body, "ne vous nommez pas") {
		t.Errorf("the blind posting's form does not ask applicants not to identify themselves")
	}
	// A freelancer applies through the form.
	if resp, _ := testkit.PostMultipart(t, app.Client(), app.URL+"/offres/"+p.Slug+"/candidature", validForm(), cv()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply: %d", resp.StatusCode)
	}
	var aid int64
	app.DB.Get(&aid, `SELECT id FROM applications WHERE posting_id = $1`, p.ID)
	number := "Candidature n° " + strconv.FormatInt(aid, 10)
	page := app.URL + "/boite/candidatures/" + strconv.FormatInt(aid, 10)
	identity := []string{"Durand", "camille.durand@example.org", "06 12 34 56 78", "732 829 320", "github.com/camille", "CV Camille.pdf", "/cv"}
	hides := func(where, body string) {
		t.Helper()
		for _, s := range identity {
			if strings.Contains(body, s) {
				t.Errorf("%s shows %q during the blind pass", where, s)
			}
		}
	}
	var note repository.Email
	app.DB.Get(&note, `SELECT to_address, reply_to, subject, text_body, html_body FROM emails WHERE kind = 'contact_notification'`)
	hides("the contact's email", note.Subject+note.TextBody+note.HTMLBody+note.ReplyTo)
	if !strings.Contains(note.Subject, number) || !strings.Contains(note.TextBody, "Coach agile") || !strings.Contains(note.TextBody, "650") {
		t.Errorf("the contact's email: %q\n%s", note.Subject, note.TextBody)
	}
	var ack repository.Email
	app.DB.Get(&ack, `SELECT text_body FROM emails WHERE kind = 'acknowledgement'`)
	if !strings.Contains(ack.TextBody, "Camille") {
		t.Errorf("the applicant's own email lost their name")
	}

	for _, who := range []string{"premiere@anct.gouv.fr", "second@anct.gouv.fr"} {
		if err := app.Repo.AddReviewer(ctx, p.ID, who, "admin@anct.gouv.fr"); err != nil {
			t.Fatal(err)
		}
	}
	app.SignIn(first, "premiere@anct.gouv.fr")
	app.SignIn(second, "second@anct.gouv.fr")
	_, list := testkit.Get(t, first, app.URL+"/boite/offres/"+pid)
	hides("the list", list)
	if !strings.Contains(html.UnescapeString(list), number) {
		t.Errorf("the list does not name %q", number)
	}
	_, body := testkit.Get(t, first, page)
	hides("the application page", body)
	if resp, _ := testkit.Get(t, first, page+"/cv"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the CV during the blind pass: %d, want 404", resp.StatusCode)
	}
	_, csv := testkit.Get(t, first, app.URL+"/boite/offres/"+pid+"/export.csv")
	hides("the CSV", csv)
	// Searching a name finds nothing during the blind pass.
	if _, found := testkit.Get(t, first, app.URL+"/boite/offres/"+pid+"?q=Durand"); strings.Contains(found, "/boite/candidatures/"+strconv.FormatInt(aid, 10)) {
		t.Errorf("a search on the name finds the application during the blind pass")
	}

	cs, _ := app.Repo.Criteria(ctx, p.ID, false)
	form := func(anim, ecrit, avis string) url.Values {
		return url.Values{"critere-" + strconv.FormatInt(cs[0].ID, 10): {anim}, "critere-" + strconv.FormatInt(cs[1].ID, 10): {ecrit},
			"avis": {avis}, "commentaire": {"Avis de " + avis}}
	}
	testkit.PostForm(t, first, page+"/evaluation", form("4", "4", "4"))
	_, body = testkit.Get(t, second, page)
	// The first's comment and marks are not shown (their address is, as someone a note may mention).
	if strings.Contains(body, "Avis de 4") || strings.Contains(body, `id="grilles-table"`) || !strings.Contains(html.UnescapeString(body), "vous la verrez une fois la vôtre enregistrée") {
		t.Errorf("the second reviewer sees the first's scorecard before submitting theirs")
	}
	testkit.PostForm(t, second, page+"/evaluation", form("1", "3", "2"))
	_, body = testkit.Get(t, second, page)
	body = html.UnescapeString(body)
	// (3×4+4)/4 = 4 and (3×1+3)/4 = 1.5: the mean 2.75 reads 2,8 (rounded).
	for _, s := range []string{"premiere@anct.gouv.fr", "Avis de 4", "Désaccords", "« Animation » : notes de 1 à 4.", "Avis partagés", "2,8/4"} {
		if !strings.Contains(body, s) {
			t.Errorf("after submitting, the second reviewer's page lacks %q", s)
		}
	}
	_, list = testkit.Get(t, second, app.URL+"/boite/offres/"+pid+"?tri=note&note_min=2,5")
	if !strings.Contains(list, "2,8/4") || !strings.Contains(list, "2 grilles") {
		t.Errorf("the list sorted and filtered on the mean lacks the application's mean and count")
	}
	if _, none := testkit.Get(t, second, app.URL+"/boite/offres/"+pid+"?note_min=3"); strings.Contains(none, "2 grilles") {
		t.Errorf("a mean of 2.75 passes a filter of 3 at least")
	}

	// Shortlisting reveals it, and the journal says who and when.
	if resp, _ := testkit.PostForm(t, first, page+"/statut", url.Values{"vers": {"shortlisted"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("shortlist: %d", resp.StatusCode)
	}
	_, body = testkit.Get(t, first, page)
	if !strings.Contains(body, "Durand") || !strings.Contains(body, "camille.durand@example.org") {
		t.Errorf("the shortlisted application is still hidden")
	}
	_, journal := testkit.Get(t, admin, app.URL+"/admin/journal")
	if j := html.UnescapeString(journal); !strings.Contains(j, "Candidature dévoilée") || !strings.Contains(j, "premiere@anct.gouv.fr") {
		t.Errorf("the journal does not record the reveal")
	}
	// A rejection with its reason, kept out of the applicant's email.
	resp, _ := testkit.PostForm(t, first, page+"/statut", url.Values{"vers": {"rejected"}, "motif": {"Trop peu d'ateliers animés"},
		"envoyer": {"oui"}, "objet": {"Votre candidature"}, "message": {"Merci de votre intérêt."}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reject: %d", resp.StatusCode)
	}
	var told string
	app.DB.Get(&told, `SELECT text_body FROM emails WHERE kind = 'status_update'`)
	if strings.Contains(told, "ateliers animés") {
		t.Errorf("the reason reached the applicant's email")
	}
	_, report := testkit.Get(t, admin, app.URL+"/boite/offres/"+pid+"/rapport")
	report = html.UnescapeString(report)
	for _, s := range []string{"Animation", "poids", "Camille Durand", "premiere@anct.gouv.fr", "second@anct.gouv.fr", "2,8/4",
		"Présélectionnée → Non retenue", "Trop peu d'ateliers animés", "Avis de 2"} {
		if !strings.Contains(report, s) {
			t.Errorf("the selection report lacks %q", s)
		}
	}
	_, reportCSV := testkit.Get(t, admin, app.URL+"/boite/offres/"+pid+"/rapport.csv")
	for _, s := range []string{"Animation (poids 3)", "Écrit (poids 1)", "motif : Trop peu d'ateliers animés", "Définitivement oui"} {
		if !strings.Contains(reportCSV, s) {
			t.Errorf("the report's CSV lacks %q", s)
		}
	}
}
