package posting

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"vivier/internal/applyform"
	"vivier/internal/catalog"
)

// QuestionsKey is the front matter's key of a posting's own questions:
// ours, which the beta.gouv.fr and incubateur.anct.gouv.fr sites ignore.
//
//	vivier_questions:
//	  - type: nombre          # texte_court, texte_long, choix_unique,
//	                          # choix_multiples, oui_non, nombre, date, lien, fichier
//	    libelle: "Années d'expérience"
//	    aide: "En coaching d'équipes"   # facultatif
//	    obligatoire: true               # false par défaut
//	    min: 0                          # nombre seulement, facultatif
//	    max: 40
//	    colonne: true                   # colonne de la liste (choix unique, oui_non, nombre)
//	  - type: choix_unique
//	    libelle: "Votre méthode"
//	    choix: ["Scrum", "Kanban"]
const QuestionsKey = "vivier_questions"

// questionTypes are the kinds as the file writes them, in French.
var questionTypes = map[string]catalog.QuestionKind{
	"texte_court": catalog.QuestionShortText, "texte_long": catalog.QuestionLongText,
	"choix_unique": catalog.QuestionOneChoice, "choix_multiples": catalog.QuestionChoices,
	"oui_non": catalog.QuestionYesNo, "nombre": catalog.QuestionNumber, "date": catalog.QuestionDate,
	"lien": catalog.QuestionLink, "fichier": catalog.QuestionFile,
}

func typeName(k catalog.QuestionKind) string {
	for name, kind := range questionTypes {
		if kind == k {
			return name
		}
	}
	return string(k)
}

// questions reads the posting's questions, if the front matter has the
// key (has is false otherwise). Each is checked as the editor checks it;
// the first at fault is the error, at its line.
func (m meta) questions(fenceLine int) (qs []applyform.Question, has bool, perr *ParseError) {
	n := resolve(m[QuestionsKey])
	if n == nil {
		return nil, false, nil
	}
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!null" || n.Value == "") {
		return nil, true, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, true, &ParseError{Line: fenceLine + n.Line, Msg: QuestionsKey + " : une liste de questions est attendue (chaque question commence par « - »)"}
	}
	if len(n.Content) > applyform.MaxQuestions {
		return nil, true, &ParseError{Line: fenceLine + n.Line, Msg: fmt.Sprintf("%s : %d questions au plus (le fichier en compte %d)", QuestionsKey, applyform.MaxQuestions, len(n.Content))}
	}
	for i, item := range n.Content {
		item = resolve(item)
		where := fenceLine + n.Line
		if item != nil {
			where = fenceLine + item.Line
		}
		if item == nil || item.Kind != yaml.MappingNode {
			return nil, true, &ParseError{Line: where, Msg: fmt.Sprintf("%s, question %d : « type: » et « libelle: » attendus", QuestionsKey, i+1)}
		}
		qm := newMeta(item)
		kind, known := questionTypes[strings.ToLower(strings.TrimSpace(scalar(qm["type"])))]
		d := applyform.QuestionDraft{Kind: string(kind), Label: scalar(qm["libelle"]), Help: scalar(qm["aide"]),
			Choices: strings.Join(items(qm["choix"]), "\n"), Min: scalar(qm["min"]), Max: scalar(qm["max"])}
		if !known {
			d.Kind = "inconnu"
		}
		d.Required, _ = qm.boolean("obligatoire")
		d.InList, _ = qm.boolean("colonne")
		q, errs := applyform.CheckQuestion(d)
		for _, f := range applyform.QuestionFields() {
			if msg, ok := errs[f]; ok {
				return nil, true, &ParseError{Line: where, Msg: fmt.Sprintf("%s, question %d (%s) : %s", QuestionsKey, i+1, applyform.QuestionFieldLabel(f), msg)}
			}
		}
		qs = append(qs, q)
	}
	return qs, true, nil
}

// writeQuestions writes the posting's questions under QuestionsKey.
func writeQuestions(b *bytes.Buffer, qs []applyform.Question) {
	fmt.Fprintf(b, "%s:\n", QuestionsKey)
	for _, q := range qs {
		fmt.Fprintf(b, "  - type: %s\n", typeName(q.Kind))
		fmt.Fprintf(b, "    libelle: %s\n", quoteYAML(q.Label))
		if q.Help != "" {
			fmt.Fprintf(b, "    aide: %s\n", quoteYAML(q.Help))
		}
		if q.Required {
			b.WriteString("    obligatoire: true\n")
		}
		if len(q.Choices) > 0 {
			b.WriteString("    choix:\n")
			for _, c := range q.Choices {
				fmt.Fprintf(b, "      - %s\n", quoteYAML(c))
			}
		}
		if q.Min != nil {
			fmt.Fprintf(b, "    min: %s\n", strconv.FormatFloat(*q.Min, 'f', -1, 64))
		}
		if q.Max != nil {
			fmt.Fprintf(b, "    max: %s\n", strconv.FormatFloat(*q.Max, 'f', -1, 64))
		}
		if q.InList {
			b.WriteString("    colonne: true\n")
		}
	}
}
