package handlers_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"vivier/internal/testkit"
	"vivier/repository"
)

// What a reviewer reads of an application: the phone number as people
// write it, the plural the number of days calls for, and what each mark
// of a scorecard's 1-to-4 scale means, next to the control, with the
// overall recommendations.
func TestReviewersReadPhonesPluralsAndTheRatingScale(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Time{})
	if err := app.Repo.AddCriteria(t.Context(), p.ID, []repository.Criterion{{Name: "Méthode", Weight: 1}}, "test"); err != nil {
		t.Fatal(err)
	}
	if resp, _ := testkit.PostMultipart(t, app.Client(), app.URL+"/offres/"+p.Slug+"/candidature", validForm(), cv()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply: %d", resp.StatusCode)
	}
	var id int64
	if err := app.DB.Get(&id, `SELECT id FROM applications`); err != nil {
		t.Fatal(err)
	}
	c := app.Client()
	app.SignIn(c, p.ContactEmail)
	_, body := testkit.Get(t, c, app.URL+"/boite/candidatures/"+strconv.FormatInt(id, 10))
	for _, want := range []string{
		`<a href="tel:&#43;33612345678">06 12 34 56 78</a>`,
		"2,5 jours par semaine",
		`-1">1<span class="fr-hint-text">Insuffisant</span>`,
		`-2">2<span class="fr-hint-text">Partiel</span>`,
		`-3">3<span class="fr-hint-text">Bon</span>`,
		`-4">4<span class="fr-hint-text">Excellent</span>`,
		`for="avis-1">Définitivement non</label>`,
		`for="avis-4">Définitivement oui</label>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the application's page lacks %s", want)
		}
	}
	if strings.Contains(body, "(s)") || strings.Contains(body, "+33612345678</") {
		t.Error("the application's page writes (s) or the phone number in E.164")
	}
}

// The operator's name takes its article where a sentence needs it: "de
// l'Incubateur des Territoires", never "de Incubateur des Territoires".
func TestOperatorNameTakesItsArticle(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	p := app.OpenPosting(time.Time{})
	c := app.Client()
	for path, want := range map[string]string{
		"/":                     "L&#39;Incubateur des Territoires publie ici ses appels",
		"/mentions-legales":     "Ce service est édité par l&#39;Incubateur des Territoires.",
		"/accessibilite":        "L&#39;Incubateur des Territoires s'engage",
		"/donnees-personnelles": "L&#39;Incubateur des Territoires traite les données",
		"/offres/" + p.Slug:     "L&#39;Incubateur des Territoires traite les données de ce formulaire",
	} {
		if _, body := testkit.Get(t, c, app.URL+path); !strings.Contains(body, want) {
			t.Errorf("%s lacks %q", path, want)
		}
	}

	// Another operator, whose name contracts: "du", "au".
	gip := testkit.NewApp(t, testkit.Options{Env: map[string]string{"OPERATOR_NAME": "GIP Inclusion", "OPERATOR_NAME_ARTICLE": "le GIP Inclusion"}})
	gp := gip.OpenPosting(time.Time{})
	if _, body := testkit.Get(t, gip.Client(), gip.URL+"/mentions-legales"); !strings.Contains(body, "édité par le GIP Inclusion.") || !strings.Contains(body, "Le GIP Inclusion publie ici") {
		t.Errorf("legal notice of le GIP Inclusion:\n%s", body)
	}
	gip.SignInLink(gip.Client(), gp.ContactEmail)
	msgs := gip.SMTP.Messages()
	if len(msgs) == 0 {
		t.Fatal("no sign-in email")
	}
	m := msgs[len(msgs)-1]
	if m.Subject != "Votre lien de connexion au GIP Inclusion" || !strings.Contains(m.Text, "l'espace de recrutement du GIP Inclusion :") ||
		!strings.Contains(m.HTML, "pour le compte du GIP Inclusion.") {
		t.Errorf("sign-in email: %q\n%s", m.Subject, m.Text)
	}
}
