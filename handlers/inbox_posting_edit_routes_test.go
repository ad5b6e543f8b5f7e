package handlers_test

import (
	"net/url"
	"strings"
	"time"

	"vivier/internal/demo"
	"vivier/internal/posting"
)

// postingEditorRoutes are the authorization table's lines for the posting
// editor's routes, on the posting whose id is pid (the demo posting).
func postingEditorRoutes(pid string) map[string]authRoute {
	base := "/boite/offres/" + pid
	// The demo posting as it is: saving it changes nothing the other
	// lines of the table rely on (its contact stays its reviewer).
	form := demoPostingForm()
	return map[string]authRoute{
		"GET /boite/offres/nouvelle":          {method: "GET", path: "/boite/offres/nouvelle", adminOnly: true},
		"POST /boite/offres/nouvelle":         {method: "POST", path: "/boite/offres/nouvelle", form: form, adminOnly: true},
		"GET /boite/offres/:id/modification":  {method: "GET", path: base + "/modification", adminOnly: true},
		"POST /boite/offres/:id/modification": {method: "POST", path: base + "/modification", form: form, adminOnly: true},
		"POST /boite/offres/:id/apercu":       {method: "POST", path: base + "/apercu", form: form, adminOnly: true},
		"GET /boite/offres/:id/markdown":      {method: "GET", path: base + "/markdown"},
	}
}

// demoPostingForm is the editor's form filled with the demo posting,
// without a closing date.
func demoPostingForm() url.Values {
	p, err := posting.Parse(demo.FileName, demo.Posting, time.Now())
	if err != nil {
		panic("the demo posting does not parse: " + err.Error())
	}
	v := url.Values{"titre": {p.Title}, "organisation": {p.Organisation}, "contact": {p.ContactEmail},
		"contrat": {p.Contract}, "lien": {p.ExternalURL}, "domaines": {strings.Join(p.Domains, ", ")},
		"technos": {strings.Join(p.Technos, ", ")}, "texte": {p.BodyMarkdown}}
	if p.OpensAt != nil {
		v.Set("ouverture", p.OpensAt.Format(time.DateOnly))
	}
	return v
}
