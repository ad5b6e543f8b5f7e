package testkit

import (
	"time"

	"github.com/chromedp/chromedp"
)

// pollEvery is how often a browser test looks again for what it waits
// for. chromedp looks every 5 ms, or on every animation frame for a
// poll: with eight browser tests at once on two cores, those lookups
// took CPU from the very pages being waited for (measured alone on two
// cores: the handlers package in 139 to 143 s instead of 145 to 151 s).
const pollEvery = 50 * time.Millisecond

// WaitVisible is chromedp.WaitVisible looking every pollEvery.
func WaitVisible(sel string, opts ...chromedp.QueryOption) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(sel, append(opts, chromedp.RetryInterval(pollEvery))...)
}

// WaitNotVisible is chromedp.WaitNotVisible looking every pollEvery.
func WaitNotVisible(sel string, opts ...chromedp.QueryOption) chromedp.Action[chromedp.Void] {
	return chromedp.WaitNotVisible(sel, append(opts, chromedp.RetryInterval(pollEvery))...)
}

// Poll is chromedp.Poll evaluating its expression every pollEvery rather
// than on every animation frame.
func Poll[T any](expression string, opts ...chromedp.PollOption) chromedp.Action[T] {
	return chromedp.Poll[T](expression, append([]chromedp.PollOption{chromedp.WithPollingInterval(pollEvery)}, opts...)...)
}
