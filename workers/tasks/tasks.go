// Package tasks names Vivier's asynq tasks, their payloads and their
// constructors. Both the web process (which enqueues) and the workers
// (which handle) import it; it imports neither.
package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
)

// TypeSendEmail sends one email of the outbox.
const TypeSendEmail = "email:send"

// TypeCloseFanout enqueues the emails a posting's close wrote: the close
// itself returns at once, whatever the number of applicants.
const TypeCloseFanout = "posting:close-fanout"

// CloseFanoutPayload names the posting and the close round.
type CloseFanoutPayload struct {
	PostingID int64 `json:"posting_id"`
	Round     int   `json:"round"`
	// RequestID is the id of the request that closed the posting, if any.
	RequestID string `json:"request_id,omitempty"`
}

// newCloseFanoutTask builds the fan-out task of one close round.
func newCloseFanoutTask(p CloseFanoutPayload) (*asynq.Task, error) {
	postingID, round := p.PostingID, p.Round
	payload, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return asynq.NewTask(TypeCloseFanout, payload, asynq.TaskID(fmt.Sprintf("close-fanout:%d:%d", postingID, round)),
		asynq.Queue(QueueCritical), asynq.MaxRetry(MaxRetry), asynq.Timeout(5*time.Minute)), nil
}

// Queues, by priority. The queue of each kind of email is the composer's
// (see compose.Kind.Queue): sign-in links go on QueueCritical.
const (
	QueueCritical = "critical"
	QueueDefault  = "default"
)

// Queues maps each queue to its weight for the asynq server.
func Queues() map[string]int { return map[string]int{QueueCritical: 6, QueueDefault: 3} }

// SendEmailPayload carries only the email's id (the row holds the rest)
// and, for the logs, the id of the request that enqueued it.
type SendEmailPayload struct {
	EmailID   int64  `json:"email_id"`
	RequestID string `json:"request_id,omitempty"`
}

// MaxRetry is how many times a temporary failure is retried before the
// email is marked failed (asynq's backoff spreads them over about a day).
const MaxRetry = 20

// newSendEmailTask builds the task of one email due at processAt, now
// being the outbox's clock: asynq waits on its own (the system's), so the
// task waits for what remains until processAt. Its TaskID comes from the
// email id, so enqueuing twice is refused by asynq as a conflict.
func newSendEmailTask(p SendEmailPayload, queue string, processAt, now time.Time) (*asynq.Task, error) {
	payload, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	opts := []asynq.Option{
		asynq.TaskID(EmailTaskID(p.EmailID)),
		asynq.Queue(queue),
		asynq.MaxRetry(MaxRetry),
		asynq.Timeout(2 * time.Minute),
	}
	if wait := processAt.Sub(now); wait > 0 {
		opts = append(opts, asynq.ProcessIn(wait))
	}
	return asynq.NewTask(TypeSendEmail, payload, opts...), nil
}

// EmailTaskID is the asynq task id of an email.
func EmailTaskID(emailID int64) string { return "email:" + strconv.FormatInt(emailID, 10) }

// ParseSendEmail reads a send-email payload.
func ParseSendEmail(t *asynq.Task) (SendEmailPayload, error) {
	var p SendEmailPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return p, fmt.Errorf("bad %s payload: %w", TypeSendEmail, err)
	}
	return p, nil
}

// TypeSendEmailBatch sends several emails of the outbox in turn: a close
// writes thousands at once, and one task for many saves a round of queue
// bookkeeping and a claim statement per email.
const TypeSendEmailBatch = "email:send-batch"

// SendEmailBatchPayload carries the emails' ids.
type SendEmailBatchPayload struct {
	EmailIDs  []int64 `json:"email_ids"`
	RequestID string  `json:"request_id,omitempty"`
}

// EmailBatchSize is how many emails one batch task sends.
const EmailBatchSize = 20

// ParseSendEmailBatch reads a batch payload.
func ParseSendEmailBatch(t *asynq.Task) (SendEmailBatchPayload, error) {
	var p SendEmailBatchPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || len(p.EmailIDs) == 0 {
		return p, fmt.Errorf("bad %s payload: %v", TypeSendEmailBatch, err)
	}
	return p, nil
}

// EnqueueBatches enqueues ids (due now, on one queue) as batch tasks of
// EmailBatchSize. A batch's task id comes from its first email's id, so
// enqueuing the same batches again is refused as a conflict.
func (q *Enqueuer) EnqueueBatches(ctx context.Context, queue string, ids []int64) error {
	ctx, cancel := q.bounded(ctx)
	defer cancel()
	requestID := RequestID(ctx)
	for start := 0; start < len(ids); start += EmailBatchSize {
		batch := ids[start:min(start+EmailBatchSize, len(ids))]
		payload, err := json.Marshal(SendEmailBatchPayload{EmailIDs: batch, RequestID: requestID})
		if err != nil {
			return err
		}
		task := asynq.NewTask(TypeSendEmailBatch, payload, asynq.Queue(queue),
			asynq.TaskID("emails:"+strconv.FormatInt(batch[0], 10)+"+"+strconv.Itoa(len(batch))),
			asynq.MaxRetry(MaxRetry), asynq.Timeout(5*time.Minute))
		if _, err := q.Client.EnqueueContext(ctx, task); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
			return fmt.Errorf("enqueue emails from %d: %w", batch[0], err)
		}
	}
	return nil
}

// EnqueueCloseFanout enqueues the fan-out of a close round.
func (q *Enqueuer) EnqueueCloseFanout(ctx context.Context, postingID int64, round int) error {
	ctx, cancel := q.bounded(ctx)
	defer cancel()
	task, err := newCloseFanoutTask(CloseFanoutPayload{PostingID: postingID, Round: round, RequestID: RequestID(ctx)})
	if err != nil {
		return err
	}
	if _, err := q.Client.EnqueueContext(ctx, task); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("enqueue close fan-out of posting %d: %w", postingID, err)
	}
	return nil
}

// Outgoing is one email to enqueue.
type Outgoing struct {
	ID        int64
	Queue     string
	SendAfter time.Time
}

// Enqueuer puts outbox emails on the queue after their transaction commits.
type Enqueuer struct {
	Client *asynq.Client
	// Timeout bounds the wait for Redis: past it the email stays pending
	// and the scheduler's sweep enqueues it later.
	Timeout time.Duration
	// Now is the clock the emails' SendAfter is read on, the repository's
	// (time.Now when nil).
	Now func() time.Time
}

// Enqueue enqueues each email, treating "already queued" as success. It
// returns the first error after trying them all; callers log it and carry
// on, since the outbox keeps the email.
func (q *Enqueuer) Enqueue(ctx context.Context, emails ...Outgoing) error {
	_, err := q.EnqueueAll(ctx, emails...)
	return err
}

// EnqueueAll enqueues each email and also returns those whose task id
// asynq already holds (queued, retrying, or kept archived or completed).
func (q *Enqueuer) EnqueueAll(ctx context.Context, emails ...Outgoing) (conflicts []Outgoing, err error) {
	ctx, cancel := q.bounded(ctx)
	defer cancel()
	requestID := RequestID(ctx)
	now := time.Now
	if q.Now != nil {
		now = q.Now
	}
	var first error
	for _, e := range emails {
		if e.Queue == "" {
			e.Queue = QueueDefault
		}
		task, err := newSendEmailTask(SendEmailPayload{EmailID: e.ID, RequestID: requestID}, e.Queue, e.SendAfter, now())
		if err == nil {
			_, err = q.Client.EnqueueContext(ctx, task)
		}
		switch {
		case err == nil:
		case errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask):
			conflicts = append(conflicts, e)
		default:
			if first == nil {
				first = fmt.Errorf("enqueue email %d: %w", e.ID, err)
			}
			if ctx.Err() != nil {
				return conflicts, first // Redis is not answering: leave the rest to the sweep
			}
		}
	}
	return conflicts, first
}

// bounded is ctx without its cancellation (what was committed is enqueued
// even if the request ended) but with the enqueuer's timeout: a Redis
// that does not answer must not hold the caller back.
func (q *Enqueuer) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	timeout := q.Timeout
	if timeout == 0 {
		timeout = 2 * time.Second
	}
	return context.WithTimeout(context.WithoutCancel(ctx), timeout)
}

// requestIDKey is the context key of the request id.
type requestIDKey struct{}

// WithRequestID returns ctx carrying the id of the HTTP request (or of the
// task) on whose behalf work is done: the enqueuer copies it into the
// payloads so a worker's log lines can be traced to the request.
func WithRequestID(ctx context.Context, id string) context.Context {
	if id == "" {
		return ctx
	}
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID is the request id ctx carries, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
