package repository

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"vivier/internal/catalog"
)

// Evaluation criteria and scorecards. A posting's reviewers (and admins)
// edit its criteria at any time; each reviewer fills one scorecard per
// application (a second submission updates theirs). A scorecard's score
// is the weighted mean of its marks on the criteria still in use, or its
// recommendation when it has none (a rating from before scorecards); an
// application's mean is the mean of its scorecards' scores, kept on the
// application (score_mean, scorecard_count) for the list to sort on.

// Audit actions of this file.
const (
	AuditScorecardSaved   = "scorecard_saved"
	AuditCriteriaChanged  = "criteria_changed"
	AuditReportDownloaded = "selection_report_exported"
)

// Bounds of criteria.
const (
	MaxCriteria        = 20
	MaxCriterionName   = 100
	MaxCriterionHint   = 1000
	MinCriterionWeight = 1
	MaxCriterionWeight = 5
	MaxScorecardNote   = 5000
)

// ErrTooManyCriteria is returned when a posting would pass MaxCriteria.
var ErrTooManyCriteria = fmt.Errorf("more than %d criteria: %w", MaxCriteria, ErrConflict)

// ErrUnknownCriterion is returned for a mark on a criterion the posting
// does not use.
var ErrUnknownCriterion = fmt.Errorf("unknown criterion: %w", ErrConflict)

// Criterion is one of a posting's evaluation criteria.
type Criterion struct {
	ID        int64      `db:"id"`
	PostingID int64      `db:"posting_id"`
	Name      string     `db:"name"`
	Guidance  string     `db:"guidance"` // what a good answer looks like
	Weight    int        `db:"weight"`
	Position  int        `db:"position"`
	RemovedAt *time.Time `db:"removed_at"`
}

const criterionColumns = `id, posting_id, name, guidance, weight, position, removed_at`

// DefaultCriteria is the set offered for a posting without criteria (and
// given to every posting that existed before criteria, by migration 00018).
func DefaultCriteria() []Criterion {
	return []Criterion{
		{Name: "Expérience de missions comparables", Weight: 3,
			Guidance: "A déjà mené des missions proches de celle-ci (sujet, public, durée) et dit ce qu'elle ou il y a fait."},
		{Name: "Compétences pour la mission", Weight: 3,
			Guidance: "Maîtrise les méthodes ou techniques que demande l'offre, avec des exemples précis."},
		{Name: "Connaissance du secteur public", Weight: 2,
			Guidance: "Connaît le fonctionnement des administrations ou des collectivités et leurs contraintes."},
		{Name: "Clarté et motivation", Weight: 1,
			Guidance: "Répond à l'offre elle-même, clairement, et dit ce qu'elle ou il veut y apporter."},
	}
}

// Criteria lists a posting's criteria in order; removed ones too when
// withRemoved (those hold marks the report shows).
func (r *Repo) Criteria(ctx context.Context, postingID int64, withRemoved bool) ([]Criterion, error) {
	var out []Criterion
	err := r.db.SelectContext(ctx, &out, `SELECT `+criterionColumns+` FROM evaluation_criteria
		WHERE posting_id = $1 AND ($2 OR removed_at IS NULL) ORDER BY position, id`, postingID, withRemoved)
	if err != nil {
		return nil, fmt.Errorf("criteria of posting %d: %w", postingID, err)
	}
	return out, nil
}

// AddCriteria appends criteria to a posting's, in one transaction.
// Returns ErrTooManyCriteria past MaxCriteria, ErrNotFound for an unknown posting.
func (r *Repo) AddCriteria(ctx context.Context, postingID int64, cs []Criterion, actor string) error {
	return r.inTx(ctx, func(tx *Tx) error {
		var n, last int
		err := tx.QueryRowContext(ctx, `SELECT count(c.id) FILTER (WHERE c.removed_at IS NULL), coalesce(max(c.position), 0)
			FROM postings p LEFT JOIN evaluation_criteria c ON c.posting_id = p.id WHERE p.id = $1 GROUP BY p.id`, postingID).Scan(&n, &last)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("criteria of posting %d: %w", postingID, err)
		}
		if n+len(cs) > MaxCriteria {
			return ErrTooManyCriteria
		}
		// Writers of one posting's criteria take turns.
		if _, err := tx.ExecContext(ctx, `SELECT 1 FROM postings WHERE id = $1 FOR UPDATE`, postingID); err != nil {
			return fmt.Errorf("lock posting %d: %w", postingID, err)
		}
		names := make([]string, len(cs))
		for i, c := range cs {
			last++
			names[i] = c.Name
			if _, err := tx.ExecContext(ctx, `INSERT INTO evaluation_criteria (posting_id, name, guidance, weight, position, created_by, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, postingID, c.Name, c.Guidance, c.Weight, last, actor, tx.now); err != nil {
				return fmt.Errorf("add criterion: %w", err)
			}
		}
		return insertAudit(ctx, tx, tx.now, actor, AuditCriteriaChanged, postingID, 0, map[string]any{"ajoutes": names})
	})
}

// UpdateCriterion changes a criterion's name, guidance and weight, and
// the means that depend on its weight, in one transaction. Returns
// ErrNotFound when it is not a criterion in use of the posting.
func (r *Repo) UpdateCriterion(ctx context.Context, postingID int64, c Criterion, actor string) error {
	return r.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE evaluation_criteria SET name = $3, guidance = $4, weight = $5
			WHERE id = $1 AND posting_id = $2 AND removed_at IS NULL`, c.ID, postingID, c.Name, c.Guidance, c.Weight)
		if err != nil {
			return fmt.Errorf("update criterion %d: %w", c.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if err := rescorePosting(ctx, tx, postingID); err != nil {
			return err
		}
		return insertAudit(ctx, tx, tx.now, actor, AuditCriteriaChanged, postingID, 0,
			map[string]any{"modifie": c.Name, "poids": c.Weight})
	})
}

// RemoveCriterion takes a criterion out of use: it no longer appears on
// scorecards nor counts in the means; its marks are kept for the report.
// Removing it again does nothing. Returns ErrNotFound when it is not a
// criterion of the posting.
func (r *Repo) RemoveCriterion(ctx context.Context, postingID, criterionID int64, actor string) error {
	return r.inTx(ctx, func(tx *Tx) error {
		var name string
		err := tx.QueryRowContext(ctx, `UPDATE evaluation_criteria SET removed_at = $3
			WHERE id = $1 AND posting_id = $2 AND removed_at IS NULL RETURNING name`, criterionID, postingID, tx.now).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			// Removed already (a second click): done; another posting's: not found.
			var removed bool
			err = tx.QueryRowContext(ctx, `SELECT true FROM evaluation_criteria WHERE id = $1 AND posting_id = $2`,
				criterionID, postingID).Scan(&removed)
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			if err != nil {
				return fmt.Errorf("remove criterion %d: %w", criterionID, err)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("remove criterion %d: %w", criterionID, err)
		}
		if err := rescorePosting(ctx, tx, postingID); err != nil {
			return err
		}
		return insertAudit(ctx, tx, tx.now, actor, AuditCriteriaChanged, postingID, 0, map[string]any{"retire": name})
	})
}

// cardScore is a scorecard's score (see the file's comment), over s.
const cardScore = `coalesce((SELECT sum(c.weight * m.mark)::float8 / sum(c.weight) FROM scorecard_marks m
	JOIN evaluation_criteria c ON c.id = m.criterion_id AND c.removed_at IS NULL WHERE m.scorecard_id = s.id), s.recommendation)`

// rescorePosting computes again every scorecard's score of a posting and
// its applications' means, after a change of its criteria.
func rescorePosting(ctx context.Context, tx *Tx, postingID int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE scorecards s SET score = `+cardScore+`
		FROM applications a WHERE a.id = s.application_id AND a.posting_id = $1`, postingID); err != nil {
		return fmt.Errorf("rescore posting %d: %w", postingID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE applications a SET score_mean = x.mean
		FROM (SELECT s.application_id, avg(s.score)::float8 AS mean FROM scorecards s
			JOIN applications b ON b.id = s.application_id WHERE b.posting_id = $1 GROUP BY s.application_id) x
		WHERE a.id = x.application_id AND a.score_mean <> x.mean`, postingID); err != nil {
		return fmt.Errorf("rescore posting %d: %w", postingID, err)
	}
	return nil
}

// Scorecard is one reviewer's evaluation of an application.
type Scorecard struct {
	ID             int64                  `db:"id"`
	ApplicationID  int64                  `db:"application_id"`
	Reviewer       string                 `db:"reviewer"`
	Recommendation catalog.Recommendation `db:"recommendation"`
	Comment        string                 `db:"comment"`
	Score          float64                `db:"score"`
	CreatedAt      time.Time              `db:"created_at"`
	UpdatedAt      time.Time              `db:"updated_at"`
	// Marks by criterion id.
	Marks map[int64]catalog.Mark `db:"-"`
}

const scorecardColumns = `s.id, s.application_id, s.reviewer, s.recommendation, s.comment, s.score, s.created_at, s.updated_at`

// ScorecardInput is what a reviewer submits.
type ScorecardInput struct {
	Recommendation catalog.Recommendation
	Comment        string
	Marks          map[int64]catalog.Mark // by criterion id
}

// SaveScorecard writes reviewer's scorecard of an application of the
// posting (replacing theirs, if any), its marks, the application's mean
// and the audit line in one transaction. It reports whether the card is
// new (xmax is 0 on a row the statement inserted). Returns ErrNotFound when the application is not one of the
// posting's (or erased), ErrUnknownCriterion for a mark on a criterion
// the posting does not use.
func (r *Repo) SaveScorecard(ctx context.Context, postingID, appID int64, reviewer string, in ScorecardInput) (bool, error) {
	created := false
	err := r.inTx(ctx, func(tx *Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM applications WHERE id = $1 AND posting_id = $2 AND erased_at IS NULL FOR UPDATE`,
			appID, postingID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("lock application %d: %w", appID, err)
		}
		var cardID int64
		err = tx.QueryRowContext(ctx, `INSERT INTO scorecards AS s (application_id, reviewer, recommendation, comment, score, created_at, updated_at)
			VALUES ($1, lower($2), $3::int, $4, $3::int::float8, $5, $5)
			ON CONFLICT (application_id, reviewer) DO UPDATE SET recommendation = EXCLUDED.recommendation,
				comment = EXCLUDED.comment, updated_at = EXCLUDED.updated_at
			RETURNING s.id, (s.xmax = 0)`, appID, reviewer, int(in.Recommendation), in.Comment, tx.now).Scan(&cardID, &created)
		if err != nil {
			return fmt.Errorf("save scorecard: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM scorecard_marks WHERE scorecard_id = $1`, cardID); err != nil {
			return fmt.Errorf("save scorecard: %w", err)
		}
		ids, marks := make([]int64, 0, len(in.Marks)), make([]int64, 0, len(in.Marks))
		for c, m := range in.Marks {
			ids, marks = append(ids, c), append(marks, int64(m))
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO scorecard_marks (scorecard_id, criterion_id, mark)
			SELECT $1, c.id, m.mark FROM unnest($3::bigint[], $4::smallint[]) AS m(criterion_id, mark)
			JOIN evaluation_criteria c ON c.id = m.criterion_id AND c.posting_id = $2 AND c.removed_at IS NULL`,
			cardID, postingID, pq.Array(ids), pq.Array(marks))
		if err != nil {
			return fmt.Errorf("save scorecard marks: %w", err)
		}
		if n, _ := res.RowsAffected(); int(n) != len(ids) {
			return ErrUnknownCriterion
		}
		if _, err := tx.ExecContext(ctx, `UPDATE scorecards s SET score = `+cardScore+` WHERE s.id = $1`, cardID); err != nil {
			return fmt.Errorf("score scorecard: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE applications SET
			(score_mean, scorecard_count) = (SELECT avg(score)::float8, count(*) FROM scorecards WHERE application_id = $1)
			WHERE id = $1`, appID); err != nil {
			return fmt.Errorf("application %d mean: %w", appID, err)
		}
		return insertAudit(ctx, tx, tx.now, reviewer, AuditScorecardSaved, postingID, appID,
			map[string]any{"recommandation": int(in.Recommendation), "nouvelle": created})
	})
	return created, err
}

// ScorecardsOf lists an application's scorecards with their marks, oldest first.
func (r *Repo) ScorecardsOf(ctx context.Context, appID int64) ([]Scorecard, error) {
	return selectScorecards(ctx, r.db, `s.application_id = $1`, appID)
}

// selectScorecards reads the scorecards (s) of applications (a) where.
func selectScorecards(ctx context.Context, q sqlx.QueryerContext, where string, arg any) ([]Scorecard, error) {
	var cards []Scorecard
	if err := sqlx.SelectContext(ctx, q, &cards, `SELECT `+scorecardColumns+` FROM scorecards s
		JOIN applications a ON a.id = s.application_id WHERE `+where+` ORDER BY s.application_id, s.created_at, s.id`, arg); err != nil {
		return nil, fmt.Errorf("scorecards: %w", err)
	}
	if len(cards) == 0 {
		return cards, nil
	}
	var marks []struct {
		Card      int64 `db:"scorecard_id"`
		Criterion int64 `db:"criterion_id"`
		Mark      int   `db:"mark"`
	}
	if err := sqlx.SelectContext(ctx, q, &marks, `SELECT m.scorecard_id, m.criterion_id, m.mark FROM scorecard_marks m
		JOIN scorecards s ON s.id = m.scorecard_id JOIN applications a ON a.id = s.application_id WHERE `+where, arg); err != nil {
		return nil, fmt.Errorf("scorecard marks: %w", err)
	}
	byID := make(map[int64]*Scorecard, len(cards))
	for i := range cards {
		cards[i].Marks = map[int64]catalog.Mark{}
		byID[cards[i].ID] = &cards[i]
	}
	for _, m := range marks {
		if c := byID[m.Card]; c != nil {
			c.Marks[m.Criterion] = catalog.Mark(m.Mark)
		}
	}
	return cards, nil
}
