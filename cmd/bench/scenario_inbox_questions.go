package main

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"vivier/internal/catalog"
	"vivier/repository"
)

// Scenario 2's questions: the posting asks five (two of them columns of
// the list) and every application answers them.

// benchQuestions are the posting's questions the bench filters and sorts
// on: a yes/no column and a number column.
type benchQuestions struct {
	yesNo, number *repository.Question
	all           []*repository.Question
}

// loadQuestions adds the five questions through the repository and
// answers them for every application of the posting, one INSERT ...
// SELECT a question.
func (b *bench) loadQuestions(ctx context.Context, repo *repository.Repo, postingID int64) (*benchQuestions, error) {
	lo, hi := 0.0, 40.0
	qs := &benchQuestions{
		yesNo:  &repository.Question{PostingID: postingID, Kind: catalog.QuestionYesNo, Label: "Avez-vous déjà travaillé avec une collectivité ?", Required: true, InList: true},
		number: &repository.Question{PostingID: postingID, Kind: catalog.QuestionNumber, Label: "Années d'expérience en coaching", Required: true, Min: &lo, Max: &hi, InList: true},
	}
	method := &repository.Question{PostingID: postingID, Kind: catalog.QuestionOneChoice, Label: "Votre méthode", Choices: []string{"Scrum", "Kanban", "Shape Up", "Autre"}}
	tool := &repository.Question{PostingID: postingID, Kind: catalog.QuestionShortText, Label: "Votre outil préféré"}
	story := &repository.Question{PostingID: postingID, Kind: catalog.QuestionLongText, Label: "Racontez une mission difficile", Required: true}
	qs.all = []*repository.Question{qs.yesNo, qs.number, method, tool, story}
	for _, q := range qs.all {
		if err := repo.SaveQuestion(ctx, q, b.admin); err != nil {
			return nil, fmt.Errorf("question %q: %w", q.Label, err)
		}
	}
	answer := func(q *repository.Question, columns, values string) error {
		_, err := b.sql.ExecContext(ctx, `INSERT INTO application_answers (application_id, question_id, position, kind, label, choices,
			`+columns+`, created_at)
			SELECT id, $2, $3, $4, $5, $6, `+values+`, created_at FROM applications WHERE posting_id = $1`,
			postingID, q.ID, q.Position, q.Kind, q.Label, q.Choices)
		return err
	}
	steps := []struct {
		q               *repository.Question
		columns, values string
	}{
		{qs.yesNo, "value_bool", "random() < 0.4"},
		{qs.number, "value_number", "floor(random() * 81) / 2"},
		{method, "value_choice", "(ARRAY['Scrum', 'Kanban', 'Shape Up', 'Autre'])[1 + floor(random() * 4)::int]"},
		{tool, "value_text", "(ARRAY['Miro', 'Notion', 'un tableau blanc', 'Trello'])[1 + floor(random() * 4)::int]"},
		{story, "value_text", "'Une équipe de collectivité qui découvrait l''agilité : nous avons commencé par des rétrospectives courtes, puis…'"},
	}
	for _, s := range steps {
		if err := answer(s.q, s.columns, s.values); err != nil {
			return nil, fmt.Errorf("answers to %q: %w", s.q.Label, err)
		}
	}
	return qs, nil
}

// timeQuestionList times the list filtered on the yes/no column and
// sorted on the number column, and the application page opened from it
// (among sample, those the filter keeps), and records their plans.
func (b *bench) timeQuestionList(ctx context.Context, postingID int64, qs *benchQuestions, sample []int64, requests int) error {
	const scenario = "2. The inbox at scale"
	view := fmt.Sprintf("r%d=oui&tri=q%d", qs.yesNo.ID, qs.number.ID)
	listURL := fmt.Sprintf("%s/boite/offres/%d?%s", b.baseURL, postingID, view)
	step("scenario 2: the list filtered and sorted on answers")
	lat, err := b.timePages(ctx, requests, func(int) string { return listURL }, "/boite/candidatures/")
	if err != nil {
		return fmt.Errorf("list page on answers: %w", err)
	}
	label := fmt.Sprintf("list page on answers (oui/non = oui, tri par nombre; %d requests)", requests)
	b.report.add(scenario, label+" p50", ms(lat.Percentile(50)), "", "", nil)
	b.report.add(scenario, label+" p95", ms(lat.Percentile(95)), "", "< 50 ms", check(lat.Percentile(95) < 50*time.Millisecond))

	// The application page from that list: previous and next along it.
	var kept []int64
	if err := b.sql.SelectContext(ctx, &kept, `SELECT application_id FROM application_answers
		WHERE question_id = $1 AND value_bool AND application_id = ANY($2) ORDER BY application_id`, qs.yesNo.ID, pq.Array(sample)); err != nil {
		return err
	}
	if len(kept) == 0 {
		return fmt.Errorf("no application with a CV answers « oui »")
	}
	step("scenario 2: the application page from the list on answers")
	appLat, err := b.timePages(ctx, requests, func(i int) string {
		return fmt.Sprintf("%s/boite/candidatures/%d?%s", b.baseURL, kept[i%len(kept)], view)
	}, "CV.pdf")
	if err != nil {
		return fmt.Errorf("application page from the list on answers: %w", err)
	}
	label = fmt.Sprintf("application page from the list on answers (%d requests)", requests)
	b.report.add(scenario, label+" p50", ms(appLat.Percentile(50)), "", "", nil)
	b.report.add(scenario, label+" p95", ms(appLat.Percentile(95)), "", "< 30 ms", check(appLat.Percentile(95) < 30*time.Millisecond))

	repo, rec, closeRepo, err := b.recordingRepo(false)
	if err != nil {
		return err
	}
	defer closeRepo()
	oui := true
	f := repository.ListFilter{PostingID: postingID, Limit: 50, Reader: b.admin, Sort: repository.SortAnswer, SortQuestion: qs.number,
		Answers: []repository.AnswerFilter{{QuestionID: qs.yesNo.ID, Kind: qs.yesNo.Kind, Bool: &oui}}}
	var appID int64
	if err := b.sql.GetContext(ctx, &appID, `SELECT id FROM applications WHERE posting_id = $1 ORDER BY id LIMIT 1`, postingID); err != nil {
		return err
	}
	calls := []struct {
		page, name string
		run        func() error
	}{
		{"list page on answers", "ListApplications (by answer)", func() error { _, _, err := repo.ListApplications(ctx, f); return err }},
		{"list page on answers", "StatusCounts (answer filter)", func() error { _, err := repo.StatusCounts(ctx, f); return err }},
		{"list page on answers", "AnswersFor (columns)", func() error {
			_, err := repo.AnswersFor(ctx, []int64{appID, appID + 1, appID + 2}, []int64{qs.yesNo.ID, qs.number.ID})
			return err
		}},
		{"application page", "Answers", func() error { _, err := repo.Answers(ctx, appID); return err }},
		{"application page", "Neighbours (from the list on answers)", func() error { _, _, err := repo.Neighbours(ctx, f, kept[0]); return err }},
		{"application page", "Questions", func() error { _, err := repo.Questions(ctx, postingID); return err }},
	}
	for _, c := range calls {
		rec.Take()
		if err := c.run(); err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		for _, q := range rec.Take() {
			text, err := explain(ctx, b.sql, q)
			if err != nil {
				return err
			}
			pl := plan{Page: c.page, Query: c.name, SQL: q.SQL, Args: argsText(q.Args), Text: text, UsesIndexes: usesIndexes(text)}
			b.report.Plans = append(b.report.Plans, pl)
			fmt.Printf("  plan %-45s %s, %s\n", c.name, execTime(text), map[bool]string{true: "indexes", false: "SEQ SCAN"}[pl.UsesIndexes])
		}
	}
	return nil
}
