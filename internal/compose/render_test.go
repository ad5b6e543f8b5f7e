package compose

import (
	"strings"
	"testing"
	"time"

	"vivier/repository"
)

func sample() *emailData {
	return &emailData{
		Operator: "Incubateur des Territoires",
		Posting:  &repository.Posting{ID: 1, Title: "Coach pour le Programme national d'investigation", Organisation: "ANCT", ContactEmail: "contact@anct.gouv.fr"},
		Application: &repository.Application{ID: 7, FirstName: "Camille", LastName: "Durand <b>", Email: "camille@example.org",
			Location: "Lyon", DailyRate: 650, DaysPerWeek: 2.5, AvailableFrom: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
			Motivation: "Je suis <script>motivée</script>.", CreatedAt: time.Now()},
		Contact: "contact@anct.gouv.fr", Link: "https://vivier.example/candidature/abc", RetentionMonths: 24,
		DataContact: "contact@anct.gouv.fr", CVName: "cv.pdf",
		Summary: &closeSummary{Actor: "contact@anct.gouv.fr", InReview: 3, Rejected: 2, Told: 5},
		Digest: &digestView{Day: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), New: 1, WaitingTotal: 3, WaitingDays: WaitingDays,
			Postings: []digestPosting{{Title: "Coach <i>", Link: "https://vivier.example/boite/offres/1",
				Items: []digestItem{{What: "Nouvelle candidature", Name: "Camille Durand <b>", Link: "https://vivier.example/boite/candidatures/7", At: time.Now()}}}},
			Waiting: []waitingPosting{{Title: "Coach <i>", ListLink: "https://vivier.example/boite/offres/1?statut=received", Total: 3, More: 2,
				Items: []waitingItem{{Name: "Camille Durand <b>", Link: "https://vivier.example/boite/candidatures/7", ReceivedAt: time.Now(), Days: 20}}}}},
		Mention: &mentionView{Author: "marie@anct.gouv.fr", Name: "Camille Durand <b>", Note: "<script>Qu'en penses-tu ?</script>",
			Link: "https://vivier.example/boite/candidatures/7#note-3"},
		Inbound: &inboundSummary{Who: "Camille Durand <b>", Subject: "Re: <b>", Text: "Voici <script>mes</script> précisions."},
		Interview: &interviewText{When: "mardi 3 mars 2026 à 14 h 30", Length: "45 min", Mode: "video", ModeLabel: "En visioconférence",
			Place: "https://visio.example.org/<b>", Applicant: "Camille Durand <b>", Slots: []string{"mardi 3 mars 2026 à 14 h 30 (45 min, en visioconférence)"},
			Message: "Pas <script>dispo</script>.", PageLink: "https://vivier.example/boite/candidatures/7"},
	}
}

func TestEveryKindRendersInFrench(t *testing.T) {
	r, err := newRenderer()
	if err != nil {
		t.Fatal(err)
	}
	for kind := range kinds {
		got, err := r.render(kind, sample())
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if got.Subject == "" || strings.ContainsAny(got.Subject, "\r\n") {
			t.Errorf("%s: subject %q", kind, got.Subject)
		}
		if !strings.Contains(got.Text, "Bonjour") || !strings.Contains(got.HTML, `<html lang="fr">`) {
			t.Errorf("%s: text or HTML part missing", kind)
		}
		if strings.Contains(got.HTML, "<script>") || strings.Contains(got.HTML, "Durand <b>") {
			t.Errorf("%s: applicant text not escaped in HTML", kind)
		}
	}
	ack, _ := r.render(Acknowledgement, sample())
	if !strings.Contains(ack.Text, "https://vivier.example/candidature/abc") || !strings.Contains(ack.Text, "24 mois") {
		t.Errorf("acknowledgement lacks the private link or the retention period:\n%s", ack.Text)
	}
	note, _ := r.render(ContactNotification, sample())
	if !strings.Contains(note.Text, "2,5 jours par semaine, à partir du 1er décembre 2026") {
		t.Errorf("contact notification availability:\n%s", note.Text)
	}
}

func TestSubjectStaysOnOneLine(t *testing.T) {
	r, _ := newRenderer()
	d := sample()
	d.Application.FirstName = "Camille\r\nBcc: victim@example.org"
	got, err := r.render(ContactNotification, d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(got.Subject, "\r\n") {
		t.Fatalf("subject holds a line break: %q", got.Subject)
	}
}

// Emails write the plural a number calls for, the operator's name with
// its article after "de" and "à", and phone numbers as people read them.
func TestEmailsSpeakFrenchProperly(t *testing.T) {
	r, err := newRenderer()
	if err != nil {
		t.Fatal(err)
	}
	d := sample()
	d.OperatorArticle = "l'Incubateur des Territoires"
	d.Link, d.ValidMinutes = "https://vivier.example/connexion/lien/abc", 15
	signIn, err := r.render(SignInLink, d)
	if err != nil {
		t.Fatal(err)
	}
	if signIn.Subject != "Votre lien de connexion à l'Incubateur des Territoires" ||
		!strings.Contains(signIn.Text, "l'espace de recrutement de l'Incubateur des Territoires :") ||
		!strings.Contains(signIn.HTML, "pour le compte de l&#39;Incubateur des Territoires.") {
		t.Errorf("sign-in link: %q\n%s\n%s", signIn.Subject, signIn.Text, signIn.HTML)
	}
	d.OperatorArticle = "le GIP Inclusion"
	if signIn, _ = r.render(SignInLink, d); signIn.Subject != "Votre lien de connexion au GIP Inclusion" ||
		!strings.Contains(signIn.Text, "l'espace de recrutement du GIP Inclusion :") {
		t.Errorf("sign-in link of le GIP Inclusion: %q\n%s", signIn.Subject, signIn.Text)
	}
	d.OperatorArticle = ""
	if signIn, _ = r.render(SignInLink, d); signIn.Subject != "Votre lien de connexion à Incubateur des Territoires" {
		t.Errorf("without an article form the bare name is used: %q", signIn.Subject)
	}

	d.Summary = &closeSummary{InReview: 1, Accepted: 2, AcceptedSilent: 1, Rejected: 0, RejectedTold: 2, Withdrawn: 1, Told: 3}
	summary, err := r.render(CloseSummary, d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1 personne prévenue que", "2 messages envoyés (1 personne retenue sans nouveau message)",
		"0 personne informée, et 2 déjà prévenues auparavant"} {
		if !strings.Contains(summary.Text, want) || !strings.Contains(summary.HTML, want) {
			t.Errorf("close summary lacks %q:\n%s\n%s", want, summary.Text, summary.HTML)
		}
	}
	if !strings.HasSuffix(summary.Subject, "— 3 personnes prévenues") {
		t.Errorf("close summary subject: %q", summary.Subject)
	}

	d.Application.Phone, d.Application.DaysPerWeek = "+33612345678", 1
	note, err := r.render(ContactNotification, d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Téléphone : 06 12 34 56 78", "1 jour par semaine"} {
		if !strings.Contains(note.Text, want) {
			t.Errorf("contact notification lacks %q:\n%s", want, note.Text)
		}
	}
	if !strings.Contains(note.HTML, "<td>06 12 34 56 78</td>") || !strings.Contains(note.HTML, "1 jour par semaine") {
		t.Errorf("contact notification's HTML:\n%s", note.HTML)
	}
	for _, e := range []Rendered{signIn, summary, note} {
		if strings.Contains(e.Subject+e.Text+e.HTML, "(s)") {
			t.Errorf("an email still writes (s):\n%s", e.Text)
		}
	}
}

// A reviewer's own message is written by a person: its footer does not
// say it was sent automatically, as every automatic email's does.
func TestOnlyAutomaticEmailsSayTheyAreAutomatic(t *testing.T) {
	r, err := newRenderer()
	if err != nil {
		t.Fatal(err)
	}
	for kind := range kinds {
		got, err := r.render(kind, sample())
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		automatic := strings.Contains(got.HTML, "envoyé automatiquement") || strings.Contains(got.Text, "envoyé automatiquement")
		switch {
		case kind == Message && automatic:
			t.Errorf("a reviewer's message says it was sent automatically:\n%s", got.HTML)
		case kind == Message && !strings.Contains(got.HTML, "Message écrit par l'équipe de recrutement, à qui vous pouvez répondre directement."):
			t.Errorf("a reviewer's message does not say who wrote it:\n%s", got.HTML)
		case kind != Message && !automatic:
			t.Errorf("%s does not say it was sent automatically", kind)
		}
	}
}
