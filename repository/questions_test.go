package repository_test

import (
	"slices"
	"testing"

	"vivier/internal/catalog"
	"vivier/repository"
)

// Sorted on a number question's answers, the list goes page by page
// through the answered applications by value, then those without an
// answer, each once; a filter on the answers keeps those within bounds.
func TestListSortsAndFiltersOnAnswers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	years := &repository.Question{PostingID: p.ID, Kind: catalog.QuestionNumber, Label: "Années d'expérience", InList: true}
	yes := &repository.Question{PostingID: p.ID, Kind: catalog.QuestionYesNo, Label: "Collectivité ?", InList: true}
	for _, q := range []*repository.Question{years, yes} {
		if err := e.Repo.SaveQuestion(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	answer := func(n float64, b bool) func(*repository.Application) {
		return func(a *repository.Application) {
			a.Answers = []repository.Answer{{QuestionID: years.ID, Position: 1, Kind: years.Kind, Label: years.Label, Number: &n},
				{QuestionID: yes.ID, Position: 2, Kind: yes.Kind, Label: yes.Label, Bool: &b}}
		}
	}
	var want []int64
	for _, tc := range []struct {
		name string
		n    float64
		yes  bool
	}{{"C", 12, true}, {"A", 3, false}, {"E", 20.5, true}, {"B", 7, true}, {"D", 12, false}} {
		e.apply(p, tc.name, "Durand", answer(tc.n, tc.yes))
	}
	none1, none2 := e.apply(p, "F", "Martin"), e.apply(p, "G", "Martin")
	for _, first := range []string{"A", "B", "C", "D", "E"} {
		var id int64
		if err := e.DB.Get(&id, `SELECT id FROM applications WHERE first_name = $1`, first); err != nil {
			t.Fatal(err)
		}
		want = append(want, id)
	}
	want = append(want, none1.ID, none2.ID)

	f := repository.ListFilter{PostingID: p.ID, Sort: repository.SortAnswer, SortQuestion: years, Limit: 2}
	var got []int64
	for range 10 {
		rows, next, err := e.Repo.ListApplications(t.Context(), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			got = append(got, r.ID)
		}
		if next == "" {
			break
		}
		f.After = next
	}
	if !slices.Equal(got, want) {
		t.Errorf("sorted on the answers: %v, want %v", got, want)
	}

	lo, hi, oui := 5.0, 12.0, true
	f = repository.ListFilter{PostingID: p.ID, Limit: 50, Answers: []repository.AnswerFilter{
		{QuestionID: years.ID, Kind: years.Kind, Min: &lo, Max: &hi}, {QuestionID: yes.ID, Kind: yes.Kind, Bool: &oui}}}
	rows, _, err := e.Repo.ListApplications(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rows {
		names = append(names, r.FirstName)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"B", "C"}) {
		t.Errorf("filtered on the answers: %v, want B and C", names)
	}
	counts, err := e.Repo.StatusCounts(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	if counts[catalog.StatusReceived].N != 2 {
		t.Errorf("the tabs count %d, want 2", counts[catalog.StatusReceived].N)
	}
}
