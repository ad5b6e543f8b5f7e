package compose

import (
	"strings"
	"testing"

	"vivier/internal/catalog"
	"vivier/repository"
)

// Every email to reviewers about an application they see as a number
// (a blind first pass) names it « Candidature n° N », never the person:
// the new application's notification, a withdrawal, a mention in a note,
// a reply; a reply's files are counted, not named (they may name the
// person, as a CV does).
func TestEmailsToReviewersOfABlindApplicationNameNoOne(t *testing.T) {
	c := newComposer(t, nil)
	p, a := posting(), applicant()
	p.BlindUntil = catalog.StatusShortlisted
	var emails []*repository.Email
	add := func(es []*repository.Email, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		emails = append(emails, es...)
	}
	written, err := c.Application(p, a, "jeton-de-test", "cv.pdf", nil, []string{"relecteur@anct.gouv.fr"})
	add(written[1:], err) // the first is the acknowledgement, to the applicant
	add(c.Withdrawn(p, a))
	add(c.WithdrawalUndone(p, a, catalog.StatusInReview))
	mention, err := c.Mention(p, a, "marie@anct.gouv.fr", 5, "Qu'en penses-tu ?", "paul@anct.gouv.fr")
	add([]*repository.Email{mention}, err)
	add(c.ReplyNotification(p, a, Reply{Subject: "Re: votre candidature", Text: "Voici mes précisions.",
		Files: []string{"Références Camille Durand.pdf"}}, []string{"relecteur@anct.gouv.fr"}))
	for _, e := range emails {
		all := e.Subject + e.TextBody + e.HTMLBody + e.ReplyTo
		if strings.Contains(all, "Durand") || strings.Contains(all, "camille@example.org") {
			t.Errorf("%s to %s names the person during the blind pass:\n%s\n%s", e.Kind, e.ToAddress, e.Subject, e.TextBody)
		}
		if !strings.Contains(e.Subject+e.TextBody, "Candidature n° 9") {
			t.Errorf("%s to %s does not name the application by its number:\n%s\n%s", e.Kind, e.ToAddress, e.Subject, e.TextBody)
		}
	}
	if reply := emails[len(emails)-1]; !strings.Contains(reply.TextBody, "1 pièce jointe gardée, à voir une fois la candidature dévoilée") {
		t.Errorf("the reply's files during the blind pass:\n%s", reply.TextBody)
	}
}
