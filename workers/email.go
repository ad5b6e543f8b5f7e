package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"

	"vivier/internal/compose"
	"vivier/internal/metrics"
	"vivier/internal/sendrate"
	"vivier/repository"
	"vivier/workers/tasks"
)

// EmailSender sends one outbox row and returns its Message-ID.
type EmailSender interface {
	Send(ctx context.Context, e *repository.Email) (string, error)
}

// EmailHandler sends the emails of the outbox, claiming each row before
// sending so that at-least-once delivery from asynq does not mean twice.
type EmailHandler struct {
	Repo   *repository.Repo
	Sender EmailSender
	Log    *slog.Logger
	// Metrics records send latency; nil records nothing.
	Metrics *metrics.Metrics
	// Enqueuer hands an email of a batch that failed for now to a task of
	// its own, which retries it with backoff.
	Enqueuer *tasks.Enqueuer
	// RetryDelay is the wait before that task's first attempt.
	RetryDelay time.Duration
	// Rate paces sends by SMTP_RATE across every worker, and slows down
	// when the relay says it receives too many; nil paces nothing.
	Rate *sendrate.Limiter
}

// ProcessTask implements asynq.Handler for tasks.TypeSendEmail
// (processBatch handles tasks.TypeSendEmailBatch).
func (h *EmailHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	p, err := tasks.ParseSendEmail(t)
	if err != nil {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	log := h.Log.With("email_id", p.EmailID)
	if p.RequestID != "" {
		log = log.With("request_id", p.RequestID)
	}
	e, err := h.Repo.ClaimEmail(ctx, p.EmailID)
	if errors.Is(err, repository.ErrNotFound) || errors.Is(err, repository.ErrConflict) {
		log.Debug("email not to be sent now: skipped")
		return nil
	}
	if err != nil {
		return err // the database is not answering: asynq retries
	}
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, ok := asynq.GetMaxRetry(ctx)
	return h.deliver(ctx, log, e, ok && retried >= maxRetry)
}

// processBatch claims a batch's emails in one statement and sends them in
// turn. One that fails for now goes back to pending with a task of its
// own; the others carry on.
func (h *EmailHandler) processBatch(ctx context.Context, t *asynq.Task) error {
	p, err := tasks.ParseSendEmailBatch(t)
	if err != nil {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	log := h.Log
	if p.RequestID != "" {
		log = log.With("request_id", p.RequestID)
	}
	// On the repository's clock, which says when a claim goes stale.
	claimedAt := h.Repo.Now()
	claimed, err := h.Repo.ClaimEmails(ctx, p.EmailIDs)
	if err != nil {
		return err // the database is not answering: asynq retries the batch
	}
	for i, e := range claimed {
		// The claim fences an email only until it goes stale: past half its
		// lifetime (a very slow relay), what is left is handed back rather
		// than sent on a claim another worker may take over.
		if ctx.Err() != nil || h.Repo.Now().Sub(claimedAt) > h.Repo.ClaimLifetime()/2 {
			// The batch is retried; what was sent is skipped then. What is
			// left was not tried: its attempt does not count.
			h.putBack(log, claimed[i:], "envoi interrompu ; il reprendra")
			if err := ctx.Err(); err != nil {
				return err
			}
			return &NotNowError{Reason: fmt.Sprintf("batch of %d emails: %d left after %s", len(claimed), len(claimed)-i,
				h.Repo.Now().Sub(claimedAt).Round(time.Second)), After: h.RetryDelay}
		}
		err := h.deliver(ctx, log.With("email_id", e.ID), e, false)
		if err == nil || errors.Is(err, asynq.SkipRetry) {
			continue // sent, or refused for good and recorded
		}
		delay := h.RetryDelay
		if d, ok := notNowDelay(err); ok {
			delay = d
		}
		retry := []tasks.Outgoing{{ID: e.ID, Queue: compose.Kind(e.Kind).Queue(), SendAfter: h.Repo.Now().Add(delay)}}
		if err := h.Enqueuer.Enqueue(ctx, retry...); err != nil {
			// It is pending in the outbox: the sweep enqueues it again.
			log.Warn("enqueue retry failed; the outbox sweep will retry", "email_id", e.ID, "error", err)
		}
	}
	return nil
}

// putBack puts claimed emails back to pending, untried.
func (h *EmailHandler) putBack(log *slog.Logger, es []*repository.Email, reason string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, e := range es {
		if err := h.Repo.PutBackEmail(ctx, e, reason); err != nil && !errors.Is(err, repository.ErrConflict) {
			log.Warn("put email back", "email_id", e.ID, "error", err)
		}
	}
}

// deliver sends one claimed email and records the outcome. It returns nil
// when sent, an error wrapping asynq.SkipRetry when refused for good (or
// on the last try), and the send error when worth a retry, the email
// being back to pending.
func (h *EmailHandler) deliver(ctx context.Context, log *slog.Logger, e *repository.Email, lastTry bool) error {
	// The link goes in only now, in memory: the row keeps it sealed.
	sendable, err := h.Repo.WithLink(e)
	if err != nil {
		log.Error("email not sent: its link cannot be opened", "error", err)
		if err := h.Repo.MarkEmailFailed(context.WithoutCancel(ctx), e, "Non envoyé : son lien personnel ne peut plus être ouvert (LINK_KEY a changé depuis son écriture)."); err != nil {
			return err
		}
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	if h.Rate != nil {
		// Its turn in the schedule every worker shares.
		if err := h.Rate.Wait(ctx); err != nil {
			log.Warn("email not sent: its turn under SMTP_RATE could not be taken; put back", "error", err)
			h.putBack(log, []*repository.Email{e}, "en attente de son tour d'envoi")
			return &NotNowError{Reason: err.Error(), After: 5 * time.Second}
		}
	}
	start := time.Now()
	messageID, sendErr := h.Sender.Send(ctx, sendable)
	e.ReplyTo = sendable.ReplyTo // as sent (the routing address, when replies are read)
	h.Metrics.ObserveSend(sendOutcome(sendErr), time.Since(start))
	// The outcome is recorded even if the task's context ended meanwhile.
	recordCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Minute)
	defer cancel()
	defer func(recording time.Time) { h.Metrics.ObserveRecord(time.Since(recording)) }(time.Now())

	var permanent *PermanentError
	var busy *RelayBusyError
	switch {
	case errors.As(sendErr, &busy):
		// Not the email's fault: slow everyone down, and send it again
		// later without counting this attempt.
		after := 5 * time.Second
		if h.Rate != nil {
			factor, err := h.Rate.SlowDown(recordCtx)
			if err != nil {
				log.Warn("slowing down the SMTP rate failed", "error", err)
			}
			if h.Rate.Rate > 0 {
				after = max(after, time.Duration(float64(factor)/h.Rate.Rate*float64(time.Second)))
			} else {
				after = max(after, time.Duration(factor)*time.Second)
			}
			log.Warn("the relay receives too many emails: slowing down, email put back", "error", sendErr, "slowdown", factor)
		} else {
			log.Warn("the relay receives too many emails: email put back", "error", sendErr)
		}
		if err := h.Repo.PutBackEmail(recordCtx, e, busy.Error()); err != nil {
			return err
		}
		return &NotNowError{Reason: busy.Error(), After: after}
	case sendErr == nil:
		// Sent: recording it must not fail for a database blip, or the row
		// would be sent again once its claim is stale. Keep trying.
		err := retry(recordCtx, func() error { return h.Repo.MarkEmailSent(recordCtx, e, messageID) })
		if err != nil {
			log.Error("email sent but not recorded", "error", err, "message_id", messageID)
			return nil
		}
		log.Info("email sent", "kind", e.Kind, "message_id", messageID)
		return nil
	case errors.As(sendErr, &permanent):
		log.Warn("email refused for good", "error", sendErr)
		if err := h.Repo.MarkEmailFailed(recordCtx, e, permanent.Reason); err != nil {
			return err
		}
		return fmt.Errorf("%w: %w", sendErr, asynq.SkipRetry)
	case lastTry:
		log.Error("email failed after every retry", "error", sendErr)
		if err := h.Repo.MarkEmailFailed(recordCtx, e, sendErr.Error()); err != nil {
			return err
		}
		return fmt.Errorf("%w: %w", sendErr, asynq.SkipRetry)
	default:
		log.Warn("email not sent, will retry", "error", sendErr)
		if err := h.Repo.ReleaseEmail(recordCtx, e, sendErr.Error()); err != nil {
			return err
		}
		return sendErr
	}
}

// sendOutcome is the metrics label of a send's result.
func sendOutcome(err error) string {
	var permanent *PermanentError
	switch {
	case err == nil:
		return metrics.SendOK
	case errors.As(err, &permanent):
		return metrics.SendPermanent
	default:
		return metrics.SendTemporary
	}
}

// retry calls f until it succeeds, the claim is lost, or ctx ends, waiting
// a little longer each time.
func retry(ctx context.Context, f func() error) error {
	wait := 200 * time.Millisecond
	for {
		err := f()
		if err == nil || errors.Is(err, repository.ErrConflict) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(wait*2, 10*time.Second)
	}
}

// RetryDelay is the backoff between attempts: 5 s, 10 s, 20 s ... capped
// at 10 minutes, plus up to 20 % jitter.
//
// An email put back untried (NotNowError) waits what the error says.
func RetryDelay(base time.Duration) asynq.RetryDelayFunc {
	return func(n int, err error, _ *asynq.Task) time.Duration {
		if d, ok := notNowDelay(err); ok {
			return d
		}
		d := base << min(n, 20)
		if d <= 0 || d > 10*time.Minute {
			d = 10 * time.Minute
		}
		return d + time.Duration(float64(d)*0.2*rand.Float64())
	}
}
