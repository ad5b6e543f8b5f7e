package handlers_test

import "net/url"

// interviewRoutes are the authorization table's lines of the interview
// routes, for the application aid of the posting pid.
func interviewRoutes(pid, aid string) map[string]authRoute {
	app := "/boite/candidatures/" + aid + "/entretien"
	slot := url.Values{"date": {"2099-01-05"}, "heure": {"10:00"}, "duree": {"45"}, "modalite": {"video"}, "lieu": {"https://visio.example.org/a"}}
	return map[string]authRoute{
		"GET /boite/candidatures/:id/entretien":              {method: "GET", path: app},
		"POST /boite/candidatures/:id/entretien/creneaux":    {method: "POST", path: app + "/creneaux", form: url.Values{"date": {"2000-01-01"}, "heure": {"10:00"}, "duree": {"45"}}},
		"POST /boite/candidatures/:id/entretien/deplacement": {method: "POST", path: app + "/deplacement", form: slot},
		"POST /boite/candidatures/:id/entretien/annulation":  {method: "POST", path: app + "/annulation"},
		"GET /boite/offres/:id/entretiens":                   {method: "GET", path: "/boite/offres/" + pid + "/entretiens"},
		"POST /boite/offres/:id/entretiens/creneaux":         {method: "POST", path: "/boite/offres/" + pid + "/entretiens/creneaux", form: url.Values{"duree": {"0"}}},
		// Everyone's own calendar feed.
		"GET /boite/agenda":             {method: "GET", path: "/boite/agenda", ownList: true},
		"POST /boite/agenda":            {method: "POST", path: "/boite/agenda", ownList: true},
		"POST /boite/agenda/revocation": {method: "POST", path: "/boite/agenda/revocation", ownList: true},
	}
}
