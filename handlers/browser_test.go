package handlers_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vivier/internal/testkit"
)

// An applicant applies in a real browser, with a file, then follows the
// private link of the acknowledgement.
func TestApplyInABrowser(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Now().Add(72 * time.Hour))
	cvPath := filepath.Join(t.TempDir(), "CV Camille Durand.pdf")
	cvData := testkit.PDF(50 << 10)
	if err := os.WriteFile(cvPath, cvData, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := testkit.Browser(t)

	err := chromedp.Do(ctx,
		chromedp.Navigate(app.URL+"/offres/"+p.Slug),
		chromedp.WaitVisible(`#prenom`),
		// First a submission with mistakes: the page lists them and keeps what was typed.
		chromedp.SendKeys(`#prenom`, "Camille"),
		chromedp.SendKeys(`#email`, "camille@"),
		chromedp.Submit(`#prenom`),
		chromedp.WaitVisible(`#erreurs`),
	)
	if err != nil {
		t.Fatal(err)
	}
	summary, err := chromedp.Run(ctx, chromedp.Text(`#erreurs`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(summary, "Adresse email") || !strings.Contains(summary, "choisissez à nouveau votre CV") {
		t.Fatalf("error summary: %q", summary)
	}
	if kept, err := chromedp.Run(ctx, chromedp.Value(`#prenom`)); err != nil || kept != "Camille" {
		t.Fatalf("first name after the error: %q, %v", kept, err)
	}

	// Clear the wrong address; a date input takes its value as the
	// browser's date picker would set it.
	script := "document.querySelector('#email').value = ''; document.querySelector('#disponible_le').value = '" +
		time.Now().AddDate(0, 0, 10).Format("2006-01-02") + "'; true"
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](script)); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(`#email`, "camille.durand@example.org"),
		chromedp.SendKeys(`#nom`, "Durand"),
		chromedp.SendKeys(`#telephone`, "06 12 34 56 78"),
		chromedp.SendKeys(`#localisation`, "Lyon"),
		chromedp.SendKeys(`#tjm`, "650"),
		chromedp.SendKeys(`#motivation`, "Coach agile depuis huit ans auprès de collectivités, j'aimerais accompagner une équipe."),
		chromedp.SendKeys(`#jours_par_semaine`, "2,5 jours"),
		chromedp.SetUploadFiles(`#cv`, []string{cvPath}),
		chromedp.Click(`#consentement`),
		chromedp.Submit(`#prenom`),
		chromedp.WaitVisible(`.fr-alert--success`),
	)
	if err != nil {
		t.Fatal(err)
	}
	heading, err := chromedp.Run(ctx, chromedp.Text(`h1`))
	if err != nil {
		t.Fatal(err)
	}
	if heading != "Votre candidature est envoyée" {
		t.Fatalf("after sending, the page says %q", heading)
	}
	doc, err := app.Repo.DocumentByApplication(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if doc.FileName != "CV Camille Durand.pdf" || !bytes.Equal(doc.Content, cvData) {
		t.Fatalf("stored CV: %q, %d bytes (sent %d)", doc.FileName, doc.SizeBytes, len(cvData))
	}

	msgs := app.SMTP.WaitFor(2, 20*time.Second)
	var link string
	for _, m := range msgs {
		if l := linkRe.FindStringSubmatch(m.Text); l != nil {
			link = l[1]
		}
	}
	if link == "" {
		t.Fatalf("no private link in %d emails", len(msgs))
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(app.URL+link)); err != nil {
		t.Fatal(err)
	}
	status, err := chromedp.Run(ctx, chromedp.Text(`.fr-badge`))
	if err != nil {
		t.Fatal(err)
	}
	if status != "Reçue" && status != "REÇUE" {
		t.Fatalf("status on the private page: %q", status)
	}
}
