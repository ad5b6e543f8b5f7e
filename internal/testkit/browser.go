package testkit

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath finds Debian's Chromium (installed by make test) or CHROMIUM.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// BrowserOption changes what Browser checks.
type BrowserOption func(*browserOptions)

type browserOptions struct{ allowed []string }

// AllowConsoleError lets console errors that contain text pass, for a
// page that errs on purpose (a third party's page under our CSP).
func AllowConsoleError(text string) BrowserOption {
	return func(o *browserOptions) { o.allowed = append(o.allowed, text) }
}

// Browser starts a headless Chromium for this test and returns a context
// to drive it with chromedp. The test fails if any page writes an error to
// the console or throws an exception nothing catches (the 4xx or 5xx
// status of a page the tab opened is left to the test: it is the server's
// answer, not the page's error). When the test fails, the page's
// screenshot is saved under the test's name in testdata/screenshots (kept
// out of git).
func Browser(tb testing.TB, options ...BrowserOption) context.Context {
	tb.Helper()
	var o browserOptions
	for _, opt := range options {
		opt(&o)
	}
	path := chromiumPath()
	if path == "" {
		tb.Fatalf("Chromium is not installed: `make chromium` (make test does it) or `apt-get install chromium`, or set CHROMIUM to its path")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("lang", "fr-FR"),
		chromedp.UserDataDir(tb.TempDir()), chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	// A whole browser test, not one step: long scenarios on a busy 2-core
	// machine (eight tests at once) need minutes, and the suite's own
	// -timeout stays the bound.
	ctx, cancelTimeout := context.WithTimeout(ctx, 5*time.Minute)
	if err := chromedp.Do(ctx); err != nil {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
		tb.Fatalf("start Chromium (%s): %v", path, err)
	}
	console, err := watchConsole(ctx, o.allowed)
	if err != nil {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
		tb.Fatalf("listen to Chromium's console: %v", err)
	}
	tb.Cleanup(func() {
		for _, m := range console.check(ctx) {
			tb.Errorf("the browser's console: %s", m)
		}
		if tb.Failed() {
			shotCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
			if png, err := chromedp.Run(shotCtx, chromedp.FullScreenshot(80)); err == nil {
				dir := filepath.Join("testdata", "screenshots")
				os.MkdirAll(dir, 0o755)
				name := filepath.Join(dir, strings.ReplaceAll(tb.Name(), "/", "_")+".jpg")
				if os.WriteFile(name, png, 0o644) == nil {
					tb.Logf("screenshot of the page at failure: %s", name)
				}
			}
			cancel()
		}
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	return ctx
}

// consoleWatch keeps the errors and uncaught exceptions the pages of one
// tab report, from the tab's start to the end of the test.
type consoleWatch struct {
	mu       sync.Mutex
	allowed  []string
	problems []consoleProblem
	// documents are the addresses the tab's frames navigated to: their
	// HTTP status is the server's answer (a 422 for a form with errors),
	// which the tests check themselves.
	documents map[string]bool
}

type consoleProblem struct {
	text, url string
	status    bool // "the server responded with a status of ..."
}

// watchConsole listens to the tab of ctx. Listen calls back on the tab's
// reading loop, before the reply of any later command: a command that
// returns has let every earlier message through.
func watchConsole(ctx context.Context, allowed []string) (*consoleWatch, error) {
	w := &consoleWatch{allowed: allowed, documents: map[string]bool{}}
	err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			text := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				first, _, _ := strings.Cut(d.Exception.Description, "\n")
				text += " " + first
			}
			w.add(consoleProblem{text: text, url: d.URL})
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range e.Args {
					var s string
					if a.Type == runtime.RemoteObjectTypeString && json.Unmarshal([]byte(a.Value), &s) == nil {
						parts = append(parts, s)
					} else if a.Description != "" {
						parts = append(parts, a.Description)
					} else {
						parts = append(parts, string(a.Value))
					}
				}
				w.add(consoleProblem{text: "console." + string(e.Type) + ": " + strings.Join(parts, " ")})
			}
		case *cdplog.EventEntryAdded:
			if en := e.Entry; en.Level == cdplog.EntryLevelError {
				w.add(consoleProblem{text: en.Text, url: en.URL,
					status: en.Source == cdplog.EntrySourceNetwork && strings.Contains(en.Text, "the server responded with a status of")})
			}
		case *page.EventFrameNavigated:
			w.mu.Lock()
			w.documents[withoutFragment(e.Frame.URL)] = true
			w.mu.Unlock()
		}
	})
	return w, err
}

func (w *consoleWatch) add(p consoleProblem) {
	for _, a := range w.allowed {
		if strings.Contains(p.text, a) {
			return
		}
	}
	w.mu.Lock()
	w.problems = append(w.problems, p)
	w.mu.Unlock()
}

func withoutFragment(u string) string {
	u, _, _ = strings.Cut(u, "#")
	return u
}

// check makes one round trip to the tab, so that every message it wrote
// before has been seen, and returns the problems.
func (w *consoleWatch) check(ctx context.Context) []string {
	checkCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := chromedp.Run(checkCtx, chromedp.Evaluate[bool]("true"))
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, p := range w.problems {
		if p.status && w.documents[withoutFragment(p.url)] {
			continue
		}
		line := p.text
		if p.url != "" {
			line += " (" + p.url + ")"
		}
		out = append(out, line)
	}
	if err != nil && ctx.Err() == nil {
		out = append(out, "could not reach the tab to read its console to the end: "+err.Error())
	}
	return out
}
