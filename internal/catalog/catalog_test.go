package catalog_test

import (
	"slices"
	"testing"

	"vivier/internal/catalog"
)

// Every status, posting state and close group has its French label, and
// the close groups share the pipeline between them, each status once.
func TestEveryWordHasItsLabel(t *testing.T) {
	for _, s := range catalog.Statuses() {
		if l := s.Label(); l == "" || l == string(s) {
			t.Errorf("status %s has no label", s)
		}
	}
	if catalog.StatusInReview.Label() != "En cours d'examen" || catalog.Status("inconnu").Label() != "inconnu" {
		t.Errorf("labels: %q, %q", catalog.StatusInReview.Label(), catalog.Status("inconnu").Label())
	}
	for _, s := range []catalog.PostingState{catalog.PostingDraft, catalog.PostingOpen, catalog.PostingClosed, catalog.PostingArchived} {
		if s.Label() == "" {
			t.Errorf("posting state %s has no label", s)
		}
	}
	for _, m := range catalog.InterviewModes() {
		if !m.Valid() || m.Label() == "" {
			t.Errorf("interview mode %s has no label", m)
		}
	}
	for _, s := range catalog.InterviewStates() {
		if s.Label() == "" {
			t.Errorf("interview state %s has no label", s)
		}
	}
	var grouped []catalog.Status
	for _, g := range catalog.CloseGroups() {
		if !g.Valid() || g.Label() == "" || g.Hint() == "" || g.WordingLabel() == "" || len(g.Statuses()) == 0 {
			t.Errorf("close group %s lacks a label, a hint, a wording label or statuses", g)
		}
		grouped = append(grouped, g.Statuses()...)
	}
	slices.Sort(grouped)
	pipeline := catalog.Pipeline()
	slices.Sort(pipeline)
	if !slices.Equal(grouped, pipeline) {
		t.Errorf("the close groups hold %v, want each status of the pipeline once: %v", grouped, pipeline)
	}
	if catalog.CloseRejected.Announces() != catalog.StatusRejected || !catalog.CloseRejected.UntoldOnly() ||
		catalog.CloseInReview.Announces() != "" || catalog.CloseAccepted.UntoldOnly() {
		t.Error("what the groups announce, and to whom")
	}
}

// The lists are the caller's own: changing one changes nothing for the
// next caller.
func TestListsAreCopies(t *testing.T) {
	catalog.Statuses()[0] = "bidon"
	catalog.Pipeline()[0] = "bidon"
	catalog.CloseGroups()[0] = "bidon"
	catalog.CloseInReview.Statuses()[0] = "bidon"
	if catalog.Statuses()[0] != catalog.StatusReceived || catalog.Pipeline()[0] != catalog.StatusReceived ||
		catalog.CloseGroups()[0] != catalog.CloseInReview || catalog.CloseInReview.Statuses()[0] != catalog.StatusReceived {
		t.Error("a list handed out was shared")
	}
	if !catalog.StatusRejected.ReviewerMaySet() || catalog.StatusWithdrawn.ReviewerMaySet() ||
		!catalog.StatusWithdrawn.Valid() || catalog.Status("bidon").Valid() {
		t.Error("ReviewerMaySet or Valid")
	}
}
