package testkit

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// axeSource reads axe-core, installed from npm by `make assets`.
func axeSource(tb testing.TB) string {
	tb.Helper()
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("axe-core: go.mod not found above the test's folder")
		}
		dir = parent
	}
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		tb.Fatalf("axe-core is not installed (%v): run `make assets` (make test does)", err)
	}
	return string(b)
}

type axeResult struct {
	Violations []struct {
		ID    string `json:"id"`
		Help  string `json:"help"`
		Nodes []struct {
			Target []any `json:"target"`
		} `json:"nodes"`
	} `json:"violations"`
}

// CheckAccessibility runs axe-core on the page the browser shows and fails
// the test for every violation of the WCAG 2.1 A and AA rules (the basis
// of the RGAA), naming the page.
func CheckAccessibility(tb testing.TB, ctx context.Context, page string) {
	tb.Helper()
	// The page as people get it: the DSFR's script, when the page has it,
	// has set up the header's menu (it takes away the menu's label on wide
	// screens, where the menu is no dialog).
	if _, err := chromedp.Run(ctx, Poll[bool](`!document.querySelector('script[src*="dsfr.module"]') ||
		(document.documentElement.hasAttribute("data-fr-js") && !document.querySelector(".fr-header__menu:not([data-fr-js-header-modal])"))`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		tb.Fatalf("the DSFR's script did not start on %s: %v", page, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](axeSource(tb)+";true")); err != nil {
		tb.Fatalf("inject axe-core on %s: %v", page, err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {runOnly: {type: "tag",
		values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}).then(r => JSON.stringify({violations: r.violations}))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		tb.Fatalf("run axe-core on %s: %v", page, err)
	}
	var res axeResult
	if err := json.Unmarshal([]byte(raw), &res); err != nil {
		tb.Fatalf("axe-core result on %s: %v", page, err)
	}
	for _, v := range res.Violations {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, fmt.Sprint(n.Target...))
		}
		tb.Errorf("accessibility, %s: %s (%s) at %s", page, v.Help, v.ID, strings.Join(where, ", "))
	}
}
