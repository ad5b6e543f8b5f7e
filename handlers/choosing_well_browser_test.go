package handlers_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vivier/internal/mailcatcher"
	"vivier/internal/testkit"
)

// Choosing well, in Chromium, from end to end: an admin adds three
// questions (one a column of the list) and two criteria to a posting and
// reviews it blind until « Présélectionnée »; a freelancer applies through
// the form, told not to identify themselves, and answers the questions;
// during the blind pass the list, the application page, the CSV and the
// contact's email show « Candidature n° N », the answers and no name; two
// reviewers fill scorecards (the second sees the first's only after
// submitting); shortlisting reveals the person, which the audit log
// records; rejecting another application asks for a reason; the selection
// report lists criteria, weights, marks by reviewer, the mean, decisions
// with who and when, and the rejection's reason. axe-core checks every
// page on the way.
func TestChoosingWellInABrowser(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{AdminEmails: "admin@anct.gouv.fr"})
	p := app.OpenPosting(time.Now().Add(30 * 24 * time.Hour))
	pid := strconv.FormatInt(p.ID, 10)
	dir := t.TempDir()
	cvPath, supportPath := filepath.Join(dir, "CV Camille Durand.pdf"), filepath.Join(dir, "Support atelier Camille Durand.pdf")
	for _, f := range []string{cvPath, supportPath} {
		if err := os.WriteFile(f, testkit.PDF(30<<10), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := testkit.Browser(t)
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		testkit.CheckAccessibility(t, ctx, name)
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	signIn := func(who string) {
		t.Helper()
		link := app.SignInLink(app.Client(), who)
		// The sign-in pages are checked by their own tests.
		if err := chromedp.Do(ctx, chromedp.Navigate(app.URL+link), testkit.WaitVisible(`main button[type=submit]`),
			chromedp.Click(`main button[type=submit]`), testkit.WaitVisible(`main a[href^="/boite/offres/"]`)); err != nil {
			t.Fatalf("sign in as %s: %v", who, err)
		}
	}
	// fetchText reads an address as the signed-in browser does (the CSV
	// behind the list's « Exporter » link).
	fetchText := func(path string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(`+strconv.Quote(path)+`).then(r => r.text().then(body => r.status + "\n" + body))`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("fetch %s: %v", path, err)
		}
		return s
	}
	identity := []string{"Durand", "camille.durand@example.org", "06 12 34 56 78", "732 829 320", "github.com/camille", "CV Camille", "Support atelier"}
	hides := func(where, s string) {
		t.Helper()
		for _, x := range identity {
			if strings.Contains(s, x) {
				t.Errorf("%s shows %q during the blind pass", where, x)
			}
		}
	}
	mustContain := func(where, s string, want ...string) {
		t.Helper()
		for _, w := range want {
			if !strings.Contains(s, w) {
				t.Errorf("%s lacks %q:\n%s", where, w, s)
			}
		}
	}

	// The admin prepares the posting: two reviewers, three questions, two
	// criteria, a blind first pass until « Présélectionnée ».
	signIn("admin@anct.gouv.fr")
	step("the posting's list", chromedp.Navigate(app.URL+"/boite/offres/"+pid), testkit.WaitVisible(`#relecteur`))
	// Each waits for its own line in the list of reviewers (the contact's
	// first): the page left shows the previous message until the next loads.
	for i, who := range []string{"premiere@anct.gouv.fr", "second@anct.gouv.fr"} {
		step("the reviewer "+who, chromedp.SendKeys(`#relecteur`, who), chromedp.Submit(`#relecteur`),
			testkit.WaitVisible(`#relecteurs ul > li:nth-child(`+strconv.Itoa(i+2)+`)`))
	}
	mustContain("the reviewers", text(`#relecteurs ul`), "premiere@anct.gouv.fr", "second@anct.gouv.fr")
	step("the questions, none yet", chromedp.Click(`a[href$="/questions"]`), testkit.WaitVisible(`#libelle`))
	step("a choice shown as a column", chromedp.SetValue(`#type`, "one_choice"), chromedp.SendKeys(`#libelle`, "Votre méthode d'animation"),
		chromedp.SendKeys(`#choix`, "Ateliers\nEntretiens\nAutre"), chromedp.Click(`#obligatoire`), chromedp.Click(`#colonne`),
		chromedp.Submit(`#libelle`), testkit.WaitVisible(`ol.vivier-questions > li:nth-child(1)`))
	step("a long text", chromedp.SetValue(`#type`, "long_text"), chromedp.SendKeys(`#libelle`, "Un atelier que vous avez animé"),
		chromedp.Click(`#obligatoire`), chromedp.Submit(`#libelle`), testkit.WaitVisible(`ol.vivier-questions > li:nth-child(2)`))
	step("a file", chromedp.SetValue(`#type`, "file"), chromedp.SendKeys(`#libelle`, "Un support d'atelier"),
		chromedp.Submit(`#libelle`), testkit.WaitVisible(`ol.vivier-questions > li:nth-child(3)`))
	ids := questionIDs(t, app, p.ID)
	if len(ids) != 3 {
		t.Fatalf("%d questions stored, want 3", len(ids))
	}
	method, workshop, support := "#"+field(ids[0]), "#"+field(ids[1]), "#"+field(ids[2])
	step("the evaluation page", chromedp.Navigate(app.URL+"/boite/offres/"+pid+"/evaluation"), testkit.WaitVisible(`#nouveau-nom`))
	for i, c := range []struct{ name, weight string }{{"Animation d'ateliers", "3"}, {"Qualité de l'écrit", "1"}} {
		step("the criterion "+c.name, chromedp.SendKeys(`#nouveau-nom`, c.name), chromedp.SetValue(`#nouveau-poids`, c.weight),
			chromedp.Submit(`#nouveau-nom`), testkit.WaitVisible(`#criteres tbody > tr:nth-child(`+strconv.Itoa(i+1)+`)`))
	}
	step("blind until shortlisted", chromedp.Click(`label[for="jusqu_a-2"]`), chromedp.Submit(`#jusqu_a-2`),
		chromedp.WaitReady(`#jusqu_a-2[checked]`), testkit.WaitVisible(`.fr-alert--success`)) // the attribute: the page sent back

	// A freelancer applies through the form, which asks them not to
	// identify themselves, and answers the questions.
	step("the blind posting's form", chromedp.Navigate(app.URL+"/offres/"+p.Slug), testkit.WaitVisible(support))
	mustContain("the blind form's notice", text(`#candidature-anonyme`), "ne vous nommez pas", "fichiers joints")
	script := "document.querySelector('#disponible_le').value = '" + time.Now().AddDate(0, 0, 10).Format("2006-01-02") + "'; true"
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](script)); err != nil {
		t.Fatal(err)
	}
	step("the application sent", chromedp.SendKeys(`#prenom`, "Camille"), chromedp.SendKeys(`#nom`, "Durand"),
		chromedp.SendKeys(`#email`, "camille.durand@example.org"), chromedp.SendKeys(`#telephone`, "06 12 34 56 78"),
		chromedp.SendKeys(`#localisation`, "Lyon"), chromedp.SendKeys(`#tjm`, "650"), chromedp.SendKeys(`#jours_par_semaine`, "2,5 jours"),
		chromedp.SendKeys(`#siret`, "732 829 320 00074"), chromedp.SendKeys(`#liens`, "https://github.com/camille"),
		chromedp.SendKeys(`#motivation`, "Coach agile depuis huit ans auprès de collectivités, j'aimerais accompagner une équipe."),
		chromedp.Click(method+`-0`), chromedp.SendKeys(workshop, "Un atelier de cartographie des usagers avec douze agents d'une mairie."),
		chromedp.SetUploadFiles(`#cv`, []string{cvPath}), chromedp.SetUploadFiles(support, []string{supportPath}),
		chromedp.Click(`#consentement`), chromedp.Submit(`#prenom`), testkit.WaitVisible(`.fr-alert--success`))
	var first int64
	app.DB.Get(&first, `SELECT id FROM applications WHERE posting_id = $1 AND email = 'camille.durand@example.org'`, p.ID)
	if first == 0 {
		t.Fatal("the application sent through the form is not stored")
	}
	// Another applies too (the form's path is the one above).
	other := validForm()
	for k, v := range map[string]string{"prenom": "Dominique", "nom": "Martin", "email": "dominique.martin@example.org", "siret": "",
		field(ids[0]): "Entretiens", field(ids[1]): "Des entretiens individuels avec les agents d'un service."} {
		other.Set(k, v)
	}
	if resp, _ := testkit.PostMultipart(t, app.Client(), app.URL+"/offres/"+p.Slug+"/candidature", other, cv()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the second application: %d", resp.StatusCode)
	}
	var second int64
	app.DB.Get(&second, `SELECT id FROM applications WHERE posting_id = $1 AND email = 'dominique.martin@example.org'`, p.ID)
	firstNumber, secondNumber := "Candidature n° "+strconv.FormatInt(first, 10), "Candidature n° "+strconv.FormatInt(second, 10)
	firstPage := "/boite/candidatures/" + strconv.FormatInt(first, 10)
	fileURL := firstPage + "/reponses/" + strconv.FormatInt(ids[2], 10)

	// The contact's email names the application by its number and holds
	// the answers, the file hidden.
	note := waitMessage(t, app, p.ContactEmail, firstNumber)
	hides("the contact's email", note.Subject+note.Text+note.HTML+note.Header.Get("Reply-To"))
	mustContain("the contact's email", note.Text, "Votre méthode d'animation : Ateliers", "Un atelier que vous avez animé : Un atelier de cartographie",
		"Un support d'atelier : fichier joint, masqué pendant la relecture à l'aveugle", "650 € HT")

	// The first reviewer: the blind list, with the question's column.
	signIn("premiere@anct.gouv.fr")
	step("the blind list", chromedp.Navigate(app.URL+"/boite/offres/"+pid), testkit.WaitVisible(`#aveugle`))
	mustContain("the blind list's notice", text(`#aveugle`), "Présélectionnée")
	mustContain("the list's header", text(`thead`), "Personne", "Grilles", "Votre méthode d'animation")
	rows := text(`tbody`)
	hides("the blind list", rows)
	mustContain("the blind list", rows, firstNumber, secondNumber, "Ateliers", "Entretiens")
	if options := text(`#tri`); strings.Contains(options, "Nom") || !strings.Contains(options, "Votre méthode d'animation") {
		t.Errorf("the blind list's sorts: %q", options)
	}
	step("the list sorted on the question", chromedp.SetValue(`#tri`, "q"+strconv.FormatInt(ids[0], 10)), chromedp.Submit(`#tri`),
		testkit.WaitVisible(`tbody tr:nth-child(2)`))
	if row := text(`tbody tr:nth-child(1)`); !strings.Contains(row, firstNumber) || !strings.Contains(row, "Ateliers") {
		t.Errorf("sorted on the method, « Ateliers » comes first: %q", row)
	}
	hides("the blind list sorted on an answer", text(`main`))
	export, err := chromedp.Run(ctx, chromedp.AttributeValue(`a[href*="/export.csv"]`, "href"))
	if err != nil {
		t.Fatal(err)
	}
	csv := fetchText(export.Value)
	hides("the blind CSV", csv)
	mustContain("the blind CSV", csv, "200\n", firstNumber, "Moyenne des grilles", "Grilles d'évaluation", "Votre méthode d'animation",
		"Un atelier que vous avez animé", "Un support d'atelier", "Un atelier de cartographie", "fichier joint, masqué")

	// The blind application page: the answers, no person, no CV, no file.
	step("the blind application", chromedp.Navigate(app.URL+firstPage), testkit.WaitVisible(`#grilles`))
	main := text(`main`)
	hides("the blind application page", main)
	mustContain("the blind application page", main, firstNumber, "650 € HT", "Coach agile")
	mustContain("the blind application's answers", text(`#reponses-questions`), "Votre méthode d'animation", "Ateliers",
		"Un atelier de cartographie", "Un support d'atelier", "fichier joint, masqué pendant la relecture à l'aveugle")
	if _, err := chromedp.Run(ctx, chromedp.Text(`#cv-masque`)); err != nil {
		t.Errorf("the blind application page does not say the CV is hidden: %v", err)
	}
	step("the first scorecard", chromedp.Click(`#grilles fieldset:nth-of-type(1) label[for$="-4"]`),
		chromedp.Click(`#grilles fieldset:nth-of-type(2) label[for$="-3"]`), chromedp.Click(`label[for="avis-4"]`),
		chromedp.SendKeys(`#commentaire`, "Ateliers nombreux et variés"), chromedp.Submit(`#commentaire`), testkit.WaitVisible(`#grilles-table`))
	// The file's address answers 404 during the blind pass, as the CV's.
	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(app.URL+fileURL))
	if err != nil || resp == nil || resp.Status != http.StatusNotFound {
		t.Errorf("the file answered, during the blind pass: %v, %v", resp, err)
	}

	// The second reviewer sees the first's scorecard only once theirs is in.
	signIn("second@anct.gouv.fr")
	step("the second reviewer, before submitting", chromedp.Navigate(app.URL+firstPage), testkit.WaitVisible(`#grilles-attente`))
	if grilles := text(`#grilles`); strings.Contains(grilles, "premiere@anct.gouv.fr") || strings.Contains(text(`main`), "Ateliers nombreux") {
		t.Errorf("the second reviewer sees the first's scorecard before submitting")
	}
	step("the second scorecard", chromedp.Click(`#grilles fieldset:nth-of-type(1) label[for$="-2"]`),
		chromedp.Click(`#grilles fieldset:nth-of-type(2) label[for$="-4"]`), chromedp.Click(`label[for="avis-3"]`),
		chromedp.Submit(`#commentaire`), testkit.WaitVisible(`#grilles-table`))
	// (3×4+3)/4 = 3.75 and (3×2+4)/4 = 2.5: the mean 3.125 reads 3,1.
	mustContain("the scorecards after submitting", text(`#grilles`), "premiere@anct.gouv.fr", "Ateliers nombreux et variés",
		"second@anct.gouv.fr (vous)", "3,1")
	mustContain("the disagreements", text(`#desaccords`), "Animation d'ateliers")
	step("the list with its mean and its question", chromedp.Navigate(app.URL+"/boite/offres/"+pid+"?tri=note"), testkit.WaitVisible(`tbody tr`))
	if row := text(`tbody tr:nth-child(1)`); !strings.Contains(row, firstNumber) || !strings.Contains(row, "3,1/4") ||
		!strings.Contains(row, "2 grilles") || !strings.Contains(row, "Ateliers") {
		t.Errorf("the list sorted on the mean, its first row: %q", row)
	}

	// Shortlisting reveals the person, and the file answered.
	step("the application before shortlisting", chromedp.Navigate(app.URL+firstPage), testkit.WaitVisible(`#grilles`))
	step("the status editor", chromedp.Click(`a[href*="vers=shortlisted"]`), testkit.WaitVisible(`#message`))
	hides("the status editor of a blind application", text(`main`))
	step("shortlisted", chromedp.Submit(`#message`), testkit.WaitVisible(`.fr-alert--success`))
	if h1 := text(`main h1`); h1 != "Camille Durand" {
		t.Errorf("after shortlisting, the page's title is %q", h1)
	}
	mustContain("the revealed application page", text(`main`), "camille.durand@example.org", "CV Camille Durand.pdf")
	if name, err := chromedp.Run(ctx, chromedp.Text(`#reponses-questions a[href="`+fileURL+`"]`)); err != nil || !strings.Contains(name, "Support atelier Camille Durand.pdf") {
		t.Errorf("the revealed application does not offer the file answered: %q, %v", name, err)
	}

	// Rejecting the other application asks for a reason.
	step("the other application", chromedp.Navigate(app.URL+"/boite/candidatures/"+strconv.FormatInt(second, 10)), testkit.WaitVisible(`#grilles`))
	if h1 := text(`main h1`); h1 != secondNumber {
		t.Errorf("the other application's title: %q", h1)
	}
	step("the rejection form", chromedp.Click(`a[href*="vers=rejected"]`), testkit.WaitVisible(`#motif`))
	step("a rejection without its reason", chromedp.Submit(`#message`), testkit.WaitVisible(`#motif-erreur`))
	step("rejected", chromedp.SendKeys(`#motif`, "Moins d'ateliers que les autres"), chromedp.Submit(`#message`), testkit.WaitVisible(`.fr-alert--success`))

	// The journal records the reveal; the report lists it all.
	signIn("admin@anct.gouv.fr")
	step("the journal of reveals", chromedp.Navigate(app.URL+"/admin/journal?action=application_revealed"), testkit.WaitVisible(`tbody tr`))
	mustContain("the journal's reveal", text(`tbody`), "Candidature dévoilée", "second@anct.gouv.fr", "n° "+strconv.FormatInt(first, 10),
		"Présélectionnée", "fichiers joints")
	step("the selection report", chromedp.Navigate(app.URL+"/boite/offres/"+pid+"/rapport"), testkit.WaitVisible(`#rapport-criteres`))
	criteria := text(`#rapport-criteres`)
	mustContain("the report's criteria", criteria, "Animation d'ateliers", "Qualité de l'écrit")
	if !strings.Contains(text(`#rapport-criteres tbody tr:nth-child(1)`), "3") || !strings.Contains(text(`#rapport-criteres tbody tr:nth-child(2)`), "1") {
		t.Errorf("the report's weights: %q", criteria)
	}
	sid, fid := strconv.FormatInt(second, 10), strconv.FormatInt(first, 10)
	mustContain("the report's shortlisted application", text(`#rapport-`+fid), "Camille Durand", "3,1/4", "premiere@anct.gouv.fr",
		"second@anct.gouv.fr", "Définitivement oui", "Oui", "Ateliers nombreux et variés", "Reçue → Présélectionnée", "par second@anct.gouv.fr")
	mustContain("the report's answers", text(`#rapport-`+fid+`-reponses`), "Votre méthode d'animation : Ateliers")
	if marks := text(`#rapport-` + fid + ` tbody`); !strings.Contains(marks, "4") || !strings.Contains(marks, "2") {
		t.Errorf("the report's marks: %q", marks)
	}
	rejected := text(`#rapport-` + sid)
	mustContain("the report's rejected application", rejected, secondNumber, "Reçue → Non retenue", "par second@anct.gouv.fr",
		"Moins d'ateliers que les autres")
	mustContain("the report's rejected application", text(`#rapport-`+sid+`-reponses`), "Votre méthode d'animation : Entretiens")
	if strings.Contains(rejected, "Martin") {
		t.Errorf("the report names an application still in the blind pass: %q", rejected)
	}
}

// waitMessage waits for the email to address whose subject holds subject.
func waitMessage(t *testing.T, app *testkit.App, address, subject string) *mailcatcher.Message {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for n := 1; time.Now().Before(deadline); n++ {
		for _, m := range app.SMTP.WaitFor(n, time.Until(deadline)) {
			if strings.Contains(m.Subject, subject) && strings.Contains(strings.Join(m.To, ","), address) {
				return m
			}
		}
	}
	t.Fatalf("no email to %s about %q", address, subject)
	return nil
}
