package testkit

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// Browser starts a headless Chromium for this test and returns a context
// to drive it with chromedp. When the test fails, the page's screenshot is
// saved under the test's name in testdata/screenshots (kept out of git).
func Browser(tb testing.TB) context.Context {
	tb.Helper()
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
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	if err := chromedp.Do(ctx); err != nil {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
		tb.Fatalf("start Chromium (%s): %v", path, err)
	}
	tb.Cleanup(func() {
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
