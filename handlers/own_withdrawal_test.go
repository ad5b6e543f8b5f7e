package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"vivier/internal/testkit"
)

// applyAndFollow sends the valid form to p and returns the private link
// of the acknowledgement.
func applyAndFollow(t *testing.T, app *testkit.App, slug string) string {
	t.Helper()
	if resp, _ := testkit.PostMultipart(t, app.Client(), app.URL+"/offres/"+slug+"/candidature", validForm(), cv()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply: %d", resp.StatusCode)
	}
	for _, m := range app.SMTP.WaitFor(2, 20*time.Second) {
		if l := linkRe.FindStringSubmatch(m.Text); l != nil {
			return app.URL + l[1]
		}
	}
	t.Fatal("no private link in the acknowledgement")
	return ""
}

// waitSubject waits for an email whose subject starts with prefix and
// returns its text.
func waitSubject(t *testing.T, app *testkit.App, prefix string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for seen := 0; time.Now().Before(deadline); {
		msgs := app.SMTP.WaitFor(seen+1, time.Until(deadline))
		for _, m := range msgs {
			if strings.HasPrefix(m.Subject, prefix) {
				return m.Text
			}
		}
		seen = len(msgs)
	}
	t.Fatalf("no email %q", prefix)
	return ""
}

// Withdrawing asks first, saying what it means; while the posting is
// open the applicant can undo it and gets back the status they had; the
// contact is told of both; once the posting is closed, it is final.
func TestWithdrawingAsksFirstAndCanBeUndone(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Now().AddDate(0, 1, 0))
	private := applyAndFollow(t, app, p.Slug)
	token := strings.TrimPrefix(private, app.URL+"/candidature/")
	c := app.Client()
	// A reviewer had shortlisted it.
	app.DB.MustExec(`UPDATE applications SET status = 'shortlisted'`)
	status := func() (s string) {
		app.DB.Get(&s, `SELECT status FROM applications`)
		return s
	}

	// The private page offers the step, not the withdrawal itself.
	_, page := testkit.Get(t, c, private)
	if !strings.Contains(page, `href="/candidature/`+token+`/retrait"`) || strings.Contains(page, `action="/candidature/`+token+`/retrait"`) {
		t.Fatal("the private page withdraws in one click, or offers no way to")
	}
	resp, page := testkit.Get(t, c, private+"/retrait")
	if resp.StatusCode != 200 || !strings.Contains(page, "ne sera plus étudiée") || !strings.Contains(page, "vous pourrez annuler ce retrait") ||
		!strings.Contains(page, `name="confirmation" value="oui"`) {
		t.Fatalf("confirmation page: %d, or it does not say what withdrawing means", resp.StatusCode)
	}
	// A request without the confirmation goes to that page and changes nothing.
	resp, _ = testkit.PostForm(t, c, private+"/retrait", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/candidature/"+token+"/retrait" || status() != "shortlisted" {
		t.Fatalf("unconfirmed withdrawal: %d to %q, status %s", resp.StatusCode, resp.Header.Get("Location"), status())
	}
	resp, _ = testkit.PostForm(t, c, private+"/retrait", url.Values{"confirmation": {"oui"}})
	if resp.StatusCode != http.StatusSeeOther || status() != "withdrawn" {
		t.Fatalf("confirmed withdrawal: %d, status %s", resp.StatusCode, status())
	}
	waitSubject(t, app, "Candidature retirée")
	_, page = testkit.Get(t, c, private)
	if !strings.Contains(page, "Annuler le retrait") || !strings.Contains(page, `action="/candidature/`+token+`/retablissement"`) {
		t.Fatal("the private page offers no way to undo the withdrawal")
	}

	// Undone: the status it had, in the history, and the contact told.
	resp, _ = testkit.PostForm(t, c, private+"/retablissement", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/candidature/"+token+"?fait=retablissement" {
		t.Fatalf("undo: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var withdrawnAt *time.Time
	app.DB.Get(&withdrawnAt, `SELECT withdrawn_at FROM applications`)
	if status() != "shortlisted" || withdrawnAt != nil {
		t.Fatalf("after the undo: status %s, withdrawn at %v; want shortlisted again", status(), withdrawnAt)
	}
	_, page = testkit.Get(t, c, app.URL+resp.Header.Get("Location"))
	for _, want := range []string{"Le retrait est annulé", "Présélectionnée", "retrait annulé, état rétabli : Présélectionnée", "Retirer ma candidature…"} {
		if !strings.Contains(page, want) {
			t.Errorf("after the undo, the private page does not say %q", want)
		}
	}
	if text := waitSubject(t, app, "Retrait annulé : Camille Durand"); !strings.Contains(text, "Présélectionnée") {
		t.Errorf("the contact's email does not say the status restored:\n%s", text)
	}

	// Withdrawn again, and the posting closes: the withdrawal is final.
	testkit.PostForm(t, c, private+"/retrait", url.Values{"confirmation": {"oui"}})
	past := time.Now().Add(-time.Minute)
	if err := app.Repo.SetClosingDate(t.Context(), p.ID, &past); err != nil {
		t.Fatal(err)
	}
	_, page = testkit.Get(t, c, private)
	if strings.Contains(page, "Annuler le retrait") || !strings.Contains(page, "ce retrait est définitif") {
		t.Error("after the close, the private page still offers to undo the withdrawal")
	}
	resp, page = testkit.PostForm(t, c, private+"/retablissement", nil)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(page, "ne peut plus être annulé") || status() != "withdrawn" {
		t.Fatalf("undo after the close: %d, status %s", resp.StatusCode, status())
	}
}
