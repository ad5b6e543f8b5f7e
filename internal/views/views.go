// Package views counts the views of postings' pages, and the application
// forms started and sent, without cookies or personal data: each is one
// increment of a per-day counter in Redis (a hash per day, a field per
// posting and kind), and a periodic flush adds the counters to
// PostgreSQL in one statement. Nothing about the visitor is
// kept, not even in Redis: no address, no user agent, no time finer than
// the day.
package views

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"vivier/internal/frfmt"
)

// Counter counts views in Redis.
type Counter struct {
	Redis  redis.UniversalClient
	Prefix string // e.g. "vivier:views"
}

// countTimeout bounds the wait for Redis: a view not counted is better
// than a page served late.
const countTimeout = 250 * time.Millisecond

// keep is how long a day's counters wait in Redis for a flush before
// Redis drops them (the scheduler flushes every minute).
const keep = 35 * 24 * time.Hour

// dayKey is the Redis hash of a day's counters.
func (c *Counter) dayKey(day string) string { return c.Prefix + ":day:" + day }

// Day is the day a view at t is counted on: Paris's.
func Day(t time.Time) string { return t.In(frfmt.Paris).Format(time.DateOnly) }

// Kind is what is counted.
type Kind string

// The kinds counted.
const (
	View        Kind = "v" // the posting's page shown
	FormStarted Kind = "d" // its form's first field typed in (its page's script says so)
	FormSent    Kind = "e" // its form sent, whatever the answer
)

// Kinds lists the kinds, in the order PostgreSQL's columns hold them.
func Kinds() []Kind { return []Kind{View, FormStarted, FormSent} }

// Count counts one event of a kind for a posting at now: one round trip
// to Redis.
func (c *Counter) Count(ctx context.Context, postingID int64, kind Kind, now time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, countTimeout)
	defer cancel()
	key := c.dayKey(Day(now))
	pipe := c.Redis.Pipeline()
	pipe.HIncrBy(ctx, key, strconv.FormatInt(postingID, 10)+":"+string(kind), 1)
	pipe.Expire(ctx, key, keep)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("count %s of posting %d: %w", kind, postingID, err)
	}
	return nil
}

// botMarks are parts of the user agents of robots, crawlers, link
// previews, monitors and scripts, lower-cased.
var botMarks = []string{"bot", "crawl", "spider", "slurp", "scrap", "fetch", "preview", "monitor", "uptime", "pingdom",
	"check", "scan", "validator", "archiv", "curl", "wget", "python", "go-http-client", "java/", "httpclient", "okhttp",
	"axios", "node", "ruby", "perl", "php", "libwww", "headless", "phantomjs", "selenium", "playwright", "puppeteer",
	"lighthouse", "facebookexternalhit", "embedly", "whatsapp", "telegram", "discord", "skype", "bingpreview"}

// IsBot reports whether a user agent is a robot's (or missing).
func IsBot(userAgent string) bool {
	ua := strings.ToLower(userAgent)
	if !strings.HasPrefix(ua, "mozilla/") && !strings.HasPrefix(ua, "opera/") {
		return true // every browser people use says Mozilla/ first
	}
	for _, m := range botMarks {
		if strings.Contains(ua, m) {
			return true
		}
	}
	return false
}

// Key is what a counter counts: a kind, for a posting.
type Key struct {
	PostingID int64
	Kind      Kind
}

// Batch is a day's counters taken from Redis for a flush.
type Batch struct {
	// ID names the batch: PostgreSQL records it with the counts it added,
	// so a batch flushed twice (the flush stopped before it could delete
	// it from Redis) is added once.
	ID     string
	Day    string
	Counts map[Key]int64
}

// flushKey is where a day's counters wait while they are being flushed.
func (c *Counter) flushKey(day, id string) string { return c.Prefix + ":flush:" + day + ":" + id }

// Take moves every day's counters out of the way of new views (a rename,
// which is atomic) and returns them with any batch a previous flush left,
// for Done once they are in PostgreSQL.
func (c *Counter) Take(ctx context.Context) ([]Batch, error) {
	days, err := c.keys(ctx, c.Prefix+":day:*")
	if err != nil {
		return nil, err
	}
	for _, k := range days {
		day := strings.TrimPrefix(k, c.Prefix+":day:")
		b := make([]byte, 8)
		rand.Read(b)
		// A key renamed meanwhile by another flush is no error: it is gone.
		if err := c.Redis.Rename(ctx, k, c.flushKey(day, hex.EncodeToString(b))).Err(); err != nil && !strings.Contains(err.Error(), "no such key") {
			return nil, fmt.Errorf("take the views of %s: %w", day, err)
		}
	}
	pending, err := c.keys(ctx, c.Prefix+":flush:*")
	if err != nil {
		return nil, err
	}
	var out []Batch
	for _, k := range pending {
		day, id, ok := strings.Cut(strings.TrimPrefix(k, c.Prefix+":flush:"), ":")
		if !ok {
			continue
		}
		fields, err := c.Redis.HGetAll(ctx, k).Result()
		if err != nil {
			return nil, fmt.Errorf("read the views of %s: %w", day, err)
		}
		batch := Batch{ID: id, Day: day, Counts: map[Key]int64{}}
		for f, v := range fields {
			posting, kind, _ := strings.Cut(f, ":")
			pid, err1 := strconv.ParseInt(posting, 10, 64)
			n, err2 := strconv.ParseInt(v, 10, 64)
			if err1 == nil && err2 == nil && pid > 0 && n > 0 && slices.Contains(Kinds(), Kind(kind)) {
				batch.Counts[Key{pid, Kind(kind)}] = n
			}
		}
		out = append(out, batch)
	}
	return out, nil
}

// Done forgets a batch that PostgreSQL holds.
func (c *Counter) Done(ctx context.Context, b Batch) error {
	if err := c.Redis.Del(ctx, c.flushKey(b.Day, b.ID)).Err(); err != nil {
		return fmt.Errorf("forget the views of %s: %w", b.Day, err)
	}
	return nil
}

func (c *Counter) keys(ctx context.Context, pattern string) ([]string, error) {
	var out []string
	iter := c.Redis.Scan(ctx, 0, pattern, 100).Iterator()
	for iter.Next(ctx) {
		out = append(out, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return nil, fmt.Errorf("list %s: %w", pattern, err)
	}
	return out, nil
}
