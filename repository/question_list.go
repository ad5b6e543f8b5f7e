package repository

import (
	"context"
	"fmt"
	"strconv"

	"github.com/lib/pq"

	"vivier/internal/catalog"
)

// The list's columns of answers: a posting's one-choice, yes/no and
// number questions marked InList are shown, filtered and sorted on.

// SortAnswer sorts the list on the answers to ListFilter.SortQuestion:
// numbers from the smallest, "non" before "oui", choices alphabetically;
// applications without an answer come last.
const SortAnswer = "question"

// AnswerFilter keeps the applications whose answer to a column question
// is Choice (one choice), Bool (yes/no), or within Min and Max (number).
type AnswerFilter struct {
	QuestionID int64
	Kind       catalog.QuestionKind
	Choice     string
	Bool       *bool
	Min, Max   *float64
}

// answerColumn is the column of application_answers holding a kind's
// value, as the list's indexes order it.
func answerColumn(k catalog.QuestionKind) string {
	switch k {
	case catalog.QuestionNumber:
		return "value_number"
	case catalog.QuestionYesNo:
		return "value_bool"
	}
	return "value_choice"
}

// answerConds adds the answer filters to a list's conditions.
func (f *ListFilter) answerConds(add func(cond string, v any)) {
	for _, af := range f.Answers {
		exists := "EXISTS (SELECT 1 FROM application_answers v WHERE v.application_id = a.id AND v.question_id = " +
			strconv.FormatInt(af.QuestionID, 10)
		switch {
		case af.Kind == catalog.QuestionOneChoice && af.Choice != "":
			add(exists+" AND v.value_choice = ?)", af.Choice)
		case af.Kind == catalog.QuestionYesNo && af.Bool != nil:
			add(exists+" AND v.value_bool = ?)", *af.Bool)
		case af.Kind == catalog.QuestionNumber && af.Min != nil && af.Max != nil:
			add(exists+" AND v.value_number >= ?", *af.Min)
			add("v.value_number <= ?)", *af.Max)
		case af.Kind == catalog.QuestionNumber && af.Min != nil:
			add(exists+" AND v.value_number >= ?)", *af.Min)
		case af.Kind == catalog.QuestionNumber && af.Max != nil:
			add(exists+" AND v.value_number <= ?)", *af.Max)
		}
	}
}

// listByAnswer is ListApplications sorted on a question's answers. The
// answered applications come first, along the answers' index in order,
// then (when the page is not full) those without an answer, by id; the
// cursor says in which part the page ends.
func (r *Repo) listByAnswer(ctx context.Context, f ListFilter) ([]ListRow, string, error) {
	q := f.SortQuestion
	col := "v." + answerColumn(q.Kind)
	c, resume := decodeCursor(f.After)
	// query builds one part's statement, with its own arguments.
	query := func(missing bool) (string, []any) {
		where, args := f.where(true)
		arg := func(v any) string {
			args = append(args, v)
			return "$" + strconv.Itoa(len(args))
		}
		qid, reader, limit := arg(q.ID), arg(f.Reader), arg(f.Limit+1)
		cols := `a.id, a.status, a.first_name, a.last_name, a.email, a.phone,
			a.location, a.daily_rate, a.days_per_week, a.available_from, a.siret, a.motivation, a.created_at,
			a.utm_source, a.utm_medium, a.utm_campaign, a.ref, a.referrer_host,
			a.score_mean, a.scorecard_count, a.revealed_at,
			lower(a.last_name || ' ' || a.first_name) AS sort_name`
		var part string
		if missing {
			after := ""
			if resume && c.Z {
				after = " AND a.id > " + arg(c.ID)
			}
			part = `SELECT ` + cols + `, NULL::float8 AS sort_number, NULL::boolean AS sort_bool, NULL::text AS sort_choice, true AS missing
				FROM applications a
				WHERE ` + where + after + ` AND NOT EXISTS (SELECT 1 FROM application_answers v
					WHERE v.application_id = a.id AND v.question_id = ` + qid + ` AND ` + col + ` IS NOT NULL)
				ORDER BY a.id LIMIT ` + limit
		} else {
			after := ""
			if resume {
				var v any
				switch {
				case q.Kind == catalog.QuestionNumber && c.F != nil:
					v = *c.F
				case q.Kind == catalog.QuestionYesNo && c.B != nil:
					v = *c.B
				case q.Kind == catalog.QuestionOneChoice:
					v = c.S
				}
				if v != nil {
					after = fmt.Sprintf(" AND (%s, a.id) > (%s, %s)", col, arg(v), arg(c.ID))
				}
			}
			part = `SELECT ` + cols + `, v.value_number::float8 AS sort_number, v.value_bool AS sort_bool,
					v.value_choice AS sort_choice, false AS missing
				FROM application_answers v JOIN applications a ON a.id = v.application_id
				WHERE v.question_id = ` + qid + ` AND ` + col + ` IS NOT NULL AND ` + where + after + `
				ORDER BY ` + col + `, v.application_id LIMIT ` + limit
		}
		// The page is chosen first; unread marks, bounces and the
		// reader's own scorecard are looked up for its rows only, as the
		// list's own query does.
		return `SELECT l.*,
			NOT EXISTS (SELECT 1 FROM application_reads ar WHERE ar.application_id = l.id AND ar.email = lower(` + reader + `)) AS unread,
			EXISTS (SELECT 1 FROM emails be WHERE be.application_id = l.id AND be.bounced_at IS NOT NULL
				AND lower(be.to_address) = lower(l.email)) AS bounced,
			EXISTS (SELECT 1 FROM scorecards sc WHERE sc.application_id = l.id AND sc.reviewer = lower(` + reader + `)) AS my_scorecard
			FROM (` + part + `) l ORDER BY l.sort_number, l.sort_bool, l.sort_choice, l.id`, args
	}
	type row struct {
		ListRow
		SortNumber *float64 `db:"sort_number"`
		SortBool   *bool    `db:"sort_bool"`
		SortChoice *string  `db:"sort_choice"`
		Missing    bool     `db:"missing"`
	}
	var rows []row
	if !resume || !c.Z {
		stmt, args := query(false)
		if err := r.db.SelectContext(ctx, &rows, stmt, args...); err != nil {
			return nil, "", fmt.Errorf("list applications by answer: %w", err)
		}
	}
	if len(rows) <= f.Limit {
		var rest []row
		stmt, args := query(true)
		if err := r.db.SelectContext(ctx, &rest, stmt, args...); err != nil {
			return nil, "", fmt.Errorf("list applications without answer: %w", err)
		}
		rows = append(rows, rest...)
	}
	next := ""
	if len(rows) > f.Limit {
		rows = rows[:f.Limit]
		last := rows[len(rows)-1]
		cur := cursor{ID: last.ID, Z: last.Missing, F: last.SortNumber, B: last.SortBool}
		if last.SortChoice != nil {
			cur.S = *last.SortChoice
		}
		next = cur.encode()
	}
	out := make([]ListRow, len(rows))
	for i := range rows {
		out[i] = rows[i].ListRow
	}
	return out, next, nil
}

// neighboursByAnswer is Neighbours in a list sorted on a question's
// answers, in listByAnswer's order: the answered applications by value
// and id, then those without an answer by id. Each neighbour is one step
// along an index from the application's own key; across the border
// between the two parts, the first without an answer follows the last
// answered one.
func (r *Repo) neighboursByAnswer(ctx context.Context, f ListFilter, appID int64) (prev, next int64, err error) {
	q := f.SortQuestion
	col := "v." + answerColumn(q.Kind)
	where, args := f.where(true)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	qid, self := arg(q.ID), arg(appID)
	// answered is the first answered application after (or before) the
	// condition cond, in order (or in reverse).
	answered := func(cond, order string) string {
		return `(SELECT v.application_id FROM application_answers v JOIN applications a ON a.id = v.application_id
			WHERE v.question_id = ` + qid + ` AND ` + col + ` IS NOT NULL AND ` + where + cond + `
			ORDER BY ` + col + ` ` + order + `, v.application_id ` + order + ` LIMIT 1)`
	}
	missing := func(cond, order string) string {
		return `(SELECT a.id FROM applications a WHERE ` + where + cond + ` AND NOT EXISTS (SELECT 1 FROM application_answers v
				WHERE v.application_id = a.id AND v.question_id = ` + qid + ` AND ` + col + ` IS NOT NULL)
			ORDER BY a.id ` + order + ` LIMIT 1)`
	}
	// cur is empty when the application is not in this list; its k is
	// NULL when it has no answer.
	stmt := `WITH cur AS (SELECT a.id, (SELECT ` + col + ` FROM application_answers v
			WHERE v.application_id = a.id AND v.question_id = ` + qid + `) AS k
		FROM applications a WHERE ` + where + ` AND a.id = ` + self + `)
		SELECT CASE WHEN cur.k IS NOT NULL THEN ` + answered(` AND (`+col+`, v.application_id) < (cur.k, cur.id)`, "DESC") + `
				ELSE coalesce(` + missing(" AND a.id < cur.id", "DESC") + `, ` + answered("", "DESC") + `) END,
			CASE WHEN cur.k IS NOT NULL THEN coalesce(` + answered(` AND (`+col+`, v.application_id) > (cur.k, cur.id)`, "ASC") + `, ` + missing("", "ASC") + `)
				ELSE ` + missing(" AND a.id > cur.id", "ASC") + ` END
		FROM cur`
	return r.neighbours(ctx, appID, stmt, args)
}

// AnswersFor returns the answers of some applications to some questions
// (the list's columns), by application and question.
func (r *Repo) AnswersFor(ctx context.Context, appIDs, questionIDs []int64) (map[int64]map[int64]Answer, error) {
	out := map[int64]map[int64]Answer{}
	if len(appIDs) == 0 || len(questionIDs) == 0 {
		return out, nil
	}
	var rows []Answer
	err := r.db.SelectContext(ctx, &rows, `SELECT `+answerColumns+` FROM application_answers
		WHERE application_id = ANY($1) AND question_id = ANY($2)`, pq.Array(appIDs), pq.Array(questionIDs))
	if err != nil {
		return nil, fmt.Errorf("answers of the list: %w", err)
	}
	for _, a := range rows {
		if out[a.ApplicationID] == nil {
			out[a.ApplicationID] = map[int64]Answer{}
		}
		out[a.ApplicationID][a.QuestionID] = a
	}
	return out, nil
}
