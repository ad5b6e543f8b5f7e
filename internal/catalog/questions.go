package catalog

import "slices"

// QuestionKind is the type of a posting's own question, which says how
// the form asks it and how its answer is checked and stored.
type QuestionKind string

// Question kinds, in the order the editor offers them.
const (
	QuestionShortText QuestionKind = "short_text"
	QuestionLongText  QuestionKind = "long_text"
	QuestionOneChoice QuestionKind = "one_choice"
	QuestionChoices   QuestionKind = "several_choices"
	QuestionYesNo     QuestionKind = "yes_no"
	QuestionNumber    QuestionKind = "number"
	QuestionDate      QuestionKind = "date"
	QuestionLink      QuestionKind = "link"
	QuestionFile      QuestionKind = "file"
)

var questionKindLabels = map[QuestionKind]string{
	QuestionShortText: "Texte court",
	QuestionLongText:  "Texte long",
	QuestionOneChoice: "Choix unique",
	QuestionChoices:   "Choix multiples",
	QuestionYesNo:     "Oui ou non",
	QuestionNumber:    "Nombre",
	QuestionDate:      "Date",
	QuestionLink:      "Lien",
	QuestionFile:      "Fichier",
}

// QuestionKinds lists every kind, in the editor's order.
func QuestionKinds() []QuestionKind {
	return []QuestionKind{QuestionShortText, QuestionLongText, QuestionOneChoice, QuestionChoices,
		QuestionYesNo, QuestionNumber, QuestionDate, QuestionLink, QuestionFile}
}

// Label is the kind's French name ("Choix unique").
func (k QuestionKind) Label() string {
	if l, ok := questionKindLabels[k]; ok {
		return l
	}
	return string(k)
}

// Valid reports whether k is one of the kinds.
func (k QuestionKind) Valid() bool { return slices.Contains(QuestionKinds(), k) }

// HasChoices reports whether the question offers a list of choices.
func (k QuestionKind) HasChoices() bool { return k == QuestionOneChoice || k == QuestionChoices }

// Columnable reports whether the answers can be a column of the list,
// filtered and sorted: one value, short and comparable.
func (k QuestionKind) Columnable() bool {
	return k == QuestionOneChoice || k == QuestionYesNo || k == QuestionNumber
}
