package handlers_test

import (
	"encoding/csv"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"vivier/internal/testkit"
	"vivier/repository"
)

// sourceFieldRe finds the form's hidden source fields.
var sourceFieldRe = regexp.MustCompile(`<input type="hidden" name="(utm_source|utm_medium|utm_campaign|ref|origine)" value="([^"]*)">`)

// sourceFields returns the hidden source fields of a page's form.
func sourceFields(body string) url.Values {
	v := url.Values{}
	for _, m := range sourceFieldRe.FindAllStringSubmatch(body, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	return v
}

// openPosting opens a posting's page as a browser coming from referer would.
func openPosting(t *testing.T, app *testkit.App, c *http.Client, path, referer string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, app.URL+path, nil)
	if referer != "" {
		req.Header.Set("Referer", referer)
	}
	resp, body := testkit.Do(t, c, req)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	return body
}

// applyFromPage sends the form with the page's hidden source fields, as
// the browser does, with the posting page as Referer (this site).
func applyFromPage(t *testing.T, app *testkit.App, c *http.Client, p *repository.Posting, page string, form url.Values) *http.Response {
	t.Helper()
	for k, v := range sourceFields(page) {
		form[k] = v
	}
	body, ct := testkit.Multipart(t, form, cv())
	req, _ := http.NewRequest(http.MethodPost, app.URL+"/offres/"+p.Slug+"/candidature", body)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Referer", app.URL+"/offres/"+p.Slug)
	resp, _ := testkit.Do(t, c, req)
	return resp
}

type storedSource struct {
	Source   string `db:"utm_source"`
	Medium   string `db:"utm_medium"`
	Campaign string `db:"utm_campaign"`
	Ref      string `db:"ref"`
	Host     string `db:"referrer_host"`
}

func sourceOf(t *testing.T, app *testkit.App, email string) storedSource {
	t.Helper()
	var s storedSource
	if err := app.DB.Get(&s, `SELECT utm_source, utm_medium, utm_campaign, ref, referrer_host FROM applications WHERE email = $1`, email); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestApplicationKeepsWhereItCameFrom(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Time{})

	// From a campaign's address, linked from another site: the four
	// parameters and that site's host, never its full address.
	c := app.Client()
	page := openPosting(t, app, c, "/offres/"+p.Slug+"?utm_source=LinkedIn&utm_medium=social&utm_campaign=printemps+2026&ref=post-42",
		"https://www.linkedin.com/feed/update/urn:li:activity:123?trk=secret")
	if strings.Contains(page, "urn:li") || strings.Contains(page, "trk=secret") {
		t.Error("the page carries the referring address, not only its host")
	}
	if resp := applyFromPage(t, app, c, p, page, validForm()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply: %d", resp.StatusCode)
	}
	want := storedSource{"LinkedIn", "social", "printemps 2026", "post-42", "www.linkedin.com"}
	if got := sourceOf(t, app, "camille.durand@example.org"); got != want {
		t.Errorf("stored source = %+v, want %+v", got, want)
	}

	// Bad values are dropped, not refused; this site as Referer is no source.
	c = app.Client()
	page = openPosting(t, app, c, "/offres/"+p.Slug+"?utm_source=%FF%FE&utm_medium=bell%07&utm_campaign="+strings.Repeat("x", 101)+"&ref=ok",
		app.URL+"/")
	form := validForm()
	form.Set("email", "dominique@example.org")
	if resp := applyFromPage(t, app, c, p, page, form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply with bad source values: %d", resp.StatusCode)
	}
	if got := sourceOf(t, app, "dominique@example.org"); got != (storedSource{Ref: "ok"}) {
		t.Errorf("stored source = %+v, want only ref", got)
	}

	// A forged hidden field is checked again: a host, and not this one.
	form = validForm()
	form.Set("email", "sacha@example.org")
	form.Set("origine", "https://evil.example/path")
	form.Set("utm_source", "ok\u202e")
	resp, _ := testkit.PostMultipart(t, app.Client(), app.URL+"/offres/"+p.Slug+"/candidature", form, cv())
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply with forged fields: %d", resp.StatusCode)
	}
	if got := sourceOf(t, app, "sacha@example.org"); got != (storedSource{}) {
		t.Errorf("stored source = %+v, want none", got)
	}
}

func TestFormShownAgainKeepsItsSource(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{UploadMaxBytes: 200 << 10})
	p := app.OpenPosting(time.Time{})
	c := app.Client()
	page := openPosting(t, app, c, "/offres/"+p.Slug+"?utm_source=Mailing+beta.gouv&utm_campaign=novembre", "https://beta.gouv.fr/lettre")
	want := url.Values{"utm_source": {"Mailing beta.gouv"}, "utm_campaign": {"novembre"}, "origine": {"beta.gouv.fr"}}
	if got := sourceFields(page); got.Encode() != want.Encode() {
		t.Fatalf("hidden fields of the page = %v, want %v", got, want)
	}

	// A field at fault: the form comes back with its source.
	form := validForm()
	form.Del("motivation")
	for k, v := range want {
		form[k] = v
	}
	resp, body := testkit.PostMultipart(t, c, app.URL+"/offres/"+p.Slug+"/candidature", form, cv())
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("form with an error: %d, want 422", resp.StatusCode)
	}
	if got := sourceFields(body); got.Encode() != want.Encode() {
		t.Errorf("hidden fields after an error = %v, want %v", got, want)
	}

	// A CV over the limit (read as a stream, after the text fields): kept too.
	form = validForm()
	for k, v := range want {
		form[k] = v
	}
	resp, body = testkit.PostMultipart(t, c, app.URL+"/offres/"+p.Slug+"/candidature", form,
		testkit.File{Field: "cv", Name: "gros.pdf", Data: testkit.PDF(300 << 10)})
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("CV over the limit: %d, want 413", resp.StatusCode)
	}
	if got := sourceFields(body); got.Encode() != want.Encode() {
		t.Errorf("hidden fields after a CV over the limit = %v, want %v", got, want)
	}

	// Sent again, fixed: stored with its source.
	form = validForm()
	if resp := applyFromPage(t, app, c, p, body, form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply: %d", resp.StatusCode)
	}
	if got := sourceOf(t, app, "camille.durand@example.org"); got != (storedSource{Source: "Mailing beta.gouv", Campaign: "novembre", Host: "beta.gouv.fr"}) {
		t.Errorf("stored source = %+v", got)
	}
}

// seedFrom stores an application with a source.
func seedFrom(t *testing.T, app *testkit.App, postingID int64, first, email, source string) *repository.Application {
	t.Helper()
	a := seedApplication(t, app, postingID, first, "Martin", email)
	app.DB.MustExec(`UPDATE applications SET utm_source = $2, utm_medium = 'social', utm_campaign = 'automne',
		ref = 'r1', referrer_host = 'www.linkedin.com' WHERE id = $1`, a.ID, source)
	return a
}

func TestReviewersSeeAndFilterBySource(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{AdminEmails: "admin@anct.gouv.fr"})
	p := app.OpenPosting(time.Time{})
	a := seedFrom(t, app, p.ID, "Alix", "alix@example.org", "LinkedIn")
	seedFrom(t, app, p.ID, "Basile", "basile@example.org", "Mailing beta.gouv")
	seedApplication(t, app, p.ID, "Claude", "Martin", "claude@example.org")
	other := secondPosting(t, app, "autre@anct.gouv.fr")
	seedFrom(t, app, other.ID, "Dana", "dana@example.org", "Twitter")
	pid := strconv.FormatInt(p.ID, 10)

	reviewer := app.Client()
	app.SignIn(reviewer, p.ContactEmail)
	_, body := testkit.Get(t, reviewer, app.URL+"/boite/candidatures/"+strconv.FormatInt(a.ID, 10))
	for _, s := range []string{"<h2>Provenance</h2>", "<dt>Source</dt><dd>LinkedIn</dd>", "<dt>Support</dt><dd>social</dd>",
		"<dt>Campagne</dt><dd>automne</dd>", "<dt>Référence</dt><dd>r1</dd>", "<dt>Site d'origine</dt><dd>www.linkedin.com</dd>"} {
		if !strings.Contains(body, s) {
			t.Errorf("application page lacks %q", s)
		}
	}

	// The filter offers this posting's sources only, and filters.
	_, body = testkit.Get(t, reviewer, app.URL+"/boite/offres/"+pid)
	if !strings.Contains(body, `<option value="LinkedIn">LinkedIn</option>`) || !strings.Contains(body, `<option value="Mailing beta.gouv">`) ||
		strings.Contains(body, "Twitter") {
		t.Error("the source filter does not offer exactly this posting's sources")
	}
	resp, body := testkit.Get(t, reviewer, app.URL+"/boite/offres/"+pid+"?source=LinkedIn")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Martin Alix") || strings.Contains(body, "Martin Basile") ||
		strings.Contains(body, "Martin Claude") || !strings.Contains(body, `<option value="LinkedIn" selected>`) {
		t.Errorf("filtered by source: %d, want Alix alone", resp.StatusCode)
	}
	// A source never seen for the posting is named and left out.
	resp, body = testkit.Get(t, reviewer, app.URL+"/boite/offres/"+pid+"?source=Twitter")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "« Source »") || !strings.Contains(body, "Martin Claude") {
		t.Errorf("unknown source: %d, want 400 naming the filter and the whole list", resp.StatusCode)
	}

	// The CSV carries the source columns, and follows the filter.
	resp, body = testkit.Get(t, reviewer, app.URL+"/boite/offres/"+pid+"/export.csv?source=LinkedIn")
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff")))
	r.Comma = ';'
	records, err := r.ReadAll()
	if resp.StatusCode != http.StatusOK || err != nil || len(records) != 2 {
		t.Fatalf("CSV: %d, %v, %d lines", resp.StatusCode, err, len(records))
	}
	head, row := records[0], records[1]
	got := map[string]string{}
	for i, h := range head {
		got[h] = row[i]
	}
	for k, v := range map[string]string{"Email": "alix@example.org", "Source": "LinkedIn", "Support": "social", "Campagne": "automne",
		"Référence": "r1", "Site d'origine": "www.linkedin.com"} {
		if got[k] != v {
			t.Errorf("CSV %q = %q, want %q", k, got[k], v)
		}
	}
	if resp, _ := testkit.Get(t, reviewer, app.URL+"/boite/offres/"+pid+"/export.csv?source=Twitter"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("CSV with an unknown source: %d, want 400", resp.StatusCode)
	}
}

func TestSourceInPersonalDataAndErasedWithIt(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{AdminEmails: "admin@anct.gouv.fr"})
	p := app.OpenPosting(time.Time{})
	c := app.Client()
	page := openPosting(t, app, c, "/offres/"+p.Slug+"?utm_source=LinkedIn&utm_medium=social&utm_campaign=automne&ref=r1", "https://www.linkedin.com/feed")
	if resp := applyFromPage(t, app, c, p, page, validForm()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply: %d", resp.StatusCode)
	}
	private := app.LinkTo("camille.durand@example.org")
	applicant := app.Client()
	doc := personalDataOf(t, applicant, app.URL+private+"/donnees.json")
	got := doc["candidature"].(map[string]any)["provenance"]
	want := map[string]any{"source": "LinkedIn", "support": "social", "campagne": "automne", "reference": "r1", "site_d_origine": "www.linkedin.com"}
	if m, ok := got.(map[string]any); !ok || len(m) != len(want) {
		t.Fatalf("provenance in the data = %v, want %v", got, want)
	} else {
		for k, v := range want {
			if m[k] != v {
				t.Errorf("provenance %q = %v, want %v", k, m[k], v)
			}
		}
	}

	testkit.PostForm(t, applicant, app.URL+private+"/effacement", url.Values{"confirmation": {"oui"}})
	var s storedSource
	if err := app.DB.Get(&s, `SELECT utm_source, utm_medium, utm_campaign, ref, referrer_host FROM applications WHERE posting_id = $1 AND erased_at IS NOT NULL`, p.ID); err != nil {
		t.Fatalf("erased application: %v", err)
	}
	if s != (storedSource{}) {
		t.Errorf("after erasure the source is %+v, want blank", s)
	}
}

// trackedLinkRe finds a tracked link on the inbox page.
var trackedLinkRe = regexp.MustCompile(`<code id="lien-\d+">(http://[^<]+/l/([a-z2-7]+))</code>`)

func TestTrackedLinkRoundTrip(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Time{})
	pid := strconv.FormatInt(p.ID, 10)
	reviewer := app.Client()
	app.SignIn(reviewer, p.ContactEmail)

	resp, _ := testkit.PostForm(t, reviewer, app.URL+"/boite/offres/"+pid+"/liens", url.Values{"canal": {"LinkedIn"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/boite/offres/"+pid+"#liens" {
		t.Fatalf("create: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body := testkit.Get(t, reviewer, app.URL+"/boite/offres/"+pid)
	m := trackedLinkRe.FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, "Lien créé pour « LinkedIn ».") || !strings.Contains(body, `data-copier="lien-0"`) {
		t.Fatalf("the inbox does not list the new link with its copy button")
	}
	if !strings.HasPrefix(m[1], app.Config.BaseURL+"/l/") {
		t.Errorf("link %q is not on the site's address", m[1])
	}

	// Anyone follows it: to the posting, the channel as source.
	visitor := app.Client()
	resp, _ = testkit.Get(t, visitor, app.URL+"/l/"+m[2])
	wantTo := "/offres/" + p.Slug + "?utm_medium=lien&utm_source=LinkedIn"
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != wantTo {
		t.Fatalf("follow: %d to %q, want 302 to %q", resp.StatusCode, resp.Header.Get("Location"), wantTo)
	}
	if len(resp.Cookies()) != 0 {
		t.Errorf("following a link sets cookies: %v", resp.Cookies())
	}
	page := openPosting(t, app, visitor, resp.Header.Get("Location"), "")
	if resp := applyFromPage(t, app, visitor, p, page, validForm()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply: %d", resp.StatusCode)
	}
	if got := sourceOf(t, app, "camille.durand@example.org"); got != (storedSource{Source: "LinkedIn", Medium: "lien"}) {
		t.Errorf("stored source = %+v", got)
	}
	_, body = testkit.Get(t, reviewer, app.URL+"/boite/offres/"+pid+"?source=LinkedIn")
	if !strings.Contains(body, "Durand Camille") {
		t.Error("the application is not in the list filtered by the link's channel")
	}
	if resp, _ := testkit.Get(t, visitor, app.URL+"/l/zzzzzzzz"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown link: %d, want 404", resp.StatusCode)
	}
	var rows int
	app.DB.Get(&rows, `SELECT count(*) FROM tracked_links`)
	if rows != 1 {
		t.Errorf("%d tracked links stored, want 1", rows)
	}
}

func TestTrackedLinkBadLabels(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Time{})
	pid := strconv.FormatInt(p.ID, 10)
	reviewer := app.Client()
	app.SignIn(reviewer, p.ContactEmail)
	if resp, _ := testkit.PostForm(t, reviewer, app.URL+"/boite/offres/"+pid+"/liens", url.Values{"canal": {"LinkedIn"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first link: %d", resp.StatusCode)
	}
	for _, tc := range []struct{ label, want string }{
		{"  ", "Saisissez le nom du canal"},
		{strings.Repeat("a", 61), "au plus 60 caractères"},
		{"Lien\x07", "caractères visibles"},
		{"linkedin", "Cette offre a déjà un lien pour « linkedin »"},
	} {
		resp, body := testkit.PostForm(t, reviewer, app.URL+"/boite/offres/"+pid+"/liens", url.Values{"canal": {tc.label}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("label %q: %d, want 422", tc.label, resp.StatusCode)
			continue
		}
		// The message is next to the field, which keeps what was typed.
		i := strings.Index(body, `id="canal"`)
		j := strings.Index(body, `<p class="fr-error-text" id="canal-erreur">`)
		if i < 0 || j < i || !strings.Contains(body[j:strings.Index(body[j:], "</p>")+j], html.EscapeString(tc.want)) ||
			!strings.Contains(body[i:], `aria-describedby="canal-erreur"`) {
			t.Errorf("label %q: no message %q next to the field", tc.label, tc.want)
		}
	}
	var rows int
	app.DB.Get(&rows, `SELECT count(*) FROM tracked_links`)
	if rows != 1 {
		t.Errorf("%d tracked links stored, want 1", rows)
	}
}
