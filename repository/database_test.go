package repository_test

import (
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"vivier/internal/testkit"
	"vivier/repository"
)

// `vivier migrate` creates its database when it is missing, once.
func TestEnsureDatabase(t *testing.T) {
	t.Parallel()
	u, err := url.Parse(testkit.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("vivier_test_ensure_%d_%d", os.Getpid(), time.Now().UnixNano()%1_000_000)
	u.Path = "/" + name
	admin, err := repository.Open(t.Context(), testkit.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
			t.Logf("drop %s: %v", name, err)
		}
		admin.Close()
	})
	for i, want := range []bool{true, false} {
		created, err := repository.EnsureDatabase(t.Context(), u.String())
		if err != nil || created != want {
			t.Errorf("call %d: created %v, %v; want %v", i+1, created, err, want)
		}
	}
	db, err := repository.Open(t.Context(), u.String())
	if err != nil {
		t.Fatalf("open the database created: %v", err)
	}
	db.Close()
	u.Path = "/"
	if _, err := repository.EnsureDatabase(t.Context(), u.String()); err == nil {
		t.Errorf("a URL naming no database was accepted")
	}
}
