package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// TypeLostLinkRequest handles an applicant's request for their private
// links (/lien-perdu): whether the address applied, and its emails, are
// decided here rather than in the web request, so the request costs the
// same for every address.
const TypeLostLinkRequest = "privatelink:request"

// LostLinkRequestPayload is the address asked for.
type LostLinkRequestPayload struct {
	Email     string `json:"email"`
	RequestID string `json:"request_id,omitempty"`
}

// EnqueueLostLinkRequest hands a request for private links to the
// workers, on the critical queue (a person waits for the email).
func (q *Enqueuer) EnqueueLostLinkRequest(ctx context.Context, email string) error {
	ctx, cancel := q.bounded(ctx)
	defer cancel()
	payload, err := json.Marshal(LostLinkRequestPayload{Email: email, RequestID: RequestID(ctx)})
	if err != nil {
		return err
	}
	task := asynq.NewTask(TypeLostLinkRequest, payload, asynq.Queue(QueueCritical), asynq.MaxRetry(signInMaxRetry),
		asynq.Timeout(time.Minute))
	if _, err := q.Client.EnqueueContext(ctx, task); err != nil {
		return fmt.Errorf("enqueue private links request: %w", err)
	}
	return nil
}

// ParseLostLinkRequest reads a request for private links' payload.
func ParseLostLinkRequest(t *asynq.Task) (LostLinkRequestPayload, error) {
	var p LostLinkRequestPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.Email == "" {
		return p, fmt.Errorf("bad %s payload: %v", TypeLostLinkRequest, err)
	}
	return p, nil
}
