package handlers

import (
	"context"

	"vivier/repository"
)

// The CSV export's columns for a posting's own questions: one a question
// asked now, then one a question removed that has answers.

type exportQuestions struct {
	headers []string
	ids     []int64
}

func (h *Handler) exportQuestionColumns(ctx context.Context, postingID int64) (exportQuestions, error) {
	qs, err := h.Repo.AnsweredQuestions(ctx, postingID)
	if err != nil {
		return exportQuestions{}, err
	}
	var out exportQuestions
	for _, q := range qs {
		header := q.Label
		if q.RemovedAt != nil {
			header += " (question retirée)"
		}
		out.headers = append(out.headers, header)
		out.ids = append(out.ids, q.ID)
	}
	return out, nil
}

// answersOf loads the answers of a page of the export (none when the
// posting asks no question).
func (e exportQuestions) answersOf(ctx context.Context, repo *repository.Repo, rows []repository.ListRow) (map[int64][]repository.Answer, error) {
	if len(e.ids) == 0 {
		return nil, nil
	}
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.ID)
	}
	return repo.AnswersOf(ctx, ids)
}

// cells writes an application's answers in the columns' order ("" for a
// question left unanswered); hidden: the application is shown as a
// number, its files are not (see repository.AnswersForReviewers).
func (e exportQuestions) cells(answers []repository.Answer, hidden bool) []string {
	out := make([]string, len(e.ids))
	for _, a := range repository.AnswersForReviewers(answers, hidden) {
		for i, id := range e.ids {
			if id == a.QuestionID {
				out[i] = answerText(a)
			}
		}
	}
	return out
}
