package repository_test

import (
	"errors"
	"testing"

	"vivier/internal/catalog"
	"vivier/repository"
)

// Each reviewer has one scorecard an application, whatever the case of
// their address; its score is the weighted mean of its marks, and the
// application's mean is over scorecards, kept in step when a criterion's
// weight changes or it is removed.
func TestScorecards(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	a := e.apply(p, "Camille", "Durand")
	if err := e.Repo.AddCriteria(t.Context(), p.ID, []repository.Criterion{{Name: "Expérience", Weight: 3}, {Name: "Méthode", Weight: 1}}, "admin@anct.gouv.fr"); err != nil {
		t.Fatal(err)
	}
	cs, err := e.Repo.Criteria(t.Context(), p.ID, false)
	if err != nil || len(cs) != 2 {
		t.Fatalf("criteria: %+v, %v", cs, err)
	}
	exp, met := cs[0].ID, cs[1].ID
	save := func(who string, rec catalog.Recommendation, marks map[int64]catalog.Mark) (bool, error) {
		return e.Repo.SaveScorecard(t.Context(), p.ID, a.ID, who, repository.ScorecardInput{Recommendation: rec, Marks: marks})
	}
	if created, err := save("contact@anct.gouv.fr", catalog.No, map[int64]catalog.Mark{exp: 1, met: 1}); err != nil || !created {
		t.Fatalf("first scorecard: created %v, %v", created, err)
	}
	// The same reviewer again, in capitals: theirs is updated.
	if created, err := save("Contact@ANCT.gouv.fr", catalog.Yes, map[int64]catalog.Mark{exp: 4, met: 2}); err != nil || created {
		t.Fatalf("second submission: created %v, %v; want an update", created, err)
	}
	if _, err := save("autre@anct.gouv.fr", catalog.DefinitelyYes, map[int64]catalog.Mark{exp: 2, met: 2}); err != nil {
		t.Fatal(err)
	}
	cards, err := e.Repo.ScorecardsOf(t.Context(), a.ID)
	if err != nil || len(cards) != 2 {
		t.Fatalf("scorecards: %+v, %v", cards, err)
	}
	// (3×4 + 1×2) / 4 = 3.5 and 2; the mean 2.75.
	if cards[0].Score != 3.5 || cards[0].Marks[exp] != 4 || cards[0].Recommendation != catalog.Yes || cards[1].Score != 2 {
		t.Errorf("scores: %+v", cards)
	}
	mean := func() (float64, int) {
		var m float64
		var n int
		e.DB.QueryRow(`SELECT score_mean, scorecard_count FROM applications WHERE id = $1`, a.ID).Scan(&m, &n)
		return m, n
	}
	if m, n := mean(); m != 2.75 || n != 2 {
		t.Errorf("application mean %v of %d scorecards, want 2.75 of 2", m, n)
	}
	// A mark of 5 or 0 never reaches the table; nothing half-written.
	if _, err := save("autre@anct.gouv.fr", catalog.Yes, map[int64]catalog.Mark{exp: 5, met: 2}); err == nil {
		t.Errorf("a mark of 5 stored")
	}
	if cards, _ := e.Repo.ScorecardsOf(t.Context(), a.ID); cards[1].Recommendation != catalog.DefinitelyYes || cards[1].Marks[exp] != 2 {
		t.Errorf("a refused scorecard changed the stored one: %+v", cards[1])
	}
	// Another posting's application, or another posting's criterion.
	other := e.apply(e.openPosting(), "Dominique", "Martin")
	if _, err := e.Repo.SaveScorecard(t.Context(), p.ID, other.ID, "contact@anct.gouv.fr", repository.ScorecardInput{Recommendation: catalog.Yes}); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("scorecard on another posting's application: %v, want ErrNotFound", err)
	}
	if _, err := e.Repo.SaveScorecard(t.Context(), other.PostingID, other.ID, "contact@anct.gouv.fr",
		repository.ScorecardInput{Recommendation: catalog.Yes, Marks: map[int64]catalog.Mark{exp: 3}}); !errors.Is(err, repository.ErrUnknownCriterion) {
		t.Errorf("mark on another posting's criterion: %v, want ErrUnknownCriterion", err)
	}
	if n := e.count(`SELECT count(*) FROM scorecards WHERE application_id = $1`, other.ID); n != 0 {
		t.Errorf("%d scorecards half-written", n)
	}

	// Weights change the means at once; a removed criterion stops counting.
	if err := e.Repo.UpdateCriterion(t.Context(), p.ID, repository.Criterion{ID: exp, Name: "Expérience", Weight: 1}, "admin@anct.gouv.fr"); err != nil {
		t.Fatal(err)
	}
	if m, _ := mean(); m != 2.5 { // (4+2)/2 = 3 and 2
		t.Errorf("mean after a weight change: %v, want 2.5", m)
	}
	if err := e.Repo.RemoveCriterion(t.Context(), p.ID, met, "admin@anct.gouv.fr"); err != nil {
		t.Fatal(err)
	}
	if m, _ := mean(); m != 3 { // 4 and 2
		t.Errorf("mean after removing a criterion: %v, want 3", m)
	}
	if err := e.Repo.RemoveCriterion(t.Context(), other.PostingID, exp, "admin@anct.gouv.fr"); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("removing another posting's criterion: %v, want ErrNotFound", err)
	}
	if all, _ := e.Repo.Criteria(t.Context(), p.ID, true); len(all) != 2 || all[1].RemovedAt == nil {
		t.Errorf("a removed criterion is kept for the report: %+v", all)
	}
}

// A blind posting's application is shown as a number until a status
// change brings it to the chosen stage, which reveals it for good, in the
// change's transaction, with the audit line. A rejection needs a reason,
// kept with the history line.
func TestBlindRevealAndRejectionReason(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	a := e.apply(p, "Camille", "Durand")
	if err := e.Repo.SetBlindUntil(t.Context(), p.ID, catalog.StatusShortlisted, "contact@anct.gouv.fr"); err != nil {
		t.Fatal(err)
	}
	p, _ = e.Repo.PostingByID(t.Context(), p.ID)
	a, _ = e.Repo.ApplicationByID(t.Context(), a.ID)
	if s := repository.ShownOf(p, a); !s.Hidden || s.Name != repository.NumberLabel(a.ID) {
		t.Fatalf("shown as %+v, want a number", s)
	}
	if m, hidden := repository.ForReviewers(p, a); !hidden || m.Email != "" || m.Motivation != a.Motivation || a.Email == "" {
		t.Errorf("the reviewers' copy: %+v", m)
	}
	move := func(to catalog.Status, reason string) (repository.StatusChangeResult, error) {
		return e.Repo.ChangeStatus(t.Context(), p.ID, ids(a), repository.StatusChange{To: to, Actor: "contact@anct.gouv.fr", Reason: reason})
	}
	if res, err := move(catalog.StatusInReview, ""); err != nil || len(res.Revealed) != 0 {
		t.Fatalf("in review: %+v, %v; want still hidden", res, err)
	}
	if res, err := move(catalog.StatusShortlisted, ""); err != nil || len(res.Revealed) != 1 {
		t.Fatalf("shortlisted: %+v, %v; want revealed", res, err)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE action = $1 AND application_id = $2 AND actor = 'contact@anct.gouv.fr'`, repository.AuditRevealed, a.ID); n != 1 {
		t.Errorf("%d audit lines for the reveal, want 1", n)
	}
	if _, err := move(catalog.StatusRejected, ""); !errors.Is(err, repository.ErrReasonMissing) {
		t.Errorf("rejection without a reason: %v", err)
	}
	if _, err := move(catalog.StatusRejected, "Pas d'expérience en collectivité"); err != nil {
		t.Fatal(err)
	}
	a, _ = e.Repo.ApplicationByID(t.Context(), a.ID)
	if repository.ShownOf(p, a).Hidden {
		t.Errorf("a revealed application, then rejected, is hidden again")
	}
	events, _ := e.Repo.Events(t.Context(), a.ID)
	if last := events[len(events)-1]; last.Reason != "Pas d'expérience en collectivité" || *last.ToStatus != catalog.StatusRejected {
		t.Errorf("last event: %+v", last)
	}
	if n := e.count(`SELECT count(*) FROM application_events WHERE application_id = $1 AND to_status = $2`, a.ID, catalog.StatusRejected); n != 1 {
		t.Errorf("%d rejections recorded, want 1 (the refused one wrote nothing)", n)
	}
}
