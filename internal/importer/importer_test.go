package importer_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vivier/internal/importer"
	"vivier/internal/testkit"
	"vivier/repository"
)

// corpus is the folder of real postings shipped beside the project.
func corpus(t *testing.T) string {
	dir := filepath.Join("..", "..", "..", "shared", "postings")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the real postings are missing at %s: %v (they sit beside the project, in shared/postings)", dir, err)
	}
	return dir
}

func TestEveryRealPostingImportsAndReimportsUnchanged(t *testing.T) {
	t.Parallel()
	db, _ := testkit.DB(t)
	repo := repository.New(db)
	var out bytes.Buffer
	im := &importer.Importer{Repo: repo, Now: time.Now, Out: &out}
	ctx := context.Background()

	res, err := im.Paths(ctx, []string{corpus(t)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 0 {
		t.Fatalf("%d files failed:\n%s", res.Failed, grepLines(out.String(), "erreur"))
	}
	files := 0
	filepath.WalkDir(corpus(t), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() != "README.md" {
			files++
		}
		return nil
	})
	if res.Created != files {
		t.Fatalf("created %d postings from %d files", res.Created, files)
	}
	var postings, slugs int
	db.Get(&postings, `SELECT count(*) FROM postings`)
	db.Get(&slugs, `SELECT count(DISTINCT slug) FROM postings`)
	if postings != res.Created || slugs != postings {
		t.Errorf("%d rows, %d distinct slugs, %d created", postings, slugs, res.Created)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != res.Created {
		t.Errorf("%d output lines for %d files", len(lines), res.Created)
	}

	out.Reset()
	again, err := im.Paths(ctx, []string{corpus(t)})
	if err != nil {
		t.Fatal(err)
	}
	if again.Unchanged != res.Created || again.Created+again.Updated+again.Failed != 0 {
		t.Errorf("re-import: %+v, want all %d unchanged", again, res.Created)
	}
}

func TestReimportUpdatesTheSamePosting(t *testing.T) {
	t.Parallel()
	db, _ := testkit.DB(t)
	repo := repository.New(db)
	dir := t.TempDir()
	file := filepath.Join(dir, "2024-01-02-dev-go.md")
	write := func(title string) {
		os.WriteFile(file, []byte("---\ntitle: "+title+"\ncontact: equipe@example.org\nopen: true\n---\nUne mission.\n"), 0o644)
	}
	im := &importer.Importer{Repo: repo, Now: time.Now, Out: &bytes.Buffer{}}
	write("Développeur·se Go")
	if res, _ := im.Paths(context.Background(), []string{dir}); res.Created != 1 {
		t.Fatalf("first import: %+v", res)
	}
	write("Développeur·se Go senior")
	dry := &importer.Importer{Repo: repo, Now: time.Now, Out: &bytes.Buffer{}, DryRun: true}
	if res, _ := dry.Paths(context.Background(), []string{dir}); res.Updated != 1 {
		t.Fatalf("dry run: %+v", res)
	}
	p, _ := repo.PostingBySourceName(context.Background(), importer.SourceName(file))
	if p.Title != "Développeur·se Go" {
		t.Fatalf("a dry run changed the title to %q", p.Title)
	}
	if res, _ := im.Paths(context.Background(), []string{dir}); res.Updated != 1 {
		t.Fatalf("re-import: %+v", res)
	}
	var n int
	db.Get(&n, `SELECT count(*) FROM postings`)
	p2, _ := repo.PostingBySourceName(context.Background(), importer.SourceName(file))
	if n != 1 || p2.ID != p.ID || p2.Slug != p.Slug || p2.Title != "Développeur·se Go senior" {
		t.Errorf("after re-import: %d postings, %+v", n, p2)
	}
}

func TestSlugsStayUnique(t *testing.T) {
	t.Parallel()
	db, _ := testkit.DB(t)
	repo := repository.New(db)
	im := &importer.Importer{Repo: repo, Now: time.Now, Out: &bytes.Buffer{}}
	body := []byte("---\nrole: Coach\n---\nTexte.\n")
	for _, name := range []string{"2021-01-01-coach.md", "2022-05-05-coach.md", "coach.md"} {
		if _, err := im.File(context.Background(), name, body); err != nil {
			t.Fatal(err)
		}
	}
	var slugs []string
	db.Select(&slugs, `SELECT slug FROM postings ORDER BY id`)
	if strings.Join(slugs, " ") != "coach coach-2 coach-3" {
		t.Errorf("slugs = %v", slugs)
	}
}

func grepLines(s, word string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
