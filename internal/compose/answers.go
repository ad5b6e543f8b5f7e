package compose

import (
	"strings"

	"vivier/internal/applyform"
	"vivier/internal/frfmt"
	"vivier/repository"
)

// The answers to a posting's own questions, as reviewers read them in
// pages, the CSV and their emails.

// HiddenFileText stands for a file answered while the application is
// shown as a number (see repository.AnswersForReviewers).
const HiddenFileText = "fichier joint, masqué pendant la relecture à l'aveugle"

// AnswerText writes an answer's value in French: a choice, choices
// separated by " ; ", « Oui » or « Non », a number, a date, a file by its
// name and size (or HiddenFileText during a blind first pass).
func AnswerText(a repository.Answer) string {
	switch {
	case a.FileHidden:
		return HiddenFileText
	case a.Text != nil:
		return *a.Text
	case a.Choice != nil:
		return *a.Choice
	case a.Selected != nil:
		return strings.Join(a.Selected, " ; ")
	case a.Bool != nil:
		if *a.Bool {
			return "Oui"
		}
		return "Non"
	case a.Number != nil:
		return applyform.FormatNumber(*a.Number)
	case a.Date != nil:
		return frfmt.CalendarDate(*a.Date)
	case a.FileName != nil:
		s := *a.FileName
		if a.SizeBytes != nil {
			s += " (" + applyform.HumanSize(*a.SizeBytes) + ")"
		}
		return s
	}
	return ""
}

// answerLine is an answer as an email to reviewers lists it.
type answerLine struct {
	Label, Value string
}

// answerLines lists the answers given (a question left unanswered is
// not stored, so not listed), in the form's order.
func answerLines(answers []repository.Answer) []answerLine {
	out := make([]answerLine, 0, len(answers))
	for _, a := range answers {
		if v := AnswerText(a); v != "" {
			out = append(out, answerLine{Label: a.Label, Value: v})
		}
	}
	return out
}
