package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The history of changes is written by hand in BENCHMARKS.md: a run
// rewrites its figures and keeps that history as it was; it refuses to
// rewrite a report that lost its history's markers.
func TestARunKeepsTheHistoryWrittenByHand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	r := &report{Started: time.Now(), Total: time.Minute}
	r.add("1. Applications received", "submissions per second", "100 /s", "200 /s", "", nil)

	// A first run writes an empty history.
	if err := r.Write(path); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(path)
	if !strings.Contains(string(first), historyBegin+"\n"+historyEnd) {
		t.Fatalf("a first report has no empty history:\n%s", first)
	}

	// Someone writes the history by hand; the next runs keep it.
	const history = "| change | figure | before | after |\n| --- | --- | ---: | ---: |\n| Une modification | 1. submissions per second | 100 /s | 150 /s |\n"
	edited := strings.Replace(string(first), historyBegin+"\n", historyBegin+"\n"+history, 1)
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	for run := range 2 {
		r.Rows[0].Value = "150 /s"
		if err := r.Write(path); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(path)
		if !strings.Contains(string(got), historyBegin+"\n"+history+historyEnd) {
			t.Fatalf("run %d lost the history:\n%s", run+1, got)
		}
		if !strings.Contains(string(got), "| 150 /s |") {
			t.Fatalf("run %d did not write its figures:\n%s", run+1, got)
		}
	}

	// A report whose markers were removed is not overwritten.
	lost := strings.Replace(edited, historyEnd, "", 1)
	if err := os.WriteFile(path, []byte(lost), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := r.Write(path); err == nil || !strings.Contains(err.Error(), "history") {
		t.Fatalf("a report without its markers was rewritten (%v)", err)
	}
	if got, _ := os.ReadFile(path); string(got) != lost {
		t.Fatal("a report without its markers was changed")
	}
}
