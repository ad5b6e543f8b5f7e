package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"vivier/internal/catalog"
	"vivier/internal/demo"
	"vivier/internal/testkit"
	"vivier/repository"
)

// `vivier dev` creates the demo posting once, open for 30 days, with the
// opening in its history; restarted, it leaves the posting as a developer
// left it (here, closed).
func TestDevCreatesTheDemoPostingOnceAndLeavesItAlone(t *testing.T) {
	t.Parallel()
	db, _ := testkit.DB(t)
	repo := repository.New(db)
	ctx := context.Background()
	var out bytes.Buffer
	if err := openDemoPosting(ctx, repo, &out); err != nil {
		t.Fatal(err)
	}
	p, err := repo.PostingBySourceName(ctx, demo.SourceName)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != catalog.PostingOpen || p.ClosesAt == nil || p.ClosesAt.Before(time.Now().AddDate(0, 0, 29)) {
		t.Fatalf("new demo posting: %s, closing %v; want open for 30 days", p.Status, p.ClosesAt)
	}
	if !strings.Contains(out.String(), "offre de démonstration créée") {
		t.Errorf("first start says:\n%s", out.String())
	}
	events, err := repo.PostingEvents(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].ToStatus != catalog.PostingOpen || events[0].Actor != "vivier dev" {
		t.Fatalf("history of the new demo posting: %+v", events)
	}

	if err := repo.SetPostingState(ctx, p.ID, []catalog.PostingState{catalog.PostingOpen}, catalog.PostingClosed, p.ContactEmail); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := openDemoPosting(ctx, repo, &out); err != nil {
		t.Fatal(err)
	}
	again, err := repo.PostingBySourceName(ctx, demo.SourceName)
	if err != nil {
		t.Fatal(err)
	}
	if again.Status != catalog.PostingClosed || !again.ClosesAt.Equal(*p.ClosesAt) {
		t.Fatalf("after a restart the closed demo posting is %s, closing %v", again.Status, again.ClosesAt)
	}
	if !strings.Contains(out.String(), "déjà présente (close), laissée telle quelle") {
		t.Errorf("restart says:\n%s", out.String())
	}
	if events, _ := repo.PostingEvents(ctx, p.ID); len(events) != 2 {
		t.Errorf("a restart changed the history: %+v", events)
	}
}
