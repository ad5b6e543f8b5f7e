package testkit

import (
	"sync"
	"time"
)

// Clock is the one clock of a test's App: its web app, repository, worker
// and scheduler's jobs all read it. It runs with real time, shifted by what
// the test sets, so that timeouts, delays and retries still pass while a
// test moves the date instead of waiting for it.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// Set moves the clock to t, from where it runs on.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = time.Until(t)
}
