package handlers_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"vivier/internal/catalog"
	"vivier/internal/frfmt"
	"vivier/internal/importer"
	"vivier/internal/posting"
	"vivier/internal/testkit"
	"vivier/repository"
)

const editorAdmin = "admin@anct.gouv.fr"

// newPostingValues is a valid creation form, typed the way a browser
// sends it (CRLF in the textarea, odd spaces and cases).
func newPostingValues() url.Values {
	return url.Values{
		"titre":         {"Développeur·se  Go\u00a0(freelance)"},
		"organisation":  {"Incubateur des Territoires"},
		"contact":       {" Camille.Martin@ANCT.gouv.fr "},
		"contrat":       {"indépendant"},
		"lien":          {"https://incubateur.anct.gouv.fr/recrutements/dev-go"},
		"ouverture":     {"2024-03-15"},
		"cloture_date":  {"2024-04-30"},
		"cloture_heure": {"18:00"},
		"domaines":      {"Numérique, Territoires"},
		"technos":       {"Go, PostgreSQL, "},
		"junior":        {"oui"},
		"texte":         {"\r\n## La mission\r\n\r\nConstruire **Vivier** avec l'équipe.\r\n\r\n- Go\r\n- PostgreSQL\r\n"},
	}
}

var (
	inputRe    = regexp.MustCompile(`<input class="fr-input[^"]*" type="[a-z]+" id="[a-z_]+" name="([a-z_]+)" value="([^"]*)"`)
	textareaRe = regexp.MustCompile(`(?s)<textarea[^>]* name="texte"[^>]*>\n(.*?)</textarea>`)
)

// editForm reads the edit form as the page shows it, and returns what a
// browser would send back untouched (CRLF in the textarea).
func editForm(t *testing.T, c *http.Client, page string) url.Values {
	t.Helper()
	resp, body := testkit.Get(t, c, page)
	m := textareaRe.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("edit form %s: %d", page, resp.StatusCode)
	}
	v := url.Values{"texte": {strings.ReplaceAll(html.UnescapeString(m[1]), "\n", "\r\n")}}
	for _, in := range inputRe.FindAllStringSubmatch(body, -1) {
		v.Set(in[1], html.UnescapeString(in[2]))
	}
	if strings.Contains(body, `name="junior" value="oui" checked`) {
		v.Set("junior", "oui")
	}
	return v
}

func countPostings(t *testing.T, app *testkit.App) int {
	t.Helper()
	var n int
	if err := app.DB.Get(&n, `SELECT count(*) FROM postings`); err != nil {
		t.Fatal(err)
	}
	return n
}

func postingID(t *testing.T, resp *http.Response) int64 {
	t.Helper()
	loc := resp.Header.Get("Location")
	id, err := strconv.ParseInt(strings.TrimPrefix(loc, "/boite/offres/"), 10, 64)
	if resp.StatusCode != http.StatusSeeOther || err != nil {
		t.Fatalf("create: %d to %q, want 303 to /boite/offres/ID", resp.StatusCode, loc)
	}
	return id
}

func TestAdminCreatesAndEditsAPosting(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{AdminEmails: editorAdmin})
	ctx := context.Background()
	admin := app.Client()
	app.SignIn(admin, editorAdmin)

	if _, body := testkit.Get(t, admin, app.URL+"/boite"); !strings.Contains(body, `href="/boite/offres/nouvelle"`) || !strings.Contains(body, "Créer une offre") {
		t.Error("an admin's list of postings has no « Créer une offre » button")
	}
	if resp, body := testkit.Get(t, admin, app.URL+"/boite/offres/nouvelle"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="texte"`) {
		t.Fatalf("creation form: %d", resp.StatusCode)
	}

	resp, _ := testkit.PostForm(t, admin, app.URL+"/boite/offres/nouvelle", newPostingValues())
	id := postingID(t, resp)
	p, err := app.Repo.PostingByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	opens := time.Date(2024, 3, 15, 0, 0, 0, 0, frfmt.Paris)
	closes := time.Date(2024, 4, 30, 18, 0, 0, 0, frfmt.Paris)
	want := repository.Posting{Title: "Développeur·se Go (freelance)", Organisation: "Incubateur des Territoires",
		ContactEmail: "camille.martin@anct.gouv.fr", Contract: "indépendant",
		ExternalURL: "https://incubateur.anct.gouv.fr/recrutements/dev-go", OpensAt: &opens, ClosesAt: &closes,
		Status: catalog.PostingDraft, Domains: []string{"Numérique", "Territoires"}, Technos: []string{"Go", "PostgreSQL"},
		Junior: true, BodyMD: "\n## La mission\n\nConstruire **Vivier** avec l'équipe.\n\n- Go\n- PostgreSQL\n"}
	if d := diffPostingFields(&want, p); d != "" {
		t.Errorf("created posting: %s", d)
	}
	if p.Slug != "developpeur-se-go-freelance" || p.SourceName.Valid {
		t.Errorf("slug %q, source %v", p.Slug, p.SourceName)
	}
	if !strings.Contains(p.BodyHTML, "<h3>La mission</h3>") || !strings.Contains(p.BodyHTML, "<strong>Vivier</strong>") ||
		!strings.Contains(p.ExcerptHTML, "Construire") {
		t.Errorf("HTML not rendered: body %q, excerpt %q", p.BodyHTML, p.ExcerptHTML)
	}
	var createdBy, addedBy string
	app.DB.Get(&createdBy, `SELECT created_by FROM postings WHERE id = $1`, id)
	app.DB.Get(&addedBy, `SELECT added_by FROM posting_reviewers WHERE posting_id = $1 AND email = 'camille.martin@anct.gouv.fr'`, id)
	if createdBy != editorAdmin || addedBy != editorAdmin {
		t.Errorf("created by %q, contact added as reviewer by %q", createdBy, addedBy)
	}
	events, err := app.Repo.PostingEvents(ctx, id)
	if err != nil || len(events) != 1 || events[0].FromStatus != "" || events[0].ToStatus != "draft" || events[0].Actor != editorAdmin {
		t.Errorf("history: %+v, %v", events, err)
	}

	// The contact now reviews it: they sign in and see it in their list.
	contact := app.Client()
	app.SignIn(contact, "camille.martin@anct.gouv.fr")
	page := app.URL + "/boite/offres/" + strconv.FormatInt(id, 10)
	if _, body := testkit.Get(t, contact, app.URL+"/boite"); !strings.Contains(body, `/boite/offres/`+strconv.FormatInt(id, 10)+`"`) {
		t.Error("the contact does not see the new posting in their list")
	}
	// They may download it, not edit it; the admin has both links.
	if _, body := testkit.Get(t, contact, page); !strings.Contains(body, "Télécharger en Markdown") || strings.Contains(body, "/modification") {
		t.Error("a reviewer's list page: want the download link and no edit link")
	}
	if _, body := testkit.Get(t, admin, page); !strings.Contains(body, `href="/boite/offres/`+strconv.FormatInt(id, 10)+`/modification"`) ||
		!strings.Contains(body, `href="/boite/offres/`+strconv.FormatInt(id, 10)+`/markdown"`) {
		t.Error("an admin's list page lacks the edit or download link")
	}

	// The same title again gets its own slug, even sent at the same time.
	resp, _ = testkit.PostForm(t, admin, app.URL+"/boite/offres/nouvelle", newPostingValues())
	if again, err := app.Repo.PostingByID(ctx, postingID(t, resp)); err != nil || again.Slug != "developpeur-se-go-freelance-2" {
		t.Errorf("second posting of the same title: slug %q (%v)", again.Slug, err)
	}
	var wg sync.WaitGroup
	statuses := make([]int, 3)
	for i := range statuses {
		wg.Go(func() {
			resp, _ := testkit.PostForm(t, admin, app.URL+"/boite/offres/nouvelle", newPostingValues())
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	var slugs []string
	app.DB.Select(&slugs, `SELECT slug FROM postings WHERE slug LIKE 'developpeur-se-go-freelance%' ORDER BY slug`)
	if !reflect.DeepEqual(statuses, []int{303, 303, 303}) || len(slugs) != 5 {
		t.Errorf("three creations at once: %v, slugs %v", statuses, slugs)
	}

	// The edit form shows the posting as stored, the body's leading blank
	// line included; sent back unchanged it changes nothing.
	shown := editForm(t, admin, page+"/modification")
	if shown.Get("titre") != "Développeur·se Go (freelance)" || !strings.HasPrefix(shown.Get("texte"), "\r\n## La mission") ||
		shown.Get("cloture_date") != "2024-04-30" || shown.Get("cloture_heure") != "18:00" || shown.Get("junior") != "oui" ||
		shown.Get("technos") != "Go, PostgreSQL" {
		t.Fatalf("edit form: stored values not shown: %v", shown)
	}
	if resp, _ := testkit.PostForm(t, admin, page+"/modification", shown); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save unchanged: %d", resp.StatusCode)
	}
	if same, _ := app.Repo.PostingByID(ctx, id); diffPostingFields(p, same) != "" || same.BodyHTML != p.BodyHTML {
		t.Errorf("saving without a change changed %s", diffPostingFields(p, same))
	}

	// The preview renders the typed body, sanitised, keeps what was typed
	// and saves nothing.
	v := editForm(t, admin, page+"/modification")
	v.Set("titre", "Titre pas encore enregistré")
	v.Set("texte", "## Aperçu\n\nDu **gras**.\n\n<script>alert(1)</script>")
	resp, body := testkit.PostForm(t, admin, page+"/apercu", v)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "<h3>Aperçu</h3>") || !strings.Contains(body, "<strong>gras</strong>") ||
		strings.Contains(body, "<script>alert") || !strings.Contains(body, `value="Titre pas encore enregistré"`) {
		t.Errorf("preview: %d, rendered body or typed title missing, or script kept", resp.StatusCode)
	}
	before := countPostings(t, app)
	v.Set("apercu", "1")
	if resp, body := testkit.PostForm(t, admin, app.URL+"/boite/offres/nouvelle", v); resp.StatusCode != http.StatusOK || !strings.Contains(body, "<strong>gras</strong>") {
		t.Errorf("preview on the creation form: %d", resp.StatusCode)
	}
	if same, _ := app.Repo.PostingByID(ctx, id); same.Title != p.Title || countPostings(t, app) != before {
		t.Error("a preview saved something")
	}

	// An edit: new title, new contact, no closing date, other technos.
	v = editForm(t, admin, page+"/modification")
	v.Set("titre", "Développeur·se Go senior")
	v.Set("contact", "dominique@anct.gouv.fr")
	v.Del("cloture_date")
	v.Del("cloture_heure")
	v.Set("technos", "Go")
	v.Del("junior")
	v.Set("texte", "Une mission <!--more--> longue.")
	resp, _ = testkit.PostForm(t, admin, page+"/modification", v)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/boite/offres/"+strconv.FormatInt(id, 10) {
		t.Fatalf("edit: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := testkit.Get(t, admin, app.URL+"/boite/offres/"+strconv.FormatInt(id, 10)); !strings.Contains(body, "Les modifications de l&#39;offre sont enregistrées.") {
		t.Error("the posting's page does not say the edit is saved")
	}
	edited, _ := app.Repo.PostingByID(ctx, id)
	want = *p
	want.Title, want.ContactEmail, want.ClosesAt, want.Technos, want.Junior = "Développeur·se Go senior", "dominique@anct.gouv.fr", nil, []string{"Go"}, false
	want.BodyMD = "Une mission <!--more--> longue."
	if d := diffPostingFields(&want, edited); d != "" || edited.Slug != p.Slug {
		t.Errorf("edited posting: %s, slug %q", d, edited.Slug)
	}
	if edited.ExcerptHTML != "<p>Une mission</p>" || strings.Contains(edited.BodyHTML, "<!--") {
		t.Errorf("HTML after edit: body %q, excerpt %q", edited.BodyHTML, edited.ExcerptHTML)
	}
	reviewers, _ := app.Repo.Reviewers(ctx, id)
	if !reflect.DeepEqual(reviewers, []string{"camille.martin@anct.gouv.fr", "dominique@anct.gouv.fr"}) {
		t.Errorf("reviewers after a new contact: %v", reviewers)
	}

	// The Markdown file gives the same posting back (a draft comes back closed).
	resp, md := testkit.Get(t, admin, page+"/markdown")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/markdown; charset=utf-8" ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="developpeur-se-go-freelance.md"` {
		t.Fatalf("download: %d, %q, %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
	}
	back, err := posting.Parse("developpeur-se-go-freelance.md", []byte(md), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	want = *edited
	want.Status = catalog.PostingClosed
	if d := diffPostingFields(&want, importer.Row(back)); d != "" {
		t.Errorf("Markdown round trip: %s\n%s", d, md)
	}
	if resp, _ := testkit.Get(t, contact, page+"/markdown"); resp.StatusCode != http.StatusOK {
		t.Errorf("a reviewer downloads the Markdown: %d", resp.StatusCode)
	}
}

// badPostingInputs are refused inputs: the field named, its message.
var badPostingInputs = []struct {
	name, field, msg string
	set              map[string]string
}{
	{"empty title", "titre", "Indiquez l'intitulé du poste.", map[string]string{"titre": ""}},
	{"invisible title", "titre", "Indiquez l'intitulé du poste.", map[string]string{"titre": " \u200b\u00a0\t"}},
	{"title on two lines", "titre", "L'intitulé doit tenir sur une ligne.", map[string]string{"titre": "Coach\r\nPNI"}},
	{"title too long", "titre", "L'intitulé ne doit pas dépasser 200 caractères (il en compte 201).", map[string]string{"titre": strings.Repeat("é", 201)}},
	{"organisation too long", "organisation", "Le nom de l'organisation ne doit pas dépasser 200 caractères.", map[string]string{"organisation": strings.Repeat("o", 201)}},
	{"contract too long", "contrat", "Le type de contrat ne doit pas dépasser 200 caractères.", map[string]string{"contrat": strings.Repeat("c", 201)}},
	{"contact not an address", "contact", "Saisissez une adresse email valide", map[string]string{"contact": "camille.martin"}},
	{"contact without a domain", "contact", "Saisissez une adresse email valide", map[string]string{"contact": "camille@localhost"}},
	{"contact with a name", "contact", "Saisissez une adresse email valide", map[string]string{"contact": "Camille <camille@anct.gouv.fr>"}},
	{"two contacts", "contact", "Saisissez une adresse email valide", map[string]string{"contact": "a@anct.gouv.fr, b@anct.gouv.fr"}},
	{"javascript link", "lien", "Saisissez une adresse web complète", map[string]string{"lien": "javascript:alert(1)"}},
	{"ftp link", "lien", "Saisissez une adresse web complète", map[string]string{"lien": "ftp://example.org/offre"}},
	{"link without a host", "lien", "Saisissez une adresse web complète", map[string]string{"lien": "https://"}},
	{"relative link", "lien", "Saisissez une adresse web complète", map[string]string{"lien": "/offres/dev"}},
	{"opening date not a date", "ouverture", "Saisissez une date valide, au format jj/mm/aaaa.", map[string]string{"ouverture": "demain"}},
	{"opening date impossible", "ouverture", "Saisissez une date valide, au format jj/mm/aaaa.", map[string]string{"ouverture": "2024-02-30"}},
	{"opening date far away", "ouverture", "Saisissez une date entre l'an 2000 et l'an 2100.", map[string]string{"ouverture": "0001-01-01"}},
	{"closing date not a date", "cloture_date", "Saisissez une date valide, au format jj/mm/aaaa.", map[string]string{"cloture_date": "2024-13-01"}},
	{"closing time not a time", "cloture_heure", "Saisissez une heure au format hh:mm, par exemple 18:00.", map[string]string{"cloture_heure": "25:00"}},
	{"closing time without a date", "cloture_date", "Indiquez la date de clôture, ou effacez l'heure.", map[string]string{"cloture_date": "", "cloture_heure": "18:00"}},
	{"closing before opening", "cloture_date", "La clôture doit venir après la date de publication.", map[string]string{"ouverture": "2024-05-01", "cloture_date": "2024-04-30"}},
	{"closing at the opening", "cloture_date", "La clôture doit venir après la date de publication.", map[string]string{"ouverture": "2024-05-01", "cloture_date": "01/05/2024", "cloture_heure": "00:00"}},
	{"too many domains", "domaines", "Pas plus de 30 domaines, séparés par des virgules.", map[string]string{"domaines": strings.Repeat("d, ", 31)}},
	{"technos too long", "technos", "Pas plus de 1 000 caractères pour les technologies.", map[string]string{"technos": strings.Repeat("t", 1001)}},
	{"empty body", "texte", "Écrivez le texte de l'offre.", map[string]string{"texte": ""}},
	{"blank body", "texte", "Écrivez le texte de l'offre.", map[string]string{"texte": "\r\n  \r\n"}},
	{"body too long", "texte", "Le texte ne doit pas dépasser 50 000 caractères (il en compte 50001).", map[string]string{"texte": strings.Repeat("x", 50001)}},
	{"body with NUL", "texte", "Le texte contient des caractères de contrôle invisibles", map[string]string{"texte": "Une mission\x00."}},
}

// labelOf is each field's label, as the error summary names it.
var labelOf = map[string]string{"titre": "Intitulé du poste", "organisation": "Organisation", "contact": "Email de contact",
	"contrat": "Type de contrat", "lien": "Lien vers l&#39;offre d&#39;origine", "ouverture": "Date de publication",
	"cloture_date": "Date de clôture", "cloture_heure": "Heure de clôture", "domaines": "Domaines",
	"technos": "Technologies", "texte": "Texte de l&#39;offre"}

func TestPostingFormRefusesBadInput(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{AdminEmails: editorAdmin})
	ctx := context.Background()
	admin := app.Client()
	app.SignIn(admin, editorAdmin)
	existing := app.OpenPosting(time.Time{})
	editPage := app.URL + "/boite/offres/" + strconv.FormatInt(existing.ID, 10) + "/modification"
	before := countPostings(t, app)

	for _, tc := range badPostingInputs {
		t.Run(tc.name, func(t *testing.T) {
			for _, target := range []struct{ name, url string }{{"create", app.URL + "/boite/offres/nouvelle"}, {"edit", editPage}} {
				v := newPostingValues()
				v.Set("titre", "Une offre à refuser")
				for k, s := range tc.set {
					v.Set(k, s)
				}
				resp, body := testkit.PostForm(t, admin, target.url, v)
				if resp.StatusCode != http.StatusUnprocessableEntity {
					t.Fatalf("%s: %d, want 422", target.name, resp.StatusCode)
				}
				msg := template.HTMLEscapeString(tc.msg)
				if !strings.Contains(body, `id="`+tc.field+`-erreur">`+msg) {
					t.Errorf("%s: no message %q next to the field %s", target.name, tc.msg, tc.field)
				}
				if !strings.Contains(body, `<a href="#champ-`+tc.field+`">`+labelOf[tc.field]+`</a> : `+msg) || !strings.Contains(body, "Une erreur empêche l'enregistrement") {
					t.Errorf("%s: the summary does not name the field %s", target.name, tc.field)
				}
				// What was typed is kept (the organisation stands for the rest).
				if _, changed := tc.set["organisation"]; !changed && !strings.Contains(body, `value="Incubateur des Territoires"`) {
					t.Errorf("%s: the typed values are lost", target.name)
				}
			}
		})
	}
	if n := countPostings(t, app); n != before {
		t.Errorf("%d postings written by refused forms", n-before)
	}
	if same, _ := app.Repo.PostingByID(ctx, existing.ID); diffPostingFields(existing, same) != "" {
		t.Errorf("a refused edit changed the posting: %s", diffPostingFields(existing, same))
	}

	// Several errors at once are counted in the summary.
	resp, body := testkit.PostForm(t, admin, app.URL+"/boite/offres/nouvelle", url.Values{"contact": {"x"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "3 erreurs empêchent") {
		t.Errorf("empty form with a bad contact: %d, want 3 errors summarised", resp.StatusCode)
	}

	// Odd bytes anywhere are refused or cleaned, never a server error.
	odd := []string{"\x00", "\xff\xfe", "\u202e\u200b", strings.Repeat("🦊", 300), "<script>alert(1)</script>", "%00", "\r", "9999-99-99", "24:60"}
	for _, field := range []string{"titre", "organisation", "contact", "contrat", "lien", "ouverture", "cloture_date", "cloture_heure", "domaines", "technos", "texte"} {
		for _, s := range odd {
			v := newPostingValues()
			v.Set(field, s)
			if resp, _ := testkit.PostForm(t, admin, editPage, v); resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("%s = %q: %d", field, s, resp.StatusCode)
			}
		}
	}
}

// corpusDir is /work/shared/postings seen from the handlers package.
var corpusDir = filepath.Join("..", "..", "shared", "postings")

// Every real posting, downloaded as Markdown over HTTP, parses back to the
// stored posting, and importing the file stores the same posting again.
func TestMarkdownRoundTripOnEveryRealPosting(t *testing.T) {
	t.Parallel()
	if st, err := os.Stat(corpusDir); err != nil || !st.IsDir() {
		t.Fatalf("the real postings are missing at %s (they sit beside the project, in shared/postings): %v", corpusDir, err)
	}
	app := testkit.NewApp(t, testkit.Options{AdminEmails: editorAdmin})
	ctx := context.Background()
	var out bytes.Buffer
	im := &importer.Importer{Repo: app.Repo, Now: time.Now, Out: &out}
	res, err := im.Paths(ctx, []string{corpusDir})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 0 || res.Created < 400 {
		t.Fatalf("import of the corpus: %+v\n%s", res, out.String())
	}
	var ids []int64
	if err := app.DB.Select(&ids, `SELECT id FROM postings ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	admin := app.Client()
	app.SignIn(admin, editorAdmin)
	again := &importer.Importer{Repo: app.Repo, Now: time.Now, Out: io.Discard}

	// Each posting on its own, several at once: downloaded and re-imported,
	// then opened in the editor and saved untouched.
	for _, id := range ids {
		t.Run(strconv.FormatInt(id, 10), func(t *testing.T) {
			t.Parallel()
			markdownRoundTrip(t, app, admin, again, id)
			savedUntouched(t, app, admin, id)
		})
	}
	t.Logf("%d postings to download, re-import and save untouched", len(ids))
}

// markdownRoundTrip downloads a posting's Markdown, parses it and imports
// it as a new file: the same posting each time.
func markdownRoundTrip(t *testing.T, app *testkit.App, admin *http.Client, again *importer.Importer, id int64) {
	t.Helper()
	ctx := context.Background()
	stored, err := app.Repo.PostingByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	label := stored.SourceName.String
	resp, md := testkit.Get(t, admin, app.URL+"/boite/offres/"+strconv.FormatInt(id, 10)+"/markdown")
	name := stored.Slug + ".md"
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Disposition") != `attachment; filename="`+name+`"` {
		t.Errorf("%s: download %d, %q", label, resp.StatusCode, resp.Header.Get("Content-Disposition"))
		return
	}
	back, err := posting.Parse(name, []byte(md), time.Now())
	if err != nil {
		t.Errorf("%s: the downloaded file does not parse: %v", label, err)
		return
	}
	if d := diffPostingFields(stored, importer.Row(back)); d != "" {
		t.Errorf("%s: the downloaded file parses to another posting: %s\n%s", label, d, md)
		return
	}
	// Imported as a new file, it is stored as the same posting.
	source := "aller-retour/" + name
	if _, err := again.File(ctx, source, []byte(md)); err != nil {
		t.Errorf("%s: re-import: %v", label, err)
		return
	}
	copied, err := app.Repo.PostingBySourceName(ctx, source)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffPostingFields(stored, copied); d != "" || copied.BodyHTML != stored.BodyHTML || copied.ExcerptHTML != stored.ExcerptHTML {
		t.Errorf("%s: re-imported, the posting changed: %s", label, d)
	}
}

// savedUntouched opens a posting in the editor and saves it untouched: no
// posting changes (dates with seconds, list items with commas and leading
// blank lines stay).
func savedUntouched(t *testing.T, app *testkit.App, admin *http.Client, id int64) {
	t.Helper()
	ctx := context.Background()
	stored, err := app.Repo.PostingByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	page := app.URL + "/boite/offres/" + strconv.FormatInt(id, 10) + "/modification"
	if resp, body := testkit.PostForm(t, admin, page, editForm(t, admin, page)); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("%s: saved untouched: %d %s", stored.SourceName.String, resp.StatusCode, regexp.MustCompile(`(?s)<ul>.*?</ul>`).FindString(body))
		return
	}
	saved, err := app.Repo.PostingByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffPostingFields(stored, saved); d != "" || saved.BodyHTML != stored.BodyHTML || saved.ExcerptHTML != stored.ExcerptHTML {
		t.Errorf("%s: saved untouched, the posting changed: %s", stored.SourceName.String, d)
	}
}

// diffPostingFields names the first of a posting's own fields (those a
// Markdown file carries, status as open or not) that differs.
func diffPostingFields(a, b *repository.Posting) string {
	open := func(p *repository.Posting) bool { return p.Status == catalog.PostingOpen }
	instant := func(t *time.Time) string {
		if t == nil {
			return "none"
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	list := func(s []string) string { return fmt.Sprintf("%q", s) }
	for _, f := range []struct{ name, a, b string }{
		{"title", a.Title, b.Title}, {"organisation", a.Organisation, b.Organisation},
		{"contact", a.ContactEmail, b.ContactEmail}, {"contract", a.Contract, b.Contract},
		{"external URL", a.ExternalURL, b.ExternalURL}, {"opening", instant(a.OpensAt), instant(b.OpensAt)},
		{"closing", instant(a.ClosesAt), instant(b.ClosesAt)}, {"open", strconv.FormatBool(open(a)), strconv.FormatBool(open(b))},
		{"domains", list(a.Domains), list(b.Domains)}, {"technos", list(a.Technos), list(b.Technos)},
		{"junior", strconv.FormatBool(a.Junior), strconv.FormatBool(b.Junior)}, {"body", a.BodyMD, b.BodyMD},
	} {
		if f.a != f.b {
			return fmt.Sprintf("%s: %q -> %q", f.name, f.a, f.b)
		}
	}
	return ""
}
