package compose

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"vivier/internal/applyform"
	"vivier/internal/catalog"
	"vivier/repository"
	"vivier/templates"
)

// A posting may word some emails its own way: the subject and the message
// (the words between the greeting and the signature; the private link,
// the answers and the data notice stay). Wordings, the defaults in
// templates/email/wordings included, are written in the language of
// wording.go, over the variables below; so are the words a reviewer edits
// when changing a status or closing a posting.

// Bounds of a subject and of a message, written and rendered.
const (
	MaxSubjectLen = 200   // one line; a longer rendered subject is cut
	MaxMessageLen = 10000 // the source, and the rendered text counting names at their longest
)

// Words are a subject and a message in the wordings' language, as a
// person writes them: a posting's own wording of an email, or what a
// reviewer sends with a status change or a close.
type Words struct {
	Subject, Message string
}

// Editable is an email a posting may reword.
type Editable struct {
	Key    string // acknowledgement, status_rejected, close_in_review...: the key of its saved wording
	Label  string
	Kind   Kind
	Status catalog.Status     // the status a status update announces
	Group  catalog.CloseGroup // the close group a close update goes to
}

// Editables lists the emails a posting may reword, in the order the
// editor shows them. The sign-in link is not a posting's: it stays common.
func Editables() []Editable {
	out := []Editable{
		{Key: string(Acknowledgement), Label: "Accusé de réception, à la personne candidate", Kind: Acknowledgement},
		{Key: string(ContactNotification), Label: "Nouvelle candidature, à la personne qui recrute", Kind: ContactNotification},
	}
	for _, s := range catalog.Pipeline()[1:] { // back to "received" is worded as any other status
		out = append(out, Editable{Key: statusKey(s), Label: "Statut « " + s.Label() + " »", Kind: StatusUpdate, Status: s})
	}
	for _, g := range catalog.CloseGroups() {
		out = append(out, Editable{Key: string(g), Label: g.WordingLabel(), Kind: CloseUpdate(g), Group: g})
	}
	return append(out, MessageEditables()...)
}

// MessageEditables are the wordings a reviewer may start a message to an
// applicant from, besides a blank one.
func MessageEditables() []Editable {
	return []Editable{
		{Key: "message_details", Label: "Message : demande de précisions", Kind: Message},
		{Key: "message_interview", Label: "Message : proposition d'entretien", Kind: Message},
		{Key: "message_free", Label: "Message libre", Kind: Message},
	}
}

func statusKey(s catalog.Status) string { return "status_" + string(s) }

// otherStatus words a status update to a status without its own wording
// (back to "received"); it is not offered in the editor.
var otherStatus = Editable{Key: "status_other", Kind: StatusUpdate}

// EditableByKey finds an editable email.
func EditableByKey(key string) (Editable, bool) {
	for _, e := range Editables() {
		if e.Key == key {
			return e, true
		}
	}
	return Editable{}, false
}

// StatusEditable is the wording of the update announcing status.
func StatusEditable(status catalog.Status) Editable {
	if e, ok := EditableByKey(statusKey(status)); ok {
		return e
	}
	e := otherStatus
	e.Status = status
	return e
}

// closeEditable is the wording of the update a close writes to group g.
func closeEditable(g catalog.CloseGroup) Editable {
	e, _ := EditableByKey(string(g))
	return e
}

// editableFor finds the wording of a kind (of a status update, for the
// status it announces).
func editableFor(kind Kind, status catalog.Status) (Editable, bool) {
	if kind == StatusUpdate {
		return StatusEditable(status), true
	}
	for _, e := range Editables() {
		if e.Kind == kind {
			return e, true
		}
	}
	return Editable{}, false
}

// Variable is a name a wording may use, as {{.Name}}.
type Variable struct{ Name, Meaning string }

// Variables are listed next to the editor.
func Variables() []Variable {
	return []Variable{
		{"Prenom", "le prénom de la personne candidate"},
		{"Nom", "son nom"},
		{"Offre", "le titre de l'offre"},
		{"Organisation", "l'organisation qui recrute"},
		{"Contact", "l'adresse de la personne qui recrute"},
		{"Operateur", "le nom du service (" + "par défaut « Incubateur des Territoires »)"},
	}
}

func variables(d *emailData) map[string]string {
	v := map[string]string{"Operateur": d.Operator, "Prenom": "", "Nom": "", "Offre": "", "Organisation": "", "Contact": ""}
	if d.Application != nil {
		v["Prenom"], v["Nom"] = d.Application.FirstName, d.Application.LastName
	}
	if d.Posting != nil {
		v["Offre"], v["Organisation"], v["Contact"] = d.Posting.Title, d.Posting.Organisation, d.Posting.ContactEmail
	}
	return v
}

// words is a wording, parsed, with its source for people to edit.
type words struct {
	subject, message string
	s, m             *Wording
}

// loadDefaults reads templates/email/wordings/KEY.txt: the subject on
// the first line, a blank line, the message.
func loadDefaults() (map[string]words, error) {
	out := map[string]words{}
	for _, e := range append(Editables(), otherStatus) {
		name := "email/wordings/" + e.Key + ".txt"
		b, err := templates.FS.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("default wording %s: %w", name, err)
		}
		subject, message, _ := strings.Cut(string(b), "\n")
		w, err := parseWords(strings.TrimSpace(subject), strings.TrimSpace(message))
		if err != nil {
			return nil, fmt.Errorf("default wording %s: %w", name, err)
		}
		out[e.Key] = w
	}
	return out, nil
}

func parseWords(subject, message string) (words, error) {
	s, err := ParseWording("Objet", subject)
	if err != nil {
		return words{}, err
	}
	m, err := ParseWording("Message", message)
	if err != nil {
		return words{}, err
	}
	return words{subject: subject, message: message, s: s, m: m}, nil
}

// refusal is a subject or message refused, with the reason in French
// for the person who wrote it.
type refusal struct{ field, reason string }

func (r *refusal) Error() string { return r.field + " : " + r.reason }

func refuse(field, reason string) error { return &refusal{field, reason} }

// check refuses, with the reason in French naming the field, a subject
// and message that are empty, too long, hold control characters, are not
// written in the wordings' language, or whose message would pass
// MaxMessageLen once its variables are replaced by d's values. Without an
// application in d, names count at their longest.
func check(subject, message string, d *emailData) error {
	switch n := utf8.RuneCountInString(message); {
	case strings.TrimSpace(subject) == "":
		return refuse("Objet", "indiquez l'objet de l'email.")
	case strings.ContainsAny(subject, "\r\n") || utf8.RuneCountInString(subject) > MaxSubjectLen:
		return refuse("Objet", "il tient sur une ligne de 200 caractères au plus.")
	case !printable(subject):
		return refuse("Objet", "il contient des caractères invisibles ou illisibles ; retapez-le.")
	case strings.TrimSpace(message) == "":
		return refuse("Message", "écrivez le message.")
	case n > MaxMessageLen:
		return refuse("Message", fmt.Sprintf("il ne doit pas dépasser 10 000 caractères (il en compte %s).", thousands(n)))
	case !printable(message):
		return refuse("Message", "il contient des caractères invisibles ou illisibles ; retapez-le.")
	}
	w, err := parseWords(subject, message)
	if err != nil {
		return err
	}
	vars := variables(d)
	if d.Application == nil {
		vars["Prenom"] = strings.Repeat("x", applyform.MaxNameLen)
		vars["Nom"] = vars["Prenom"]
	}
	if n := w.m.Len(vars); n > MaxMessageLen {
		longest := ""
		if d.Application == nil {
			longest = ", un prénom et un nom comptant jusqu'à " + strconv.Itoa(applyform.MaxNameLen) + " caractères chacun"
		}
		return refuse("Message", fmt.Sprintf("une fois les variables remplacées%s, il peut atteindre %s caractères, au-delà des 10 000 permis ; raccourcissez-le.", longest, thousands(n)))
	}
	return nil
}

// printable is false for invalid UTF-8 and control characters other than
// line breaks and tabs.
func printable(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || (unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t') {
			return false
		}
	}
	return true
}

// thousands writes n the French way: 10 000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "\u202f" + s[i:]
	}
	return s
}

// subjectTooLong says whether subject, rendered for d, passes
// MaxSubjectLen and will be cut.
func subjectTooLong(subject string, d *emailData) bool {
	w, err := ParseWording("Objet", subject)
	return err == nil && w.Len(variables(d)) > MaxSubjectLen
}

// Valid checks a wording saved earlier: one the language refuses (saved
// before it was what it is) gives way to the default until it is
// corrected.
func Valid(t repository.PostingTemplate) error {
	_, err := parseWords(t.Subject, t.Body)
	return err
}

// saved is a posting's own wording of e, if it has one.
func saved(e Editable, own map[string]repository.PostingTemplate) *Words {
	t, ok := own[e.Key]
	if !ok {
		return nil
	}
	return &Words{Subject: t.Subject, Message: t.Body}
}

// source is what a person edits for e: the posting's own wording o when
// it is valid, the default otherwise.
func (r *renderer) source(e Editable, o *Words) Words {
	if o != nil {
		if _, err := parseWords(o.Subject, o.Message); err == nil {
			return *o
		}
	}
	w := r.defaultOf(e)
	return Words{Subject: w.subject, Message: w.message}
}

func (r *renderer) defaultOf(e Editable) words {
	if w, ok := r.defaults[e.Key]; ok {
		return w
	}
	return r.defaults[otherStatus.Key]
}

// words renders the subject and message of an editable email for d: the
// posting's own wording o when it is valid, the default otherwise.
func (r *renderer) words(e Editable, d *emailData, o *Words) (subject, message string) {
	w := r.defaultOf(e)
	if o != nil {
		if own, err := parseWords(o.Subject, o.Message); err == nil {
			w = own
		}
	}
	return renderWords(w, d)
}

// ownWords renders a person's own words (a status change, a close) for
// d; an error says in French what is wrong with them.
func ownWords(w Words, d *emailData) (subject, message string, err error) {
	parsed, err := parseWords(w.Subject, w.Message)
	if err != nil {
		return "", "", err
	}
	subject, message = renderWords(parsed, d)
	return subject, message, nil
}

// renderWords writes words within their bounds: the subject on one line
// of MaxSubjectLen characters at most, the message trimmed and cut at
// MaxMessageLen.
func renderWords(w words, d *emailData) (subject, message string) {
	vars := variables(d)
	// Line breaks in values are folded before the bound is applied.
	s, _ := w.s.Render(vars, 4*MaxSubjectLen)
	subject = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(subject) > MaxSubjectLen {
		subject = ellipsis(string([]rune(subject)[:MaxSubjectLen]))
	}
	message, _ = w.m.Render(vars, MaxMessageLen)
	return subject, strings.TrimSpace(message)
}
