package handlers_test

import (
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

// The README shows the product: this test walks the pages a person sees
// and takes their pictures, checking each shows what it should. `make
// screenshots` keeps them in templates/static/screenshots (VIVIER_SCREENSHOTS_DIR);
// otherwise they go to a temporary folder.
func TestREADMEScreenshots(t *testing.T) {
	t.Parallel()
	dir := os.Getenv("VIVIER_SCREENSHOTS_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Now().Add(30 * 24 * time.Hour))
	for i, name := range [][2]string{{"Camille", "Durand"}, {"Hélène", "Lefèvre"}, {"Noël", "Martin"}, {"Zoé", "Bernard"}} {
		f := validForm()
		f.Set("prenom", name[0])
		f.Set("nom", name[1])
		f.Set("email", "p"+strconv.Itoa(i)+"@example.org")
		testkit.PostMultipart(t, app.Client(), app.URL+"/offres/"+p.Slug+"/candidature", f, cv())
	}
	ctx := testkit.Browser(t)
	shot := func(file, want string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		text, err := chromedp.Run(ctx, chromedp.Text(`body`))
		if err != nil || !strings.Contains(text, want) {
			t.Fatalf("%s does not show %q", file, want)
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, file), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	shot("posting.png", "Coach pour le Programme national", chromedp.Navigate(app.URL+"/offres/"+p.Slug))
	shot("form.png", "erreurs empêchent l'envoi", chromedp.Submit(`#prenom`), testkit.WaitVisible(`#erreurs`))
	link := app.SignInLink(app.Client(), p.ContactEmail)
	if err := chromedp.Do(ctx, chromedp.Navigate(app.URL+link), chromedp.Click(`main button[type=submit]`), testkit.WaitVisible(`main table`)); err != nil {
		t.Fatal(err)
	}
	shot("inbox.png", "4 candidatures", chromedp.Navigate(app.URL+"/boite/offres/"+strconv.FormatInt(p.ID, 10)), testkit.WaitVisible(`tbody`))
	var html string
	app.DB.Get(&html, `SELECT html_body FROM emails WHERE kind = 'acknowledgement' ORDER BY id LIMIT 1`)
	shot("email.png", "Nous avons bien reçu votre candidature", chromedp.Navigate("data:text/html;charset=utf-8,"+url.PathEscape(html)))
}
