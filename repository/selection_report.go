package repository

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"vivier/internal/catalog"
)

// ReportApplication is an application as the selection report lists it.
type ReportApplication struct {
	ID         int64          `db:"id"`
	Status     catalog.Status `db:"status"`
	FirstName  string         `db:"first_name"`
	LastName   string         `db:"last_name"`
	CreatedAt  time.Time      `db:"created_at"`
	ErasedAt   *time.Time     `db:"erased_at"`
	RevealedAt *time.Time     `db:"revealed_at"`
	ScoreMean  float64        `db:"score_mean"`
	Scorecards int            `db:"scorecard_count"`
}

// Decision is a status change of an application: who, when, and why for
// a rejection.
type Decision struct {
	ApplicationID int64           `db:"application_id"`
	From          *catalog.Status `db:"from_status"`
	To            *catalog.Status `db:"to_status"`
	Actor         string          `db:"actor"`
	At            time.Time       `db:"created_at"`
	Reason        string          `db:"reason"`
}

// SelectionReport is how a posting's choice was made, for the file: its
// criteria (removed ones included), every application with its scorecards
// and every status change.
type SelectionReport struct {
	Criteria     []Criterion
	Applications []ReportApplication // by mean, highest first, then by number
	Scorecards   map[int64][]Scorecard
	Decisions    map[int64][]Decision // oldest first
}

// SelectionReportOf reads a posting's selection report as one consistent
// snapshot.
func (r *Repo) SelectionReportOf(ctx context.Context, postingID int64) (*SelectionReport, error) {
	tx, err := r.db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	rep := &SelectionReport{Scorecards: map[int64][]Scorecard{}, Decisions: map[int64][]Decision{}}
	if err := tx.SelectContext(ctx, &rep.Criteria, `SELECT `+criterionColumns+` FROM evaluation_criteria
		WHERE posting_id = $1 ORDER BY position, id`, postingID); err != nil {
		return nil, fmt.Errorf("report criteria: %w", err)
	}
	if err := tx.SelectContext(ctx, &rep.Applications, `SELECT id, status, first_name, last_name, created_at, erased_at,
		revealed_at, score_mean, scorecard_count FROM applications WHERE posting_id = $1 ORDER BY score_mean DESC, id`, postingID); err != nil {
		return nil, fmt.Errorf("report applications: %w", err)
	}
	cards, err := selectScorecards(ctx, tx, `a.posting_id = $1`, postingID)
	if err != nil {
		return nil, err
	}
	for _, s := range cards {
		rep.Scorecards[s.ApplicationID] = append(rep.Scorecards[s.ApplicationID], s)
	}
	var decisions []Decision
	if err := tx.SelectContext(ctx, &decisions, `SELECT e.application_id, e.from_status, e.to_status, e.actor, e.created_at, e.reason
		FROM application_events e JOIN applications a ON a.id = e.application_id
		WHERE a.posting_id = $1 AND e.kind = $2 ORDER BY e.created_at, e.id`, postingID, EventStatusChanged); err != nil {
		return nil, fmt.Errorf("report decisions: %w", err)
	}
	for _, d := range decisions {
		rep.Decisions[d.ApplicationID] = append(rep.Decisions[d.ApplicationID], d)
	}
	return rep, nil
}
