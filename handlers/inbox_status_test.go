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

func TestStatusChangeWritesHistoryAndTheEditedEmail(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Time{})
	a := seedApplication(t, app, p.ID, "Camille", "Durand", "camille@example.org")
	c := app.Client()
	app.SignIn(c, p.ContactEmail)
	signInMails := len(app.SMTP.Messages())
	page := app.URL + "/boite/candidatures/" + strconv.FormatInt(a.ID, 10)

	// The editor is prefilled from the status's template.
	resp, body := testkit.Get(t, c, page+"/statut?vers=rejected")
	if resp.StatusCode != 200 || !strings.Contains(body, "nous ne pouvons pas donner suite") {
		t.Fatalf("status editor: %d, template text missing", resp.StatusCode)
	}
	// An empty subject is refused, naming the field.
	resp, body = testkit.PostForm(t, c, page+"/statut", url.Values{"vers": {"rejected"}, "envoyer": {"oui"}, "objet": {""}, "message": {"x"}, "delai": {"0"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Indiquez l&#39;objet") {
		t.Fatalf("empty subject: %d", resp.StatusCode)
	}
	resp, _ = testkit.PostForm(t, c, page+"/statut", url.Values{"vers": {"rejected"}, "envoyer": {"oui"}, "motif": {"Autre profil retenu"},
		"objet": {"Votre candidature"}, "message": {"Merci Camille, nous avons retenu un autre profil."}, "delai": {"0"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("change status: %d", resp.StatusCode)
	}
	var status, actor string
	app.DB.QueryRow(`SELECT status FROM applications WHERE id = $1`, a.ID).Scan(&status)
	app.DB.QueryRow(`SELECT actor FROM application_events WHERE application_id = $1 AND kind = 'status_changed'`, a.ID).Scan(&actor)
	if status != "rejected" || actor != p.ContactEmail {
		t.Errorf("status %q changed by %q", status, actor)
	}
	msgs := app.SMTP.WaitFor(signInMails+1, 20*time.Second)[signInMails:]
	if len(msgs) != 1 || msgs[0].Subject != "Votre candidature" || !strings.Contains(msgs[0].Text, "nous avons retenu un autre profil") || msgs[0].To[0] != "camille@example.org" {
		t.Fatalf("status email: %d messages", len(msgs))
	}
	_, body = testkit.Get(t, c, page)
	if !strings.Contains(body, "Statut : Reçue → Non retenue") || !strings.Contains(body, "Votre candidature") {
		t.Error("the application page lacks the history line or the email")
	}
}

func TestDelayedEmailCancelledInTimeIsNeverSent(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Time{})
	a := seedApplication(t, app, p.ID, "Camille", "Durand", "camille@example.org")
	c := app.Client()
	app.SignIn(c, p.ContactEmail)
	before := len(app.SMTP.Messages())
	page := app.URL + "/boite/candidatures/" + strconv.FormatInt(a.ID, 10)
	testkit.PostForm(t, c, page+"/statut", url.Values{"vers": {"shortlisted"}, "envoyer": {"oui"},
		"objet": {"Présélection"}, "message": {"Bonne nouvelle."}, "delai": {"120"}})
	var id int64
	var after time.Time
	app.DB.QueryRow(`SELECT id, send_after FROM emails WHERE kind = 'status_update'`).Scan(&id, &after)
	if d := after.Sub(app.Clock.Now()); d < 119*time.Minute || d > 121*time.Minute {
		t.Fatalf("delayed email due in %s, want 2 h", d)
	}
	resp, _ := testkit.PostForm(t, c, app.URL+"/boite/emails/"+strconv.FormatInt(id, 10)+"/annulation", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel: %d", resp.StatusCode)
	}
	// Even if its time comes and the sweep runs, it does not leave.
	app.Clock.Advance(121 * time.Minute)
	app.Sweeper.SweepOnce(t.Context())
	app.WaitIdle()
	if got := len(app.SMTP.Messages()) - before; got != 0 {
		t.Fatalf("%d messages sent after cancellation", got)
	}
	var st string
	app.DB.Get(&st, `SELECT status FROM emails WHERE id = $1`, id)
	if st != "cancelled" {
		t.Errorf("email status %q", st)
	}
}

func TestBulkChangeOfAHundredApplicationsInOneTransaction(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	p := app.OpenPosting(time.Time{})
	apps := seedMany(t, app, p.ID, 120)
	app.DB.MustExec(`UPDATE applications SET status = 'received'`)
	c := app.Client()
	app.StartWorker()
	app.SignIn(c, p.ContactEmail)
	app.StopWorker()
	form := url.Values{"vers": {"in_review"}, "envoyer": {"oui"}, "delai": {"0"}}
	for _, a := range apps[:100] {
		form.Add("ids", strconv.FormatInt(a.id, 10))
	}
	resp, _ := testkit.PostForm(t, c, app.URL+"/boite/offres/"+strconv.FormatInt(p.ID, 10)+"/statuts", form)
	list := "/boite/offres/" + strconv.FormatInt(p.ID, 10)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != list {
		t.Fatalf("bulk: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := testkit.Get(t, c, app.URL+list); !strings.Contains(body, "100 candidatures déplacées vers « En cours d&#39;examen ».") {
		t.Error("the list does not say that 100 applications moved")
	}
	var moved, events, emails, stamps int
	app.DB.Get(&moved, `SELECT count(*) FROM applications WHERE status = 'in_review'`)
	app.DB.Get(&events, `SELECT count(*) FROM application_events WHERE kind = 'status_changed'`)
	app.DB.Get(&emails, `SELECT count(*) FROM emails WHERE kind = 'status_update' AND subject LIKE 'Votre candidature est en cours d''examen%'`)
	// One transaction: PostgreSQL's now() is the same for every row it wrote.
	app.DB.Get(&stamps, `SELECT count(DISTINCT created_at) FROM emails WHERE kind = 'status_update'`)
	if moved != 100 || events != 100 || emails != 100 || stamps != 1 {
		t.Errorf("moved %d, history lines %d, emails %d, distinct write times %d; want 100, 100, 100, 1", moved, events, emails, stamps)
	}
}

func TestCVIsServedWithItsRealTypeAndName(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Time{})
	c := app.Client()
	files := []testkit.File{{Field: "cv", Name: "Mon CV.docx", Data: testkit.DOCX()}}
	if resp, _ := testkit.PostMultipart(t, c, app.URL+"/offres/"+p.Slug+"/candidature", validForm(), files...); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply with a DOCX: %d", resp.StatusCode)
	}
	var id int64
	app.DB.Get(&id, `SELECT id FROM applications`)
	app.SignIn(c, p.ContactEmail)
	resp, body := testkit.Get(t, c, app.URL+"/boite/candidatures/"+strconv.FormatInt(id, 10)+"/cv")
	if resp.StatusCode != 200 || body != string(testkit.DOCX()) {
		t.Fatalf("CV: %d, %d bytes", resp.StatusCode, len(body))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/vnd.openxmlformats-officedocument.wordprocessingml.document" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, "Mon CV.docx") {
		t.Errorf("Content-Disposition %q: a Word file is downloaded, under its name", cd)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("no nosniff")
	}
}
