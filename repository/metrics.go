package repository

import (
	"context"
	"fmt"
)

// EmailCountsByStatus counts the outbox's emails by status, for the
// metrics scraped by Prometheus.
func (r *Repo) EmailCountsByStatus(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		Status string `db:"status"`
		Count  int    `db:"count"`
	}
	if err := r.db.SelectContext(ctx, &rows, `SELECT status, count(*) AS count FROM emails GROUP BY status`); err != nil {
		return nil, fmt.Errorf("count emails by status: %w", err)
	}
	out := make(map[string]int, len(rows))
	for _, row := range rows {
		out[row.Status] = row.Count
	}
	return out, nil
}

// EmailStatuses lists every status an email can have.
func EmailStatuses() []string {
	return []string{EmailPending, EmailSending, EmailSent, EmailFailed, EmailCancelled}
}
