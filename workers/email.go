package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"vivier/internal/metrics"
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
}

// ProcessTask implements asynq.Handler for tasks.TypeSendEmail.
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

	start := time.Now()
	messageID, sendErr := h.Sender.Send(ctx, e)
	h.Metrics.ObserveSend(sendOutcome(sendErr), time.Since(start))
	// The outcome is recorded even if the task's context ended meanwhile.
	recordCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Minute)
	defer cancel()

	var permanent *PermanentError
	switch {
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
	default:
		retried, _ := asynq.GetRetryCount(ctx)
		maxRetry, ok := asynq.GetMaxRetry(ctx)
		if ok && retried >= maxRetry {
			log.Error("email failed after every retry", "error", sendErr)
			if err := h.Repo.MarkEmailFailed(recordCtx, e, sendErr.Error()); err != nil {
				return err
			}
			return fmt.Errorf("%w: %w", sendErr, asynq.SkipRetry)
		}
		log.Warn("email not sent, will retry", "error", sendErr, "retry", retried)
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
func RetryDelay(base time.Duration) asynq.RetryDelayFunc {
	return func(n int, _ error, _ *asynq.Task) time.Duration {
		d := base << min(n, 20)
		if d <= 0 || d > 10*time.Minute {
			d = 10 * time.Minute
		}
		return d + time.Duration(float64(d)*0.2*jitter())
	}
}
