package handlers_test

import (
	"encoding/json"
	"encoding/xml"
	"regexp"
	"strings"
	"testing"
	"time"

	"vivier/internal/testkit"
)

func TestOpenPostingCarriesJobPostingJSONLD(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	closes := time.Now().Add(72 * time.Hour).Truncate(time.Second)
	p := app.OpenPosting(closes)
	_, body := testkit.Get(t, app.Client(), app.URL+"/offres/"+p.Slug)
	m := regexp.MustCompile(`(?s)<script type="application/ld\+json">(.*?)</script>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no JSON-LD on the open posting")
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(m[1]), &doc); err != nil {
		t.Fatalf("JSON-LD does not parse: %v\n%s", err, m[1])
	}
	org, _ := doc["hiringOrganization"].(map[string]any)
	checks := map[string]bool{
		"@type JobPosting":          doc["@type"] == "JobPosting" && doc["@context"] == "https://schema.org/",
		"title":                     doc["title"] == p.Title,
		"description":               strings.Contains(doc["description"].(string), "Incubateur des Territoires"),
		"datePosted":                doc["datePosted"] == "2021-03-15",
		"validThrough":              doc["validThrough"] == closes.Format(time.RFC3339),
		"hiringOrganization":        org["name"] == "Incubateur des Territoires" && org["@type"] == "Organization",
		"employmentType CONTRACTOR": doc["employmentType"] == "CONTRACTOR",   // "indépendent", as written
		"jobLocationType":           doc["jobLocationType"] == "TELECOMMUTE", // "Télétravail avec possibilité de déplacements"
	}
	for name, ok := range checks {
		if !ok {
			t.Errorf("JSON-LD %s wrong: %v", name, doc)
		}
	}
	// A closed posting advertises nothing.
	closed := app.Posting("tests/2024-01-01-close.md", []byte("---\ntitle: Close\nopen: false\n---\nTexte.\n"))
	if _, body := testkit.Get(t, app.Client(), app.URL+"/offres/"+closed.Slug); strings.Contains(body, "ld+json") {
		t.Error("a closed posting carries a JobPosting")
	}
}

func TestPostingsAPIAndAtomFeed(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	p := app.OpenPosting(time.Time{})
	app.Posting("tests/2024-01-01-close.md", []byte("---\ntitle: Close\nopen: false\n---\nTexte.\n"))

	resp, body := testkit.Get(t, app.Client(), app.URL+"/api/v1/postings.json")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("API: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var jobs []map[string]any
	if err := json.Unmarshal([]byte(body), &jobs); err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 {
		t.Fatalf("%d postings in the API, want the one open", len(jobs))
	}
	for _, field := range []string{"id", "domaines", "title", "url", "published", "startup", "updated", "author", "technos", "content", "contacts"} {
		if _, ok := jobs[0][field]; !ok {
			t.Errorf("API posting lacks %q", field)
		}
	}
	if jobs[0]["title"] != p.Title || jobs[0]["url"] != "http://vivier.test/offres/"+p.Slug || jobs[0]["contacts"] != p.ContactEmail {
		t.Errorf("API posting: %v", jobs[0])
	}
	if _, err := time.Parse(time.RFC3339, jobs[0]["published"].(string)); err != nil {
		t.Errorf("published is not RFC 3339: %v", err)
	}

	resp, body = testkit.Get(t, app.Client(), app.URL+"/postings.atom")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("Atom: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var feed struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		ID      string   `xml:"id"`
		Title   string   `xml:"title"`
		Updated string   `xml:"updated"`
		Entries []struct {
			ID      string `xml:"id"`
			Title   string `xml:"title"`
			Updated string `xml:"updated"`
			Link    struct {
				Href string `xml:"href,attr"`
			} `xml:"link"`
			Content struct {
				Type string `xml:"type,attr"`
				Body string `xml:",chardata"`
			} `xml:"content"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal([]byte(body), &feed); err != nil {
		t.Fatalf("Atom does not parse: %v", err)
	}
	if feed.ID == "" || feed.Title == "" || len(feed.Entries) != 1 {
		t.Fatalf("feed: %+v", feed)
	}
	e := feed.Entries[0]
	if e.Title != p.Title || e.Link.Href != "http://vivier.test/offres/"+p.Slug || e.Content.Type != "html" || !strings.Contains(e.Content.Body, "<h3>Qui sommes nous") {
		t.Errorf("entry: %+v", e)
	}
	for _, ts := range []string{feed.Updated, e.Updated} {
		if _, err := time.Parse(time.RFC3339, ts); err != nil {
			t.Errorf("%q is not an Atom date", ts)
		}
	}
}
