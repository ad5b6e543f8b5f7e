package handlers_test

import "net/url"

// lifecycleRoutes are the authorization table's lines for the routes of a
// posting's life, on the posting whose id is pid. A state conflict (409)
// or a refused form (422) counts as getting through.
func lifecycleRoutes(pid string) map[string]authRoute {
	base := "/boite/offres/" + pid
	return map[string]authRoute{
		"GET /boite/offres/:id/cloture":      {method: "GET", path: base + "/cloture"},
		"POST /boite/offres/:id/cloture":     {method: "POST", path: base + "/cloture"},
		"POST /boite/offres/:id/reouverture": {method: "POST", path: base + "/reouverture"},
		"POST /boite/offres/:id/publication": {method: "POST", path: base + "/publication", adminOnly: true},
		"POST /boite/offres/:id/archivage":   {method: "POST", path: base + "/archivage", adminOnly: true},
		"GET /boite/offres/:id/modeles":      {method: "GET", path: base + "/modeles"},
		"POST /boite/offres/:id/modeles/:cle": {method: "POST", path: base + "/modeles/status_rejected",
			form: url.Values{"objet": {"Objet"}, "message": {"Bonjour {{.Prenom}}"}, "action": {"apercu"}}},
	}
}
