package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"vivier/internal/testkit"
)

func TestImportCommandPrintsOneLineAFileAndFailsOnABadOne(t *testing.T) {
	t.Parallel()
	_, dbURL := testkit.DB(t)
	env := map[string]string{"DATABASE_URL": dbURL}
	getenv := func(k string) string { return env[k] }
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "2024-02-01-bonne-offre.md"), []byte("---\ntitle: Bonne offre\nopen: true\n---\nTexte.\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "2024-02-02-offre-cassee.md"), []byte("---\ntitle: [pas fermé\nopen: true\n---\nTexte.\n"), 0o644)

	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"import", dir}, getenv, &out, &errOut)
	var exit exitError
	if !errors.As(err, &exit) || exit != 1 {
		t.Fatalf("import with a broken file: %v, want exit status 1", err)
	}
	text := out.String()
	if !strings.Contains(text, "2024-02-01-bonne-offre.md: created") {
		t.Errorf("no 'created' line:\n%s", text)
	}
	if !regexp.MustCompile(`2024-02-02-offre-cassee\.md:\d+: erreur : en-tête YAML`).MatchString(text) {
		t.Errorf("the broken file's line is not named:\n%s", text)
	}
	if !strings.Contains(text, "1 créée, 0 mise à jour, 0 inchangée, 1 en erreur") {
		t.Errorf("the summary line does not agree in number:\n%s", text)
	}

	out.Reset()
	os.Remove(filepath.Join(dir, "2024-02-02-offre-cassee.md"))
	if err := run(context.Background(), []string{"import", "--dry-run", dir}, getenv, &out, &errOut); err != nil {
		t.Fatalf("second import: %v", err)
	}
	if !strings.Contains(out.String(), "bonne-offre.md: unchanged") {
		t.Errorf("re-import does not say unchanged:\n%s", out.String())
	}
}

func TestBadConfigurationNamesTheVariable(t *testing.T) {
	t.Parallel()
	env := map[string]string{"PORT": "quatre-vingts", "SMTP_URL": "http://nope"}
	err := run(context.Background(), []string{"serve"}, func(k string) string { return env[k] }, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "PORT") || !strings.Contains(err.Error(), "SMTP_URL") {
		t.Fatalf("got %v, want both variables named", err)
	}
}

func TestUnreachablePostgreSQLIsExplained(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": "postgres://postgres@127.0.0.1:1/vivier?sslmode=disable"}
	err := run(context.Background(), []string{"migrate"}, func(k string) string { return env[k] }, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "PostgreSQL ne répond pas à l'adresse 127.0.0.1:1") || !strings.Contains(err.Error(), "démarrez-le") {
		t.Fatalf("got %v", err)
	}
}
