package handlers_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"vivier/internal/catalog"
	"vivier/internal/frfmt"
	"vivier/internal/testkit"
	"vivier/repository"
)

// Previous and next on an application's page walk the list it was opened
// from when that list is filtered on answers and sorted on a question: the
// applications answering « oui », by the number they gave (those who gave
// none last), and the links keep that view.
func TestPreviousAndNextFollowTheListOnAnswers(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	p := app.OpenPosting(time.Time{})
	apps := seedMany(t, app, p.ID, 14)
	ctx := context.Background()
	yes := &repository.Question{PostingID: p.ID, Kind: catalog.QuestionYesNo, Label: "Collectivité ?", InList: true}
	years := &repository.Question{PostingID: p.ID, Kind: catalog.QuestionNumber, Label: "Années d'expérience", InList: true}
	for _, q := range []*repository.Question{yes, years} {
		if err := app.Repo.SaveQuestion(ctx, q, p.ContactEmail); err != nil {
			t.Fatal(err)
		}
	}
	// Every third says « non »; numbers repeat (ties broken by id), and
	// the last two gave none.
	type answered struct {
		id     int64
		number *float64
	}
	var want []answered
	for i, a := range apps {
		oui := i%3 != 0
		app.DB.MustExec(`INSERT INTO application_answers (application_id, question_id, position, kind, label, value_bool, created_at)
			VALUES ($1, $2, 1, 'yes_no', $3, $4, now())`, a.id, yes.ID, yes.Label, oui)
		var n *float64
		if i < len(apps)-2 {
			v := float64((i * 7) % 5)
			n = &v
			app.DB.MustExec(`INSERT INTO application_answers (application_id, question_id, position, kind, label, value_number, created_at)
				VALUES ($1, $2, 2, 'number', $3, $4, now())`, a.id, years.ID, years.Label, v)
		}
		if oui {
			want = append(want, answered{a.id, n})
		}
	}
	sort.SliceStable(want, func(i, j int) bool {
		a, b := want[i], want[j]
		if (a.number == nil) != (b.number == nil) {
			return b.number == nil
		}
		if a.number != nil && *a.number != *b.number {
			return *a.number < *b.number
		}
		return a.id < b.id
	})
	order := make([]int64, len(want))
	for i, w := range want {
		order[i] = w.id
	}

	c := app.Client()
	app.StartWorker()
	app.SignIn(c, p.ContactEmail)
	app.StopWorker()
	query := url.Values{"r" + strconv.FormatInt(yes.ID, 10): {"oui"}, "tri": {"q" + strconv.FormatInt(years.ID, 10)}}
	_, body := testkit.Get(t, c, app.URL+"/boite/offres/"+strconv.FormatInt(p.ID, 10)+"?"+query.Encode())
	var listed []int64
	for _, m := range rowRe.FindAllStringSubmatch(body, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		listed = append(listed, id)
	}
	if !slices.Equal(listed, order) {
		t.Fatalf("the list: %v, want %v", listed, order)
	}

	// walk follows the links rel from start, as long as they keep the view.
	walk := func(start int64, rel string) []int64 {
		t.Helper()
		linkRe := regexp.MustCompile(`href="/boite/candidatures/(\d+)\?([^"]*)" id="[a-z]+" rel="` + rel + `"`)
		seen := []int64{start}
		for id := start; len(seen) <= len(order); {
			resp, body := testkit.Get(t, c, app.URL+"/boite/candidatures/"+strconv.FormatInt(id, 10)+"?"+query.Encode())
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("application %d: %d", id, resp.StatusCode)
			}
			m := linkRe.FindStringSubmatch(body)
			if m == nil {
				return seen
			}
			if got, err := url.ParseQuery(html.UnescapeString(m[2])); err != nil || got.Encode() != query.Encode() {
				t.Errorf("the %s link of application %d leads to the view %q, want %q", rel, id, m[2], query.Encode())
			}
			id, _ = strconv.ParseInt(m[1], 10, 64)
			seen = append(seen, id)
		}
		return seen
	}
	if got := walk(order[0], "next"); !slices.Equal(got, order) {
		t.Errorf("next links from the first: %v, want %v", got, order)
	}
	backwards := slices.Clone(order)
	slices.Reverse(backwards)
	if got := walk(order[len(order)-1], "prev"); !slices.Equal(got, backwards) {
		t.Errorf("previous links from the last: %v, want %v", got, backwards)
	}
	// An application answering « non » is not in that list: no links.
	_, body = testkit.Get(t, c, app.URL+"/boite/candidatures/"+strconv.FormatInt(apps[0].id, 10)+"?"+query.Encode())
	if strings.Contains(body, `id="suivante"`) || strings.Contains(body, `id="precedente"`) {
		t.Error("an application the filter leaves out shows previous or next links within the filtered list")
	}
}

// Each change a reviewer makes to a posting's questions is in the
// journal, with who made it, when, and what changed.
func TestQuestionChangesAreInTheJournal(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{AdminEmails: "admin@anct.gouv.fr"})
	now := time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC)
	app.Clock.Set(now)
	p := app.OpenPosting(time.Time{})
	reviewer := app.Client()
	app.SignIn(reviewer, p.ContactEmail)
	addQuestion(t, app, reviewer, p.ID, url.Values{"libelle": {"Votre méthode"}, "type": {"one_choice"}, "choix": {"Scrum\nKanban"}})
	addQuestion(t, app, reviewer, p.ID, url.Values{"libelle": {"Collectivité ?"}, "type": {"yes_no"}})
	ids := questionIDs(t, app, p.ID)
	base := app.URL + "/boite/offres/" + strconv.FormatInt(p.ID, 10) + "/questions/"
	for _, step := range []struct {
		path string
		form url.Values
	}{
		{strconv.FormatInt(ids[0], 10), url.Values{"libelle": {"Votre méthode préférée"}, "type": {"one_choice"}, "choix": {"Scrum\nKanban\nShape Up"}, "obligatoire": {"oui"}}},
		{strconv.FormatInt(ids[1], 10) + "/deplacement", url.Values{"sens": {"haut"}}},
		{strconv.FormatInt(ids[0], 10) + "/retrait", nil},
	} {
		if resp, body := testkit.PostForm(t, reviewer, base+step.path, step.form); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: %d\n%s", step.path, resp.StatusCode, body)
		}
	}

	admin := app.Client()
	app.SignIn(admin, "admin@anct.gouv.fr")
	_, body := testkit.Get(t, admin, app.URL+"/admin/journal?offre="+strconv.FormatInt(p.ID, 10))
	rowsRe := regexp.MustCompile(`(?s)<tr>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>.*?<td class="fr-text--sm">([^<]*)</td>`)
	var got []string
	for _, m := range rowsRe.FindAllStringSubmatch(body, -1) {
		if m[1] != frfmt.DateTime(now) || m[2] != p.ContactEmail {
			t.Errorf("line %q at %q by %q, want at %q by %s", m[3], m[1], m[2], frfmt.DateTime(now), p.ContactEmail)
		}
		got = append(got, html.UnescapeString(m[3]+" : "+m[4]))
	}
	want := []string{ // newest first
		"Question retirée : « Votre méthode préférée » (Choix unique)",
		"Question déplacée : « Collectivité ? » : de la place 2 à la place 1",
		"Question modifiée : « Votre méthode préférée » : intitulé (avant : « Votre méthode »), choix proposés, réponse obligatoire",
		"Question ajoutée : « Collectivité ? » (Oui ou non)",
		"Question ajoutée : « Votre méthode » (Choix unique)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("the journal:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(body, `<option value="`+repository.AuditQuestionChanged+`">Question modifiée</option>`) {
		t.Error("the journal's action filter does not offer the questions' changes")
	}
}
