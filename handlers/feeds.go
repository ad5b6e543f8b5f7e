package handlers

import (
	"encoding/json"
	"encoding/xml"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"vivier/internal/catalog"
	"vivier/internal/frfmt"
	"vivier/repository"
)

// Formats others read: schema.org JobPosting on each open posting, the
// beta.gouv.fr jobs API fields, and an Atom feed of open postings.

func (h *Handler) postingURL(p *repository.Posting) string {
	return h.Config.BaseURL + "/offres/" + p.Slug
}

func published(p *repository.Posting) time.Time {
	if p.OpensAt != nil {
		return *p.OpensAt
	}
	return p.CreatedAt
}

// freelance tells a contract for freelancers from an employment one, as
// the postings word it ("indépendant", "prestataire", "freelance"...).
func freelance(contract string) bool {
	c := strings.ToLower(contract)
	for _, w := range []string{"indép", "indep", "freelance", "free-lance", "prestat", "préstat", "consultant"} {
		if strings.Contains(c, w) {
			return true
		}
	}
	return false
}

// remote tells a posting that says the work is done from a distance.
func remote(p *repository.Posting) bool {
	b := strings.ToLower(p.BodyMD)
	return strings.Contains(b, "télétravail") || strings.Contains(b, "teletravail") || strings.Contains(b, "à distance") || strings.Contains(b, "remote")
}

// jobPostingJSONLD is the schema.org JobPosting of an open posting.
func (h *Handler) jobPostingJSONLD(p *repository.Posting) template.JS {
	org := p.Organisation
	if org == "" {
		org = h.Config.OperatorName
	}
	doc := map[string]any{
		"@context":    "https://schema.org/",
		"@type":       "JobPosting",
		"title":       p.Title,
		"description": p.BodyHTML,
		"datePosted":  published(p).In(frfmt.Paris).Format("2006-01-02"),
		"url":         h.postingURL(p),
		"hiringOrganization": map[string]any{
			"@type": "Organization",
			"name":  org,
		},
		"directApply": true,
	}
	if p.ClosesAt != nil {
		doc["validThrough"] = p.ClosesAt.Format(time.RFC3339)
	}
	if freelance(p.Contract) {
		doc["employmentType"] = "CONTRACTOR"
	}
	if remote(p) {
		doc["jobLocationType"] = "TELECOMMUTE"
		doc["applicantLocationRequirements"] = map[string]any{"@type": "Country", "name": "France"}
	}
	// json.Marshal escapes <, > and &: the block cannot end the script.
	b, _ := json.Marshal(doc)
	return template.JS(b)
}

// apiPosting has the fields of the beta.gouv.fr jobs API.
type apiPosting struct {
	ID        string   `json:"id"`
	Domaines  []string `json:"domaines"`
	Title     string   `json:"title"`
	URL       string   `json:"url"`
	Published string   `json:"published"`
	Startup   string   `json:"startup"`
	Updated   string   `json:"updated"`
	Author    string   `json:"author"`
	Technos   string   `json:"technos"`
	Content   string   `json:"content"`
	Contacts  string   `json:"contacts"`
}

func (h *Handler) apiPostings(c *gin.Context) {
	ps, err := h.Repo.PublicPostings(c.Request.Context(), catalog.PostingOpen, h.Now())
	if err != nil {
		h.fail(c, err)
		return
	}
	out := make([]apiPosting, 0, len(ps))
	for i := range ps {
		p := &ps[i]
		domains := []string(p.Domains)
		if domains == nil {
			domains = []string{}
		}
		out = append(out, apiPosting{ID: "/offres/" + p.Slug, Domaines: domains, Title: p.Title, URL: h.postingURL(p),
			Published: published(p).Format(time.RFC3339), Startup: p.Organisation, Updated: p.UpdatedAt.Format(time.RFC3339),
			Author: p.Organisation, Technos: strings.Join(p.Technos, ", "), Content: p.BodyHTML, Contacts: p.ContactEmail})
	}
	c.Header("Cache-Control", "public, max-age=300")
	c.Header("Access-Control-Allow-Origin", "*")
	c.JSON(http.StatusOK, out)
}

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomPerson  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Title     string     `xml:"title"`
	Link      atomLink   `xml:"link"`
	Published string     `xml:"published"`
	Updated   string     `xml:"updated"`
	Author    atomPerson `xml:"author"`
	Summary   atomText   `xml:"summary"`
	Content   atomText   `xml:"content"`
}

func (h *Handler) atomPostings(c *gin.Context) {
	ps, err := h.Repo.PublicPostings(c.Request.Context(), catalog.PostingOpen, h.Now())
	if err != nil {
		h.fail(c, err)
		return
	}
	feed := atomFeed{ID: h.Config.BaseURL + "/", Title: "Offres ouvertes — " + h.Config.OperatorName,
		Links:  []atomLink{{Href: h.Config.BaseURL + "/postings.atom", Rel: "self", Type: "application/atom+xml"}, {Href: h.Config.BaseURL + "/"}},
		Author: atomPerson{Name: h.Config.OperatorName}, Updated: time.Unix(0, 0).UTC().Format(time.RFC3339)}
	var newest time.Time
	for i := range ps {
		p := &ps[i]
		if p.UpdatedAt.After(newest) {
			newest = p.UpdatedAt
		}
		author := p.Organisation
		if author == "" {
			author = h.Config.OperatorName
		}
		feed.Entries = append(feed.Entries, atomEntry{ID: h.postingURL(p), Title: p.Title, Link: atomLink{Href: h.postingURL(p)},
			Published: published(p).UTC().Format(time.RFC3339), Updated: p.UpdatedAt.UTC().Format(time.RFC3339),
			Author: atomPerson{Name: author}, Summary: atomText{Type: "html", Body: p.ExcerptHTML},
			Content: atomText{Type: "html", Body: p.BodyHTML}})
	}
	if !newest.IsZero() {
		feed.Updated = newest.UTC().Format(time.RFC3339)
	}
	b, err := xml.MarshalIndent(feed, "", "  ")
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Header("Cache-Control", "public, max-age=300")
	c.Data(http.StatusOK, "application/atom+xml; charset=utf-8", append([]byte(xml.Header), b...))
}
