// Package sendrate paces the emails every worker hands to the mail relay,
// through one schedule kept in Redis: SMTP_RATE messages a second at most,
// whatever the number of workers, and slower for a while when the relay
// says it receives too many.
//
// The schedule is a generic cell rate algorithm (GCRA) by reservation:
// each message takes the next free instant of the schedule, one interval
// after the one before, and its sender waits until then. The instants are
// read on Redis' own clock (TIME), which every worker shares.
package sendrate

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Limiter paces sends. Its zero Rate paces nothing until the relay says
// it receives too many, then pauses every worker for a while.
type Limiter struct {
	Redis redis.UniversalClient
	// Key is the Redis hash holding the schedule.
	Key string
	// Rate is the messages a second at most; 0 for no limit.
	Rate float64
	// SlowFor is how long a slowdown lasts after the relay's last
	// complaint (with a Rate); without one, the pause lasts a second,
	// doubled at each complaint a second or more after the last.
	SlowFor time.Duration
	// MaxFactor bounds the slowdown: the rate is divided by 2, 4, 8... at
	// most by MaxFactor (and a pause lasts MaxFactor seconds at most).
	MaxFactor int
}

// reserve takes the next instant of the schedule and returns how long to
// wait for it, in microseconds. State: tat (the next free instant), slow
// (the factor the interval is multiplied by) and until (when the
// slowdown ends), all in microseconds of Redis' clock.
var reserve = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local s = redis.call('HMGET', KEYS[1], 'tat', 'slow', 'until')
local tat = tonumber(s[1]) or 0
local slow = tonumber(s[2]) or 1
local untl = tonumber(s[3]) or 0
if now >= untl then slow = 1 end
local interval = tonumber(ARGV[1]) * slow
local slot = math.max(tat, now)
if interval == 0 and now < untl then slot = math.max(slot, untl) end
redis.call('HSET', KEYS[1], 'tat', slot + interval)
redis.call('PEXPIRE', KEYS[1], 3600000)
return slot - now
`)

// slowDown doubles the factor (at most once a second, since the messages
// under way when the relay complained all hear the same complaint), up to
// ARGV[3], and makes the slowdown last ARGV[1] microseconds from now, or,
// with no rate (ARGV[2] = 0), the factor in seconds. It returns the
// factor.
var slowDown = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local s = redis.call('HMGET', KEYS[1], 'slow', 'until', 'raised')
local slow = tonumber(s[1]) or 1
local untl = tonumber(s[2]) or 0
local raised = tonumber(s[3]) or 0
if now >= untl then slow = 1; raised = 0 end
if now - raised >= 1000000 then
  slow = math.min(slow * 2, tonumber(ARGV[3]))
  raised = now
end
local last = tonumber(ARGV[1])
if tonumber(ARGV[2]) == 0 then last = slow * 1000000 end
redis.call('HSET', KEYS[1], 'slow', slow, 'until', now + last, 'raised', raised)
redis.call('PEXPIRE', KEYS[1], 3600000)
return slow
`)

// interval is the time between two messages at Rate, in microseconds.
func (l *Limiter) interval() int64 {
	if l.Rate <= 0 {
		return 0
	}
	return int64(1e6 / l.Rate)
}

// Wait takes the next instant the schedule allows and waits for it. It
// returns an error when Redis does not answer or ctx ends first; the
// message must then not be sent now.
//
// A sender woken more than one interval after its instant (a busy
// machine) takes a new one, twice at most: the instants after its own
// may have been used meanwhile, and sending at once would bunch with
// them. A turn missed so only lowers the rate.
func (l *Limiter) Wait(ctx context.Context) error {
	interval := time.Duration(l.interval()) * time.Microsecond
	for retake := 0; ; retake++ {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		us, err := reserve.Run(rctx, l.Redis, []string{l.Key}, l.interval()).Int64()
		cancel()
		if err != nil {
			return fmt.Errorf("SMTP rate schedule: %w", err)
		}
		if us <= 0 {
			return nil
		}
		due := time.Now().Add(time.Duration(us) * time.Microsecond)
		t := time.NewTimer(time.Until(due))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		if interval <= 0 || retake >= 2 || time.Since(due) <= interval {
			return nil
		}
	}
}

// SlowDown tells every worker that the relay receives too many: the rate
// is halved (again, if it was already) for SlowFor. It returns the factor
// the rate is now divided by.
func (l *Limiter) SlowDown(ctx context.Context) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	maxFactor := max(l.MaxFactor, 2)
	f, err := slowDown.Run(ctx, l.Redis, []string{l.Key}, l.SlowFor.Microseconds(), l.interval(), maxFactor).Int()
	if err != nil {
		return 0, fmt.Errorf("SMTP rate slowdown: %w", err)
	}
	return f, nil
}
