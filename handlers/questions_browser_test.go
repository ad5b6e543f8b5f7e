package handlers_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vivier/internal/testkit"
)

// In a real browser: an admin adds three questions to a posting, a
// freelancer answers them (one refused, then fixed), and the answers
// show on the application's page; axe-core finds nothing on the pages.
func TestQuestionsInABrowser(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{AdminEmails: "admin@anct.gouv.fr"})
	p := app.OpenPosting(time.Now().Add(72 * time.Hour))
	cvPath := filepath.Join(t.TempDir(), "CV Camille Durand.pdf")
	if err := os.WriteFile(cvPath, testkit.PDF(30<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := testkit.Browser(t)
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		testkit.CheckAccessibility(t, ctx, name)
	}
	link := app.SignInLink(app.Client(), "admin@anct.gouv.fr")
	step("the sign-in link", chromedp.Navigate(app.URL+link), testkit.WaitVisible(`button[type=submit]`))
	step("my postings", chromedp.Click(`main button[type=submit]`), testkit.WaitVisible(`a[href^="/boite/offres/"]`))
	step("the applications", chromedp.Navigate(app.URL+"/boite/offres/"+strconv.FormatInt(p.ID, 10)), testkit.WaitVisible(`#q`))
	step("the questions, none yet", chromedp.Click(`a[href$="/questions"]`), testkit.WaitVisible(`#libelle`))
	// A refused question first: the editor names the field at fault.
	step("a question refused", chromedp.SetValue(`#type`, "one_choice"), chromedp.SendKeys(`#libelle`, "Votre méthode"),
		chromedp.Submit(`#libelle`), testkit.WaitVisible(`#choix-erreur`))
	step("the first question", chromedp.SendKeys(`#choix`, "Scrum\nKanban\nAutre"), chromedp.Submit(`#libelle`),
		testkit.WaitVisible(`ol.vivier-questions > li:nth-child(1)`))
	step("the second question", chromedp.SetValue(`#type`, "yes_no"), chromedp.SendKeys(`#libelle`, "Avez-vous déjà travaillé avec une collectivité ?"),
		chromedp.Click(`#obligatoire`), chromedp.Click(`#colonne`), chromedp.Submit(`#libelle`), testkit.WaitVisible(`ol.vivier-questions > li:nth-child(2)`))
	step("the third question", chromedp.SetValue(`#type`, "number"), chromedp.SendKeys(`#libelle`, "Années d'expérience en coaching"),
		chromedp.SendKeys(`#min`, "0"), chromedp.SendKeys(`#max`, "40"), chromedp.Click(`#obligatoire`), chromedp.Submit(`#libelle`),
		testkit.WaitVisible(`ol.vivier-questions > li:nth-child(3)`))
	ids := questionIDs(t, app, p.ID)
	if len(ids) != 3 {
		t.Fatalf("%d questions stored, want 3", len(ids))
	}
	method, yes, years := "#"+field(ids[0]), "#"+field(ids[1]), "#"+field(ids[2])

	// The freelancer applies, with a number out of its bounds first.
	step("the form with its questions", chromedp.Navigate(app.URL+"/offres/"+p.Slug), testkit.WaitVisible(years))
	script := "document.querySelector('#disponible_le').value = '" + time.Now().AddDate(0, 0, 10).Format("2006-01-02") + "'; true"
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](script)); err != nil {
		t.Fatal(err)
	}
	step("the form refused", chromedp.SendKeys(`#prenom`, "Camille"), chromedp.SendKeys(`#nom`, "Durand"),
		chromedp.SendKeys(`#email`, "camille.durand@example.org"), chromedp.SendKeys(`#localisation`, "Lyon"),
		chromedp.SendKeys(`#tjm`, "650"), chromedp.SendKeys(`#jours_par_semaine`, "2,5 jours"),
		chromedp.SendKeys(`#motivation`, "Coach agile depuis huit ans auprès de collectivités, j'aimerais accompagner une équipe."),
		chromedp.Click(method+`-1`), chromedp.Click(yes+`-0`), chromedp.SendKeys(years, "45"),
		chromedp.SetUploadFiles(`#cv`, []string{cvPath}), chromedp.Click(`#consentement`),
		chromedp.Submit(`#prenom`), testkit.WaitVisible(`#erreurs`))
	summary, err := chromedp.Run(ctx, chromedp.Text(`#erreurs`))
	if err != nil || !strings.Contains(summary, "Années d'expérience en coaching") || !strings.Contains(summary, "entre 0 et 40") {
		t.Fatalf("error summary: %q, %v", summary, err)
	}
	if kept, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("`+method+`-1").checked && document.querySelector("`+yes+`-0").checked`)); err != nil || !kept {
		t.Fatalf("the choices made were not kept: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("document.querySelector('"+years+"').value = ''; true")); err != nil {
		t.Fatal(err)
	}
	step("the application sent", chromedp.SendKeys(years, "12"), chromedp.SetUploadFiles(`#cv`, []string{cvPath}),
		chromedp.Submit(`#prenom`), testkit.WaitVisible(`.fr-alert--success`))
	var appID int64
	app.DB.Get(&appID, `SELECT id FROM applications WHERE posting_id = $1`, p.ID)
	if appID == 0 {
		t.Fatal("no application stored")
	}

	// The admin reads the answers.
	step("the application with its answers", chromedp.Navigate(app.URL+"/boite/candidatures/"+strconv.FormatInt(appID, 10)),
		testkit.WaitVisible(`#reponses-questions`))
	answers, err := chromedp.Run(ctx, chromedp.Text(`#reponses-questions`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Votre méthode", "Kanban", "Avez-vous déjà travaillé avec une collectivité ?", "Oui", "Années d'expérience en coaching", "12"} {
		if !strings.Contains(answers, want) {
			t.Errorf("the answers on the application's page lack %q: %q", want, answers)
		}
	}
	step("the list with its column", chromedp.Navigate(app.URL+"/boite/offres/"+strconv.FormatInt(p.ID, 10)), testkit.WaitVisible(`tbody a`))
}
