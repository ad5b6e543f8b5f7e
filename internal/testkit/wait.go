package testkit

import (
	"time"

	"github.com/hibiken/asynq"
)

// WaitIdle waits until the worker has done all the work it has now: no
// task pending, running or waiting for a retry in any queue, no delayed
// task already due, and no email being sent. What the test sees then
// stays as it is until it acts again (or a delayed email's time comes):
// it is the condition to check that nothing more arrives, instead of a
// pause. The worker may be the App's or a process of the test's; the
// test fails after 20 seconds.
func (a *App) WaitIdle() {
	a.tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		work, err := a.workLeft()
		if err != nil {
			a.tb.Fatalf("wait for the worker: %v", err)
		}
		if work == "" {
			return
		}
		if time.Now().After(deadline) {
			a.tb.Fatalf("waited 20s for the worker to finish: %s (worker of the app running: %t)", work, a.worker != nil)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// workLeft says what work is left for the worker now ("" for none).
func (a *App) workLeft() (string, error) {
	queues, err := a.Sweeper.Inspector.Queues()
	if err != nil {
		return "", err
	}
	for _, q := range queues {
		info, err := a.Sweeper.Inspector.GetQueueInfo(q)
		if err != nil {
			return "", err
		}
		if n := info.Pending + info.Active + info.Retry + info.Aggregating; n > 0 {
			return itoa(int64(n)) + " task(s) pending, running or to retry in queue " + q, nil
		}
		if info.Scheduled > 0 {
			// Scheduled tasks come by order of their time: the first says
			// whether one is due (asynq waits on the system's clock).
			first, err := a.Sweeper.Inspector.ListScheduledTasks(q, asynq.PageSize(1))
			if err != nil {
				return "", err
			}
			if len(first) > 0 && !first[0].NextProcessAt.After(time.Now()) {
				return "a delayed task is due in queue " + q, nil
			}
		}
	}
	var sending int
	if err := a.DB.Get(&sending, `SELECT count(*) FROM emails WHERE status = 'sending'`); err != nil {
		return "", err
	}
	if sending > 0 {
		return itoa(int64(sending)) + " email(s) being sent", nil
	}
	return "", nil
}
