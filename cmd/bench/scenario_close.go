package main

import (
	"context"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gomail "github.com/wneessen/go-mail"

	"vivier/internal/catalog"
	"vivier/internal/config"
	"vivier/repository"
	"vivier/workers"
	"vivier/workers/tasks"
)

// Scenario 3: the close of a large posting. Close through the HTTP
// endpoint, then wait until the SMTP server has accepted the status
// update of every applicant. Baseline: go-mail sending the same rendered
// messages straight to that server over as many connections.

// closeMix puts every applicant in a group that gets an update (the
// accepted ones too: the close writes to them).
var closeMix = statusMix{
	{catalog.StatusReceived, 35}, {catalog.StatusInReview, 25}, {catalog.StatusShortlisted, 8},
	{catalog.StatusInterview, 4}, {catalog.StatusAccepted, 3}, {catalog.StatusRejected, 25},
}

// closeRun is what one close measured.
type closeRun struct {
	Label       string
	Concurrency int
	PostingID   int64
	Request     time.Duration // the POST, until its answer
	LastArrival time.Duration // from the POST to the last update accepted
	IDs         []int64       // the status updates the close wrote
	Profile     string        // when the first, 10th, 50th and 90th percentile updates arrived
	Missing     int
	Duplicates  int
	WAL         string // PostgreSQL's WAL per update written during the run
	CPU         string // CPU used by each process during the run
	// Send and Record are a slot's mean time per email, from the worker's
	// metrics: the SMTP exchange, then the record of it as sent.
	Send, Record time.Duration
	// MachineCPU is the CPU time the whole machine used, in seconds.
	MachineCPU float64
	// SendingCPU is the machine's CPU time from the close's answer to the
	// last update's arrival, over SendingWall: no email could leave before.
	SendingCPU  float64
	SendingWall time.Duration
}

func (c closeRun) Rate() float64 { return rate(len(c.IDs)-c.Missing, c.LastArrival) }

func (b *bench) scenarioClose(ctx context.Context) error {
	const scenario = "3. The close of a large posting"
	n := b.opts.Closing
	fmt.Printf("\n== %s: %d applicants ==\n", scenario, n)
	if err := b.waitOutboxEmpty(ctx, 3*time.Minute); err != nil {
		return err
	}
	if err := b.closePlans(ctx, n); err != nil {
		return err
	}
	var runs []closeRun
	for i, c := range b.opts.Concurrency {
		run, err := b.closeWith(ctx, fmt.Sprintf("concurrency %d", c), i, c, n)
		if err != nil {
			return err
		}
		runs = append(runs, run)
	}
	// The first setting (the product's default, unless -concurrency says
	// otherwise) makes the table.
	final := runs[0]
	setting := fmt.Sprintf("`WORKER_CONCURRENCY` %d", final.Concurrency)
	if final.Concurrency == config.DefaultWorkerConcurrency {
		setting += ", the default"
	}

	step("scenario 3: baselines, go-mail straight to the SMTP server")
	ids := final.IDs
	emails := make([]*repository.Email, 0, len(ids))
	for _, id := range ids {
		e, err := b.product.Repo.EmailByID(ctx, id)
		if err != nil {
			return err
		}
		emails = append(emails, e)
	}
	pooledRun, err := b.sendBaseline(ctx, "baseline-pooled", emails, final.Concurrency, true)
	if err != nil {
		return err
	}
	pooled, pooledExchange := pooledRun.Last, pooledRun.Exchange
	perMessage, err := b.sendBaseline(ctx, "baseline-per-message", emails, final.Concurrency, false)
	if err != nil {
		return err
	}
	baseRate := rate(len(ids), pooled)

	rp := b.report
	rp.add(scenario, "close request", secs(final.Request), "", "< 2 s", check(final.Request < 2*time.Second))
	rp.add(scenario, "until the last update is accepted", secs(final.LastArrival), secs(pooled), "", nil)
	rp.add(scenario, "emails per second", fmt.Sprintf("%.0f /s", final.Rate()), "", "≥ 1,000 /s", check(final.Rate() >= 1000))
	rp.add(scenario, "emails per second, against go-mail alone", fmt.Sprintf("%.0f /s", final.Rate()), fmt.Sprintf("%.0f /s", baseRate),
		"≥ ½ baseline", check(final.Rate() >= baseRate/2))
	rp.add(scenario, "duplicates at the SMTP server", strconv.Itoa(final.Duplicates), "", "0", check(final.Duplicates == 0))
	rp.add(scenario, "missing at the SMTP server", strconv.Itoa(final.Missing), "", "0", check(final.Missing == 0))
	perEmail := func(cpu float64, n int) time.Duration { return time.Duration(cpu / float64(n) * float64(time.Second)) }
	productCPU, baseCPUPerEmail := perEmail(final.MachineCPU, len(ids)), perEmail(pooledRun.MachineCPU, len(ids))
	fmt.Printf("  machine CPU per email: %s for the product (close, worker, PostgreSQL, Redis, SMTP server), %s for the baseline (go-mail, SMTP server); baseline: one message's SMTP exchange %s over %d connections\n",
		ms(productCPU), ms(baseCPUPerEmail), ms(pooledExchange), final.Concurrency)
	if final.Rate() < baseRate/2 {
		slots := ""
		if final.Send > 0 && final.Record > 0 {
			slots = fmt.Sprintf(" Per email, a slot spent %s on the SMTP exchange (%s in the baseline, with the same server and as many connections) and then %s on the record: %d slots can send at most %.0f emails per second here.",
				ms(final.Send), ms(pooledExchange), ms(final.Record), final.Concurrency, float64(final.Concurrency)/(final.Send+final.Record).Seconds())
		}
		cores := float64(runtime.NumCPU())
		// No email goes out before the close commits: even with every core
		// busy from its answer on, the work after it takes SendingCPU/cores.
		bound := float64(len(ids)) / (final.Request.Seconds() + final.SendingCPU/cores)
		reach := fmt.Sprintf("below half the baseline (%.0f /s): out of reach here without doing less per email", baseRate/2)
		if bound >= baseRate/2 {
			reach = fmt.Sprintf("above half the baseline (%.0f /s), but only if not a cycle were left idle", baseRate/2)
		}
		rp.Findings = append(rp.Findings, fmt.Sprintf("**Scenario 3, half the baseline's rate (%.0f /s against %.0f /s).** The baseline only builds messages and hands them to the SMTP server. Each slot of the worker also records every email as sent in PostgreSQL before it sends the next, so that a crash neither loses an email nor repeats more than one per slot, and its batches come from Redis and are claimed in PostgreSQL.%s The clock starts at the close request, which writes the %d emails first (%s). The machine spent %s of CPU per email on all of this (%s), against %s in the baseline. From the close's answer to the last update, it spent %.1f CPU seconds and its %d cores were %.0f %% busy; even fully busy from that answer on, that work allows at most %.0f emails per second counted from the POST, %s.",
			final.Rate(), baseRate, slots, len(ids), secs(final.Request), ms(productCPU), final.CPU, ms(baseCPUPerEmail),
			final.SendingCPU, int(cores), 100*final.SendingCPU/(final.SendingWall.Seconds()*cores), bound, reach))
	}
	rp.Setup = append(rp.Setup, fmt.Sprintf("Scenario 3: %d applicants loaded with COPY on a posting (received, in review, shortlisted, interview, accepted, rejected), so that each gets a status update; the signed-in admin opens the preview (`GET /boite/offres/ID/cloture`) and posts its words back with a subject for the accepted group too (`POST`, fields `objet_<group>`/`message_<group>`). Time runs from the POST until the SMTP server (in the benchmark's process, counting by Message-ID) has accepted the last update; duplicates and missing updates are counted there. The table shows the run with %s. Baseline: go-mail builds the same %d rows into messages as the worker does (`workers.Sender.Message`) and sends them to the same server over %d connections each reused for every message, the worker's pool size.",
		n, setting, len(ids), final.Concurrency))

	all := runs
	var lines, details []string
	for _, r := range all {
		lines = append(lines, fmt.Sprintf("| %s | %s | %s | %.0f /s | %s | %s / %s | %d | %d |", r.Label, secs(r.Request), secs(r.LastArrival), r.Rate(), r.Profile, msOrDash(r.Send), msOrDash(r.Record), r.Missing, r.Duplicates))
		details = append(details, fmt.Sprintf("- %s: PostgreSQL wrote %s. %s.", r.Label, r.WAL, r.CPU))
	}
	table := "| run | close request | until the last update | emails per second | updates accepted (from the POST) | per email and slot: SMTP / record | missing | duplicates |\n| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |\n" +
		strings.Join(lines, "\n") + "\n\n" + strings.Join(details, "\n")
	best := runs[0]
	for _, r := range runs[1:] {
		if r.Rate() > best.Rate() {
			best = r
		}
	}
	verdict := fmt.Sprintf("The best run here was %s at %.0f /s, against %.0f /s with %s. On %d cores the worker, PostgreSQL, Redis and the SMTP server share the CPU (see the CPU line of each run), so more slots gain little on this machine; with a relay across a network, each send waits on its round trips rather than on the CPU, and more slots send more. Each run here follows the one before on a fuller database, which favours the first.",
		best.Label, best.Rate(), final.Rate(), setting, runtime.NumCPU())
	if best.Rate() > 1.15*final.Rate() {
		verdict = fmt.Sprintf("Here %s sent %.0f /s against %.0f /s with %s: on a machine like this one, try `WORKER_CONCURRENCY=%d`.",
			best.Label, best.Rate(), final.Rate(), setting, best.Concurrency)
	}
	rp.Changes = append(rp.Changes,
		"**`WORKER_CONCURRENCY`** (setting read by `internal/config` and used by `vivier worker`, default "+strconv.Itoa(config.DefaultWorkerConcurrency)+", 10 before this benchmark; the SMTP pool holds as many connections). Scenario 3 closed one posting of "+strconv.Itoa(n)+" applicants per run, in this run:\n\n"+table+"\n\n"+verdict,
		"**Reused SMTP connections.** `workers.Sender` keeps a bounded pool, as listmonk does: one connection per concurrency slot, dialed on first use, replaced after 30 s idle or after an error, dialed again once when the server closed it meanwhile. What reuse gains, "+pooling(pooled, perMessage.Last, len(ids), final.Concurrency))
	return nil
}

// closeWith runs one close with the worker at a concurrency, printing
// what it measured.
func (b *bench) closeWith(ctx context.Context, label string, i, concurrency, n int) (closeRun, error) {
	if concurrency != b.workerConcurrency {
		if err := b.startWorker(ctx, concurrency); err != nil {
			return closeRun{}, err
		}
	}
	run, err := b.closeOnce(ctx, i, concurrency, n, label)
	if err != nil {
		return run, err
	}
	fmt.Printf("  %s: close request %s, last update after %s (%.0f /s), %d missing, %d duplicates; arrivals %s\n",
		label, secs(run.Request), secs(run.LastArrival), run.Rate(), run.Missing, run.Duplicates, run.Profile)
	fmt.Printf("    per email and slot: SMTP exchange %s, then its record as sent %s\n", msOrDash(run.Send), msOrDash(run.Record))
	fmt.Printf("    WAL: %s\n    %s\n", run.WAL, run.CPU)
	return run, nil
}

var (
	subjectField = regexp.MustCompile(`name="objet_(\w+)" value="([^"]*)"`)
	messageField = regexp.MustCompile(`(?s)name="message_(\w+)"[^>]*>(.*?)</textarea>`)
)

// closeOnce loads a posting of n applicants and closes it over HTTP.
func (b *bench) closeOnce(ctx context.Context, i, concurrency, n int, label string) (closeRun, error) {
	run := closeRun{Label: label, Concurrency: concurrency}
	step(fmt.Sprintf("scenario 3: loading %d applicants (worker concurrency %d)", n, concurrency))
	postingID, pageURL, form, err := b.loadForClose(ctx, fmt.Sprintf("coach-investigation-cloture-%d", i), n, uint64(100+i))
	if err != nil {
		return run, err
	}
	run.PostingID = postingID
	if err := b.waitOutboxEmpty(ctx, 3*time.Minute); err != nil {
		return run, err
	}

	walBefore, _ := b.walStats(ctx)
	slotBefore, slotErr := b.workerSlotTimes(ctx)
	cpuBefore := b.cpu()
	mark := b.smtp.Mark()
	step(fmt.Sprintf("scenario 3: closing (worker concurrency %d)", concurrency))
	t0 := time.Now()
	if err := b.postClose(ctx, pageURL, form); err != nil {
		return run, err
	}
	run.Request = time.Since(t0)
	cpuAtAnswer := b.cpu()
	ids, err := b.closeEmailIDs(ctx, postingID)
	if err != nil {
		return run, err
	}
	run.IDs = ids
	if missing := b.smtp.WaitIDs(mark, ids, 3*time.Minute); missing > 0 {
		fmt.Printf("  %d updates still missing after 3 minutes\n", missing)
	}
	// The CPU until the last update arrived (the wait for copies below
	// is not part of the run).
	cpuAtLast := b.cpu()
	run.CPU, run.MachineCPU = cpuAtLast.since(cpuBefore), cpuAtLast.machine(cpuBefore)
	run.SendingCPU, run.SendingWall = cpuAtLast.machine(cpuAtAnswer), cpuAtLast.at.Sub(cpuAtAnswer.at)
	// Room for a wrong extra copy to arrive before counting.
	if err := b.waitOutboxEmpty(ctx, time.Minute); err != nil {
		return run, err
	}
	time.Sleep(time.Second)
	arrivals := b.smtp.Arrivals(mark)
	var last time.Time
	for _, id := range ids {
		a, ok := arrivals[id]
		if !ok {
			run.Missing++
			continue
		}
		run.Duplicates += a.count - 1
		if a.first.After(last) {
			last = a.first
		}
	}
	run.LastArrival = last.Sub(t0)
	if slotErr == nil {
		var slotAfter slotTimes
		if slotAfter, slotErr = b.workerSlotTimes(ctx); slotErr == nil {
			run.Send, run.Record = slotAfter.minus(slotBefore)
		}
	}
	if slotErr != nil {
		b.report.note("%s: the worker's metrics could not be read: %v", label, slotErr)
	}
	run.Profile = arrivalProfile(arrivals, ids, t0)
	if walAfter, err := b.walStats(ctx); err == nil && len(ids) > 0 {
		run.WAL = walAfter.minus(walBefore, len(ids))
	}
	if len(ids) != n {
		b.report.note("the close of %d applicants wrote %d status updates", n, len(ids))
	}
	return run, nil
}

// loadForClose loads a posting of n applicants and reads its close
// preview: the page to post to and the words to post back, with a
// subject for the accepted group too.
func (b *bench) loadForClose(ctx context.Context, slug string, n int, seed uint64) (int64, string, url.Values, error) {
	postingID, err := b.createPosting(ctx, slug, "Coach pour le Programme national d'investigation (clôture)")
	if err != nil {
		return 0, "", nil, err
	}
	if err := b.loadApplications(ctx, postingID, n, closeMix, 0.2, seed); err != nil {
		return 0, "", nil, err
	}
	if _, err := b.sql.ExecContext(ctx, `ANALYZE applications`); err != nil {
		return 0, "", nil, err
	}
	pageURL := fmt.Sprintf("%s/boite/offres/%d/cloture", b.baseURL, postingID)
	resp, body, err := get(ctx, b.reviewer, pageURL)
	if err != nil {
		return 0, "", nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, "", nil, fmt.Errorf("GET %s: status %d", pageURL, resp.StatusCode)
	}
	form := url.Values{}
	for _, m := range subjectField.FindAllStringSubmatch(string(body), -1) {
		form.Set("objet_"+m[1], html.UnescapeString(m[2]))
	}
	for _, m := range messageField.FindAllStringSubmatch(string(body), -1) {
		form.Set("message_"+m[1], html.UnescapeString(m[2]))
	}
	if form.Get("objet_"+string(catalog.CloseInReview)) == "" || form.Get("message_"+string(catalog.CloseAccepted)) == "" {
		return 0, "", nil, fmt.Errorf("the close preview has no words to send (form %v)", form)
	}
	form.Set("objet_"+string(catalog.CloseAccepted), "Candidatures closes : votre candidature est retenue")
	return postingID, pageURL, form, nil
}

// postClose posts the close's words, as the admin's button does.
func (b *bench) postClose(ctx context.Context, pageURL string, form url.Values) error {
	resp, _, err := postForm(ctx, b.reviewer, pageURL, form)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("POST %s: status %d", pageURL, resp.StatusCode)
	}
	return nil
}

// closePlans closes a posting of n applicants with the worker stopped,
// takes the plans of the worker's writes while its updates wait in the
// outbox, then cancels them: outside every timed run.
func (b *bench) closePlans(ctx context.Context, n int) error {
	step("scenario 3: the worker's plans, on a close with the worker stopped")
	b.worker.Stop()
	b.workerConcurrency = 0 // the next run starts it again
	postingID, pageURL, form, err := b.loadForClose(ctx, "coach-investigation-cloture-plans", n, 99)
	if err != nil {
		return err
	}
	if err := b.postClose(ctx, pageURL, form); err != nil {
		return err
	}
	ids, err := b.closeEmailIDs(ctx, postingID)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return fmt.Errorf("the close of posting %d wrote no update", postingID)
	}
	if err := b.claimPlans(ctx, ids[max(0, len(ids)-tasks.EmailBatchSize):]); err != nil {
		return err
	}
	_, err = b.sql.ExecContext(ctx, `UPDATE emails SET status = 'cancelled' WHERE posting_id = $1`, postingID)
	return err
}

// closeEmailIDs lists the status updates a close wrote.
func (b *bench) closeEmailIDs(ctx context.Context, postingID int64) ([]int64, error) {
	var ids []int64
	err := b.sql.SelectContext(ctx, &ids, `SELECT id FROM emails WHERE posting_id = $1
		AND kind IN ('close_in_review', 'close_interview', 'close_accepted', 'close_rejected') ORDER BY id`, postingID)
	return ids, err
}

// baselineRun is what one go-mail baseline measured.
type baselineRun struct {
	Last       time.Duration // until the SMTP server accepted the last message
	Exchange   time.Duration // one message's SMTP exchange, on average
	MachineCPU float64       // seconds of CPU the whole machine used meanwhile
}

// sendBaseline sends emails with go-mail over conns
// goroutines, reusing one connection each (pooled) or dialing for every
// message.
func (b *bench) sendBaseline(ctx context.Context, phase string, emails []*repository.Email, conns int, pooled bool) (baselineRun, error) {
	var run baselineRun
	sender, err := workers.NewSender(b.smtp.URL(), mailFrom, conns)
	if err != nil {
		return run, err
	}
	defer sender.Close()
	_, portText, _ := net.SplitHostPort(b.smtp.Addr())
	port, _ := strconv.Atoi(portText)
	newClient := func() (*gomail.Client, error) {
		return gomail.NewClient("127.0.0.1", gomail.WithPort(port), gomail.WithTLSPolicy(gomail.NoTLS),
			gomail.WithTimeout(30*time.Second), gomail.WithHELO("localhost"))
	}
	mark := b.smtp.Mark()
	work := make(chan *repository.Email)
	var errs firstErrors
	var exchanges atomic.Int64 // nanoseconds, over every message
	cpuBefore := b.cpu()
	start := time.Now()
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c *gomail.Client
			if pooled {
				var err error
				if c, err = newClient(); err == nil {
					err = c.DialWithContext(ctx)
				}
				if err != nil {
					errs.Add(err.Error())
					for range work {
					}
					return
				}
				defer c.Close()
			}
			for e := range work {
				msg, err := sender.Message(e)
				if err != nil {
					errs.Add(err.Error())
					continue
				}
				sent := time.Now()
				if pooled {
					err = c.Send(msg)
				} else {
					var one *gomail.Client
					if one, err = newClient(); err == nil {
						err = one.DialAndSendWithContext(ctx, msg)
					}
				}
				exchanges.Add(int64(time.Since(sent)))
				if err != nil {
					errs.Add(err.Error())
				}
			}
		}()
	}
	for _, e := range emails {
		work <- e
	}
	close(work)
	wg.Wait()
	if errs.Count() > 0 {
		return run, fmt.Errorf("%s: %d sends failed: %s", phase, errs.Count(), strings.Join(errs.msgs, "; "))
	}
	ids := make([]int64, len(emails))
	for i, e := range emails {
		ids[i] = e.ID
	}
	if missing := b.smtp.WaitIDs(mark, ids, 10*time.Second); missing > 0 {
		return run, fmt.Errorf("%s: %d messages never arrived", phase, missing)
	}
	var lastArrival time.Time
	for _, a := range b.smtp.Arrivals(mark) {
		if a.first.After(lastArrival) {
			lastArrival = a.first
		}
	}
	run.Last, run.Exchange = lastArrival.Sub(start), time.Duration(exchanges.Load()/int64(len(emails)))
	run.MachineCPU = b.cpu().machine(cpuBefore)
	return run, nil
}

// arrivalProfile says when the first update and the 10th, 50th and 90th
// percentiles arrived, counted from the close request.
func arrivalProfile(arrivals map[int64]arrival, ids []int64, t0 time.Time) string {
	var at latencies
	for _, id := range ids {
		if a, ok := arrivals[id]; ok {
			at.Add(a.first.Sub(t0))
		}
	}
	if len(at.d) == 0 {
		return "none"
	}
	return fmt.Sprintf("first %s, 10%% %s, 50%% %s, 90%% %s", secs(slices.Min(at.d)), secs(at.Percentile(10)), secs(at.Percentile(50)), secs(at.Percentile(90)))
}

// walStats is a reading of pg_stat_wal (server-wide).
type walStats struct {
	Records  int64   `db:"wal_records"`
	FPI      int64   `db:"wal_fpi"`
	Bytes    int64   `db:"wal_bytes"`
	Writes   int64   `db:"wal_write"`
	Syncs    int64   `db:"wal_sync"`
	SyncTime float64 `db:"wal_sync_time"`
}

func (b *bench) walStats(ctx context.Context) (walStats, error) {
	var w walStats
	err := b.sql.GetContext(ctx, &w, `SELECT wal_records, wal_fpi, wal_bytes::bigint AS wal_bytes, wal_write, wal_sync, wal_sync_time FROM pg_stat_wal`)
	return w, err
}

func (w walStats) minus(before walStats, n int) string {
	return fmt.Sprintf("%.1f KB, %.1f records, %.2f full pages per email; %d WAL syncs (%.2f per email)",
		float64(w.Bytes-before.Bytes)/1024/float64(n), float64(w.Records-before.Records)/float64(n),
		float64(w.FPI-before.FPI)/float64(n), w.Syncs-before.Syncs, float64(w.Syncs-before.Syncs)/float64(n))
}

// claimPlans adds to the report the plans of the worker's writes (the
// claim of a batch, then the record of one email as sent) for batch, a
// batch of a close's updates waiting in the outbox, with the statistics
// PostgreSQL has at that moment.
func (b *bench) claimPlans(ctx context.Context, batch []int64) error {
	repo, rec, closeRepo, err := b.recordingRepo(true)
	if err != nil {
		return err
	}
	defer closeRepo()
	_, _ = repo.ClaimEmails(ctx, batch)
	_ = repo.MarkEmailSent(ctx, &repository.Email{ID: batch[0], Attempts: 1}, "<id@bench>")
	names := []string{fmt.Sprintf("ClaimEmails (a batch of %d)", len(batch)), "MarkEmailSent"}
	var updates []recorded
	for _, q := range rec.Take() {
		if strings.HasPrefix(strings.TrimSpace(q.SQL), "UPDATE") {
			updates = append(updates, q)
		}
	}
	for i, q := range updates {
		if i >= len(names) {
			break
		}
		text, err := explain(ctx, b.sql, q)
		if err != nil {
			return err
		}
		// The outbox index may serve only by the email's id (its
		// predicate alone would read every pending email).
		indexed := usesIndexes(text) && (!strings.Contains(text, "emails_outbox_idx on emails") || strings.Contains(text, "Index Cond: (id ="))
		b.report.Plans = append(b.report.Plans, plan{Page: "worker", Query: names[i], SQL: q.SQL, Args: argsText(q.Args),
			Text: text, UsesIndexes: indexed})
		fmt.Printf("  plan %-45s %s\n", names[i], execTime(text))
	}
	return nil
}
