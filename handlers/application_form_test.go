package handlers_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vivier/internal/testkit"
)

// attr escapes a value as html/template writes it in an attribute or a
// textarea.
func attr(s string) string {
	return strings.NewReplacer("&", "&amp;", "'", "&#39;", `"`, "&#34;", "<", "&lt;", ">", "&gt;", "+", "&#43;").Replace(s)
}

// checkKept fails unless the form in page shows every value of sent.
func checkKept(t *testing.T, page string, sent url.Values) {
	t.Helper()
	for _, name := range []string{"prenom", "nom", "email", "telephone", "localisation", "tjm", "disponible_le", "siret"} {
		if want := `name="` + name + `" value="` + attr(sent.Get(name)) + `"`; !strings.Contains(page, want) {
			t.Errorf("%s not kept: no %s in the page", name, want)
		}
	}
	for _, name := range []string{"liens", "motivation"} {
		if want := attr(sent.Get(name)) + `</textarea>`; !strings.Contains(page, want) {
			t.Errorf("%s not kept", name)
		}
	}
	if want := `<option value="` + sent.Get("jours_par_semaine") + `" selected>`; !strings.Contains(page, want) {
		t.Errorf("availability not kept: no %s in the page", want)
	}
	if !strings.Contains(page, `name="consentement" value="oui" required checked`) {
		t.Errorf("consent not kept")
	}
}

// A complete form with a CV over the limit: 413, the CV's error, and
// everything typed back in its field, whether the body was read to its
// end or cut at the bound.
func TestAnOversizedCVKeepsWhatWasTyped(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		limit int64
	}{
		{"12 MB against the default 10 MiB", 0},
		{"12 MB against 1 MiB: the body is cut", 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := testkit.NewApp(t, testkit.Options{NoWorker: true, UploadMaxBytes: tc.limit})
			p := app.OpenPosting(time.Time{})
			form := validForm()
			resp, page := testkit.PostMultipart(t, app.Client(), app.URL+"/offres/"+p.Slug+"/candidature", form,
				testkit.File{Field: "cv", Name: "CV Camille.pdf", Data: testkit.PDF(12_000_000)})
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d, want 413", resp.StatusCode)
			}
			if !strings.Contains(page, "dépasse la taille maximale") || !strings.Contains(page, "choisissez à nouveau votre CV") {
				t.Errorf("the page does not say the CV is too large and to choose it again")
			}
			if strings.Count(page, `class="fr-error-text"`) != 1 || !strings.Contains(page, `id="cv-erreur"`) {
				t.Errorf("want the CV's error alone next to the fields")
			}
			checkKept(t, page, form)
			if apps, docs, emails := app.Counts(); apps+docs+emails != 0 {
				t.Fatalf("rows written: %d applications, %d documents, %d emails", apps, docs, emails)
			}
		})
	}
}

// A client past the form's rate limit is answered before its upload is
// read: the 429 comes back while the body is still being sent.
func TestTheRateLimitComesBeforeTheBody(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true, Env: map[string]string{"APPLY_RATE_LIMIT": "1"}})
	p := app.OpenPosting(time.Time{})
	target := app.URL + "/offres/" + p.Slug + "/candidature"
	c := app.Client()
	if resp, _ := testkit.PostMultipart(t, c, target, validForm(), cv()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first application: %d", resp.StatusCode)
	}

	// The second one sends its fields and the start of a large CV, then
	// nothing more until the answer has come.
	body, ct := testkit.Multipart(t, validForm())
	head := strings.TrimSuffix(body.String(), "--"+strings.TrimPrefix(ct, "multipart/form-data; boundary=")+"--\r\n")
	// The body ends when the request does (answered, or given up after a
	// while by a server that waits for it).
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	go func() {
		fmt.Fprintf(pw, "%s--%s\r\nContent-Disposition: form-data; name=\"cv\"; filename=\"cv.pdf\"\r\nContent-Type: application/pdf\r\n\r\n",
			head, strings.TrimPrefix(ct, "multipart/form-data; boundary="))
		pw.Write(testkit.PDF(64 << 10))
		<-ctx.Done()
		pw.CloseWithError(errors.New("request over"))
	}()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, target, pr)
	req.Header.Set("Content-Type", ct)
	req.ContentLength = 20 << 20
	resp, page := testkit.Do(t, c, req)
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(page, "Trop de demandes") {
		t.Fatalf("over the limit: %d, want the French 429", resp.StatusCode)
	}
}

// In Chromium: the whole form filled, a CV over the limit attached and
// sent; the answer shows every typed value still in its field, whether
// the body was read to its end or cut at the bound.
func TestAnOversizedCVKeepsTheFormInABrowser(t *testing.T) {
	t.Parallel()
	cvPath := filepath.Join(t.TempDir(), "CV Camille Durand.pdf")
	if err := os.WriteFile(cvPath, testkit.PDF(12_000_000), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		limit int64
	}{
		{"12 MB against the default 10 MiB", 0},
		{"12 MB against 1 MiB: the body is cut", 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			submitOversizedCV(t, cvPath, tc.limit)
		})
	}
}

func submitOversizedCV(t *testing.T, cvPath string, limit int64) {
	app := testkit.NewApp(t, testkit.Options{NoWorker: true, UploadMaxBytes: limit})
	p := app.OpenPosting(time.Now().Add(72 * time.Hour))
	ctx := testkit.Browser(t)
	day := time.Now().AddDate(0, 0, 10).Format("2006-01-02")
	typed := map[string]string{
		"#prenom": "Camille", "#nom": "Durand", "#email": "camille.durand@example.org", "#telephone": "06 12 34 56 78",
		"#localisation": "Lyon", "#tjm": "650", "#siret": "732 829 320 00074", "#liens": "https://github.com/camille",
		"#motivation": "Coach agile depuis huit ans auprès de collectivités, j'aimerais accompagner une équipe.",
	}
	actions := []chromedp.Action[chromedp.Void]{chromedp.Navigate(app.URL + "/offres/" + p.Slug), testkit.WaitVisible(`#prenom`)}
	for sel, v := range typed {
		actions = append(actions, chromedp.SendKeys(sel, v))
	}
	actions = append(actions,
		chromedp.SendKeys(`#jours_par_semaine`, "2,5 jours"),
		chromedp.Click(`#consentement`),
		chromedp.SetUploadFiles(`#cv`, []string{cvPath}),
	)
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
	// A date input takes its value as the browser's date picker sets it.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("document.querySelector('#disponible_le').value = '"+day+"'; true")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Submit(`#prenom`), testkit.WaitVisible(`#erreurs`)); err != nil {
		t.Fatal(err)
	}
	summary, err := chromedp.Run(ctx, chromedp.Text(`#erreurs`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(summary, "dépasse la taille maximale") || !strings.Contains(summary, "choisissez à nouveau votre CV") {
		t.Fatalf("error summary: %q", summary)
	}
	typed["#disponible_le"], typed["#jours_par_semaine"] = day, "2.5"
	for sel, want := range typed {
		got, err := chromedp.Run(ctx, chromedp.Value(sel))
		if err != nil || got != want {
			t.Errorf("%s after the error: %q (%v), want %q", sel, got, err, want)
		}
	}
	if checked, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#consentement').checked`)); err != nil || !checked {
		t.Errorf("consent after the error: %v, %v", checked, err)
	}
	if apps, _, _ := app.Counts(); apps != 0 {
		t.Fatalf("%d applications stored", apps)
	}
}
