package repository

import "context"

// PutBackEmail returns a claimed email to the outbox untried: pending
// again, its claim's attempt not counted, reason kept as its last error
// (a relay that said it receives too many, a send that waited for its
// turn and was stopped). It returns ErrConflict when the claim was lost.
func (r *Repo) PutBackEmail(ctx context.Context, e *Email, reason string) error {
	return r.settle(ctx, e, `status = 'pending', claimed_at = NULL, attempts = greatest(attempts - 1, 0), last_error = $3`, reason)
}
