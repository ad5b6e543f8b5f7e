package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"vivier/internal/testkit"
)

// successAlert is how a page shows a message after an action.
const successAlert = "fr-alert--success"

// Text put in the URL is never shown as a message, on any page that
// shows messages after an action.
func TestMessagesAreNeverReadFromTheURL(t *testing.T) {
	t.Parallel()
	f := newGuardFixture(t)
	app := f.app
	admin := app.Client()
	app.SignIn(admin, guardAdmin)
	spoof := "Votre compte est bloqué, appelez le 01 23 45 67 89"
	q := url.Values{}
	for _, k := range []string{"deplacees", "cloture", "etat", "modifiee", "fait", "enregistre", "deconnecte", "relecteurs"} {
		q.Set(k, spoof)
	}
	codes := url.Values{"etat": {"rouverte"}, "modifiee": {"1"}, "fait": {"note"}, "enregistre": {"status_rejected"}, "deconnecte": {"1"}, "relecteurs": {"1"}}
	for _, page := range []struct {
		c    *http.Client
		path string
	}{
		{admin, "/boite/offres/" + f.pid},
		{admin, "/boite/candidatures/" + f.aid},
		{admin, "/boite/offres/" + f.pid + "/modeles"},
		{app.Client(), "/connexion"},
		{app.Client(), "/candidature/" + f.token},
	} {
		for _, query := range []url.Values{q, codes} {
			resp, body := testkit.Get(t, page.c, app.URL+page.path+"?"+query.Encode())
			if resp.StatusCode != 200 {
				t.Errorf("%s?%s: %d", page.path, query.Encode(), resp.StatusCode)
			}
			if strings.Contains(body, "bloqué") || strings.Contains(body, successAlert) {
				t.Errorf("%s?%s shows a message from the URL", page.path, query.Encode())
			}
		}
	}
	// The applicant's page knows a fixed set of codes, each a fixed text.
	if _, body := testkit.Get(t, app.Client(), app.URL+"/candidature/"+f.token+"?fait=retrait"); !strings.Contains(body, "Votre candidature est retirée.") {
		t.Error("the private page does not show its message for the code retrait")
	}
}

// A real action shows its message once, on the page it leads to.
func TestMessagesAfterAnActionAreShownOnce(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	p := app.OpenPosting(time.Time{})
	a := seedApplication(t, app, p.ID, "Camille", "Durand", "camille@example.org")
	b := seedApplication(t, app, p.ID, "Dominique", "Roux", "dominique@example.org")
	w := seedApplication(t, app, p.ID, "Léa", "Martin", "lea@example.org")
	app.DB.MustExec(`UPDATE applications SET status = 'withdrawn' WHERE id = $1`, w.ID)
	c := app.Client()
	app.StartWorker()
	app.SignIn(c, p.ContactEmail)
	app.StopWorker()
	list := "/boite/offres/" + strconv.FormatInt(p.ID, 10)

	once := func(path, msg string) {
		t.Helper()
		_, body := testkit.Get(t, c, app.URL+path)
		if strings.Count(body, msg) != 1 {
			t.Errorf("%s: %q shown %d times, want once", path, msg, strings.Count(body, msg))
		}
		if _, body = testkit.Get(t, c, app.URL+path); strings.Contains(body, msg) || strings.Contains(body, successAlert) {
			t.Errorf("%s: the message is shown again on reload", path)
		}
	}

	// A bulk move that leaves one application out names it, and why.
	form := url.Values{"vers": {"in_review"}, "delai": {"0"}, "liste": {"?tri=nom"},
		"ids": {strconv.FormatInt(a.ID, 10), strconv.FormatInt(b.ID, 10), strconv.FormatInt(w.ID, 10)}}
	resp, _ := testkit.PostForm(t, c, app.URL+list+"/statuts", form)
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != list+"?tri=nom" {
		t.Fatalf("bulk move: %d to %q, want back to the list as it was", resp.StatusCode, loc)
	}
	once(list+"?tri=nom", "2 candidatures déplacées vers « En cours d&#39;examen ». 1 non déplacée : Léa Martin (n° "+
		strconv.FormatInt(w.ID, 10)+"), retirée par la personne candidate.")

	// One application, one already there: the singular, and the reason.
	form.Set("vers", "shortlisted")
	form["ids"] = []string{strconv.FormatInt(a.ID, 10)}
	testkit.PostForm(t, c, app.URL+list+"/statuts", form)
	once(list+"?tri=nom", "1 candidature déplacée vers « Présélectionnée ».")
	form["ids"] = []string{strconv.FormatInt(a.ID, 10), "999999"}
	testkit.PostForm(t, c, app.URL+list+"/statuts", form)
	once(list+"?tri=nom", "Aucune candidature déplacée vers « Présélectionnée ». 2 non déplacées : Camille Durand (n° "+
		strconv.FormatInt(a.ID, 10)+"), déjà « Présélectionnée » ; n° 999999, introuvable dans cette offre.")

	// A note, on the application's page.
	page := "/boite/candidatures/" + strconv.FormatInt(a.ID, 10)
	resp, _ = testkit.PostForm(t, c, app.URL+page+"/notes", url.Values{"note": {"Profil solide."}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != page {
		t.Fatalf("note: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	once(page, "Note ajoutée.")

	// Signing out says so on the sign-in page.
	resp, _ = testkit.PostForm(t, c, app.URL+"/deconnexion", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/connexion" {
		t.Fatalf("sign out: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	once("/connexion", "Vous êtes déconnecté·e.")
	if resp, _ := testkit.Get(t, c, app.URL+"/boite"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("still signed in after signing out: %d", resp.StatusCode)
	}
}
