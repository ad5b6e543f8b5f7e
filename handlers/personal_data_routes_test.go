package handlers_test

// personalDataRoutes are the authorization table's lines for the personal
// data routes under /boite, on posting pid and its application aid.
func personalDataRoutes(pid, aid string) map[string]authRoute {
	return map[string]authRoute{
		"GET /boite/candidatures/:id/donnees.json": {method: "GET", path: "/boite/candidatures/" + aid + "/donnees.json", adminOnly: true},
	}
}
