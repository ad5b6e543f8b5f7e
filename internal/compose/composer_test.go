package compose

import (
	"html/template"
	"slices"
	"strings"
	"testing"
	"time"

	"vivier/internal/catalog"
	"vivier/internal/config"
	"vivier/internal/frfmt"
	"vivier/internal/links"
	"vivier/repository"
	"vivier/workers/tasks"
)

func newComposer(t *testing.T, env map[string]string) *Composer {
	t.Helper()
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// everyKind writes one email of every kind through the composer, as its
// callers do, for p and a.
func everyKind(t *testing.T, c *Composer, p *repository.Posting, a *repository.Application) map[Kind]*repository.Email {
	t.Helper()
	out := map[Kind]*repository.Email{}
	add := func(es []*repository.Email, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			out[Kind(e.Kind)] = e
		}
	}
	one := func(e *repository.Email, err error) ([]*repository.Email, error) { return []*repository.Email{e}, err }
	add(c.Application(p, a, "jeton-de-test", "cv.pdf", nil, []string{p.ContactEmail}))
	add(one(c.PrivateLink(p, a, "jeton-de-test")))
	add(one(c.LostLink(p, a, "jeton-de-test")))
	add(c.Withdrawn(p, a))
	add(c.WithdrawalUndone(p, a, catalog.StatusShortlisted))
	add(c.Erased(p, a))
	add(one(c.StatusUpdate(p, a, catalog.StatusRejected, c.StatusWords(catalog.StatusRejected, nil), time.Now())))
	add(one(c.SignInLink("relecteur@anct.gouv.fr", "jeton-de-test", "/boite", 15*time.Minute)))
	plan, err := c.Close(p, "contact@anct.gouv.fr", c.CloseWords(map[string]repository.PostingTemplate{
		"close_accepted": {Subject: "Retenue : {{.Offre}}", Body: "Bonjour {{.Prenom}}"}}))
	if err != nil {
		t.Fatal(err)
	}
	for g, text := range plan.Texts {
		if text.Kind != string(CloseUpdate(g)) {
			t.Errorf("close group %s written as %s", g, text.Kind)
		}
		out[Kind(text.Kind)] = &repository.Email{Kind: text.Kind, Subject: text.Subject, TextBody: text.Text, HTMLBody: text.HTML}
	}
	add(one(plan.Summary(map[catalog.CloseGroup]int{catalog.CloseInReview: 2}, repository.CloseCounts{InReview: 2})))
	n, err := c.RetentionNotice(&repository.RetentionPosting{Posting: *p, LastClose: time.Now().AddDate(0, -23, 0),
		EraseAt: time.Now().AddDate(0, 1, 0), Holding: 3})
	if err != nil {
		t.Fatal(err)
	}
	out[Kind(n.Kind)] = &repository.Email{Kind: n.Kind, Subject: n.Subject, TextBody: n.Text, HTMLBody: n.HTML}
	add(one(n.Contact, nil))
	day := time.Date(2026, 3, 2, 8, 0, 0, 0, frfmt.Paris)
	events := []repository.DigestEvent{{Kind: repository.DigestNewApplication, PostingID: p.ID, PostingTitle: p.Title,
		ApplicationID: a.ID, FirstName: a.FirstName, LastName: a.LastName, At: day.Add(-time.Hour)}}
	waiting := []repository.WaitingApplication{
		{PostingID: p.ID, PostingTitle: p.Title, ApplicationID: a.ID, FirstName: a.FirstName, LastName: a.LastName,
			ReceivedAt: day.AddDate(0, 0, -20), Frequency: catalog.NotifyDaily, TotalInPosting: 1},
		{PostingID: p.ID + 1, PostingTitle: "Autre offre", ApplicationID: a.ID + 1, FirstName: "Zoé", LastName: "Martin",
			ReceivedAt: day.AddDate(0, 0, -30), Frequency: catalog.NotifyAtOnce, TotalInPosting: 1}}
	digest, _, err := c.Digest("relecteur@anct.gouv.fr", day, day, events, waiting)
	add(one(digest, err))
	reminder, _, err := c.WaitingReminder(p.ContactEmail, day, waiting)
	add(one(reminder, err))
	add(one(c.Mention(p, a, "marie@anct.gouv.fr", 5, "Qu'en penses-tu ?", "paul@anct.gouv.fr")))
	add(one(c.Message(p, a, c.MessageWords(MessageEditables()[0], nil), "")))
	add(c.ReplyNotification(p, a, Reply{Subject: "Re: votre candidature", Text: "Bonjour, voici mes précisions."}, []string{"relecteur@anct.gouv.fr"}))
	start := time.Date(2026, 3, 3, 14, 30, 0, 0, frfmt.Paris)
	slot := repository.InterviewSlot{StartsAt: start, Minutes: 45, Mode: catalog.InterviewVideo, Place: "https://visio.example.org/a"}
	add(one(c.InterviewSlots(p, a, []repository.InterviewSlot{slot})))
	add(c.InterviewNoneFits(p, a, "Je suis en mission ce jour-là."))
	iv := &repository.Interview{ID: 1, UID: "entretien-1@vivier.test", State: catalog.InterviewBooked, StartsAt: start, Minutes: 45,
		Mode: catalog.InterviewVideo, Place: slot.Place, Attendees: []string{"relecteur@anct.gouv.fr"}, UpdatedAt: time.Now()}
	for _, k := range []Kind{InterviewInvitation, InterviewUpdate, InterviewReminder} {
		add(c.Interview(k, p, a, iv, time.Time{}))
	}
	cancelled := *iv
	cancelled.State = catalog.InterviewCancelled
	add(c.Interview(InterviewCancelled, p, a, &cancelled, time.Time{}))
	return out
}

func posting() *repository.Posting {
	return &repository.Posting{ID: 3, Title: "Coach pour le Programme national d'investigation", Organisation: "ANCT",
		ContactEmail: "contact@anct.gouv.fr"}
}

func applicant() *repository.Application {
	return &repository.Application{ID: 9, PostingID: 3, FirstName: "Camille", LastName: "Durand", Email: "camille@example.org",
		Location: "Lyon", DailyRate: 600, DaysPerWeek: 3, AvailableFrom: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		Motivation: "Une motivation.", CreatedAt: time.Now()}
}

// Every kind of email is written through the composer, which fills what
// they share from the configuration once: each names the operator with
// its article (the sign-in link once forgot it), in its footer and where
// its words say "de" or "à".
func TestEveryKindNamesTheOperatorWithItsArticle(t *testing.T) {
	c := newComposer(t, map[string]string{"OPERATOR_NAME": "GIP Inclusion", "OPERATOR_NAME_ARTICLE": "le GIP Inclusion",
		"BASE_URL": "http://vivier.example"})
	emails := everyKind(t, c, posting(), applicant())
	for _, k := range Kinds() {
		e, ok := emails[k]
		if !ok {
			t.Errorf("no constructor wrote a %s", k)
			continue
		}
		if e.Kind != string(k) || e.Subject == "" || !strings.Contains(e.TextBody, "GIP Inclusion") ||
			!strings.Contains(e.HTMLBody, "pour le compte du GIP Inclusion.") {
			t.Errorf("%s does not name the operator with its article:\n%s\n%s", k, e.TextBody, e.HTMLBody)
		}
	}
	signIn := emails[SignInLink]
	if signIn.Subject != "Votre lien de connexion au GIP Inclusion" || !strings.Contains(signIn.TextBody, "l'espace de recrutement du GIP Inclusion :") ||
		!strings.Contains(signIn.TextBody, "http://vivier.example/connexion/lien/jeton-de-test?suite=%2Fboite") || signIn.Token != "jeton-de-test" {
		t.Errorf("sign-in link: %q\n%s", signIn.Subject, signIn.TextBody)
	}
	// The data notice names the posting's contact, and without one the
	// first admin, as the pages do.
	if !strings.Contains(emails[Acknowledgement].TextBody, "Pour toute demande sur vos données : contact@anct.gouv.fr.") {
		t.Errorf("acknowledgement's data notice:\n%s", emails[Acknowledgement].TextBody)
	}
	admin := newComposer(t, map[string]string{"ADMIN_EMAILS": "admin@anct.gouv.fr"})
	if got := admin.DataContact(&repository.Posting{}); got != "admin@anct.gouv.fr" {
		t.Errorf("data contact without a posting contact: %q", got)
	}
	if got := newComposer(t, nil).DataContact(nil); got != "l'équipe de l'Incubateur des Territoires" {
		t.Errorf("data contact without a contact or an admin: %q", got)
	}
}

// Each kind has its queue: a sign-in link, which a person waits for on
// the sign-in page, jumps the line; the enqueuer gets it from the email.
func TestEachKindHasItsQueue(t *testing.T) {
	for _, k := range Kinds() {
		want := tasks.QueueDefault
		if k == SignInLink {
			want = tasks.QueueCritical
		}
		if k.Queue() != want {
			t.Errorf("%s goes on %s, want %s", k, k.Queue(), want)
		}
	}
	at := time.Now().Add(time.Hour)
	out := Outgoing(&repository.Email{ID: 1, Kind: string(SignInLink)}, &repository.Email{ID: 2, Kind: string(StatusUpdate), SendAfter: at})
	if out[0] != (tasks.Outgoing{ID: 1, Queue: tasks.QueueCritical}) || out[1] != (tasks.Outgoing{ID: 2, Queue: tasks.QueueDefault, SendAfter: at}) {
		t.Errorf("outgoing: %+v", out)
	}
	want := []string{"close_in_review", "close_interview", "close_accepted", "close_rejected", "close_summary", "interview_cancelled"}
	if got := CloseKinds(); !slices.Equal(got, want) {
		t.Errorf("close kinds %v, want %v", got, want)
	}
}

// A close and a retention run render their emails once, with
// placeholders; the database completes each copy as the composer's Fill
// says. Completed so, a copy is exactly the email rendered for that
// applicant alone, whatever the name holds.
func TestBatchCopiesAreTheEmailsRenderedOneByOne(t *testing.T) {
	c := newComposer(t, map[string]string{"BASE_URL": "http://vivier.example"})
	p := posting()
	a := applicant()
	a.FirstName, a.LastName = `Zoé+Léa <"O'Brien">`, "Dupont & fils"
	// What the database does to a batch's texts, for a.
	fill := func(s string, html bool) string {
		for _, m := range c.fill.Marks {
			v := map[repository.ApplicantValue]string{repository.ApplicantFirstName: a.FirstName, repository.ApplicantLastName: a.LastName}[m.Value]
			if html {
				v = escape(v, c.fill.HTMLEscapes)
			}
			s = strings.ReplaceAll(s, m.Placeholder, v)
		}
		return s
	}
	words := c.CloseWords(nil)
	words[catalog.CloseRejected] = Words{Subject: "Pour {{.Prenom}} {{.Nom}}", Message: "Bonjour {{.Prenom}} {{.Nom}},\nmerci."}
	plan, err := c.Close(p, "contact@anct.gouv.fr", words)
	if err != nil {
		t.Fatal(err)
	}
	for g, text := range plan.Texts {
		d := c.data(p, a)
		d.Subject, d.Message, err = ownWords(words[g], d)
		if err != nil {
			t.Fatal(err)
		}
		alone, err := c.r.render(CloseUpdate(g), d)
		if err != nil {
			t.Fatal(err)
		}
		if got := fill(text.Subject, false); got != alone.Subject {
			t.Errorf("%s subject: %q, alone %q", g, got, alone.Subject)
		}
		if got := fill(text.Text, false); got != alone.Text {
			t.Errorf("%s text:\n%s\nalone:\n%s", g, got, alone.Text)
		}
		if got := fill(text.HTML, true); got != alone.HTML {
			t.Errorf("%s HTML:\n%s\nalone:\n%s", g, got, alone.HTML)
		}
	}
	if want := "Bonjour " + template.HTMLEscapeString(a.FirstName); !strings.Contains(fill(plan.Texts[catalog.CloseRejected].HTML, true), strings.ReplaceAll(want, "+", "&#43;")) {
		t.Errorf("the name is not escaped as html/template does: %s", fill(plan.Texts[catalog.CloseRejected].HTML, true))
	}

	rp := &repository.RetentionPosting{Posting: *p, LastClose: time.Now().AddDate(0, -23, 0), EraseAt: time.Now().AddDate(0, 1, 0), Holding: 2}
	n, err := c.RetentionNotice(rp)
	if err != nil {
		t.Fatal(err)
	}
	// Alone, the notice would carry a token of its own, hidden as it is
	// stored (see repository.Email.Token).
	const token = "UnJetonDeQuaranteTroisCaracteresPourLeTest1"
	d := c.data(p, a)
	d.Link = c.privateLink(token)
	d.ClosedAt, d.EraseAt, d.Count = rp.LastClose, rp.EraseAt, rp.Holding
	alone, err := c.r.render(RetentionNotice, d)
	if err != nil {
		t.Fatal(err)
	}
	alone = Rendered{Subject: links.Hide(alone.Subject, token), Text: links.Hide(alone.Text, token), HTML: links.Hide(alone.HTML, token)}
	if fill(n.Subject, false) != alone.Subject || fill(n.Text, false) != alone.Text || fill(n.HTML, true) != alone.HTML {
		t.Errorf("retention notice:\n%s\n%s\nalone:\n%s\n%s", fill(n.Text, false), fill(n.HTML, true), alone.Text, alone.HTML)
	}
	if strings.Contains(n.Subject+n.Text+n.HTML, PlaceholderToken) || !strings.Contains(n.Text, "/candidature/"+links.Marker) {
		t.Errorf("the retention notice's link:\n%s", n.Text)
	}
}

// During a blind first pass, an applicant's reply reaches reviewers as
// « Candidature n° N » with its text, without its subject or the names
// of its files, kept or refused (they may name the person); once
// revealed, with all of them.
func TestReplyNotificationDuringABlindPass(t *testing.T) {
	c := newComposer(t, nil)
	p, a := posting(), applicant()
	p.BlindUntil = catalog.StatusShortlisted
	a.Status = catalog.StatusReceived
	r := Reply{Subject: "Re: Candidature de " + a.LastName, Text: "Mardi me convient.",
		Files: []string{"CV-" + a.LastName + ".pdf", "Lettre.pdf"}, Refused: []string{a.FirstName + ".exe : refusée, ni PDF, ni DOC, ni DOCX, ni ODT"}}
	es, err := c.ReplyNotification(p, a, r, []string{"relecteur@anct.gouv.fr"})
	if err != nil {
		t.Fatal(err)
	}
	e := es[0]
	all := e.Subject + e.ReplyTo + e.ToName + e.TextBody + e.HTMLBody
	if strings.Contains(all, a.FirstName) || strings.Contains(all, a.LastName) || strings.Contains(all, a.Email) ||
		!strings.Contains(e.Subject, "Candidature n° 9") || !strings.Contains(e.TextBody, "Mardi me convient.") ||
		!strings.Contains(e.TextBody, "2 pièces jointes gardées") || !strings.Contains(e.TextBody, "Des parties du message n'ont pas pu être gardées.") {
		t.Errorf("the blind notification of a reply: %q\n%s", e.Subject, e.TextBody)
	}
	now := time.Now()
	a.Status, a.RevealedAt = catalog.StatusShortlisted, &now
	if es, err = c.ReplyNotification(p, a, r, []string{"relecteur@anct.gouv.fr"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{a.FirstName + " " + a.LastName + " a répondu", r.Subject, r.Files[0], r.Refused[0]} {
		if !strings.Contains(es[0].TextBody, want) {
			t.Errorf("once revealed, the notification lacks %q:\n%s", want, es[0].TextBody)
		}
	}
}
