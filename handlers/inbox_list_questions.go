package handlers

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"vivier/internal/applyform"
	"vivier/internal/catalog"
	"vivier/repository"
)

// The list's columns of answers: the posting's one-choice, yes/no and
// number questions marked as columns, each shown, filtered (r<id> for a
// choice or yes/no, r<id>_min and r<id>_max for a number) and sorted on
// (tri=q<id>).

// answerParamRe matches the URL parameters of the answer filters.
var answerParamRe = regexp.MustCompile(`^r[0-9]{1,18}(_min|_max)?$`)

// sortQuestionRe matches a sort on a question's answers.
var sortQuestionRe = regexp.MustCompile(`^q([0-9]{1,18})$`)

// readAnswerParams keeps the answer filters of a list's URL.
func readAnswerParams(v url.Values) map[string]string {
	out := map[string]string{}
	for k := range v {
		if answerParamRe.MatchString(k) && v.Get(k) != "" {
			out[k] = v.Get(k)
		}
	}
	return out
}

// listColumn is a column question of the list, with its filter's values
// as typed and its sort link.
type listColumn struct {
	Question          repository.Question
	Param             string // r<id>
	Value, Min, Max   string
	Options           []kindOption
	SortValue, Header string
}

// listColumns reads the posting's column questions.
func (h *Handler) listColumns(ctx context.Context, postingID int64, q listQuery) ([]listColumn, error) {
	qs, err := h.Repo.Questions(ctx, postingID)
	if err != nil {
		return nil, err
	}
	var out []listColumn
	for _, question := range qs {
		if !question.InList || !question.Kind.Columnable() {
			continue
		}
		param := "r" + strconv.FormatInt(question.ID, 10)
		col := listColumn{Question: question, Param: param, Value: q.Answers[param], Min: q.Answers[param+"_min"],
			Max: q.Answers[param+"_max"], SortValue: "q" + strconv.FormatInt(question.ID, 10), Header: question.Label}
		switch question.Kind {
		case catalog.QuestionYesNo:
			col.Options = []kindOption{{Value: applyform.Yes, Label: "Oui"}, {Value: applyform.No, Label: "Non"}}
		case catalog.QuestionOneChoice:
			for _, c := range question.Choices {
				col.Options = append(col.Options, kindOption{Value: c, Label: c})
			}
		}
		out = append(out, col)
	}
	return out, nil
}

// answerFilter adds the answer filters and the sort on a question to f;
// a value it cannot use is left out and named.
func (q listQuery) answerFilter(f *repository.ListFilter, columns []listColumn) []string {
	var problems []string
	known := map[string]bool{}
	for i := range columns {
		col := &columns[i]
		known[col.Param], known[col.Param+"_min"], known[col.Param+"_max"] = true, true, true
		af := repository.AnswerFilter{QuestionID: col.Question.ID, Kind: col.Question.Kind}
		switch col.Question.Kind {
		case catalog.QuestionYesNo:
			switch col.Value {
			case "":
				continue
			case applyform.Yes, applyform.No:
				b := col.Value == applyform.Yes
				af.Bool = &b
			default:
				problems = append(problems, "« "+col.Header+" » : répondez par oui ou par non ; le filtre n'est pas appliqué.")
				continue
			}
		case catalog.QuestionOneChoice:
			if col.Value == "" {
				continue
			}
			found := false
			for _, o := range col.Options {
				found = found || o.Value == col.Value
			}
			if !found {
				problems = append(problems, "« "+col.Header+" » : cette réponse n'est pas proposée ; le filtre n'est pas appliqué.")
				continue
			}
			af.Choice = col.Value
		case catalog.QuestionNumber:
			bound := func(s string) *float64 {
				if s == "" {
					return nil
				}
				n, ok := applyform.ParseNumber(s)
				if !ok {
					problems = append(problems, "« "+col.Header+" » : « "+s+" » n'est pas un nombre ; le filtre n'est pas appliqué.")
					return nil
				}
				return &n
			}
			af.Min, af.Max = bound(col.Min), bound(col.Max)
			if af.Min == nil && af.Max == nil {
				continue
			}
		}
		f.Answers = append(f.Answers, af)
	}
	for k := range q.Answers {
		if !known[k] {
			problems = append(problems, "Ce filtre porte sur une question qui n'est pas une colonne de la liste : il n'est pas appliqué.")
			break
		}
	}
	if m := sortQuestionRe.FindStringSubmatch(q.Sort); m != nil {
		f.Sort = ""
		for i := range columns {
			if columns[i].SortValue == q.Sort {
				f.Sort, f.SortQuestion = repository.SortAnswer, &columns[i].Question
			}
		}
		if f.SortQuestion == nil {
			problems = append(problems, "Tri inconnu : les candidatures sont triées par date.")
		}
	}
	return problems
}

// columnCells writes, for each row, its answers in the columns' order.
func (h *Handler) columnCells(ctx context.Context, rows []repository.ListRow, columns []listColumn) (map[int64][]string, error) {
	out := map[int64][]string{}
	if len(columns) == 0 {
		return out, nil
	}
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.ID)
	}
	qids := make([]int64, 0, len(columns))
	for _, c := range columns {
		qids = append(qids, c.Question.ID)
	}
	answers, err := h.Repo.AnswersFor(ctx, ids, qids)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		cells := make([]string, len(columns))
		for i, c := range columns {
			if a, ok := answers[id][c.Question.ID]; ok {
				cells[i] = answerText(a)
			} else {
				cells[i] = "—"
			}
		}
		out[id] = cells
	}
	return out, nil
}

// isQuestionSort reports whether a list's sort is on a question's answers
// (checked by answerFilter).
func isQuestionSort(s string) bool { return strings.HasPrefix(s, "q") && sortQuestionRe.MatchString(s) }
