// Package workers holds the asynq task handlers and the SMTP sender.
package workers

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"vivier/internal/privatelink"
	"vivier/internal/signin"
	"vivier/workers/tasks"
)

// NewMux registers every task handler on one mux, with logging.
func NewMux(emails *EmailHandler, fanout *CloseFanoutHandler, signIn *signin.Mailer, lostLink *privatelink.Mailer, log *slog.Logger) *asynq.ServeMux {
	mux := asynq.NewServeMux()
	mux.Use(logging(log))
	mux.Handle(tasks.TypeSendEmail, emails)
	mux.HandleFunc(tasks.TypeSendEmailBatch, emails.processBatch)
	mux.Handle(tasks.TypeCloseFanout, fanout)
	mux.HandleFunc(tasks.TypeSignInRequest, signInRequest(signIn))
	mux.HandleFunc(tasks.TypeLostLinkRequest, lostLinkRequest(lostLink))
	return mux
}

// lostLinkRequest emails new private links to the address of a request
// from /lien-perdu, if it applied.
func lostLinkRequest(m *privatelink.Mailer) asynq.HandlerFunc {
	return func(ctx context.Context, t *asynq.Task) error {
		p, err := tasks.ParseLostLinkRequest(t)
		if err != nil {
			return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
		}
		return m.Send(tasks.WithRequestID(ctx, p.RequestID), p.Email)
	}
}

// signInRequest looks up the address of a sign-in request and, if it may
// sign in, writes and enqueues its link.
func signInRequest(m *signin.Mailer) asynq.HandlerFunc {
	return func(ctx context.Context, t *asynq.Task) error {
		p, err := tasks.ParseSignInRequest(t)
		if err != nil {
			return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
		}
		return m.Send(tasks.WithRequestID(ctx, p.RequestID), p.Email, p.Next)
	}
}

// ServerConfig is the asynq server's configuration for Vivier's queues.
func ServerConfig(concurrency int, retryBase time.Duration, log *slog.Logger) asynq.Config {
	return asynq.Config{
		Concurrency:    concurrency,
		Queues:         tasks.Queues(),
		RetryDelayFunc: RetryDelay(retryBase),
		// An email put back untried spends none of its retries.
		IsFailure:       isFailure,
		ShutdownTimeout: 25 * time.Second,
		// Retries and delayed emails are due to the second.
		DelayedTaskCheckInterval: time.Second,
		TaskCheckInterval:        100 * time.Millisecond, // an idle worker looks for work 10 times a second (asynq: once): a burst starts at once
		Logger:                   asynqLogger{log},
		LogLevel:                 asynq.WarnLevel,
		// A failed send is already logged by the handler.
		ErrorHandler: asynq.ErrorHandlerFunc(func(context.Context, *asynq.Task, error) {}),
	}
}

func logging(log *slog.Logger) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			id, _ := asynq.GetTaskID(ctx)
			start := time.Now()
			err := next.ProcessTask(ctx, t)
			log.Debug("task done", "task_id", id, "type", t.Type(), "duration", time.Since(start), "error", err)
			return err
		})
	}
}

// asynqLogger sends asynq's own messages to slog.
type asynqLogger struct{ log *slog.Logger }

func (l asynqLogger) Debug(args ...any) { l.log.Debug("asynq", "detail", args) }
func (l asynqLogger) Info(args ...any)  { l.log.Info("asynq", "detail", args) }
func (l asynqLogger) Warn(args ...any)  { l.log.Warn("asynq", "detail", args) }
func (l asynqLogger) Error(args ...any) { l.log.Error("asynq", "detail", args) }
func (l asynqLogger) Fatal(args ...any) { l.log.Error("asynq fatal", "detail", args) }
