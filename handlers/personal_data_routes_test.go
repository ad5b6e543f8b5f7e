package handlers_test

import "net/url"

// personalDataRoutes are the authorization table's lines for the personal
// data routes under /boite, on posting pid and its application aid.
func personalDataRoutes(pid, aid string) map[string]authRoute {
	return map[string]authRoute{
		"GET /boite/candidatures/:id/donnees.json": {method: "GET", path: "/boite/candidatures/" + aid + "/donnees.json", adminOnly: true},
		"GET /boite/candidatures/:id/effacement":   {method: "GET", path: "/boite/candidatures/" + aid + "/effacement", adminOnly: true},
		// Without its reason: through for an admin (a 422), and nothing
		// erased for the routes checked after it.
		"POST /boite/candidatures/:id/effacement": {method: "POST", path: "/boite/candidatures/" + aid + "/effacement", form: url.Values{"confirmation": {"oui"}}, adminOnly: true},
	}
}
