package main

// history is what was changed in the product with this benchmark, and
// what each change gained, as measured by `make bench` on the machine
// described in BENCHMARKS.md while making it. Each run's own table is the
// current state; this one keeps the steps that led there.
const history = `Changes made with this benchmark, by scenario, each measured by ` + "`make bench`" + ` on this machine just before and just after (figures of one run each; scenario 1 varies by about 10 % from run to run):

| change | figure | before | after |
| --- | --- | ---: | ---: |
| CVs stored without PostgreSQL's compression (they are compressed already; migration 00007); the statements of an application's transaction prepared once; the pool keeps as many idle connections as open ones | 1. submissions per second (baseline) | 103 /s (207 /s) | 139 /s (295 /s) |
| The CV read into one buffer of its size instead of ` + "`io.ReadAll`" + `, which grows by doubling | 1. peak RSS after 10 MiB CVs, one at a time | 100 MB | 73 to 107 MB |
| Previous and next on the application page by one step along the sort's index, instead of a window over the whole filtered list | 2. application page p95 (with the filter / without) | 63 ms / 277 ms | 18 ms / 20 ms |
| The inbox tabs count one status at a time from a partial index (under a search, each count stopped past 500, shown "500+"); unread marks and ratings looked up for the page's 50 rows only | 2. list page p95 (with the filter / without) | 168 ms / 151 ms | 56 ms / 34 ms (count cap 500) |
| The list page records the visit after it is sent; each row's link built once for the page instead of once per row; a search's counts stop past 200 instead of 500 | 2. list page p95 with the filter | 53 ms | 48 ms |
| The outbox index on the email's id instead of ` + "`send_after`" + ` (migration 00006): the claim by id implied the partial index's predicate, so PostgreSQL could read every pending email to claim one, N² row visits for a close of N | 3. emails per second | 93 /s (10,000th update after 107 s) | 269 /s |
| The benchmark's SMTP server counts arrivals by polling instead of checking all 10,000 ids on every message (the benchmark was measuring itself) | 3. emails per second | 269 /s | 442 /s |
| A close's emails go out in batches of 20: one asynq task and one claim statement per batch, each email still recorded as sent on its own, so a killed worker resends at most one message per slot | 3. emails per second | 442 /s | 822 /s |
| The worker's per-email statements prepared once per connection | 3. emails per second | 822 /s | 879 /s |
| No NOOP before and no RSET after each message on a pooled SMTP connection (two round trips of seven; a connection that died while pooled is dialed again) | 3. emails per second | 879 /s | 1,124 /s |
| ` + "`WORKER_CONCURRENCY`" + ` 20 by default instead of 10 (see this run's comparison below) | 3. emails per second | 1,124 /s | 1,155 /s |

The baseline of scenario 1 gained from the uncompressed CVs as much as the product did: the ratio stayed near one half. Across the runs of ` + "`make bench`" + ` made since, on this machine, scenario 1 received 133 to 282 submissions per second against 295 to 562 for its baseline, a ratio of 38 % to 55 %: both move with the machine's day, and not always together (over the runs of one morning, the same code took 3.7 to 4.7 ms of the machine's CPU per application in the baseline and 7.7 to 10.1 ms in the product).

Tried and not kept:

| change | figure | before | after | why not kept |
| --- | --- | ---: | ---: | --- |
| The worker's writes without waiting for the WAL's flush (` + "`synchronous_commit=off`" + ` on its connections) | 3. emails per second (go-mail alone in the same run) | 1,525 /s (5,568 /s) | 1,815 /s (6,038 /s) | A database crash would forget the last emails recorded as sent, and the sweep would send them again: "nothing sent twice" is worth more than this gain, part of which was the machine's own spread |
| An application's two emails in one batch task instead of two tasks (tried twice, on two days) | 1. submissions per second (machine CPU per application) | 133 /s; then 212 and 196 /s (9.3 and 10.0 ms) | 133 to 139 /s; then 198 and 200 /s (9.9 and 9.7 ms) | No gain beyond the run-to-run spread of scenario 1: the asynq task and the claim it saves are a small part of an email's cost |
| ` + "`WORKER_CONCURRENCY`" + ` 32 or 40 instead of 20 | 3. emails per second | 1,721 /s and 1,452 /s (20, twice) | 1,904 /s and 1,368 /s (32), 1,872 /s (40) | Within the spread between runs: every slot waits longer for the same 2 cores |`
