package applyform

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"vivier/internal/catalog"
)

// Bounds of a posting's own questions and of their answers.
const (
	MaxQuestions      = 30
	MaxQuestionLabel  = 200
	MaxQuestionHelp   = 500
	MaxChoices        = 30
	MaxChoiceLen      = 200
	MaxShortAnswerLen = 300
	MaxLongAnswerLen  = 5000
	// MaxNumber bounds numbers, asked and answered: beyond it a number is
	// a typing error, and it keeps within a float64's exact integers.
	MaxNumber = 1e12
)

// Question is one of a posting's own questions, as the form asks it.
type Question struct {
	ID       int64
	Kind     catalog.QuestionKind
	Label    string
	Help     string
	Required bool
	Choices  []string
	Min, Max *float64
	// InList: its answers are a column of the inbox's list.
	InList bool
}

// QuestionField is the name of question id's field on the form.
func QuestionField(id int64) string { return "question_" + strconv.FormatInt(id, 10) }

// Fields of the question editor, as posted.
const (
	QFLabel    = "libelle"
	QFKind     = "type"
	QFHelp     = "aide"
	QFChoices  = "choix"
	QFMin      = "min"
	QFMax      = "max"
	QFRequired = "obligatoire"
	QFInList   = "colonne"
)

// QuestionFields lists the editor's fields in page order.
func QuestionFields() []string {
	return []string{QFLabel, QFKind, QFHelp, QFChoices, QFMin, QFMax, QFRequired, QFInList}
}

var questionFieldLabels = map[string]string{
	QFLabel: "Intitulé", QFKind: "Type de réponse", QFHelp: "Aide", QFChoices: "Choix proposés",
	QFMin: "Minimum", QFMax: "Maximum", QFRequired: "Réponse obligatoire", QFInList: "Colonne de la liste",
}

// QuestionFieldLabel is an editor field's name as the page shows it.
func QuestionFieldLabel(field string) string { return questionFieldLabels[field] }

// QuestionDraft is a question as typed in the editor or read from a
// posting's file: choices one a line, bounds as text.
type QuestionDraft struct {
	Kind, Label, Help, Choices, Min, Max string
	Required, InList                     bool
}

// DraftOf gives back the draft a question was read from.
func DraftOf(q Question) QuestionDraft {
	d := QuestionDraft{Kind: string(q.Kind), Label: q.Label, Help: q.Help, Choices: strings.Join(q.Choices, "\n"),
		Required: q.Required, InList: q.InList}
	if q.Min != nil {
		d.Min = FormatNumber(*q.Min)
	}
	if q.Max != nil {
		d.Max = FormatNumber(*q.Max)
	}
	return d
}

// CheckQuestion reads a question's definition. The errors name the
// editor's fields (QF*), in French.
func CheckQuestion(d QuestionDraft) (Question, Errors) {
	errs := Errors{}
	q := Question{Kind: catalog.QuestionKind(strings.TrimSpace(d.Kind)), Required: d.Required, InList: d.InList}
	q.Label = clean(stripFormat(strings.ToValidUTF8(d.Label, "")))
	switch {
	case q.Label == "":
		errs[QFLabel] = "Indiquez l'intitulé de la question, tel que les candidat·es le liront."
	case hasControl(q.Label):
		errs[QFLabel] = "L'intitulé doit tenir sur une ligne."
	case utf8.RuneCountInString(q.Label) > MaxQuestionLabel:
		errs[QFLabel] = fmt.Sprintf("L'intitulé ne doit pas dépasser %d caractères (il en compte %d).", MaxQuestionLabel, utf8.RuneCountInString(q.Label))
	}
	q.Help = strings.ReplaceAll(clean(stripFormat(strings.ToValidUTF8(d.Help, ""))), "\r\n", "\n")
	switch {
	case strings.IndexFunc(q.Help, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) >= 0:
		errs[QFHelp] = "L'aide contient des caractères invisibles non autorisés."
	case utf8.RuneCountInString(q.Help) > MaxQuestionHelp:
		errs[QFHelp] = fmt.Sprintf("L'aide ne doit pas dépasser %d caractères (elle en compte %d).", MaxQuestionHelp, utf8.RuneCountInString(q.Help))
	}
	if !q.Kind.Valid() {
		errs[QFKind] = "Choisissez un type de réponse parmi ceux proposés (texte court, texte long, choix unique, choix multiples, oui ou non, nombre, date, lien, fichier)."
		return q, errs
	}
	if q.Kind.HasChoices() {
		q.Choices = questionChoices(q.Kind, d.Choices, errs)
	}
	if q.Kind == catalog.QuestionNumber {
		q.Min = bound(d.Min, QFMin, errs)
		q.Max = bound(d.Max, QFMax, errs)
		if q.Min != nil && q.Max != nil && *q.Min > *q.Max && errs[QFMax] == "" {
			errs[QFMax] = "Le maximum doit être supérieur ou égal au minimum."
		}
	}
	if q.InList && !q.Kind.Columnable() {
		errs[QFInList] = "Seules les questions à choix unique, oui ou non et nombre peuvent être une colonne de la liste."
	}
	return q, errs
}

func questionChoices(kind catalog.QuestionKind, raw string, errs Errors) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(strings.ToValidUTF8(raw, ""), "\r", "\n"), "\n") {
		l = clean(stripFormat(l))
		if l == "" {
			continue
		}
		if hasControl(l) {
			errs[QFChoices] = "Un choix contient des caractères invisibles non autorisés."
			return out
		}
		if utf8.RuneCountInString(l) > MaxChoiceLen {
			errs[QFChoices] = fmt.Sprintf("Chaque choix tient en %d caractères au plus : « %s » est trop long.", MaxChoiceLen, truncate(l, 40))
			return out
		}
		if slices.Contains(out, l) {
			errs[QFChoices] = fmt.Sprintf("Le choix « %s » est écrit deux fois.", truncate(l, 60))
			return out
		}
		out = append(out, l)
	}
	least := 2
	if kind == catalog.QuestionChoices {
		least = 1
	}
	switch {
	case len(out) == 0:
		errs[QFChoices] = "Indiquez les choix proposés, un par ligne."
	case len(out) < least:
		errs[QFChoices] = "Une question à choix unique propose au moins deux choix, un par ligne."
	case len(out) > MaxChoices:
		errs[QFChoices] = fmt.Sprintf("Proposez au plus %d choix (vous en avez écrit %d).", MaxChoices, len(out))
	}
	return out
}

func bound(raw, field string, errs Errors) *float64 {
	s := clean(raw)
	if s == "" {
		return nil
	}
	n, ok := ParseNumber(s)
	if !ok {
		errs[field] = fmt.Sprintf("Le %s doit être un nombre, par exemple 0 ou 12,5.", strings.ToLower(questionFieldLabels[field]))
		return nil
	}
	return &n
}

// ParseNumber reads a number as people type it in French: 12, 12,5,
// 1 000 or 12.5, within ±MaxNumber.
func ParseNumber(s string) (float64, bool) {
	s = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "").Replace(clean(s))
	s = strings.Replace(s, ",", ".", 1)
	if s == "" || strings.ContainsAny(s, "eExXpP_") {
		return 0, false
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) || math.Abs(n) > MaxNumber {
		return 0, false
	}
	return n, true
}

// FormatNumber writes a number as French does: 12,5.
func FormatNumber(n float64) string {
	return strings.Replace(strconv.FormatFloat(n, 'f', -1, 64), ".", ",", 1)
}

// Answer is a checked answer, typed by its question's kind; an optional
// question left empty has no answer.
type Answer struct {
	Question Question
	Text     string    // short and long text, link
	Choice   string    // one choice
	Choices  []string  // several choices
	Bool     bool      // yes/no
	Number   float64   // number
	Date     time.Time // date
	File     *File     // file
}

// Upload is a file sent for a question.
type Upload struct {
	Name     string
	Data     []byte
	TooLarge bool
}

// File is a checked file: its cleaned name and its real type.
type File struct {
	Name, ContentType string
	Data              []byte
}

// Yes/no answers, as posted.
const (
	Yes = "oui"
	No  = "non"
)

// CheckAnswers checks the answers to a posting's questions: values by
// QuestionField, files likewise (those not sent are missing). today is
// the applicant's day (Paris). The errors name each question's field.
func CheckAnswers(qs []Question, v url.Values, files map[string]*Upload, maxBytes int64, today time.Time) ([]Answer, Errors) {
	errs := Errors{}
	var out []Answer
	for _, q := range qs {
		field := QuestionField(q.ID)
		a := Answer{Question: q}
		answered, msg := checkAnswer(&a, v[field], files[field], maxBytes, today)
		switch {
		case msg != "":
			errs[field] = msg
		case !answered && q.Required:
			errs[field] = requiredMessage(q.Kind)
		case answered:
			out = append(out, a)
		}
	}
	return out, errs
}

func requiredMessage(k catalog.QuestionKind) string {
	switch k {
	case catalog.QuestionOneChoice, catalog.QuestionYesNo:
		return "Cette question est obligatoire : choisissez une réponse."
	case catalog.QuestionChoices:
		return "Cette question est obligatoire : cochez au moins une réponse."
	case catalog.QuestionFile:
		return "Cette question est obligatoire : choisissez un fichier (PDF, DOC, DOCX ou ODT)."
	}
	return "Cette question est obligatoire : répondez-y."
}

// checkAnswer reads one answer into a; answered is false when it was
// left empty; msg is the French message of an answer refused.
func checkAnswer(a *Answer, values []string, up *Upload, maxBytes int64, today time.Time) (answered bool, msg string) {
	q := a.Question
	first := ""
	if len(values) > 0 {
		first = strings.ToValidUTF8(values[0], "")
	}
	switch q.Kind {
	case catalog.QuestionShortText:
		s := clean(stripFormat(first))
		switch {
		case s == "":
			return false, ""
		case hasControl(s):
			return false, "Votre réponse doit tenir sur une ligne."
		case utf8.RuneCountInString(s) > MaxShortAnswerLen:
			return false, fmt.Sprintf("Votre réponse ne doit pas dépasser %d caractères (vous en avez écrit %d).", MaxShortAnswerLen, utf8.RuneCountInString(s))
		}
		a.Text = s
	case catalog.QuestionLongText:
		s := strings.ReplaceAll(clean(first), "\r\n", "\n")
		n := utf8.RuneCountInString(s)
		switch {
		case s == "":
			return false, ""
		case strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) >= 0:
			return false, "Votre réponse contient des caractères invisibles non autorisés : retapez-la ou collez-la sans mise en forme."
		case n > MaxLongAnswerLen:
			return false, fmt.Sprintf("Votre réponse ne doit pas dépasser %d caractères (vous en avez écrit %d).", MaxLongAnswerLen, n)
		}
		a.Text = s
	case catalog.QuestionOneChoice:
		s := clean(first)
		if s == "" {
			return false, ""
		}
		if !slices.Contains(q.Choices, s) {
			return false, "Choisissez l'une des réponses proposées."
		}
		a.Choice = s
	case catalog.QuestionChoices:
		for _, raw := range values {
			s := clean(strings.ToValidUTF8(raw, ""))
			if s == "" || slices.Contains(a.Choices, s) {
				continue
			}
			if !slices.Contains(q.Choices, s) {
				return false, "Cochez seulement des réponses proposées."
			}
			a.Choices = append(a.Choices, s)
		}
		if len(a.Choices) == 0 {
			return false, ""
		}
		// In the order offered, whatever the order sent.
		slices.SortFunc(a.Choices, func(x, y string) int { return slices.Index(q.Choices, x) - slices.Index(q.Choices, y) })
	case catalog.QuestionYesNo:
		switch clean(first) {
		case "":
			return false, ""
		case Yes:
			a.Bool = true
		case No:
			a.Bool = false
		default:
			return false, "Répondez par oui ou par non."
		}
	case catalog.QuestionNumber:
		s := clean(first)
		if s == "" {
			return false, ""
		}
		n, ok := ParseNumber(s)
		if !ok {
			return false, "Saisissez un nombre, par exemple 12 ou 12,5." + boundsHint(q)
		}
		if (q.Min != nil && n < *q.Min) || (q.Max != nil && n > *q.Max) {
			return false, "Ce nombre est hors des limites :" + boundsHint(q)
		}
		a.Number = n
	case catalog.QuestionDate:
		s := clean(first)
		if s == "" {
			return false, ""
		}
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			if d, err = time.Parse("02/01/2006", s); err != nil {
				return false, "Saisissez une date valide, au format jj/mm/aaaa."
			}
		}
		if d.Year() < 1900 || d.Year() > today.Year()+50 {
			return false, "Cette date semble erronée : vérifiez l'année."
		}
		a.Date = d
	case catalog.QuestionLink:
		s := clean(first)
		if s == "" {
			return false, ""
		}
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(s) > MaxLinkLen || hasControl(s) || hasFormat(s) {
			return false, "Saisissez un lien valide, commençant par https:// ou http://."
		}
		a.Text = u.String()
	case catalog.QuestionFile:
		if up == nil || (len(up.Data) == 0 && !up.TooLarge && up.Name == "") {
			return false, ""
		}
		if up.TooLarge {
			return false, fmt.Sprintf("Ce fichier dépasse la taille maximale de %s : allégez-le (par exemple en l'exportant en PDF) puis choisissez-le à nouveau.", HumanSize(maxBytes))
		}
		f, msg := CheckFile(up.Name, up.Data, maxBytes)
		if msg != "" {
			return false, msg
		}
		a.File = &f
	default:
		return false, "Cette question n'est plus posée : rechargez la page."
	}
	return true, ""
}

// boundsHint says what the number question accepts (" entre 0 et 20.").
func boundsHint(q Question) string {
	switch {
	case q.Min != nil && q.Max != nil:
		return fmt.Sprintf(" indiquez un nombre entre %s et %s.", FormatNumber(*q.Min), FormatNumber(*q.Max))
	case q.Min != nil:
		return fmt.Sprintf(" indiquez un nombre supérieur ou égal à %s.", FormatNumber(*q.Min))
	case q.Max != nil:
		return fmt.Sprintf(" indiquez un nombre inférieur ou égal à %s.", FormatNumber(*q.Max))
	}
	return ""
}

// CheckFile checks a file sent for a question as the CV is checked: by
// its content (PDF, DOC, DOCX or ODT), its size, and its cleaned name.
func CheckFile(name string, data []byte, maxBytes int64) (File, string) {
	if len(data) == 0 {
		return File{}, "Le fichier envoyé est vide : choisissez-en un autre."
	}
	if int64(len(data)) > maxBytes {
		return File{}, fmt.Sprintf("Ce fichier dépasse la taille maximale de %s : allégez-le (par exemple en l'exportant en PDF) puis choisissez-le à nouveau.", HumanSize(maxBytes))
	}
	contentType, ext := documentType(data)
	if contentType == "" {
		return File{}, "Ce fichier n'est pas au format PDF, DOC, DOCX ou ODT (son contenu ne correspond pas à l'un de ces formats)."
	}
	return File{Name: cleanFileName(name, ext), ContentType: contentType, Data: data}, ""
}

// OrderedWith returns the errors in page order, the questions' among
// the built-in fields': those answered in the page's body after the
// motivation, files after the CV.
func (e Errors) OrderedWith(qs []Question) []FieldError {
	var out []FieldError
	add := func(field, label string) {
		if msg, ok := e[field]; ok {
			out = append(out, FieldError{Field: field, Label: label, Message: msg})
		}
	}
	questions := func(files bool) {
		for _, q := range qs {
			if (q.Kind == catalog.QuestionFile) == files {
				add(QuestionField(q.ID), q.Label)
			}
		}
	}
	for _, f := range Fields() {
		if f == FieldConsent {
			questions(false)
		}
		add(f, labels[f])
	}
	questions(true)
	return out
}
