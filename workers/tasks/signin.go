package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// TypeSignInRequest handles a request for a sign-in link: whether the
// address may sign in, and its email, are decided here rather than in the
// web request, so the request costs the same for every address.
const TypeSignInRequest = "signin:request"

// SignInRequestPayload is the address asked for and where to go after
// signing in.
type SignInRequestPayload struct {
	Email     string `json:"email"`
	Next      string `json:"suite,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// signInMaxRetry is short: a link that arrives an hour late is no use.
const signInMaxRetry = 5

// EnqueueSignInRequest hands a sign-in request to the workers, on the
// critical queue.
func (q *Enqueuer) EnqueueSignInRequest(ctx context.Context, email, next string) error {
	ctx, cancel := q.bounded(ctx)
	defer cancel()
	payload, err := json.Marshal(SignInRequestPayload{Email: email, Next: next, RequestID: RequestID(ctx)})
	if err != nil {
		return err
	}
	task := asynq.NewTask(TypeSignInRequest, payload, asynq.Queue(QueueCritical), asynq.MaxRetry(signInMaxRetry),
		asynq.Timeout(time.Minute))
	if _, err := q.Client.EnqueueContext(ctx, task); err != nil {
		return fmt.Errorf("enqueue sign-in request: %w", err)
	}
	return nil
}

// ParseSignInRequest reads a sign-in request's payload.
func ParseSignInRequest(t *asynq.Task) (SignInRequestPayload, error) {
	var p SignInRequestPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.Email == "" {
		return p, fmt.Errorf("bad %s payload: %v", TypeSignInRequest, err)
	}
	return p, nil
}
