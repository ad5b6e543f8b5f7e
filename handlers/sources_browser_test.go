package handlers_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"vivier/internal/testkit"
)

// A reviewer makes a tracked link in a browser, is told next to the field
// when the channel's name is missing, and copies the link with its button;
// each page passes axe-core.
func TestTrackedLinksInABrowser(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Time{})
	ctx := testkit.Browser(t)
	link := app.SignInLink(app.Client(), p.ContactEmail)
	// The clipboard, as a person's browser allows it to the page they use.
	allowClipboard := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for _, name := range []string{"clipboard-read", "clipboard-write"} {
			if _, err := cdp.Call(ctx, tg, browser.SetPermission, browser.SetPermissionParams{
				Permission: &browser.PermissionDescriptor{Name: name}, Setting: "granted", Origin: app.URL}); err != nil {
				return err
			}
		}
		return nil
	})
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		testkit.CheckAccessibility(t, ctx, name)
	}
	step("signed in", allowClipboard, chromedp.Navigate(app.URL+link), testkit.WaitVisible(`main button[type=submit]`),
		chromedp.Click(`main button[type=submit]`), testkit.WaitVisible(`main a[href^="/boite/offres/"]`),
		chromedp.Navigate(app.URL+"/boite/offres/"+strconv.FormatInt(p.ID, 10)), testkit.WaitVisible(`#canal`))
	step("a link without a channel", chromedp.Submit(`#canal`), testkit.WaitVisible(`#canal-erreur`))
	step("a link made", chromedp.SendKeys(`#canal`, "LinkedIn"), chromedp.Submit(`#canal`), testkit.WaitVisible(`button[data-copier]`))
	shown, err := chromedp.Run(ctx, chromedp.Text(`#lien-0`))
	if err != nil || !strings.HasPrefix(shown, app.Config.BaseURL+"/l/") {
		t.Fatalf("link shown %q, %v", shown, err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(`button[data-copier]`)); err != nil {
		t.Fatal(err)
	}
	said, err := chromedp.Run(ctx, testkit.Poll[string](`document.getElementById("lien-copie").textContent || false`,
		chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil || said != "Lien copié." {
		t.Fatalf("after the copy button, the page says %q (%v)", said, err)
	}
	copied, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if err != nil || copied != shown {
		t.Errorf("clipboard holds %q (%v), want %q", copied, err, shown)
	}
}
