package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"fmt"
	mrand "math/rand/v2"
	"mime/multipart"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lib/pq"

	"vivier/internal/links"
	"vivier/repository"
)

// Scenario 1: applications received. Real multipart submissions (every
// field, a 100 KB PDF) from concurrent clients against `vivier serve`
// with its worker running; the baseline writes the same rows straight
// into PostgreSQL through lib/pq.

const cvSize = 100 << 10

func (b *bench) scenarioApply(ctx context.Context) error {
	const scenario = "1. Applications received"
	n, clients := b.opts.Applications, b.opts.Clients
	fmt.Printf("\n== %s: %d submissions, %d clients ==\n", scenario, n, clients)
	const httpSlug = "coach-investigation-http"
	httpPosting, err := b.createPosting(ctx, httpSlug, "Coach pour le Programme national d'investigation")
	if err != nil {
		return err
	}
	basePosting, err := b.createPosting(ctx, "coach-investigation-sql", "Coach pour le Programme national d'investigation (base)")
	if err != nil {
		return err
	}
	cv := pdf(cvSize)

	// Baseline first, while the server is idle.
	step("scenario 1: baseline, rows written straight into PostgreSQL")
	baseElapsed, baseCPU, err := b.applyBaseline(ctx, basePosting, n, clients, cv)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	baseRate := rate(n, baseElapsed)

	step("scenario 1: submissions over HTTP")
	target := b.baseURL + "/offres/" + httpSlug + "/candidature"
	cpuBefore := b.cpu()
	start := time.Now()
	lat, errs := submitAll(ctx, target, cv, clients, n, "h", 1)
	elapsed := time.Since(start)
	cpuAfter := b.cpu()
	cpuUsed := cpuAfter.since(cpuBefore)
	// The machine's CPU per application, and the rate it alone allows.
	perApp := func(cpu float64) time.Duration { return time.Duration(cpu / float64(n) * float64(time.Second)) }
	productCPU, baselineCPU := perApp(cpuAfter.machine(cpuBefore)), perApp(baseCPU)
	cores := float64(runtime.NumCPU())
	cpuCap := cores / productCPU.Seconds()
	if err := ctx.Err(); err != nil {
		return err
	}
	hwm := memKB(b.server.Pid(), "VmHWM")
	httpRate := rate(n, elapsed)
	var stored int
	if err := b.sql.GetContext(ctx, &stored, `SELECT count(*) FROM applications WHERE posting_id = $1`, httpPosting); err != nil {
		return err
	}

	r := b.report
	r.add(scenario, "submissions per second", fmt.Sprintf("%.0f /s", httpRate), fmt.Sprintf("%.0f /s", baseRate),
		"≥ ½ baseline", check(httpRate >= baseRate/2))
	r.add(scenario, "latency p50, closed loop", ms(lat.Percentile(50)), "", "", nil)
	r.add(scenario, "latency p95, closed loop", ms(lat.Percentile(95)), "", "", nil)
	r.add(scenario, "latency p99, closed loop", ms(lat.Percentile(99)), "", "", nil)
	r.add(scenario, "errors", fmt.Sprintf("%d of %d (%d stored)", errs.Count(), n, stored), "", "0", check(errs.Count() == 0 && stored == n))
	r.add(scenario, "server peak RSS (VmHWM)", mb(hwm), "", "< 150 MB", check(hwm < 150<<10))
	for _, m := range errs.msgs {
		r.note("scenario 1 error: %s", m)
	}
	r.note("CPU during the submissions: %s.", cpuUsed)
	r.note("The machine's CPU per application: %s for the product (the server, the worker sending its two emails, PostgreSQL, Redis, the clients), %s for the baseline's rows alone; on %d cores, %s per application allows at most %.0f /s.",
		ms(productCPU), ms(baselineCPU), int(cores), ms(productCPU), cpuCap)
	if httpRate < baseRate/2 {
		r.Findings = append(r.Findings, fmt.Sprintf("**Scenario 1, half the baseline's rate (%.0f /s against %.0f /s, %.0f %%).** The scenario runs the worker, as the product runs: while it receives, it also sends the acknowledgement and the contact's notification of every application, two more writes each to claim and record them and two asynq tasks, which the baseline does not do; and the server reads the posting and its email wordings and takes the multipart form apart before writing. The machine spent %s of CPU per application (%s), against %s for the baseline's rows alone: on %d cores that allows at most %.0f /s, where half the baseline is %.0f /s. Both rates move from run to run on this machine, not always together, and the ratio with them (see the changes below).",
			httpRate, baseRate, 100*httpRate/baseRate, ms(productCPU), cpuUsed, ms(baselineCPU), int(cores), cpuCap, baseRate/2))
	}
	r.note("In the closed loop each of the %d clients sends its next submission as soon as the last is answered, so the mean latency is the number of clients over the rate (Little's law): %s at %.0f /s here, whatever the product does; the latency an applicant feels is the open loop's (its rows in the table).",
		clients, ms(time.Duration(float64(clients)/httpRate*float64(time.Second))), httpRate)
	r.Setup = append(r.Setup,
		fmt.Sprintf("Scenario 1: %d multipart submissions to `POST /offres/SLUG/candidature` (every field, a %d KB PDF, the form's `envoi` nonce) from %d concurrent clients, `APPLY_RATE_LIMIT=0`, while `vivier worker` sends the acknowledgement and the contact notification of each. Latency is from the request's first byte to the end of the 303 answer. Baseline: %d connections of lib/pq write the same rows (application, CV document, received event, two emails rendered by the same templates) in one transaction each, as the product's repository does.", n, cvSize>>10, clients, clients))

	if err := b.openLoop(ctx, target, cv, httpRate/2); err != nil {
		return err
	}
	// A 10 MiB CV must not be held in memory many times over.
	if err := b.bigUploads(ctx, target); err != nil {
		return err
	}
	return nil
}

// bigUploads sends 10 MiB CVs, one at a time then a few at once, and
// reports how the server's peak memory grew.
func (b *bench) bigUploads(ctx context.Context, target string) error {
	const scenario = "1. Applications received"
	big := pdf(10<<20 - 4096)
	one, oneGrowth, oneErrs := b.uploadMany(ctx, target, big, 1, 3, "big1-")
	many, _, manyErrs := b.uploadMany(ctx, target, big, 4, 8, "big4-")
	b.report.add(scenario, "server peak RSS after 10 MiB CVs, one at a time", mb(one), "", "< 150 MB", check(one < 150<<10 && oneErrs == 0))
	b.report.add(scenario, "server peak RSS after 10 MiB CVs, 4 at once", mb(many), "", "", nil)
	copies := float64(oneGrowth) / float64(10<<10)
	b.report.note("A 10 MiB CV raised the server's peak RSS by %s (%.1f × the file) when sent alone: the multipart parser keeps the file on disk, the handler reads it into one buffer of its size, and lib/pq copies that into its write buffer; %d and %d errors.", mb(oneGrowth), copies, oneErrs, manyErrs)
	return nil
}

// uploadMany sends total applications with the CV data, conc at once, and
// returns the server's peak RSS after, by how much it grew, and the errors.
func (b *bench) uploadMany(ctx context.Context, target string, cv []byte, conc, total int, prefix string) (peak, growth int64, errCount int) {
	before := memKB(b.server.Pid(), "VmRSS")
	_, errs := submitAll(ctx, target, cv, conc, total, prefix, 99)
	after := memKB(b.server.Pid(), "VmHWM")
	for _, m := range errs.msgs {
		b.report.note("10 MiB upload error: %s", m)
	}
	return after, after - before, errs.Count()
}

// submitAll sends total complete applications with the CV data to target
// from conc clients, and returns their latencies and errors: anything but
// the 303 to the confirmation page is one.
func submitAll(ctx context.Context, target string, cv []byte, conc, total int, prefix string, seed uint64) (*latencies, *firstErrors) {
	client := newClient(conc, nil)
	var lat latencies
	var errs firstErrors
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := mrand.New(mrand.NewPCG(uint64(w), seed))
			var body bytes.Buffer
			for {
				i := int(next.Add(1))
				if i > total || ctx.Err() != nil {
					return
				}
				ct := applicationForm(&body, r, newPerson(r, prefix, i), cv)
				t0 := time.Now()
				err := submit(ctx, client, target, body.Bytes(), ct)
				lat.Add(time.Since(t0))
				if err != nil {
					errs.Add(err.Error())
				}
			}
		}()
	}
	wg.Wait()
	return &lat, &errs
}

// submit sends one application form and says what went wrong, if the
// answer is not the redirect to the confirmation page.
func submit(ctx context.Context, client *http.Client, target string, body []byte, contentType string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	resp, _, err := do(client, req)
	switch {
	case err != nil:
		return err
	case resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), "/candidature-envoyee"):
		return fmt.Errorf("status %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return nil
}

// applicationForm writes a complete application as multipart/form-data
// into body and returns its content type.
func applicationForm(body *bytes.Buffer, r *mrand.Rand, p person, cv []byte) string {
	body.Reset()
	w := multipart.NewWriter(body)
	fields := [][2]string{
		{"prenom", p.First}, {"nom", p.Last}, {"email", p.Email}, {"telephone", "0" + p.Phone[3:]},
		{"localisation", p.Place}, {"tjm", fmt.Sprint(p.Rate)}, {"jours_par_semaine", strings.Replace(fmt.Sprint(p.Days), ".", ",", 1)},
		{"disponible_le", time.Now().AddDate(0, 1, 0).Format("2006-01-02")}, {"siret", p.SIRET},
		{"liens", "https://www.linkedin.com/in/" + ascii(p.First) + "-" + ascii(p.Last) + "\nhttps://github.com/" + ascii(p.Last)},
		{"motivation", motivation(r, r.IntN(5) == 0)}, {"consentement", "oui"}, {"envoi", nonce()},
	}
	for _, f := range fields {
		_ = w.WriteField(f[0], f[1])
	}
	part, _ := w.CreateFormFile("cv", "CV "+p.First+" "+p.Last+".pdf")
	_, _ = part.Write(cv)
	_ = w.Close()
	return w.FormDataContentType()
}

func nonce() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// applyBaseline writes n applications with their CV, event and two
// emails straight into PostgreSQL from conns connections, one
// transaction each, and returns how long it took and the CPU seconds the
// whole machine used meanwhile.
func (b *bench) applyBaseline(ctx context.Context, postingID int64, n, conns int, cv []byte) (time.Duration, float64, error) {
	db, err := repository.Open(ctx, b.db.URL) // same driver settings as the product
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	posting, err := b.product.Repo.PostingByID(ctx, postingID)
	if err != nil {
		return 0, 0, err
	}
	sum := sha256.Sum256(cv)
	var next atomic.Int64
	var errs firstErrors
	cpuBefore := b.cpu()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := mrand.New(mrand.NewPCG(uint64(w), 2))
			for {
				i := int(next.Add(1))
				if i > n || ctx.Err() != nil {
					return
				}
				p := newPerson(r, "s", i)
				app := &repository.Application{PostingID: postingID, FirstName: p.First, LastName: p.Last, Email: p.Email,
					Phone: p.Phone, Location: p.Place, DailyRate: p.Rate, DaysPerWeek: p.Days,
					AvailableFrom: time.Now().AddDate(0, 1, 0), SIRET: p.SIRET, Motivation: motivation(r, false)}
				if err := b.baselineInsert(ctx, db.DB, posting, app, cv, sum[:]); err != nil {
					errs.Add(err.Error())
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	machineCPU := b.cpu().machine(cpuBefore)
	// The baseline's emails are not for sending.
	if _, err := db.ExecContext(ctx, `UPDATE emails SET status = 'cancelled' WHERE posting_id = $1`, postingID); err != nil {
		return 0, 0, err
	}
	if errs.Count() > 0 {
		return 0, 0, fmt.Errorf("%d baseline inserts failed: %s", errs.Count(), strings.Join(errs.msgs, "; "))
	}
	return elapsed, machineCPU, ctx.Err()
}

// baselineInsert writes one application as the product's repository does,
// its emails rendered by the same renderer and their links sealed with
// the same key as the product's processes.
func (b *bench) baselineInsert(ctx context.Context, db *sql.DB, p *repository.Posting, a *repository.Application, cv, sum []byte) error {
	token := make([]byte, 32)
	_, _ = rand.Read(token)
	hash := sha256.Sum256(token)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := b.product.Repo.Now() // the transaction's instant, as the repository reads it
	var open bool
	if err := tx.QueryRowContext(ctx, `SELECT status = 'open' FROM postings WHERE id = $1 FOR SHARE`, p.ID).Scan(&open); err != nil {
		return err
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO applications (posting_id, first_name, last_name, email, phone, location,
		daily_rate, days_per_week, available_from, siret, links, motivation, consent_at, access_token_hash, submission_nonce)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $15, $13, $14) RETURNING id, status`,
		a.PostingID, a.FirstName, a.LastName, a.Email, a.Phone, a.Location, a.DailyRate, a.DaysPerWeek, a.AvailableFrom,
		a.SIRET, pq.StringArray{"https://github.com/" + ascii(a.LastName)}, a.Motivation, hash[:], nonce(), now).Scan(&a.ID, &a.Status)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO documents (application_id, file_name, content_type, size_bytes, sha256, content)
		VALUES ($1, $2, 'application/pdf', $3, $4, $5)`, a.ID, "CV.pdf", len(cv), sum, cv); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO application_events (application_id, kind, to_status, actor)
		VALUES ($1, 'received', $2, $3)`, a.ID, a.Status, repository.ActorApplicant); err != nil {
		return err
	}
	tokenText := base64.RawURLEncoding.EncodeToString(token)
	emails, err := b.product.Emails.Application(p, a, tokenText, "CV.pdf", nil, []string{strings.ToLower(p.ContactEmail)})
	if err != nil {
		return err
	}
	for _, e := range emails {
		var id int64
		// As the app stores it: the token hidden, then sealed for the row.
		if err := tx.QueryRowContext(ctx, `INSERT INTO emails (kind, posting_id, application_id, to_address, to_name, reply_to,
			subject, text_body, html_body, send_after) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
			RETURNING id`, e.Kind, p.ID, a.ID, e.ToAddress, a.FirstName+" "+a.LastName, e.ReplyTo, e.Subject,
			links.Hide(e.TextBody, tokenText), links.Hide(e.HTMLBody, tokenText), now).Scan(&id); err != nil {
			return err
		}
		if e.Token != "" {
			sealed, err := b.product.Repo.Links.Seal(id, e.ToAddress, tokenText)
			if err == nil {
				_, err = tx.ExecContext(ctx, `UPDATE emails e SET link_sealed = u.sealed
					FROM unnest($1::bigint[], $2::bytea[]) AS u(id, sealed) WHERE e.id = u.id`, pq.Array([]int64{id}), pq.ByteaArray([][]byte{sealed}))
			}
			if err != nil {
				return err
			}
		}
	}
	return tx.Commit()
}
