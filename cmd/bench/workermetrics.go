package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// slotTimes is what one email cost a worker slot, read from the worker's
// own metrics: the SMTP exchange, then the record of the relay's answer
// in PostgreSQL, which the slot waits for before its next email.
type slotTimes struct {
	SendSum, RecordSum     float64 // seconds
	SendCount, RecordCount float64
}

// minus is the mean of each step per email between two readings.
func (t slotTimes) minus(before slotTimes) (send, record time.Duration) {
	mean := func(sum, count float64) time.Duration {
		if count <= 0 {
			return 0
		}
		return time.Duration(sum / count * float64(time.Second))
	}
	return mean(t.SendSum-before.SendSum, t.SendCount-before.SendCount),
		mean(t.RecordSum-before.RecordSum, t.RecordCount-before.RecordCount)
}

// msOrDash is a slot time, or a dash when the worker reported none.
func msOrDash(d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	return ms(d)
}

// workerSlotTimes scrapes the running worker's /metrics.
func (b *bench) workerSlotTimes(ctx context.Context) (slotTimes, error) {
	var t slotTimes
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.workerMetrics, nil)
	if err != nil {
		return t, err
	}
	req.Header.Set("Authorization", "Bearer "+b.metricsToken)
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return t, fmt.Errorf("worker metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return t, fmt.Errorf("worker metrics: status %d", resp.StatusCode)
	}
	values := map[string]*float64{
		`vivier_email_send_duration_seconds_sum{outcome="sent"}`:   &t.SendSum,
		`vivier_email_send_duration_seconds_count{outcome="sent"}`: &t.SendCount,
		`vivier_email_record_duration_seconds_sum`:                 &t.RecordSum,
		`vivier_email_record_duration_seconds_count`:               &t.RecordCount,
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if dst := values[name]; ok && dst != nil {
			*dst, _ = strconv.ParseFloat(value, 64)
		}
	}
	return t, sc.Err()
}
