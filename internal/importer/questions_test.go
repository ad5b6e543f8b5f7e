package importer_test

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"vivier/internal/importer"
	"vivier/internal/posting"
	"vivier/internal/testkit"
	"vivier/repository"
)

const withQuestions = `---
title: Coach agile
contact: equipe@example.org
open: true
vivier_questions:
  - type: oui_non
    libelle: "Avez-vous déjà travaillé avec une collectivité ?"
    obligatoire: true
    colonne: true
  - type: nombre
    libelle: "Années d'expérience"
    aide: "En coaching d'équipes"
    min: 0
    max: 40.5
  - type: choix_unique
    libelle: "Votre méthode"
    choix:
      - Scrum
      - "Kanban : le flux"
  - type: fichier
    libelle: Une lettre de recommandation
---
Une mission.
`

// A posting's questions travel in its Markdown file under our own key:
// imported, stored, downloaded and imported again, they are the same; a
// reader that ignores the key reads the same posting.
func TestQuestionsRoundTripThroughMarkdown(t *testing.T) {
	t.Parallel()
	db, _ := testkit.DB(t)
	repo := repository.New(db)
	ctx := context.Background()
	im := &importer.Importer{Repo: repo, Now: time.Now, Out: &bytes.Buffer{}}
	if _, err := im.File(ctx, "tests/2024-01-02-coach.md", []byte(withQuestions)); err != nil {
		t.Fatal(err)
	}
	p, err := repo.PostingBySourceName(ctx, "tests/2024-01-02-coach.md")
	if err != nil {
		t.Fatal(err)
	}
	stored, err := repo.Questions(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 4 || stored[0].Label != "Avez-vous déjà travaillé avec une collectivité ?" || !stored[0].Required || !stored[0].InList ||
		*stored[1].Max != 40.5 || stored[1].Help != "En coaching d'équipes" || stored[2].Choices[1] != "Kanban : le flux" || stored[3].Kind != "file" {
		t.Fatalf("stored questions: %+v", stored)
	}

	// Downloaded, as the inbox does, then parsed again.
	p.Questions, p.HasQuestions = stored, true
	file := importer.FromRow(p).Markdown()
	again, err := posting.Parse("coach.md", file, time.Now())
	if err != nil {
		t.Fatalf("the downloaded file does not parse: %v\n%s", err, file)
	}
	first, _ := posting.Parse("coach.md", []byte(withQuestions), time.Now())
	if !reflect.DeepEqual(again.Questions, first.Questions) {
		t.Errorf("questions after the round trip:\n%+v\nwant\n%+v", again.Questions, first.Questions)
	}

	// Imported again unchanged: the same rows (answers keep pointing at them).
	if _, err := im.File(ctx, "tests/2024-01-02-coach.md", append(file, '\n')); err != nil {
		t.Fatal(err)
	}
	after, _ := repo.Questions(ctx, p.ID)
	if len(after) != 4 || after[0].ID != stored[0].ID {
		t.Errorf("a re-import of the same questions replaced them: %+v", after)
	}

	// The beta.gouv.fr format without our key reads the same posting.
	plain := strings.Replace(withQuestions, withQuestions[strings.Index(withQuestions, "vivier_questions"):strings.Index(withQuestions, "---\nUne")], "", 1)
	other, err := posting.Parse("coach.md", []byte(plain), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	first.Questions, first.HasQuestions = nil, false
	if !reflect.DeepEqual(other, first) {
		t.Errorf("the key changes what a reader of the format reads")
	}
}

// A file's questions are checked as the editor checks them: the import
// fails at the question's line, in French, and writes nothing.
func TestBadQuestionsInAFileAreRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, yaml, msg string }{
		{"unknown type", "  - type: audio\n    libelle: Un son\n", "question 1 (Type de réponse) : Choisissez un type"},
		{"no label", "  - type: oui_non\n", "question 1 (Intitulé) : Indiquez l'intitulé"},
		{"no choices", "  - type: choix_unique\n    libelle: Méthode\n", "(Choix proposés) : Indiquez les choix proposés"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := posting.Parse("x.md", []byte("---\ntitle: X\nvivier_questions:\n"+tc.yaml+"---\nCorps.\n"), time.Now())
			if err == nil || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), "x.md:4:") {
				t.Errorf("error %v, want %q at line 4", err, tc.msg)
			}
		})
	}
}
