package main

import (
	"bytes"
	"context"
	"fmt"
	mrand "math/rand/v2"
	"runtime"
	"sync"
	"time"
)

// Scenario 1, open loop: applications offered at a fixed rate, half the
// capacity the closed loop measured, as applicants come on a normal day:
// each one at its time, whatever the answers to those before it.

// openLoopTarget is the latency an applicant should feel on a normal day.
const openLoopTarget = 100 * time.Millisecond

func (b *bench) openLoop(ctx context.Context, target string, cv []byte, perSecond float64) error {
	const scenario = "1. Applications received"
	if perSecond <= 0 {
		return fmt.Errorf("open loop: no rate measured to offer half of")
	}
	// The closed loop's emails go out first: the open loop starts on a
	// quiet machine.
	if err := b.waitOutboxEmpty(ctx, 3*time.Minute); err != nil {
		return err
	}
	n := max(50, int(perSecond*b.opts.OpenLoop.Seconds()))
	step(fmt.Sprintf("scenario 1: open loop, %d submissions offered at %.0f /s", n, perSecond))
	cpuBefore := b.cpu()
	lat, errs, elapsed := sendOpenLoop(ctx, target, cv, perSecond, n, "o", 3)
	cpuAfter := b.cpu()
	if err := ctx.Err(); err != nil {
		return err
	}
	busy := 100 * cpuAfter.machine(cpuBefore) / (cpuAfter.at.Sub(cpuBefore.at).Seconds() * float64(runtime.NumCPU()))
	p99 := lat.Percentile(99)
	r := b.report
	r.add(scenario, "open loop at ½ the closed loop's rate: offered / answered", fmt.Sprintf("%.0f /s / %.0f /s", perSecond, rate(n, elapsed)), "", "", nil)
	r.add(scenario, "latency p50, open loop", ms(lat.Percentile(50)), "", "", nil)
	r.add(scenario, "latency p95, open loop", ms(lat.Percentile(95)), "", "", nil)
	r.add(scenario, "latency p99, open loop", ms(p99), "", "< 100 ms", check(p99 < openLoopTarget))
	r.add(scenario, "errors, open loop", fmt.Sprintf("%d of %d", errs.Count(), n), "", "0", check(errs.Count() == 0))
	for _, m := range errs.msgs {
		r.note("open loop error: %s", m)
	}
	r.note("CPU during the open loop: %s; the machine was %.0f %% busy.", cpuAfter.since(cpuBefore), busy)
	if p99 >= openLoopTarget {
		r.Findings = append(r.Findings, fmt.Sprintf("**Scenario 1, open-loop p99 under 100 ms (%s here).** Offered %.0f submissions per second, half of what the closed loop reached, the product answered half of them within %s and 95 %% within %s; the machine was %.0f %% busy meanwhile (%s), the server sharing its %d cores with the worker sending the emails of the submissions before, PostgreSQL, Redis and the load itself.",
			ms(p99), perSecond, ms(lat.Percentile(50)), ms(lat.Percentile(95)), busy, cpuAfter.since(cpuBefore), runtime.NumCPU()))
	}
	r.Setup = append(r.Setup, fmt.Sprintf("Scenario 1, open loop: once the outbox is empty, %d more submissions offered at a fixed rate of half the closed loop's (%.0f /s, for %s), each sent at its time in a goroutine of its own whatever the answers to those before it, so that a slow answer neither delays nor hides the next ones; latency is from the time a submission was due to the end of its answer.",
		n, perSecond, b.opts.OpenLoop))
	return nil
}

// sendOpenLoop sends total applications to target at perSecond, the i-th
// due at start + i/perSecond, and returns their latencies counted from
// when each was due, the errors, and the time until the last answer.
func sendOpenLoop(ctx context.Context, target string, cv []byte, perSecond float64, total int, prefix string, seed uint64) (*latencies, *firstErrors, time.Duration) {
	client := newClient(512, nil)
	r := mrand.New(mrand.NewPCG(seed, 4))
	var lat latencies
	var errs firstErrors
	var wg sync.WaitGroup
	interval := time.Duration(float64(time.Second) / perSecond)
	start := time.Now()
	for i := range total {
		// The body is built before its time comes, not counted in its latency.
		var body bytes.Buffer
		ct := applicationForm(&body, r, newPerson(r, prefix, i+1), cv)
		due := start.Add(time.Duration(i) * interval)
		select {
		case <-ctx.Done():
			wg.Wait()
			return &lat, &errs, time.Since(start)
		case <-time.After(time.Until(due)):
		}
		wg.Go(func() {
			err := submit(ctx, client, target, body.Bytes(), ct)
			lat.Add(time.Since(due))
			if err != nil {
				errs.Add(err.Error())
			}
		})
	}
	wg.Wait()
	return &lat, &errs, time.Since(start)
}
