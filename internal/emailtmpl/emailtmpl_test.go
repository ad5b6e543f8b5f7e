package emailtmpl

import (
	"strings"
	"testing"
	"time"

	"vivier/repository"
)

func sample() *Data {
	return &Data{
		Operator: "Incubateur des Territoires",
		Posting:  &repository.Posting{ID: 1, Title: "Coach pour le Programme national d'investigation", Organisation: "ANCT", ContactEmail: "contact@anct.gouv.fr"},
		Application: &repository.Application{ID: 7, FirstName: "Camille", LastName: "Durand <b>", Email: "camille@example.org",
			Location: "Lyon", DailyRate: 650, DaysPerWeek: 2.5, AvailableFrom: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
			Motivation: "Je suis <script>motivée</script>.", CreatedAt: time.Now()},
		Contact: "contact@anct.gouv.fr", Link: "https://vivier.example/candidature/abc", RetentionMonths: 24,
		DataContact: "contact@anct.gouv.fr", CVName: "cv.pdf", Status: "close_in_review",
		Summary: &CloseSummaryData{Actor: "contact@anct.gouv.fr", InReview: 3, Rejected: 2, Told: 5},
	}
}

func TestEveryKindRendersInFrench(t *testing.T) {
	r, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range kinds {
		got, err := r.Render(kind, sample())
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
	ack, _ := r.Render(Acknowledgement, sample())
	if !strings.Contains(ack.Text, "https://vivier.example/candidature/abc") || !strings.Contains(ack.Text, "24 mois") {
		t.Errorf("acknowledgement lacks the private link or the retention period:\n%s", ack.Text)
	}
	note, _ := r.Render(ContactNotification, sample())
	if !strings.Contains(note.Text, "2,5 jour(s) par semaine, à partir du 1er décembre 2026") {
		t.Errorf("contact notification availability:\n%s", note.Text)
	}
}

func TestSubjectStaysOnOneLine(t *testing.T) {
	r, _ := New()
	d := sample()
	d.Application.FirstName = "Camille\r\nBcc: victim@example.org"
	got, err := r.Render(ContactNotification, d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(got.Subject, "\r\n") {
		t.Fatalf("subject holds a line break: %q", got.Subject)
	}
}
