package repository_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"vivier/internal/catalog"
	"vivier/repository"
)

// answersFixture is a posting with a number and a yes/no column
// question, and seven applications: five answered (A 3 non, B 7 oui,
// C 12 oui, D 12 non, E 20.5 oui; applied as C, A, E, B, D) and two
// without answers (F, G). want is their order sorted on the number.
type answersFixture struct {
	p          *repository.Posting
	years, yes *repository.Question
	want       []int64
	byName     map[string]int64
}

func (e *env) answersFixture() answersFixture {
	e.t.Helper()
	p := e.openPosting()
	years := &repository.Question{PostingID: p.ID, Kind: catalog.QuestionNumber, Label: "Années d'expérience", InList: true}
	yes := &repository.Question{PostingID: p.ID, Kind: catalog.QuestionYesNo, Label: "Collectivité ?", InList: true}
	for _, q := range []*repository.Question{years, yes} {
		if err := e.Repo.SaveQuestion(e.t.Context(), q, "contact@anct.gouv.fr"); err != nil {
			e.t.Fatal(err)
		}
	}
	answer := func(n float64, b bool) func(*repository.Application) {
		return func(a *repository.Application) {
			a.Answers = []repository.Answer{{QuestionID: years.ID, Position: 1, Kind: years.Kind, Label: years.Label, Number: &n},
				{QuestionID: yes.ID, Position: 2, Kind: yes.Kind, Label: yes.Label, Bool: &b}}
		}
	}
	fx := answersFixture{p: p, years: years, yes: yes, byName: map[string]int64{}}
	for _, tc := range []struct {
		name string
		n    float64
		yes  bool
	}{{"C", 12, true}, {"A", 3, false}, {"E", 20.5, true}, {"B", 7, true}, {"D", 12, false}} {
		fx.byName[tc.name] = e.apply(p, tc.name, "Durand", answer(tc.n, tc.yes)).ID
	}
	fx.byName["F"], fx.byName["G"] = e.apply(p, "F", "Martin").ID, e.apply(p, "G", "Martin").ID
	for _, name := range []string{"A", "B", "C", "D", "E", "F", "G"} {
		fx.want = append(fx.want, fx.byName[name])
	}
	return fx
}

// Sorted on a number question's answers, the list goes page by page
// through the answered applications by value, then those without an
// answer, each once; a filter on the answers keeps those within bounds.
func TestListSortsAndFiltersOnAnswers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	fx := e.answersFixture()
	p, years, yes, want := fx.p, fx.years, fx.yes, fx.want

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
	// Every tab is counted, those with none too; an erased application
	// is not.
	e.setStatus(&repository.Application{ID: fx.byName["B"]}, catalog.StatusInReview)
	e.setStatus(&repository.Application{ID: fx.byName["E"]}, catalog.StatusRejected)
	if err := e.Repo.Erase(t.Context(), fx.byName["C"], repository.ActorApplicant, nil, nil); err != nil {
		t.Fatal(err)
	}
	if counts, err = e.Repo.StatusCounts(t.Context(), f); err != nil {
		t.Fatal(err)
	}
	wantCounts := map[catalog.Status]repository.StatusCount{catalog.StatusReceived: {}, catalog.StatusInReview: {N: 1},
		catalog.StatusShortlisted: {}, catalog.StatusInterview: {}, catalog.StatusAccepted: {}, catalog.StatusRejected: {},
		catalog.StatusWithdrawn: {}}
	if !mapsEqual(counts, wantCounts) {
		t.Errorf("the tabs count %v, want %v", counts, wantCounts)
	}
	f.Answers = f.Answers[1:] // « oui » only: B, and E rejected
	if counts, err = e.Repo.StatusCounts(t.Context(), f); err != nil {
		t.Fatal(err)
	}
	wantCounts[catalog.StatusRejected] = repository.StatusCount{N: 1}
	if !mapsEqual(counts, wantCounts) {
		t.Errorf("the tabs count %v, want %v", counts, wantCounts)
	}
}

// Previous and next follow a list sorted on a question's answers: by
// value, then those without an answer; with a filter on the answers,
// only the applications it keeps.
func TestNeighboursFollowTheSortOnAnswers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	fx := e.answersFixture()
	check := func(what string, f repository.ListFilter, order []int64) {
		t.Helper()
		for i, id := range order {
			var wantPrev, wantNext int64
			if i > 0 {
				wantPrev = order[i-1]
			}
			if i < len(order)-1 {
				wantNext = order[i+1]
			}
			prev, next, err := e.Repo.Neighbours(t.Context(), f, id)
			if err != nil {
				t.Fatal(err)
			}
			if prev != wantPrev || next != wantNext {
				t.Errorf("%s, application %d (%d of %v): previous %d, next %d; want %d, %d", what, id, i, order, prev, next, wantPrev, wantNext)
			}
		}
	}
	sorted := repository.ListFilter{PostingID: fx.p.ID, Sort: repository.SortAnswer, SortQuestion: fx.years}
	check("sorted on the years", sorted, fx.want)

	oui := true
	filtered := sorted
	filtered.Answers = []repository.AnswerFilter{{QuestionID: fx.yes.ID, Kind: fx.yes.Kind, Bool: &oui}}
	check("sorted on the years, « oui » only", filtered, []int64{fx.byName["B"], fx.byName["C"], fx.byName["E"]})
	prev, next, err := e.Repo.Neighbours(t.Context(), filtered, fx.byName["A"])
	if err != nil || prev != 0 || next != 0 {
		t.Errorf("an application the filter leaves out: %d, %d, %v; want none", prev, next, err)
	}

	// Sorted on yes/no: « non » (A, D) before « oui » (B, C, E), then F and G.
	byYes := repository.ListFilter{PostingID: fx.p.ID, Sort: repository.SortAnswer, SortQuestion: fx.yes}
	check("sorted on yes/no", byYes, []int64{fx.byName["A"], fx.byName["D"], fx.byName["C"], fx.byName["E"], fx.byName["B"], fx.byName["F"], fx.byName["G"]})
}

// Each change to a posting's questions is in the audit log, in the
// change's transaction, with who made it and when by the clock: an
// addition, a change naming what changed (and the former label), a move
// with its places, a removal; a change that changes nothing, a move past
// the end and a second removal record nothing, nor does a refused change.
// An import that replaces the questions is recorded too. None of it is in
// an applicant's own data.
func TestQuestionChangesAreAudited(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	now := time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC)
	e.Repo.Now = func() time.Time { return now }
	p := e.openPosting()
	const who = "lea.dupont@anct.gouv.fr"
	years := &repository.Question{PostingID: p.ID, Kind: catalog.QuestionNumber, Label: "Années d'expérience"}
	yes := &repository.Question{PostingID: p.ID, Kind: catalog.QuestionYesNo, Label: "Collectivité ?"}
	for _, q := range []*repository.Question{years, yes} {
		if err := e.Repo.SaveQuestion(t.Context(), q, who); err != nil {
			t.Fatal(err)
		}
	}
	changed := *years
	changed.Label, changed.Required = "Années d'expérience en coaching", true
	if err := e.Repo.SaveQuestion(t.Context(), &changed, who); err != nil {
		t.Fatal(err)
	}
	same := changed
	if err := e.Repo.SaveQuestion(t.Context(), &same, "autre@anct.gouv.fr"); err != nil {
		t.Fatal(err)
	}
	if err := e.Repo.MoveQuestion(t.Context(), p.ID, yes.ID, true, who); err != nil {
		t.Fatal(err)
	}
	if err := e.Repo.MoveQuestion(t.Context(), p.ID, yes.ID, true, who); err != nil { // first already
		t.Fatal(err)
	}
	a := e.apply(p, "Camille", "Durand")
	for range 2 {
		if _, err := e.Repo.RemoveQuestion(t.Context(), p.ID, yes.ID, who); err != nil {
			t.Fatal(err)
		}
	}
	tooMany := &repository.Question{PostingID: p.ID, Kind: catalog.QuestionShortText, Label: "Refusée"}
	e.exec(`UPDATE postings SET status = 'closed' WHERE id = $1`, p.ID)
	if err := e.Repo.SaveQuestion(t.Context(), tooMany, who); !errors.Is(err, repository.ErrQuestionsFrozen) {
		t.Fatalf("question on a closed posting: %v", err)
	}

	es, _, err := e.Repo.AuditLog(t.Context(), repository.AuditFilter{PostingID: p.ID})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(es) // oldest first
	// canonical writes details with their keys sorted.
	canonical := func(m map[string]any) string {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	type line struct {
		action, details string
	}
	want := []line{
		{repository.AuditQuestionAdded, canonical(map[string]any{"question": years.ID, "libelle": "Années d'expérience", "type": "number"})},
		{repository.AuditQuestionAdded, canonical(map[string]any{"question": yes.ID, "libelle": "Collectivité ?", "type": "yes_no"})},
		{repository.AuditQuestionChanged, canonical(map[string]any{"question": years.ID, "libelle": "Années d'expérience en coaching",
			"type": "number", "modifie": []string{"libelle", "obligatoire"}, "libelle_avant": "Années d'expérience"})},
		{repository.AuditQuestionMoved, canonical(map[string]any{"question": yes.ID, "libelle": "Collectivité ?", "type": "yes_no", "de": 2, "vers": 1})},
		{repository.AuditQuestionRemoved, canonical(map[string]any{"question": yes.ID, "libelle": "Collectivité ?", "type": "yes_no"})},
	}
	var got []line
	for _, l := range es {
		if l.Actor != who || !l.At.Equal(now) || l.ApplicationID != nil {
			t.Errorf("line %s by %q at %s about application %v, want by %s at %s", l.Action, l.Actor, l.At, l.ApplicationID, who, now)
		}
		got = append(got, line{l.Action, canonical(l.DetailsMap())})
	}
	if !slices.Equal(got, want) {
		t.Errorf("audit log:\n%v\nwant\n%v", got, want)
	}

	// An import whose file gives other questions replaces them, by the system.
	imported := e.posting(catalog.PostingOpen, func(p *repository.Posting) {
		p.Questions, p.HasQuestions = []repository.Question{{Kind: catalog.QuestionShortText, Label: "Votre outil ?"}}, true
	})
	es, _, err = e.Repo.AuditLog(t.Context(), repository.AuditFilter{PostingID: imported.ID, Action: repository.AuditQuestionsImported})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Actor != repository.ActorSystem || canonical(es[0].DetailsMap()) !=
		canonical(map[string]any{"fichier": imported.SourceName.String, "retirees": 0, "ajoutees": 1}) {
		t.Errorf("import: %+v", es)
	}

	doc, err := e.Repo.PersonalDataOf(t.Context(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range doc.Audit {
		if strings.HasPrefix(l.Action, "question") {
			t.Errorf("the applicant's data holds %s", l.Action)
		}
	}
}

// Under a filter on answers, the tabs count exactly while the filter
// keeps up to ExactCountLimit applications, then each stops at CountCap
// and says there are more; a tab with fewer than the cap stays exact.
func TestStatusCountsUnderAFilterOnAnswers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	fx := e.answersFixture()
	e.setStatus(&repository.Application{ID: fx.byName["C"]}, catalog.StatusInReview)
	oui := true
	f := repository.ListFilter{PostingID: fx.p.ID, Answers: []repository.AnswerFilter{{QuestionID: fx.yes.ID, Kind: fx.yes.Kind, Bool: &oui}}}
	counts, err := e.Repo.StatusCounts(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	if counts[catalog.StatusReceived] != (repository.StatusCount{N: 2}) || counts[catalog.StatusInReview] != (repository.StatusCount{N: 1}) ||
		counts[catalog.StatusRejected] != (repository.StatusCount{}) {
		t.Errorf("« oui » (B and E received, C in review): %v", counts)
	}

	// Enough « oui » to pass the limit, written at once.
	e.exec(`WITH a AS (INSERT INTO applications (posting_id, first_name, last_name, email, location, daily_rate, days_per_week,
			available_from, motivation, consent_at, access_token_hash)
		SELECT $1, 'Anne', 'Nom' || i, 'anne' || i || '@example.org', 'Brest', 500, 2, '2025-01-01',
			'Une motivation', now(), sha256(convert_to(i::text, 'UTF8'))
		FROM generate_series(1, $2::int) i RETURNING id)
		INSERT INTO application_answers (application_id, question_id, position, kind, label, value_bool, created_at)
		SELECT id, $3, 2, 'yes_no', 'Collectivité ?', true, now() FROM a`, fx.p.ID, repository.ExactCountLimit, fx.yes.ID)
	counts, err = e.Repo.StatusCounts(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	if got := counts[catalog.StatusReceived]; got != (repository.StatusCount{N: repository.CountCap, More: true}) {
		t.Errorf("received past the limit: %+v, want the cap and more", got)
	}
	if got := counts[catalog.StatusInReview]; got != (repository.StatusCount{N: 1}) {
		t.Errorf("in review past the limit: %+v, want 1", got)
	}
}
