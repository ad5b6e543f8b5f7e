package handlers_test

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
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
		testkit.WaitVisible(`#prenom`),
	)
	if err != nil {
		t.Fatal(err)
	}
	testkit.CheckAccessibility(t, ctx, "the posting and its form")
	err = chromedp.Do(ctx,
		// First a submission with mistakes: the page lists them and keeps what was typed.
		chromedp.SendKeys(`#prenom`, "Camille"),
		chromedp.SendKeys(`#email`, "camille@"),
		chromedp.Submit(`#prenom`),
		testkit.WaitVisible(`#erreurs`),
	)
	if err != nil {
		t.Fatal(err)
	}
	testkit.CheckAccessibility(t, ctx, "the form with its errors")
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
		testkit.WaitVisible(`.fr-alert--success`),
	)
	if err != nil {
		t.Fatal(err)
	}
	testkit.CheckAccessibility(t, ctx, "the confirmation")
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
	testkit.CheckAccessibility(t, ctx, "the private page")
	status, err := chromedp.Run(ctx, chromedp.Text(`.fr-badge`))
	if err != nil {
		t.Fatal(err)
	}
	if status != "Reçue" && status != "REÇUE" {
		t.Fatalf("status on the private page: %q", status)
	}
}

// The contact's day, in a real browser: sign in from the link caught by
// the SMTP server, find the application, open the CV, change its status
// with an email, close the posting after the preview; every page passes
// axe-core's WCAG 2.1 A and AA rules.
func TestContactJourneyInABrowser(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Time{})
	for _, f := range []url.Values{validForm(), func() url.Values {
		v := validForm()
		v.Set("prenom", "Hélène")
		v.Set("nom", "Lefèvre")
		v.Set("email", "helene@example.org")
		return v
	}()} {
		if resp, _ := testkit.PostMultipart(t, app.Client(), app.URL+"/offres/"+p.Slug+"/candidature", f, cv()); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("apply: %d", resp.StatusCode)
		}
	}
	ctx := testkit.Browser(t)
	link := app.SignInLink(app.Client(), p.ContactEmail)
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		testkit.CheckAccessibility(t, ctx, name)
	}
	step("the sign-in link", chromedp.Navigate(app.URL+link), testkit.WaitVisible(`button[type=submit]`))
	step("my postings", chromedp.Click(`main button[type=submit]`), testkit.WaitVisible(`a[href^="/boite/offres/"]`))
	step("the applications", chromedp.Click(`main a[href^="/boite/offres/"]`), testkit.WaitVisible(`#q`))
	step("a search", chromedp.SendKeys(`#q`, "helene"), chromedp.Submit(`#q`), testkit.WaitVisible(`tbody a`))
	name, err := chromedp.Run(ctx, chromedp.Text(`tbody a`))
	if err != nil || !strings.Contains(name, "Lefèvre Hélène") {
		t.Fatalf("search for helene found %q, %v", name, err)
	}
	step("the application", chromedp.Click(`tbody a`), testkit.WaitVisible(`iframe.vivier-cv`))
	cvSrc, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("iframe.vivier-cv").src`))
	if err != nil {
		t.Fatal(err)
	}
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`fetch(`+strconv.Quote(cvSrc)+`).then(r => r.ok && r.headers.get("content-type") === "application/pdf")`, chromedp.EvalAwaitPromise))
	if err != nil || !ok {
		t.Fatalf("the CV shown in the page does not load as a PDF: %v", err)
	}
	step("the status editor", chromedp.Click(`a[href*="vers=shortlisted"]`), testkit.WaitVisible(`#message`))
	before := len(app.SMTP.Messages())
	step("the status changed", chromedp.Submit(`#message`), testkit.WaitVisible(`.fr-alert--success`))
	if badge, _ := chromedp.Run(ctx, chromedp.Text(`#statut`)); !strings.EqualFold(badge, "Présélectionnée") {
		t.Errorf("status badge %q", badge)
	}
	msgs := app.SMTP.WaitFor(before+1, 20*time.Second)
	if got := msgs[len(msgs)-1]; got.To[0] != "helene@example.org" || !strings.Contains(got.Subject, "présélectionnée") {
		t.Errorf("status email: %q to %v", got.Subject, got.To)
	}
	step("the close preview", chromedp.Navigate(app.URL+"/boite/offres/"+strconv.FormatInt(p.ID, 10)+"/cloture"), testkit.WaitVisible(`#message_close_in_review`))
	before = len(app.SMTP.Messages())
	step("the posting closed", chromedp.Submit(`#message_close_in_review`), testkit.WaitVisible(`.fr-alert--success`))
	// Two applicants still under review and the summary.
	msgs = app.SMTP.WaitFor(before+3, 30*time.Second)[before:]
	kinds := map[string]int{}
	for _, m := range msgs {
		switch {
		case strings.HasPrefix(m.Subject, "Candidatures closes"):
			kinds["update"]++
		case strings.HasPrefix(m.Subject, "Offre close"):
			kinds["summary"]++
		}
	}
	if kinds["update"] != 2 || kinds["summary"] != 1 {
		t.Errorf("emails of the close: %v", kinds)
	}
}

// The application form can be filled and sent with the keyboard alone:
// Tab reaches every field in order, with a visible focus, and Enter sends.
func TestApplyWithTheKeyboardAlone(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	p := app.OpenPosting(time.Now().Add(72 * time.Hour))
	cvPath := filepath.Join(t.TempDir(), "cv.pdf")
	os.WriteFile(cvPath, testkit.PDF(20<<10), 0o644)
	ctx := testkit.Browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(app.URL+"/offres/"+p.Slug), testkit.WaitVisible(`#prenom`)); err != nil {
		t.Fatal(err)
	}
	active := func() string {
		id, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement ? (document.activeElement.id || document.activeElement.tagName) : ""`))
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	tab := func() {
		if err := chromedp.Do(ctx, chromedp.KeyEvent("\t")); err != nil {
			t.Fatal(err)
		}
	}
	// From the top of the page, Tab until the first field.
	for i := 0; active() != "prenom"; i++ {
		if i > 150 {
			t.Fatal("Tab never reaches the first field of the form")
		}
		tab()
	}
	day := time.Now().AddDate(0, 0, 10)
	typed := map[string]string{
		"prenom": "Camille", "nom": "Durand", "email": "camille@example.org", "telephone": "0612345678",
		"localisation": "Lyon", "tjm": "650", "jours_par_semaine": "3", "disponible_le": day.Format("02012006"), // dd mm yyyy: the browser speaks French
		"siret": "", "liens": "", "motivation": "Coach agile depuis huit ans auprès de collectivités, motivée par la mission.",
	}
	order := []string{"prenom", "nom", "email", "telephone", "localisation", "tjm", "jours_par_semaine", "disponible_le",
		"siret", "liens", "motivation", "consentement", "cv"}
	for _, field := range order {
		if got := active(); got != field {
			t.Fatalf("Tab order: focus on %q, want %q", got, field)
		}
		visible, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const s = getComputedStyle(document.activeElement);
			return (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== "none"; })()`))
		if !visible {
			t.Errorf("no visible focus on %q", field)
		}
		switch field {
		case "cv":
			// The file chooser is the system's, outside the page.
			if err := chromedp.Do(ctx, chromedp.SetUploadFiles(`#cv`, []string{cvPath})); err != nil {
				t.Fatal(err)
			}
		case "consentement":
			if err := chromedp.Do(ctx, chromedp.KeyEvent(" ")); err != nil {
				t.Fatal(err)
			}
		default:
			if v := typed[field]; v != "" {
				if err := chromedp.Do(ctx, chromedp.KeyEvent(v)); err != nil {
					t.Fatal(err)
				}
			}
		}
		// A date field takes one Tab per part (day, month, year).
		for i := 0; i < 4 && active() == field; i++ {
			tab()
		}
	}
	if got := active(); !strings.Contains(strings.ToUpper(got), "BUTTON") {
		t.Fatalf("after the CV, focus on %q, want the send button", got)
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent("\r"), testkit.WaitVisible(`.fr-alert--success`)); err != nil {
		t.Fatalf("Enter on the send button: %v", err)
	}
	if apps, _, _ := app.Counts(); apps != 1 {
		t.Fatalf("%d applications stored", apps)
	}
}

// On a phone (375 px) the header's links sit behind the DSFR's Menu
// button: a visitor finds the reviewers' sign-in there, and a signed-in
// reviewer finds "Se déconnecter" and leaves signed out.
func TestHeaderMenuOnAPhone(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Time{})
	ctx := testkit.Browser(t)
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	step("a phone's screen", chromedp.EmulateViewport(375, 812))
	step("the posting", chromedp.Navigate(app.URL+"/offres/"+p.Slug), testkit.WaitVisible(`#bouton-menu`),
		testkit.WaitNotVisible(`.fr-header__tools-links a[href="/connexion"]`))
	testkit.CheckAccessibility(t, ctx, "a page on a phone, its menu closed")
	step("the menu", chromedp.Click(`#bouton-menu`), testkit.WaitVisible(`#menu-entete a[href="/connexion"]`))
	testkit.CheckAccessibility(t, ctx, "the header's menu on a phone")
	step("the reviewers' sign-in", chromedp.Click(`#menu-entete a[href="/connexion"]`), testkit.WaitVisible(`#email`))

	link := app.SignInLink(app.Client(), p.ContactEmail)
	step("signed in", chromedp.Navigate(app.URL+link), testkit.WaitVisible(`main button[type=submit]`),
		chromedp.Click(`main button[type=submit]`), testkit.WaitVisible(`main a[href^="/boite/offres/"]`),
		testkit.WaitNotVisible(`.fr-header__tools-links button[type=submit]`))
	step("the menu, signed in", chromedp.Click(`#bouton-menu`), testkit.WaitVisible(`#menu-entete button[type=submit]`))
	testkit.CheckAccessibility(t, ctx, "the signed-in header's menu on a phone")
	if text, err := chromedp.Run(ctx, chromedp.Text(`#menu-entete button[type=submit]`)); err != nil || text != "Se déconnecter" {
		t.Fatalf("the menu's button says %q (%v)", text, err)
	}
	step("signed out", chromedp.Click(`#menu-entete button[type=submit]`), testkit.WaitVisible(`#email`))
	step("the inbox again", chromedp.Navigate(app.URL+"/boite"), testkit.WaitVisible(`#email`))
	if where, err := chromedp.Run(ctx, chromedp.Location()); err != nil || !strings.Contains(where, "/connexion") {
		t.Fatalf("after signing out, /boite shows %q (%v), want the sign-in page", where, err)
	}
}

// The status tab being shown stands out from the others, for the eye (the
// DSFR's selected colours) and for a screen reader (aria-current).
func TestActiveStatusTabIsMarked(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Time{})
	if resp, _ := testkit.PostMultipart(t, app.Client(), app.URL+"/offres/"+p.Slug+"/candidature", validForm(), cv()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply: %d", resp.StatusCode)
	}
	ctx := testkit.Browser(t)
	link := app.SignInLink(app.Client(), p.ContactEmail)
	err := chromedp.Do(ctx, chromedp.Navigate(app.URL+link), testkit.WaitVisible(`main button[type=submit]`),
		chromedp.Click(`main button[type=submit]`), testkit.WaitVisible(`main a[href^="/boite/offres/"]`),
		chromedp.Navigate(app.URL+"/boite/offres/"+strconv.FormatInt(p.ID, 10)+"?statut=received"), testkit.WaitVisible(`#q`))
	if err != nil {
		t.Fatal(err)
	}
	testkit.CheckAccessibility(t, ctx, "the list with a status tab chosen")
	type tab struct {
		Text, Current, Background, Color string
	}
	tabs, err := chromedp.Run(ctx, chromedp.Evaluate[[]tab](`[...document.querySelectorAll('nav[aria-label="Statuts"] a.fr-tag')].map(a => {
		const s = getComputedStyle(a);
		return {Text: a.textContent, Current: a.getAttribute("aria-current") || "", Background: s.backgroundColor, Color: s.color};
	})`))
	if err != nil {
		t.Fatal(err)
	}
	var current []tab
	for _, tb := range tabs {
		if tb.Current != "" {
			current = append(current, tb)
		}
	}
	if len(current) != 1 || current[0].Current != "page" || !strings.HasPrefix(current[0].Text, "Reçue") {
		t.Fatalf("tabs marked current: %+v", current)
	}
	for _, tb := range tabs {
		if tb.Current == "" && (tb.Background == current[0].Background || tb.Color == current[0].Color) {
			t.Errorf("tab %q looks like the current one %q: background %s, text %s", tb.Text, current[0].Text, tb.Background, tb.Color)
		}
	}
}
