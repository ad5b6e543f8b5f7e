package handlers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"vivier/internal/testkit"
)

// The queues dashboard loads and runs in a real browser under its CSP:
// its scripts run (the page lists our queues) and no script is blocked.
func TestQueuesDashboardRunsInABrowser(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{AdminEmails: "admin@anct.gouv.fr"})
	// asynqmon links Google Fonts, which our CSP refuses on purpose, and a
	// web app manifest, which the browser fetches without the session
	// cookie and so gets the sign-in page.
	ctx := testkit.Browser(t, testkit.AllowConsoleError("fonts.googleapis.com"), testkit.AllowConsoleError("Manifest: "))
	link := app.SignInLink(app.Client(), "admin@anct.gouv.fr")

	// Every CSP violation of every page, recorded before the page's own scripts run.
	recordViolations := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: `window.__csp = []; document.addEventListener("securitypolicyviolation",
				e => window.__csp.push(e.effectiveDirective + " " + e.blockedURI));`})
		return err
	})
	err := chromedp.Do(ctx, recordViolations,
		chromedp.Navigate(app.URL+link), testkit.WaitVisible(`button[type=submit]`),
		chromedp.Click(`main button[type=submit]`), testkit.WaitVisible(`main a[href^="/boite"]`),
		chromedp.Navigate(app.URL+"/admin/queues"),
	)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	var text string
	for {
		text, err = chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("root").innerText`))
		if err == nil && strings.Contains(text, "critical") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the dashboard did not list the critical queue (%v): %q", err, text)
		}
		time.Sleep(200 * time.Millisecond)
	}
	violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__csp`))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range violations {
		// asynqmon links Google Fonts: blocked on purpose (no third party), it falls back to local fonts.
		if strings.Contains(v, "fonts.googleapis.com") {
			continue
		}
		t.Errorf("CSP violation on the dashboard: %s", v)
	}
}
