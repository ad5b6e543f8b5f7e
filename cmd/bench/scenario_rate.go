package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Scenario 5: a close at a set rate. Two `vivier worker` processes with
// SMTP_RATE set send the status updates of a close; the SMTP server
// counts them per second: the busiest second holds the rate, and the
// close takes as long as the rate says.

const rateScenario = "5. A close at a set SMTP_RATE"

func (b *bench) scenarioRate(ctx context.Context) error {
	n, smtpRate := b.opts.RateClose, b.opts.SMTPRate
	fmt.Printf("\n== %s: %d applicants, SMTP_RATE=%g, two workers ==\n", rateScenario, n, smtpRate)
	if err := b.waitOutboxEmpty(ctx, 3*time.Minute); err != nil {
		return err
	}
	// Two workers with the rate, in place of the one running.
	b.worker.Stop()
	b.worker = nil
	b.workerConcurrency = 0
	var workers []*proc
	defer func() {
		for _, w := range workers {
			w.Stop()
		}
	}()
	for i := range 2 {
		w, err := startProc(b.bin, "worker-rate-"+strconv.Itoa(i), b.env(map[string]string{
			"SMTP_RATE": strconv.FormatFloat(smtpRate, 'f', -1, 64), "METRICS_PORT": "0"}), b.logDir, "worker")
		if err != nil {
			return err
		}
		workers = append(workers, w)
		deadline := time.Now().Add(15 * time.Second)
		for !strings.Contains(w.LogTail(50), "worker started") {
			if exited, err := w.Exited(); exited {
				return fmt.Errorf("vivier worker stopped: %v\n%s", err, w.LogTail(20))
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("vivier worker did not start within 15 s\n%s", w.LogTail(20))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	step(fmt.Sprintf("scenario 5: loading %d applicants", n))
	postingID, pageURL, form, err := b.loadForClose(ctx, "coach-investigation-cloture-debit", n, 500)
	if err != nil {
		return err
	}
	mark := b.smtp.Mark()
	step("scenario 5: closing")
	t0 := time.Now()
	if err := b.postClose(ctx, pageURL, form); err != nil {
		return err
	}
	ids, err := b.closeEmailIDs(ctx, postingID)
	if err != nil {
		return err
	}
	timeout := 2*time.Minute + time.Duration(float64(len(ids))/smtpRate*float64(time.Second))
	missing := b.smtp.WaitIDs(mark, ids, timeout)
	arrivals := b.smtp.Arrivals(mark)
	var times []time.Time
	duplicates := 0
	for _, id := range ids {
		if a, ok := arrivals[id]; ok {
			times = append(times, a.first)
			duplicates += a.count - 1
		}
	}
	slices.SortFunc(times, time.Time.Compare)
	busiest := func(w time.Duration) int {
		most := 0
		for i, j := 0, 0; i < len(times); i++ {
			for j < len(times) && times[j].Sub(times[i]) < w {
				j++
			}
			most = max(most, j-i)
		}
		return most
	}
	var mean float64
	if len(times) > 1 {
		mean = float64(len(times)-1) / times[len(times)-1].Sub(times[0]).Seconds()
	}
	b.report.Setup = append(b.report.Setup, fmt.Sprintf("Scenario 5: a posting of %d applicants loaded as in scenario 3 and closed over HTTP, with two `vivier worker` processes (each `WORKER_CONCURRENCY` %d) started with `SMTP_RATE=%g`; the SMTP server records when each update arrives: the busiest second and the busiest five seconds (any window starting at an arrival) and the mean rate from the first arrival to the last.",
		n, b.cfg.WorkerConcurrency, smtpRate))
	rp := b.report
	// The workers keep to their turns; what reaches the server a turn
	// late (a process not scheduled at once on a busy machine) arrives
	// with the next ones: the busiest second shows it, five seconds
	// average it out.
	rp.add(rateScenario, "busiest second at the SMTP server", strconv.Itoa(busiest(time.Second))+" emails", "", "", nil)
	rp.add(rateScenario, "busiest 5 seconds at the SMTP server", strconv.Itoa(busiest(5*time.Second))+" emails", "",
		fmt.Sprintf("≤ %g (+1)", 5*smtpRate), check(float64(busiest(5*time.Second)) <= 5*smtpRate+1))
	rp.add(rateScenario, "mean rate, first to last arrival", fmt.Sprintf("%.1f /s", mean), "", fmt.Sprintf("%g /s held (≥ 90 %%)", smtpRate),
		check(mean <= smtpRate*1.01 && mean >= smtpRate*0.9))
	rp.add(rateScenario, "until the last update is accepted", secs(times[len(times)-1].Sub(t0)), "", "", nil)
	rp.add(rateScenario, "missing / duplicates at the SMTP server", fmt.Sprintf("%d / %d", missing, duplicates), "", "0 / 0",
		check(missing == 0 && duplicates == 0))
	// Back to one worker, as the other scenarios run.
	for _, w := range workers {
		w.Stop()
	}
	workers = nil
	return b.startWorker(ctx, b.cfg.WorkerConcurrency)
}
