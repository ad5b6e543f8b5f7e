// Package ratelimit counts requests per key in fixed windows kept in
// Redis, so that every web process shares the same counts.
package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Limiter counts events per key in Redis; Allow says whether an event is
// within the limit of its window.
type Limiter struct {
	Redis  redis.UniversalClient
	Prefix string
}

// Allow counts one event for key and reports whether it is within limit
// per window. When Redis does not answer it allows the event (and says
// so in err): a Redis outage must not lock people out.
func (l *Limiter) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error) {
	bucket := time.Now().UnixNano() / int64(window)
	k := fmt.Sprintf("%s:%s:%d", l.Prefix, key, bucket)
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	pipe := l.Redis.TxPipeline()
	incr := pipe.Incr(ctx, k)
	pipe.Expire(ctx, k, window+time.Second)
	if _, err := pipe.Exec(ctx); err != nil {
		return true, fmt.Errorf("rate limit %s: %w", key, err)
	}
	return incr.Val() <= int64(limit), nil
}
