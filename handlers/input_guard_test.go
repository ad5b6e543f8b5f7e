package handlers_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"vivier/handlers"
	"vivier/internal/testkit"
	"vivier/repository"
)

const guardAdmin = "admin@anct.gouv.fr"

// hostilePathValues are sent, already escaped, in each path parameter.
var hostilePathValues = []string{"a%00", "%ff%fe", "%0d%0a", "%e2%80%ae", "99999999999999", "1099511627776",
	"99999999999999999999", "-1", "0", strings.Repeat("a", 5000)}

// hostileQueryValues are sent, each in turn, in every query parameter the
// app reads.
var hostileQueryValues = []string{"\x00", "a\x00b", "\xff\xfe", "\t", "99999999999999", "1099511627776",
	"99999999999999999999", "-1", "1e308", "0000-01-01", "9999-12-31", strings.Repeat("mot ", 50000),
	strings.Repeat("é", 3000), cursor(`{"n":1099511627776,"id":1}`), cursor(`{"s":"a\u0000","id":1}`),
	cursor(`{"t":"0000-01-01T00:00:00Z","id":99999999999999999999}`), cursor(`{"id":-1}`)}

// queryKeys are every query parameter the app reads.
var queryKeys = []string{"q", "statut", "dispo_min", "dispo_max", "tjm_min", "tjm_max", "recu_du", "recu_au", "tri",
	"apres", "acteur", "action", "offre", "avant", "vers", "liste", "suite", "telecharger", "fait", "enregistre",
	"cloture", "etat", "modifiee", "deplacees", "deconnecte", "relecteurs"}

// listQueries are list views whose parts pass the edge but not the
// list's own checks.
var listQueries = []string{
	"tri=tjm&apres=" + cursor(`{"n":1099511627776,"id":1}`),
	"tri=tjm&apres=" + cursor(`{"n":-1099511627776,"id":1}`),
	"tri=nom&apres=" + cursor(`{"s":"a\u0000b","id":1}`),
	"tri=date&apres=" + cursor(`{"t":"0000-01-01T00:00:00Z","id":1}`),
	"tjm_min=99999999999999&tjm_max=-99999999999999",
	"dispo_min=1e308&dispo_max=NaN",
	"recu_du=0000-01-01&recu_au=9999-12-31",
	"q=" + url.QueryEscape(strings.Repeat("a | b & !c <-> ", 120)),
	"offre=99999999999999999999&avant=-5",
}

func cursor(json string) string { return base64.RawURLEncoding.EncodeToString([]byte(json)) }

// guardFixture is an app with a posting, an application whose private
// token is known, and its emails.
type guardFixture struct {
	app                        *testkit.App
	posting                    *repository.Posting
	pid, aid, eid, token, slug string
}

func newGuardFixture(t *testing.T) *guardFixture {
	t.Helper()
	app := testkit.NewApp(t, testkit.Options{AdminEmails: guardAdmin})
	p := app.OpenPosting(time.Time{})
	token := "jeton-de-test-" + strings.Repeat("x", 30)
	sum := sha256.Sum256([]byte(token))
	a := &repository.Application{PostingID: p.ID, FirstName: "Camille", LastName: "Durand", Email: "camille@example.org",
		Location: "Lyon", DailyRate: 600, DaysPerWeek: 3, AvailableFrom: time.Now(), Links: []string{}, ConsentAt: time.Now(),
		Motivation: "Une motivation assez longue pour passer les contrôles du formulaire.", AccessTokenHash: sum[:]}
	doc := &repository.Document{FileName: "cv.pdf", ContentType: "application/pdf", SizeBytes: 100, SHA256: make([]byte, 32), Content: testkit.PDF(100)}
	if _, err := app.Repo.CreateApplication(context.Background(), a, doc, func(*repository.Application) ([]*repository.Email, error) {
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	e := &repository.Email{Kind: "status_update", PostingID: &p.ID, ApplicationID: &a.ID, ToAddress: a.Email,
		Subject: "s", TextBody: "t", HTMLBody: "h", SendAfter: time.Now().Add(time.Hour)}
	if err := app.Repo.InsertEmails(context.Background(), []*repository.Email{e}); err != nil {
		t.Fatal(err)
	}
	return &guardFixture{app: app, posting: p, pid: strconv.FormatInt(p.ID, 10), aid: strconv.FormatInt(a.ID, 10),
		eid: strconv.FormatInt(e.ID, 10), token: token, slug: p.Slug}
}

var paramRe = regexp.MustCompile(`[:*][a-z]+`)

// realValue is a value of a route's parameter that names something.
func (f *guardFixture) realValue(path, param string) string {
	switch {
	case param == ":slug":
		return f.slug
	case param == ":token" && strings.HasPrefix(path, "/candidature/"):
		return f.token
	case param == ":token":
		return strings.Repeat("t", 43)
	case param == ":cle":
		return "status_rejected"
	case param == "*filepath":
		return "/vivier.css"
	case param == "*path":
		return "/api/nothing"
	case strings.HasPrefix(path, "/boite/offres/"):
		return f.pid
	case strings.HasPrefix(path, "/boite/emails/"):
		return f.eid
	}
	return f.aid
}

// guardRequest sends an empty form (POST, DELETE) or a GET to path?query.
func guardRequest(t *testing.T, c *http.Client, method, target string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(""))
	if err != nil {
		t.Fatalf("%s %.200s: %v", method, target, err)
	}
	if method != http.MethodGet {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return testkit.Do(t, c, req)
}

// frenchPage tells a page of ours: HTML in French.
func frenchPage(resp *http.Response, body string) bool {
	return strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") && strings.Contains(body, `<html lang="fr"`)
}

// Every route, public and signed in as an admin, with hostile values in
// each path parameter and in every query parameter: never a server
// error, and any refusal is a French page.
func TestHostileInputOnEveryRoute(t *testing.T) {
	t.Parallel()
	var queries []string
	for _, v := range hostileQueryValues {
		if len(v) > 4096 {
			// Long values one key at a time: the whole request line stays
			// under net/http's limit (1 MB), which answers before us.
			queries = append(queries, "q="+url.QueryEscape(v), "acteur="+url.QueryEscape(v))
			continue
		}
		q := url.Values{}
		for _, k := range queryKeys {
			q.Set(k, v)
		}
		queries = append(queries, q.Encode())
	}
	queries = append(queries, listQueries...)
	queries = append(queries, "q=%zz", "a=1;b=2", "%ff=1", "q="+strings.Repeat("x", 900_000))

	// The routes are shared out among a few apps of their own, tried at
	// once; each app tries its routes public, then signed in as an admin.
	const parts = 4
	for part := range parts {
		t.Run("partie "+strconv.Itoa(part+1), func(t *testing.T) {
			t.Parallel()
			hostileInputOnRoutes(t, queries, func(i int) bool { return i%parts == part })
		})
	}
}

// hostileInputOnRoutes tries the routes mine picks (by their index in the
// route table) with every hostile value, on an app of its own.
func hostileInputOnRoutes(t *testing.T, queries []string, mine func(int) bool) {
	f := newGuardFixture(t)
	app := f.app
	admin := app.Client()
	app.SignIn(admin, guardAdmin)

	var routes []string
	for i, rt := range app.Handler.Routes() {
		if mine(i) {
			routes = append(routes, rt)
		}
	}
	// Signing out last: the admin stays signed in for the others.
	sort.SliceStable(routes, func(i, j int) bool {
		return !strings.HasSuffix(routes[i], " /deconnexion") && strings.HasSuffix(routes[j], " /deconnexion")
	})
	stillSignedIn := func() {
		t.Helper()
		if resp, _ := testkit.Get(t, admin, app.URL+"/boite"); resp.StatusCode != http.StatusOK {
			t.Fatalf("the admin was signed out before the end: %d", resp.StatusCode)
		}
	}

	requests := 0
	check := func(who, method, target string, resp *http.Response, body string) {
		requests++
		short := target
		if len(short) > 160 {
			short = short[:160] + "…"
		}
		if resp.StatusCode >= 500 {
			t.Errorf("%s: %s %s: %d", who, method, short, resp.StatusCode)
			return
		}
		queues := strings.Contains(target, handlers.QueuesPath+"/")
		if resp.StatusCode >= 400 && !queues && !frenchPage(resp, body) {
			t.Errorf("%s: %s %s: %d without a French page (%s)", who, method, short, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if len(body) > 2<<20 {
			t.Errorf("%s: %s %s: a page of %d bytes", who, method, short, len(body))
		}
	}
	for _, who := range []struct {
		name string
		c    *http.Client
	}{{"public", app.Client()}, {"admin", admin}} {
		signedOut := false
		for _, rt := range routes {
			method, pattern, _ := strings.Cut(rt, " ")
			if who.name == "admin" && pattern == "/deconnexion" {
				// Every route before this one was tried signed in.
				stillSignedIn()
				signedOut = true
			}
			params := paramRe.FindAllString(pattern, -1)
			real := pattern
			for _, p := range params {
				real = strings.Replace(real, p, strings.TrimPrefix(f.realValue(pattern, p), "/"), 1)
			}
			// Each path parameter in turn, the others real.
			for i := range params {
				for _, bad := range hostilePathValues {
					target := pattern
					for j, p := range params {
						v := strings.TrimPrefix(f.realValue(pattern, p), "/")
						if j == i {
							v = bad
						}
						target = strings.Replace(target, p, v, 1)
					}
					resp, body := guardRequest(t, who.c, method, app.URL+target)
					check(who.name, method, target, resp, body)
				}
			}
			for _, q := range queries {
				resp, body := guardRequest(t, who.c, method, app.URL+real+"?"+q)
				check(who.name, method, real+"?"+q, resp, body)
			}
		}
		if who.name == "admin" && !signedOut {
			stillSignedIn()
		}
	}
	t.Logf("%d requests over %d routes", requests, len(routes))
}

// The cases found by hand, with the answer each must get.
func TestHostileInputCases(t *testing.T) {
	t.Parallel()
	f := newGuardFixture(t)
	app := f.app
	admin := app.Client()
	app.SignIn(admin, guardAdmin)
	public := app.Client()
	list := "/boite/offres/" + f.pid
	cases := []struct {
		name    string
		c       *http.Client
		target  string
		status  int
		message string
	}{
		{"NUL in a slug", public, "/offres/a%00", 404, "Page introuvable"},
		{"bytes that are not UTF-8 in a slug", public, "/offres/%ff%fe", 404, "Page introuvable"},
		{"NUL in a private token", public, "/candidature/a%00", 404, "Page introuvable"},
		{"a slug of 5000 characters", public, "/offres/" + strings.Repeat("a", 5000), 404, "Page introuvable"},
		{"NUL in the search", admin, list + "?q=%00", 400, "« Rechercher »"},
		{"bytes that are not UTF-8 in the search", admin, list + "?q=%ff%fe", 400, "« Rechercher »"},
		{"a daily rate past the column", admin, list + "?tjm_min=99999999999999", 400, "« TJM minimal » doit être un nombre entier d&#39;euros entre 0 et 10 000"},
		{"a negative daily rate", admin, list + "?tjm_max=-5", 400, "« TJM maximal »"},
		{"an availability past the range", admin, list + "?dispo_min=1e308", 400, "« Disponibilité minimale »"},
		{"a date far away", admin, list + "?recu_du=0001-01-01", 400, "« Reçue à partir du »"},
		{"a cursor past the column", admin, list + "?tri=tjm&apres=" + cursor(`{"n":1099511627776,"id":1}`), 400, "lien de page"},
		{"a cursor holding NUL", admin, list + "?tri=nom&apres=" + cursor(`{"s":"a\u0000","id":1}`), 400, "lien de page"},
		{"50,000 words of search", admin, list + "?q=" + url.QueryEscape(strings.Repeat("mot ", 50000)), 400, "La recherche ne doit pas dépasser"},
		{"900 KB of search", admin, list + "?q=" + strings.Repeat("x", 900_000), 400, "La recherche ne doit pas dépasser"},
		{"NUL in the journal's person", admin, "/admin/journal?acteur=%00", 400, "« Personne »"},
		{"a journal page past the column", admin, "/admin/journal?avant=99999999999999999999", 400, "« Page suivante »"},
		{"a bad escape", admin, list + "?q=%zz", 400, "mal formée"},
		{"an export past the column", admin, list + "/export.csv?tjm_min=99999999999999", 400, "« TJM minimal »"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := testkit.Get(t, tc.c, app.URL+tc.target)
			if resp.StatusCode != tc.status || !frenchPage(resp, body) || !strings.Contains(body, tc.message) {
				t.Errorf("%d, want %d and a French page saying %q", resp.StatusCode, tc.status, tc.message)
			}
			if len(body) > 100<<10 {
				t.Errorf("a page of %d bytes", len(body))
			}
		})
	}

	// Longer than the search takes, shorter than the edge's bound: the
	// search is cut to its bound, said so, and the page stays small.
	long := strings.Repeat("coach ", 300)
	resp, body := testkit.Get(t, admin, app.URL+list+"?q="+url.QueryEscape(long))
	if resp.StatusCode != 200 || !strings.Contains(body, "seuls les 32 premiers mots") || strings.Contains(body, strings.Repeat("coach ", 40)) {
		t.Errorf("a search of 300 words: %d, not cut to 32 words with a notice", resp.StatusCode)
	}
}

// Free text posted in the inbox's forms that PostgreSQL would refuse
// (NUL, bytes that are not UTF-8) is refused with the field's message.
func TestHostileFormTextIsRefused(t *testing.T) {
	t.Parallel()
	f := newGuardFixture(t)
	app := f.app
	admin := app.Client()
	app.SignIn(admin, guardAdmin)
	app.DB.MustExec(`DELETE FROM emails`)
	for _, bad := range []string{"Une note\x00.", "Une note \xff\xfe."} {
		for _, tc := range []struct {
			path    string
			form    url.Values
			message string
		}{
			{"/boite/candidatures/" + f.aid + "/notes", url.Values{"note": {bad}}, "Votre note contient des caractères invisibles"},
			{"/boite/candidatures/" + f.aid + "/statut", url.Values{"vers": {"in_review"}, "envoyer": {"oui"}, "objet": {"Objet"}, "message": {bad}, "delai": {"0"}},
				"Le message contient des caractères invisibles"},
			{"/boite/candidatures/" + f.aid + "/statut", url.Values{"vers": {"in_review"}, "envoyer": {"oui"}, "objet": {bad}, "message": {"Bonjour."}, "delai": {"0"}},
				"L&#39;objet contient des caractères invisibles"},
			{"/boite/offres/" + f.pid + "/cloture", url.Values{"objet_close_in_review": {"Objet"}, "message_close_in_review": {bad},
				"objet_close_rejected": {"Objet"}, "message_close_rejected": {"Bonjour."}}, "caractères invisibles non autorisés"},
			{"/boite/offres/" + f.pid + "/modeles/status_rejected", url.Values{"objet": {"Objet"}, "message": {bad}}, "caractères invisibles non autorisés"},
			{"/boite/offres/" + f.pid + "/relecteurs/retrait", url.Values{"email": {"x\x00@anct.gouv.fr"}}, "Choisissez dans la liste la personne à retirer."},
		} {
			resp, body := testkit.PostForm(t, admin, app.URL+tc.path, tc.form)
			if resp.StatusCode != http.StatusUnprocessableEntity || !frenchPage(resp, body) || !strings.Contains(body, tc.message) {
				t.Errorf("%s with %q: %d, want 422 saying %q", tc.path, bad, resp.StatusCode, tc.message)
			}
		}
	}
	var notes, emails int
	var status string
	app.DB.Get(&notes, `SELECT count(*) FROM notes`)
	app.DB.Get(&emails, `SELECT count(*) FROM emails`)
	app.DB.Get(&status, `SELECT status FROM postings WHERE id = $1`, f.posting.ID)
	if notes != 0 || emails != 0 || status != "open" {
		t.Errorf("refused forms wrote %d notes, %d emails, left the posting %s", notes, emails, status)
	}
}
