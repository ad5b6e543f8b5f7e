package handlers_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"vivier/internal/testkit"
)

// The close writes its thousands of updates with one statement per
// group, the names put in by the database; they read exactly as the
// emails written one by one: an applicant whose name holds characters
// HTML escapes finds it written the same way in the acknowledgement and
// in the close's update.
func TestCloseUpdatesWriteNamesAsEveryEmailDoes(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	p := app.OpenPosting(time.Time{})
	form := validForm()
	form.Set("prenom", `Zoé+Léa "Lou"`)
	form.Set("nom", "O'Brien <Jr> & fils")
	if resp, _ := testkit.PostMultipart(t, app.Client(), app.URL+"/offres/"+p.Slug+"/candidature", form, cv()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply: %d", resp.StatusCode)
	}

	c := app.Client()
	app.StartWorker()
	app.SignIn(c, p.ContactEmail)
	app.StopWorker()
	closeURL := app.URL + "/boite/offres/" + strconv.FormatInt(p.ID, 10) + "/cloture"
	_, body := testkit.Get(t, c, closeURL)
	words := closeForm(t, body)
	words.Set("message_close_in_review", "Merci {{.Prenom}} {{.Nom}}.\n\n"+words.Get("message_close_in_review"))
	if resp, _ := testkit.PostForm(t, c, closeURL, words); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("close: %d", resp.StatusCode)
	}

	htmlOf := func(kind string) string {
		t.Helper()
		var html string
		if err := app.DB.Get(&html, `SELECT html_body FROM emails WHERE kind = $1`, kind); err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		return html
	}
	ack, update := htmlOf("acknowledgement"), htmlOf("close_in_review")
	hello := regexp.MustCompile(`<p>Bonjour ([^<]*),</p>`)
	a, u := hello.FindStringSubmatch(ack), hello.FindStringSubmatch(update)
	if a == nil || u == nil || a[1] != u[1] || a[1] != "Zoé&#43;Léa &#34;Lou&#34;" {
		t.Errorf("the first name reads %q in the acknowledgement and %q in the close's update", a, u)
	}
	if want := "Merci Zoé&#43;Léa &#34;Lou&#34; O&#39;Brien &lt;Jr&gt; &amp; fils."; !strings.Contains(update, want) {
		t.Errorf("the close's update lacks %q:\n%s", want, update)
	}
}
