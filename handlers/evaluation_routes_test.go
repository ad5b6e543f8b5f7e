package handlers_test

import (
	"net/url"
	"strconv"
	"testing"

	"vivier/internal/testkit"
	"vivier/repository"
)

// evaluationRoutes are the authorization table's lines of a posting's
// criteria, blind first pass and selection report: its reviewers and
// admins only.
func evaluationRoutes(t *testing.T, app *testkit.App, postingID int64) map[string]authRoute {
	t.Helper()
	if err := app.Repo.AddCriteria(t.Context(), postingID, []repository.Criterion{{Name: "Méthode", Weight: 2}, {Name: "Expérience", Weight: 1}}, "admin@anct.gouv.fr"); err != nil {
		t.Fatal(err)
	}
	cs, err := app.Repo.Criteria(t.Context(), postingID, false)
	if err != nil || len(cs) != 2 {
		t.Fatalf("criteria: %v", err)
	}
	// One to change, another to remove (the lines run in any order).
	pid, cid, gone := strconv.FormatInt(postingID, 10), strconv.FormatInt(cs[0].ID, 10), strconv.FormatInt(cs[1].ID, 10)
	return map[string]authRoute{
		"GET /boite/offres/:id/evaluation":                 {method: "GET", path: "/boite/offres/" + pid + "/evaluation"},
		"POST /boite/offres/:id/criteres":                  {method: "POST", path: "/boite/offres/" + pid + "/criteres", form: url.Values{"nom": {"Écoute"}, "poids": {"2"}}},
		"POST /boite/offres/:id/criteres-proposes":         {method: "POST", path: "/boite/offres/" + pid + "/criteres-proposes"},
		"POST /boite/offres/:id/criteres/:critere":         {method: "POST", path: "/boite/offres/" + pid + "/criteres/" + cid, form: url.Values{"nom": {"Méthodes"}, "poids": {"3"}}},
		"POST /boite/offres/:id/criteres/:critere/retrait": {method: "POST", path: "/boite/offres/" + pid + "/criteres/" + gone + "/retrait"},
		"POST /boite/offres/:id/anonymat":                  {method: "POST", path: "/boite/offres/" + pid + "/anonymat", form: url.Values{"jusqu_a": {""}}},
		"GET /boite/offres/:id/rapport":                    {method: "GET", path: "/boite/offres/" + pid + "/rapport"},
		"GET /boite/offres/:id/rapport.csv":                {method: "GET", path: "/boite/offres/" + pid + "/rapport.csv"},
	}
}
