package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vivier/internal/testkit"
)

// /dev/mail shows names as people write them, not as encoded words, and
// the whole of a message's HTML part, footer included.
func TestDevMailShowsNamesAndWholeMessages(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{DevMail: true})
	p := app.OpenPosting(time.Time{})
	f := validForm()
	f.Set("prenom", "Léa")
	f.Set("nom", "Dubois")
	f.Set("email", "lea.dubois@example.org")
	if resp, _ := testkit.PostMultipart(t, app.Client(), app.URL+"/offres/"+p.Slug+"/candidature", f, cv()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply: %d", resp.StatusCode)
	}
	msgs := app.SMTP.WaitFor(2, 20*time.Second)
	if len(msgs) < 2 {
		t.Fatalf("%d emails caught", len(msgs))
	}
	ack := 0
	for _, m := range msgs {
		if len(m.To) == 1 && m.To[0] == "lea.dubois@example.org" {
			ack = m.ID
		}
	}
	if ack == 0 || !strings.Contains(msgs[ack-1].Header.Get("To"), "=?") {
		t.Fatalf("the acknowledgement's To is not encoded, the test proves nothing: %q", msgs[ack-1].Header.Get("To"))
	}
	c := app.Client()
	if _, body := testkit.Get(t, c, app.URL+"/dev/mail"); !strings.Contains(body, "2 emails, du plus récent au plus ancien") {
		t.Errorf("the list does not count its emails in French:\n%s", body)
	}
	page := app.URL + "/dev/mail/" + strconv.Itoa(ack)
	_, body := testkit.Get(t, c, page)
	if !strings.Contains(body, "<dd>Léa Dubois &lt;lea.dubois@example.org&gt;</dd>") || strings.Contains(body, "=?") {
		t.Errorf("the recipient is not shown decoded:\n%s", body)
	}

	ctx := testkit.Browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(page), testkit.WaitVisible(`main iframe`)); err != nil {
		t.Fatal(err)
	}
	// The frame grows to the message: its footer is inside, not cut.
	_, err := chromedp.Run(ctx, testkit.Poll[bool](`(() => {
		const f = document.querySelector("main iframe"), d = f.contentDocument;
		return !!d && d.readyState === "complete" && d.body.innerText.includes("pour le compte de l'Incubateur des Territoires") &&
			f.clientHeight >= d.documentElement.scrollHeight;
	})()`, chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
			const f = document.querySelector("main iframe"), d = f.contentDocument;
			return "frame " + f.clientHeight + " px, message " + (d ? d.readyState + " " + d.documentElement.scrollHeight + " px: " + d.body.innerText.slice(-200) : "out of reach");
		})()`))
		t.Fatalf("the HTML part's frame does not show the whole message (%v): %s", err, state)
	}
	testkit.CheckAccessibility(t, ctx, "an email caught in development")
}

// /dev/mail answers in the applicant's place only the emails sent to an
// applicant: the reviewer's notification and the sign-in link say there
// is nothing to answer for them, and a reply posted to them anyway is
// refused and stores nothing. After a reply, the page links to the
// application where it shows.
func TestDevMailAnswersOnlyForApplicants(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{DevMail: true})
	p := app.OpenPosting(time.Time{})
	a, _ := applyThroughTheForm(t, app, p)
	app.WaitIdle()
	ack := caught(t, app, a.Email, "")
	notification := caught(t, app, p.ContactEmail, "Nouvelle candidature")
	c := app.Client()
	for _, m := range []int{notification.ID} {
		page := app.URL + "/dev/mail/" + strconv.Itoa(m)
		if _, body := testkit.Get(t, c, page); strings.Contains(body, `action="/dev/mail/`+strconv.Itoa(m)+`/reponse"`) ||
			!strings.Contains(body, "Cet email n&#39;est pas adressé à une personne candidate") {
			t.Errorf("/dev/mail/%d offers to answer an email to a reviewer as the applicant", m)
		}
		if resp, _ := testkit.PostForm(t, c, page+"/reponse", url.Values{"texte": {"Merci !"}}); resp.StatusCode != http.StatusConflict {
			t.Errorf("a reply to a reviewer's email: %d, want 409", resp.StatusCode)
		}
	}
	var stored int
	app.DB.Get(&stored, `SELECT count(*) FROM inbound_messages`)
	if stored != 0 {
		t.Errorf("%d messages stored from replies to a reviewer's email", stored)
	}
	page := app.URL + "/dev/mail/" + strconv.Itoa(ack.ID)
	if _, body := testkit.Get(t, c, page); !strings.Contains(body, "de la part de Camille Durand (camille.durand@example.org)") {
		t.Errorf("the acknowledgement's page does not say whom the reply comes from")
	}
	resp, body := testkit.PostForm(t, c, page+"/reponse", url.Values{"texte": {"Merci pour votre retour rapide."}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, fmt.Sprintf(`<a href="/boite/candidatures/%d#conversation">Voir la candidature</a>`, a.ID)) {
		t.Errorf("after the reply: %d, no link to the application", resp.StatusCode)
	}
	var from []string
	app.DB.Select(&from, `SELECT from_name || ' <' || from_address || '>' FROM inbound_messages WHERE kind = 'reply' AND application_id = $1`, a.ID)
	if len(from) != 1 || from[0] != "Camille Durand <camille.durand@example.org>" {
		t.Errorf("replies stored on the application: %q, want one from Camille Durand", from)
	}
}

// The pages where a reviewer writes say where the applicant's answer will
// arrive: without a mailbox of replies (nor /dev/mail), in the contact's
// own mailbox, not on the application.
func TestWritingSaysWhereTheAnswerArrives(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{})
	p := app.OpenPosting(time.Time{})
	a := seedApplication(t, app, p.ID, "Camille", "Durand", "camille@example.org")
	reviewer := app.Client()
	app.SignIn(reviewer, p.ContactEmail)
	page := app.URL + "/boite/candidatures/" + strconv.FormatInt(a.ID, 10)
	want := "Sa réponse arrivera dans la boîte de " + p.ContactEmail + ", la personne qui recrute"
	for _, u := range []string{page, page + "/message"} {
		if _, body := testkit.Get(t, reviewer, u); !strings.Contains(body, want) || strings.Contains(body, "arrivera sur cette candidature") {
			t.Errorf("%s does not say the answer goes to the contact's mailbox", u)
		}
	}
	if _, body := testkit.Get(t, reviewer, page+"/message"); !strings.Contains(body, "suivi de l'adresse de la personne qui recrute ("+p.ContactEmail+")") {
		t.Errorf("the message form does not say whose address signs the message")
	}
}
