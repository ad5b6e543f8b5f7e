package repository_test

import (
	"slices"
	"testing"

	"vivier/repository"
)

// Counts by status name every email.
func TestEmailCountsByStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ms := e.pendingEmails(3)
	e.claim(ms[0].ID)
	if err := e.Repo.CancelEmail(t.Context(), ms[1].ID); err != nil {
		t.Fatal(err)
	}
	got, err := e.Repo.EmailCountsByStatus(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// With the applicant's acknowledgement, still pending.
	want := map[string]int{repository.EmailPending: 2, repository.EmailSending: 1, repository.EmailCancelled: 1}
	if !mapsEqual(got, want) {
		t.Errorf("counts: %v, want %v", got, want)
	}
	for s := range got {
		if !slices.Contains(repository.EmailStatuses(), s) {
			t.Errorf("status %q missing from EmailStatuses", s)
		}
	}
}
