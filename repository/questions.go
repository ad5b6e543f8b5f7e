package repository

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lib/pq"

	"vivier/internal/catalog"
)

// Question is one of a posting's own questions (posting_questions).
type Question struct {
	ID        int64                `db:"id"`
	PostingID int64                `db:"posting_id"`
	Position  int                  `db:"position"`
	Kind      catalog.QuestionKind `db:"kind"`
	Label     string               `db:"label"`
	Help      string               `db:"help"`
	Required  bool                 `db:"required"`
	Choices   pq.StringArray       `db:"choices"`
	Min       *float64             `db:"min_value"`
	Max       *float64             `db:"max_value"`
	InList    bool                 `db:"in_list"`
	CreatedAt time.Time            `db:"created_at"`
	UpdatedAt time.Time            `db:"updated_at"`
	// RemovedAt is set on a question taken off the form (read only by
	// AnsweredQuestions).
	RemovedAt *time.Time `db:"removed_at"`
}

const questionColumns = `id, posting_id, position, kind, label, help, required, choices, min_value, max_value,
	in_list, created_at, updated_at`

// MaxQuestions is how many questions a posting may ask.
const MaxQuestions = 30

// Errors of the question editor.
var (
	// ErrQuestionsFrozen: the posting is neither a draft nor open.
	ErrQuestionsFrozen = fmt.Errorf("questions of a posting neither draft nor open: %w", ErrConflict)
	// ErrTooManyQuestions: the posting asks MaxQuestions already.
	ErrTooManyQuestions = fmt.Errorf("too many questions: %w", ErrConflict)
	// ErrKindAnswered: the kind of a question with answers cannot change.
	ErrKindAnswered = fmt.Errorf("kind of an answered question: %w", ErrConflict)
)

// Questions returns a posting's questions (not those removed), in order.
func (r *Repo) Questions(ctx context.Context, postingID int64) ([]Question, error) {
	var qs []Question
	err := r.db.SelectContext(ctx, &qs, `SELECT `+questionColumns+` FROM posting_questions
		WHERE posting_id = $1 AND removed_at IS NULL ORDER BY position, id`, postingID)
	if err != nil {
		return nil, fmt.Errorf("questions of posting %d: %w", postingID, err)
	}
	return qs, nil
}

// lockEditableQuestions locks posting postingID and checks that its
// questions may change (draft or open). Returns ErrNotFound or
// ErrQuestionsFrozen.
func lockEditableQuestions(ctx context.Context, tx *Tx, postingID int64) error {
	var state catalog.PostingState
	err := tx.GetContext(ctx, &state, `SELECT status FROM postings WHERE id = $1 FOR UPDATE`, postingID)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("lock posting %d: %w", postingID, err)
	}
	if state != catalog.PostingDraft && state != catalog.PostingOpen {
		return ErrQuestionsFrozen
	}
	return nil
}

// SaveQuestion adds q to its posting (q.ID 0, last in order) or changes
// it, while the posting is a draft or open, and records who did it in the
// audit log (a change that changes nothing records nothing). Answers
// already given keep the wording they answered. Returns ErrNotFound
// (posting, or a question of another posting), ErrQuestionsFrozen,
// ErrTooManyQuestions or ErrKindAnswered.
func (r *Repo) SaveQuestion(ctx context.Context, q *Question, actor string) error {
	if q.Choices == nil {
		q.Choices = pq.StringArray{}
	}
	return r.inTx(ctx, func(tx *Tx) error {
		if err := lockEditableQuestions(ctx, tx, q.PostingID); err != nil {
			return err
		}
		q.UpdatedAt = tx.now
		if q.ID == 0 {
			var n, last int
			if err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(max(position), 0) FROM posting_questions
				WHERE posting_id = $1 AND removed_at IS NULL`, q.PostingID).Scan(&n, &last); err != nil {
				return fmt.Errorf("count questions of posting %d: %w", q.PostingID, err)
			}
			if n >= MaxQuestions {
				return ErrTooManyQuestions
			}
			q.Position, q.CreatedAt = last+1, tx.now
			err := tx.QueryRowContext(ctx, `INSERT INTO posting_questions (posting_id, position, kind, label, help,
				required, choices, min_value, max_value, in_list, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id`,
				q.PostingID, q.Position, q.Kind, q.Label, q.Help, q.Required, q.Choices, q.Min, q.Max, q.InList, tx.now).Scan(&q.ID)
			if err != nil {
				return fmt.Errorf("insert question: %w", err)
			}
			return insertAudit(ctx, tx, tx.now, actor, AuditQuestionAdded, q.PostingID, 0, questionDetails(q))
		}
		var old Question
		err := tx.GetContext(ctx, &old, `SELECT `+questionColumns+` FROM posting_questions
			WHERE id = $1 AND posting_id = $2 AND removed_at IS NULL FOR UPDATE`, q.ID, q.PostingID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("question %d: %w", q.ID, err)
		}
		if old.Kind != q.Kind {
			var answered bool
			if err := tx.GetContext(ctx, &answered, `SELECT EXISTS (SELECT 1 FROM application_answers WHERE question_id = $1)`, q.ID); err != nil {
				return fmt.Errorf("answers to question %d: %w", q.ID, err)
			}
			if answered {
				return ErrKindAnswered
			}
		}
		q.Position, q.CreatedAt = old.Position, old.CreatedAt
		_, err = tx.ExecContext(ctx, `UPDATE posting_questions SET kind = $2, label = $3, help = $4, required = $5,
			choices = $6, min_value = $7, max_value = $8, in_list = $9, updated_at = $10 WHERE id = $1`,
			q.ID, q.Kind, q.Label, q.Help, q.Required, q.Choices, q.Min, q.Max, q.InList, tx.now)
		if err != nil {
			return fmt.Errorf("update question %d: %w", q.ID, err)
		}
		changed := changedFields(&old, q)
		if len(changed) == 0 {
			return nil
		}
		details := questionDetails(q)
		details["modifie"] = changed
		if old.Label != q.Label {
			details["libelle_avant"] = old.Label
		}
		return insertAudit(ctx, tx, tx.now, actor, AuditQuestionChanged, q.PostingID, 0, details)
	})
}

// questionDetails names a question in the audit log: its id, its label
// and its kind.
func questionDetails(q *Question) map[string]any {
	return map[string]any{"question": q.ID, "libelle": q.Label, "type": q.Kind}
}

// Keys of the settings of a question, as the audit log names those a
// change changed.
const (
	QuestionKeyKind     = "type"
	QuestionKeyLabel    = "libelle"
	QuestionKeyHelp     = "aide"
	QuestionKeyRequired = "obligatoire"
	QuestionKeyChoices  = "choix"
	QuestionKeyMin      = "min"
	QuestionKeyMax      = "max"
	QuestionKeyInList   = "colonne"
)

// changedFields lists the settings that differ between a question before
// and after a change, in the editor's order.
func changedFields(a, b *Question) []string {
	eqf := func(x, y *float64) bool { return (x == nil && y == nil) || (x != nil && y != nil && *x == *y) }
	var out []string
	for _, c := range []struct {
		key  string
		same bool
	}{
		{QuestionKeyLabel, a.Label == b.Label}, {QuestionKeyKind, a.Kind == b.Kind}, {QuestionKeyHelp, a.Help == b.Help},
		{QuestionKeyChoices, slices.Equal(a.Choices, b.Choices)}, {QuestionKeyMin, eqf(a.Min, b.Min)},
		{QuestionKeyMax, eqf(a.Max, b.Max)}, {QuestionKeyRequired, a.Required == b.Required},
		{QuestionKeyInList, a.InList == b.InList},
	} {
		if !c.same {
			out = append(out, c.key)
		}
	}
	return out
}

// RemoveQuestion takes a question off its posting's form, while the
// posting is a draft or open, records who did it in the audit log, and
// returns its label; answers already given stay, with the wording they
// answered. A question removed already stays so (and is not recorded
// again). Returns ErrNotFound (no such question on this posting) or
// ErrQuestionsFrozen.
func (r *Repo) RemoveQuestion(ctx context.Context, postingID, questionID int64, actor string) (string, error) {
	var label string
	err := r.inTx(ctx, func(tx *Tx) error {
		if err := lockEditableQuestions(ctx, tx, postingID); err != nil {
			return err
		}
		var q Question
		err := tx.GetContext(ctx, &q, `SELECT `+questionColumns+`, removed_at FROM posting_questions
			WHERE id = $1 AND posting_id = $2 FOR UPDATE`, questionID, postingID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("question %d: %w", questionID, err)
		}
		label = q.Label
		if q.RemovedAt != nil {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE posting_questions SET removed_at = $2, updated_at = $2 WHERE id = $1`,
			questionID, tx.now); err != nil {
			return fmt.Errorf("remove question %d: %w", questionID, err)
		}
		return insertAudit(ctx, tx, tx.now, actor, AuditQuestionRemoved, postingID, 0, questionDetails(&q))
	})
	return label, err
}

// MoveQuestion swaps a question with the one before it (up) or after it
// in its posting's order, and records who did it in the audit log; at
// either end it stays (and nothing is recorded). Returns ErrNotFound or
// ErrQuestionsFrozen.
func (r *Repo) MoveQuestion(ctx context.Context, postingID, questionID int64, up bool, actor string) error {
	return r.inTx(ctx, func(tx *Tx) error {
		if err := lockEditableQuestions(ctx, tx, postingID); err != nil {
			return err
		}
		var qs []Question
		if err := tx.SelectContext(ctx, &qs, `SELECT `+questionColumns+` FROM posting_questions
			WHERE posting_id = $1 AND removed_at IS NULL ORDER BY position, id`, postingID); err != nil {
			return fmt.Errorf("questions of posting %d: %w", postingID, err)
		}
		ids := make([]int64, len(qs))
		i := -1
		for k, q := range qs {
			ids[k] = q.ID
			if q.ID == questionID {
				i = k
			}
		}
		if i < 0 {
			return ErrNotFound
		}
		j := i + 1
		if up {
			j = i - 1
		}
		if j < 0 || j >= len(ids) {
			return nil
		}
		ids[i], ids[j] = ids[j], ids[i]
		_, err := tx.ExecContext(ctx, `UPDATE posting_questions q SET position = o.n, updated_at = $2
			FROM unnest($1::bigint[]) WITH ORDINALITY AS o(id, n) WHERE q.id = o.id`, pq.Array(ids), tx.now)
		if err != nil {
			return fmt.Errorf("reorder questions of posting %d: %w", postingID, err)
		}
		details := questionDetails(&qs[i])
		details["de"], details["vers"] = i+1, j+1 // places in the form, from 1
		return insertAudit(ctx, tx, tx.now, actor, AuditQuestionMoved, postingID, 0, details)
	})
}

// sameQuestions reports whether two lists ask the same questions, in the
// same order, with the same wording and settings.
func sameQuestions(a, b []Question) bool {
	if len(a) != len(b) {
		return false
	}
	eqf := func(x, y *float64) bool { return (x == nil && y == nil) || (x != nil && y != nil && *x == *y) }
	for i := range a {
		x, y := a[i], b[i]
		if x.Kind != y.Kind || x.Label != y.Label || x.Help != y.Help || x.Required != y.Required || x.InList != y.InList ||
			!eqf(x.Min, y.Min) || !eqf(x.Max, y.Max) || len(x.Choices) != len(y.Choices) {
			return false
		}
		for k := range x.Choices {
			if x.Choices[k] != y.Choices[k] {
				return false
			}
		}
	}
	return true
}

// replaceQuestions makes qs the questions of posting postingID, inside
// tx (an import of file): nothing changes when they are the same;
// otherwise the current ones are removed (their answers stay) and qs
// added in order, and the audit log records it, by the system.
func replaceQuestions(ctx context.Context, tx *Tx, postingID int64, qs []Question, file string) error {
	if len(qs) > MaxQuestions {
		return ErrTooManyQuestions
	}
	var current []Question
	if err := tx.SelectContext(ctx, &current, `SELECT `+questionColumns+` FROM posting_questions
		WHERE posting_id = $1 AND removed_at IS NULL ORDER BY position, id`, postingID); err != nil {
		return fmt.Errorf("questions of posting %d: %w", postingID, err)
	}
	if sameQuestions(current, qs) {
		copy(qs, current)
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE posting_questions SET removed_at = $2, updated_at = $2
		WHERE posting_id = $1 AND removed_at IS NULL`, postingID, tx.now); err != nil {
		return fmt.Errorf("remove questions of posting %d: %w", postingID, err)
	}
	for i := range qs {
		q := &qs[i]
		if q.Choices == nil {
			q.Choices = pq.StringArray{}
		}
		q.PostingID, q.Position, q.CreatedAt, q.UpdatedAt = postingID, i+1, tx.now, tx.now
		err := tx.QueryRowContext(ctx, `INSERT INTO posting_questions (posting_id, position, kind, label, help,
			required, choices, min_value, max_value, in_list, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id`,
			q.PostingID, q.Position, q.Kind, q.Label, q.Help, q.Required, q.Choices, q.Min, q.Max, q.InList, tx.now).Scan(&q.ID)
		if err != nil {
			return fmt.Errorf("insert question: %w", err)
		}
	}
	return insertAudit(ctx, tx, tx.now, ActorSystem, AuditQuestionsImported, postingID, 0,
		map[string]any{"fichier": file, "retirees": len(current), "ajoutees": len(qs)})
}

// importQuestions makes an imported file's questions the posting's, when
// the file gives them; a file without them leaves them as they are.
func importQuestions(ctx context.Context, tx *Tx, p *Posting) error {
	if !p.HasQuestions {
		return nil
	}
	return replaceQuestions(ctx, tx, p.ID, p.Questions, p.SourceName.String)
}

// Answer is an application's answer to one question, with the wording it
// answered (label, kind and choices as they were then). Only the value
// of its kind is set.
type Answer struct {
	ApplicationID int64                `db:"application_id"`
	QuestionID    int64                `db:"question_id"`
	Position      int                  `db:"position"`
	Kind          catalog.QuestionKind `db:"kind"`
	Label         string               `db:"label"`
	Choices       pq.StringArray       `db:"choices"`
	Text          *string              `db:"value_text"`
	Choice        *string              `db:"value_choice"`
	Selected      pq.StringArray       `db:"value_choices"`
	Bool          *bool                `db:"value_bool"`
	Number        *float64             `db:"value_number"`
	Date          *time.Time           `db:"value_date"`
	FileName      *string              `db:"file_name"`
	ContentType   *string              `db:"content_type"`
	SizeBytes     *int64               `db:"size_bytes"`
	SHA256        []byte               `db:"sha256"`
	Content       []byte               `db:"content"`
	CreatedAt     time.Time            `db:"created_at"`
	// FileHidden: a file answered, hidden from reviewers during a blind
	// first pass (see AnswersForReviewers); its name, type, size and
	// content are then blank.
	FileHidden bool `db:"-"`
}

// answerColumns leaves out a file's content, read only by AnswerFile.
const answerColumns = `application_id, question_id, position, kind, label, choices, value_text, value_choice,
	value_choices, value_bool, value_number, value_date, file_name, content_type, size_bytes, sha256, created_at`

// insertAnswers stores an application's answers inside tx.
func (r *Repo) insertAnswers(ctx context.Context, tx *Tx, appID int64, answers []Answer) error {
	if len(answers) == 0 {
		return nil
	}
	stmt, err := r.txPrepared(ctx, tx, `INSERT INTO application_answers (application_id, question_id, position, kind,
		label, choices, value_text, value_choice, value_choices, value_bool, value_number, value_date,
		file_name, content_type, size_bytes, sha256, content, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`)
	if err != nil {
		return fmt.Errorf("prepare answers: %w", err)
	}
	for i := range answers {
		a := &answers[i]
		a.ApplicationID, a.CreatedAt = appID, tx.now
		if a.Choices == nil {
			a.Choices = pq.StringArray{}
		}
		var selected any
		if a.Selected != nil {
			selected = a.Selected
		}
		if _, err := stmt.ExecContext(ctx, appID, a.QuestionID, a.Position, a.Kind, a.Label, a.Choices, a.Text, a.Choice,
			selected, a.Bool, a.Number, a.Date, a.FileName, a.ContentType, a.SizeBytes, a.SHA256, a.Content, tx.now); err != nil {
			return fmt.Errorf("insert answer to question %d: %w", a.QuestionID, err)
		}
	}
	return nil
}

// Answers returns an application's answers in the order of the form they
// answered (files without their content).
func (r *Repo) Answers(ctx context.Context, appID int64) ([]Answer, error) {
	var out []Answer
	err := r.db.SelectContext(ctx, &out, `SELECT `+answerColumns+` FROM application_answers
		WHERE application_id = $1 ORDER BY position, question_id`, appID)
	if err != nil {
		return nil, fmt.Errorf("answers of application %d: %w", appID, err)
	}
	return out, nil
}

// AnswersOf returns the answers of several applications, by application
// (files without their content).
func (r *Repo) AnswersOf(ctx context.Context, appIDs []int64) (map[int64][]Answer, error) {
	out := map[int64][]Answer{}
	if len(appIDs) == 0 {
		return out, nil
	}
	var rows []Answer
	err := r.db.SelectContext(ctx, &rows, `SELECT `+answerColumns+` FROM application_answers
		WHERE application_id = ANY($1) ORDER BY application_id, position, question_id`, pq.Array(appIDs))
	if err != nil {
		return nil, fmt.Errorf("answers of %d applications: %w", len(appIDs), err)
	}
	for _, a := range rows {
		out[a.ApplicationID] = append(out[a.ApplicationID], a)
	}
	return out, nil
}

// AnswerFile returns the file an application sent for a question, with
// its content. Returns ErrNotFound when there is none.
func (r *Repo) AnswerFile(ctx context.Context, appID, questionID int64) (*Answer, error) {
	var a Answer
	err := r.db.GetContext(ctx, &a, `SELECT `+answerColumns+`, content FROM application_answers
		WHERE application_id = $1 AND question_id = $2 AND content IS NOT NULL`, appID, questionID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("file of application %d for question %d: %w", appID, questionID, err)
	}
	return &a, nil
}

// eraseAnswers deletes the answers of erased applications, inside tx.
func eraseAnswers(ctx context.Context, tx *Tx, ids any) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM application_answers WHERE application_id = ANY($1)`, ids); err != nil {
		return fmt.Errorf("erase answers: %w", err)
	}
	return nil
}

// AnsweredQuestions returns every question of a posting that the export
// has a column for: those asked now, in order, then those removed that
// have answers, oldest first. Removed ones have RemovedAt set.
func (r *Repo) AnsweredQuestions(ctx context.Context, postingID int64) ([]Question, error) {
	var qs []Question
	err := r.db.SelectContext(ctx, &qs, `SELECT `+questionColumns+`, removed_at FROM posting_questions q
		WHERE posting_id = $1 AND (removed_at IS NULL
			OR EXISTS (SELECT 1 FROM application_answers a WHERE a.question_id = q.id))
		ORDER BY removed_at IS NOT NULL, position, id`, postingID)
	if err != nil {
		return nil, fmt.Errorf("answered questions of posting %d: %w", postingID, err)
	}
	return qs, nil
}
