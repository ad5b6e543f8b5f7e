package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"vivier/internal/catalog"
	"vivier/internal/testkit"
	"vivier/repository"
)

// closeForm reads the close preview's form as the page fills it.
func closeForm(t *testing.T, body string) url.Values {
	t.Helper()
	v := url.Values{}
	for _, m := range regexp.MustCompile(`name="(objet_[a-z_]+)" value="([^"]*)"`).FindAllStringSubmatch(body, -1) {
		v.Set(m[1], unescape(m[2]))
	}
	for _, m := range regexp.MustCompile(`(?s)name="(message_[a-z_]+)" rows="\d+">(.*?)</textarea>`).FindAllStringSubmatch(body, -1) {
		v.Set(m[1], unescape(m[2]))
	}
	if len(v) != 2*len(catalog.CloseGroups()) {
		t.Fatalf("the close form has %d fields, want %d", len(v), 2*len(catalog.CloseGroups()))
	}
	return v
}

func unescape(s string) string {
	return strings.NewReplacer("&#39;", "'", "&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&quot;", `"`).Replace(s)
}

// kindsByApplication maps each application to the kinds of email it got.
func kindsByApplication(t *testing.T, app *testkit.App, kinds ...string) map[int64][]string {
	t.Helper()
	rows, err := app.DB.Query(`SELECT application_id, kind FROM emails WHERE kind = ANY($1) ORDER BY id`, pqArray(kinds))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64][]string{}
	for rows.Next() {
		var id int64
		var k string
		rows.Scan(&id, &k)
		out[id] = append(out[id], k)
	}
	return out
}

func TestClosingAPostingTellsEachApplicantOnce(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	p := app.OpenPosting(time.Time{})
	ctx := context.Background()
	byStatus := map[string]*repository.Application{}
	for i, st := range []string{"received", "in_review", "shortlisted", "interview", "accepted", "rejected", "rejected_told", "withdrawn"} {
		a := seedApplication(t, app, p.ID, "Personne"+strconv.Itoa(i), "O'Hara & <Fils>", "p"+strconv.Itoa(i)+"@example.org")
		status := strings.TrimSuffix(st, "_told")
		app.DB.MustExec(`UPDATE applications SET status = $2 WHERE id = $1`, a.ID, status)
		byStatus[st] = a
	}
	// This one was already told of the rejection.
	told := byStatus["rejected_told"]
	app.Repo.InsertEmails(ctx, []*repository.Email{{Kind: "status_update", PostingID: &p.ID, ApplicationID: &told.ID,
		ToAddress: told.Email, Subject: "Non retenue", TextBody: "t", HTMLBody: "h", AboutStatus: "rejected"}})
	app.DB.MustExec(`UPDATE emails SET status = 'sent'`)

	c := app.Client()
	app.StartWorker()
	app.SignIn(c, p.ContactEmail)
	app.StopWorker()
	closeURL := app.URL + "/boite/offres/" + strconv.FormatInt(p.ID, 10) + "/cloture"

	// The preview counts each group and shows the words each will get.
	resp, body := testkit.Get(t, c, closeURL)
	if resp.StatusCode != 200 {
		t.Fatalf("preview: %d", resp.StatusCode)
	}
	for _, want := range []string{"Candidatures encore à l&#39;étude : 3 personnes", "Candidatures en entretien : 1 personne", "Candidatures retenues : 1 personne",
		"pas encore prévenues : 1 personne", "1 non retenue déjà prévenue", "1 retirée"} {
		if !strings.Contains(body, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	form := closeForm(t, body)
	form.Set("message_close_in_review", form.Get("message_close_in_review")+"\n\nÀ bientôt, ⟦prénom⟧ !")
	resp, _ = testkit.PostForm(t, c, closeURL, form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("close: %d", resp.StatusCode)
	}

	got := kindsByApplication(t, app, "close_in_review", "close_interview", "close_accepted", "close_rejected")
	want := map[string]string{"received": "close_in_review", "in_review": "close_in_review", "shortlisted": "close_in_review",
		"interview": "close_interview", "rejected": "close_rejected"}
	for st, a := range byStatus {
		kinds := got[a.ID]
		if w, ok := want[st]; ok {
			if len(kinds) != 1 || kinds[0] != w {
				t.Errorf("%s: got %v, want one %s", st, kinds, w)
			}
		} else if len(kinds) != 0 {
			t.Errorf("%s: got %v, want nothing", st, kinds)
		}
	}
	// Each email is the applicant's own, names escaped in HTML.
	var text, html, to string
	app.DB.QueryRow(`SELECT text_body, html_body, to_address FROM emails WHERE application_id = $1 AND kind = 'close_in_review'`,
		byStatus["received"].ID).Scan(&text, &html, &to)
	if to != byStatus["received"].Email || !strings.Contains(text, "Bonjour Personne0,") || !strings.Contains(text, "À bientôt, Personne0 !") {
		t.Errorf("in-review update to %s:\n%s", to, text)
	}
	var rejHTML string
	app.DB.QueryRow(`SELECT html_body FROM emails WHERE kind = 'close_rejected'`).Scan(&rejHTML)
	if strings.Contains(html+rejHTML, "⟦") || !strings.Contains(html, "Bonjour Personne0,") {
		t.Errorf("placeholders left in HTML:\n%s", html)
	}
	var summary string
	app.DB.QueryRow(`SELECT text_body FROM emails WHERE kind = 'close_summary' AND to_address = $1`, p.ContactEmail).Scan(&summary)
	for _, want := range []string{"à l'étude : 3 personnes prévenues", "en entretien : 1 personne prévenue", "retenues : 0 message envoyé (1 personne retenue sans nouveau message)",
		"non retenues : 1 personne informée, et 1 déjà prévenue", "retirées : 1"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}

	// Closing again writes nothing.
	count := func() int {
		var n int
		app.DB.Get(&n, `SELECT count(*) FROM emails WHERE kind LIKE 'close_%'`)
		return n
	}
	before := count()
	if resp, _ := testkit.PostForm(t, c, closeURL, form); resp.StatusCode != http.StatusConflict {
		t.Errorf("second close: %d, want 409", resp.StatusCode)
	}
	if n, _ := app.Closing.RunOnce(ctx); n != 0 || count() != before {
		t.Errorf("a second close wrote %d emails", count()-before)
	}

	// Reopen, then close again: a new round; the rejected applicant, told
	// in the first round, gets nothing new.
	resp, _ = testkit.PostForm(t, c, app.URL+"/boite/offres/"+strconv.FormatInt(p.ID, 10)+"/reouverture", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reopen: %d", resp.StatusCode)
	}
	_, body = testkit.Get(t, c, closeURL)
	resp, _ = testkit.PostForm(t, c, closeURL, closeForm(t, body))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("second close after reopening: %d", resp.StatusCode)
	}
	got = kindsByApplication(t, app, "close_in_review", "close_rejected")
	if k := got[byStatus["received"].ID]; len(k) != 2 {
		t.Errorf("in review after two rounds: %v, want two updates", k)
	}
	if k := got[byStatus["rejected"].ID]; len(k) != 1 {
		t.Errorf("rejected after two rounds: %v, want the one notice", k)
	}
	var events int
	app.DB.Get(&events, `SELECT count(*) FROM posting_events WHERE posting_id = $1 AND actor = $2`, p.ID, p.ContactEmail)
	if events != 3 {
		t.Errorf("%d transitions recorded with their author, want 3 (close, reopen, close)", events)
	}

	// The workers send them all.
	app.StartWorker()
	var pending int
	app.DB.Get(&pending, `SELECT count(*) FROM emails WHERE status = 'pending'`)
	app.Sweeper.SweepOnce(ctx)
	app.WaitEmails("sent", pending, 30*time.Second)
}

func TestTheSchedulerClosesAtTheDateOnce(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	p := app.OpenPosting(app.Clock.Now().Add(time.Hour))
	for i := 0; i < 5; i++ {
		seedApplication(t, app, p.ID, "P", strconv.Itoa(i), "p"+strconv.Itoa(i)+"@example.org")
	}
	ctx := context.Background()
	if n, err := app.Closing.RunOnce(ctx); err != nil || n != 0 {
		t.Fatalf("before the date: closed %d, %v", n, err)
	}
	// The date passes, on the clock the scheduler reads.
	app.Clock.Advance(time.Hour + time.Second)
	// Two schedulers running by mistake, at the same moment.
	var wg sync.WaitGroup
	results := make([]int, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], _ = app.Closing.RunOnce(ctx)
		}()
	}
	wg.Wait()
	if results[0]+results[1] != 1 {
		t.Fatalf("closed %v times, want once", results)
	}
	var status, actor string
	app.DB.QueryRow(`SELECT status FROM postings WHERE id = $1`, p.ID).Scan(&status)
	app.DB.QueryRow(`SELECT actor FROM posting_events WHERE posting_id = $1 AND to_status = 'closed'`, p.ID).Scan(&actor)
	var updates int
	app.DB.Get(&updates, `SELECT count(*) FROM emails WHERE kind = 'close_in_review'`)
	if status != "closed" || actor != repository.ActorSystem || updates != 5 {
		t.Errorf("after the date: %s by %q, %d updates; want closed by the system, 5 updates", status, actor, updates)
	}
}

// Someone in "Entretien" has just been asked for a time: the close tells
// them that their interview goes on, never that they have nothing to do,
// in a group of its own in the preview, the editor and the summary.
func TestCloseTellsInterviewsTheirInterviewGoesOn(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true})
	p := app.OpenPosting(time.Time{})
	waiting := seedApplication(t, app, p.ID, "Camille", "Durand", "camille@example.org")
	met := seedApplication(t, app, p.ID, "Dominique", "Martin", "dominique@example.org")
	app.DB.MustExec(`UPDATE applications SET status = 'interview' WHERE id = $1`, met.ID)
	c := app.Client()
	app.StartWorker()
	app.SignIn(c, p.ContactEmail)
	app.StopWorker()
	base := app.URL + "/boite/offres/" + strconv.FormatInt(p.ID, 10)

	// The wordings editor has the group's own wording, in the language.
	_, body := testkit.Get(t, c, base+"/modeles")
	if !strings.Contains(body, `id="modele-close_interview"`) || !strings.Contains(body, "Clôture : candidatures en entretien") {
		t.Error("the editor has no wording for the interview group")
	}
	_, body = testkit.Get(t, c, base+"/cloture")
	for _, want := range []string{"Candidatures en entretien : 1 personne", "Candidatures encore à l&#39;étude : 1 personne", "1 encore à l'étude, 1 en entretien"} {
		if !strings.Contains(body, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	form := closeForm(t, body)
	form.Set("message_close_interview", form.Get("message_close_interview")+"\n\nÀ bientôt, {{.Prenom}} {{.Nom}}.")
	if resp, _ := testkit.PostForm(t, c, base+"/cloture", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("close: %d", resp.StatusCode)
	}
	var kind, subject, text, html string
	app.DB.QueryRow(`SELECT kind, subject, text_body, html_body FROM emails WHERE application_id = $1 AND kind LIKE 'close_%'`, met.ID).Scan(&kind, &subject, &text, &html)
	if kind != "close_interview" || !strings.Contains(subject, "votre entretien se poursuit") || !strings.Contains(text, "votre entretien") ||
		!strings.Contains(text, "À bientôt, Dominique Martin.") || strings.Contains(text+html, "rien à faire") || strings.Contains(text+html, "⟦") {
		t.Errorf("the interview's update (%s) %q:\n%s", kind, subject, text)
	}
	app.DB.QueryRow(`SELECT kind, text_body FROM emails WHERE application_id = $1 AND kind LIKE 'close_%'`, waiting.ID).Scan(&kind, &text)
	if kind != "close_in_review" || !strings.Contains(text, "Vous n'avez rien à faire d'ici là") {
		t.Errorf("the waiting one's update (%s):\n%s", kind, text)
	}
	var summary string
	app.DB.QueryRow(`SELECT text_body FROM emails WHERE kind = 'close_summary'`).Scan(&summary)
	if !strings.Contains(summary, "en entretien : 1 personne prévenue que les candidatures sont closes et que leur entretien se poursuit") ||
		!strings.Contains(summary, "à l'étude : 1 personne prévenue") {
		t.Errorf("summary:\n%s", summary)
	}
	var subj string
	app.DB.QueryRow(`SELECT subject FROM emails WHERE kind = 'close_summary'`).Scan(&subj)
	if !strings.Contains(subj, "2 personnes prévenues") {
		t.Errorf("summary subject %q", subj)
	}
	// Once per round, like the other groups.
	if n, _ := app.Closing.RunOnce(context.Background()); n != 0 {
		t.Errorf("the scheduler closed %d postings again", n)
	}
	var updates int
	app.DB.Get(&updates, `SELECT count(*) FROM emails WHERE kind = 'close_interview' AND dedupe_key = $1`,
		"close:"+strconv.FormatInt(p.ID, 10)+":1:"+strconv.FormatInt(met.ID, 10))
	if updates != 1 {
		t.Errorf("%d interview updates with the round's key, want 1", updates)
	}
}
