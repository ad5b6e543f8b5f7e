package handlers

import (
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/lib/pq"
	"golang.org/x/text/unicode/norm"

	"vivier/internal/frfmt"
	"vivier/internal/posting"
	"vivier/repository"
)

// The posting editor's form: reading, checking and cleaning what an admin
// typed. Values are cleaned the way the Markdown parser cleans front
// matter, so that a posting saved here comes back the same from its
// Markdown file.

// The form's field names.
const (
	pfTitle        = "titre"
	pfOrganisation = "organisation"
	pfContact      = "contact"
	pfFormer       = "ancien_contact" // what becomes of the previous contact: "garder" or "retirer"
	pfContract     = "contrat"
	pfLink         = "lien"
	pfOpens        = "ouverture"
	pfClosesDate   = "cloture_date"
	pfClosesTime   = "cloture_heure"
	pfDomains      = "domaines"
	pfTechnos      = "technos"
	pfJunior       = "junior"
	pfBody         = "texte"
)

// Limits of the form, in characters.
const (
	maxPostingTitle = 200
	maxPostingLine  = 200 // organisation, contract
	maxPostingEmail = 254
	maxPostingLink  = 2000
	maxPostingList  = 1000 // domains, technos: the whole field
	maxPostingItems = 30
	maxPostingBody  = 50000
)

// postingFieldOrder is the form's order, for the error summary.
var postingFieldOrder = []string{pfTitle, pfOrganisation, pfContact, pfFormer, pfContract, pfLink, pfOpens, pfClosesDate,
	pfClosesTime, pfDomains, pfTechnos, pfJunior, pfBody}

var postingFieldLabels = map[string]string{
	pfTitle: "Intitulé du poste", pfOrganisation: "Organisation", pfContact: "Email de contact",
	pfFormer:   "Ancienne personne à contacter",
	pfContract: "Type de contrat", pfLink: "Lien vers l'offre d'origine", pfOpens: "Date de publication",
	pfClosesDate: "Date de clôture", pfClosesTime: "Heure de clôture", pfDomains: "Domaines",
	pfTechnos: "Technologies", pfJunior: "Profils junior", pfBody: "Texte de l'offre",
}

var postingFieldHints = map[string]string{
	pfTitle:        "Sur une ligne, 200 caractères au plus. Par exemple : Coach pour le Programme national d'investigation.",
	pfOrganisation: "Facultatif. L'équipe ou la structure qui recrute.",
	pfContact:      "Facultatif. Cette personne est prévenue de chaque candidature et peut les relire dans Vivier.",
	pfContract:     "Facultatif. Par exemple : indépendant, prestation, CDD.",
	pfLink:         "Facultatif. L'offre publiée ailleurs : une adresse complète commençant par https://.",
	pfOpens:        "Facultatif. Heure de Paris.",
	pfClosesDate:   "Facultatif. Heure de Paris.",
	pfClosesTime:   "Facultatif. Sans heure, l'offre ferme à la fin de la journée (23 h 59).",
	pfDomains:      "Facultatif. Séparés par des virgules, par exemple : Animation, Coaching.",
	pfTechnos:      "Facultatif. Séparées par des virgules, par exemple : Python, Django.",
	pfBody: "En Markdown : « ## » devant un intertitre, « - » devant chaque point d'une liste, [texte](https://…) pour un lien. " +
		"50 000 caractères au plus.",
}

// postingForm is the editor as typed, kept to be shown back.
type postingForm struct {
	Title, Organisation, Contact, Contract, Link, Opens, ClosesDate, ClosesTime, Domains, Technos, Body string
	Junior                                                                                              bool
	// FormerContact is the admin's choice for the previous contact when
	// the contact changes: "garder" (a reviewer still) or "retirer".
	FormerContact string
}

// postingFormOf fills the editor from a stored posting.
func postingFormOf(p *repository.Posting) postingForm {
	f := postingForm{Title: p.Title, Organisation: p.Organisation, Contact: p.ContactEmail, Contract: p.Contract,
		Link: p.ExternalURL, Domains: strings.Join(p.Domains, ", "), Technos: strings.Join(p.Technos, ", "),
		Junior: p.Junior, Body: p.BodyMD}
	if p.OpensAt != nil {
		f.Opens = p.OpensAt.In(frfmt.Paris).Format(time.DateOnly)
	}
	if p.ClosesAt != nil {
		t := p.ClosesAt.In(frfmt.Paris)
		f.ClosesDate, f.ClosesTime = t.Format(time.DateOnly), t.Format("15:04")
	}
	return f
}

func readPostingForm(c *gin.Context) postingForm {
	get := func(name string) string { return strings.ToValidUTF8(c.PostForm(name), "\uFFFD") }
	return postingForm{Title: get(pfTitle), Organisation: get(pfOrganisation), Contact: get(pfContact),
		Contract: get(pfContract), Link: get(pfLink), Opens: get(pfOpens), ClosesDate: get(pfClosesDate),
		ClosesTime: get(pfClosesTime), Domains: get(pfDomains), Technos: get(pfTechnos),
		Junior: c.PostForm(pfJunior) == "oui", Body: get(pfBody), FormerContact: c.PostForm(pfFormer)}
}

// postingErrors are the form's errors by field name.
type postingErrors map[string]string

// summary lists the errors in the form's order.
func (e postingErrors) summary() []postingFieldError {
	var out []postingFieldError
	for _, name := range postingFieldOrder {
		if msg, ok := e[name]; ok {
			out = append(out, postingFieldError{Field: name, Label: postingFieldLabels[name], Message: msg})
		}
	}
	return out
}

// postingFieldError is a line of the error summary.
type postingFieldError struct{ Field, Label, Message string }

// check validates the form and returns the posting's editable fields.
// old is the posting being edited (nil when creating): a date or list
// left as it was shown keeps its stored value exactly, so saving without
// a change changes nothing (stored instants may carry seconds, lists may
// hold commas).
func (f postingForm) check(old *repository.Posting) (*repository.Posting, postingErrors) {
	errs := postingErrors{}
	p := &repository.Posting{Junior: f.Junior}

	switch p.Title = posting.CleanLine(f.Title); {
	case strings.ContainsAny(f.Title, "\r\n"):
		errs[pfTitle] = "L'intitulé doit tenir sur une ligne."
	case p.Title == "":
		errs[pfTitle] = "Indiquez l'intitulé du poste."
	case utf8.RuneCountInString(p.Title) > maxPostingTitle:
		errs[pfTitle] = "L'intitulé ne doit pas dépasser 200 caractères (il en compte " + strconv.Itoa(utf8.RuneCountInString(p.Title)) + ")."
	}
	if p.Organisation = posting.CleanLine(f.Organisation); utf8.RuneCountInString(p.Organisation) > maxPostingLine {
		errs[pfOrganisation] = "Le nom de l'organisation ne doit pas dépasser 200 caractères."
	}
	if p.Contract = posting.CleanLine(f.Contract); utf8.RuneCountInString(p.Contract) > maxPostingLine {
		errs[pfContract] = "Le type de contrat ne doit pas dépasser 200 caractères."
	}
	if p.ContactEmail = strings.ToLower(posting.CleanLine(f.Contact)); p.ContactEmail != "" && !validContact(p.ContactEmail) {
		errs[pfContact] = "Saisissez une adresse email valide, au format nom@domaine.fr, ou laissez le champ vide."
	}
	// A new contact: the admin says whether the previous one keeps access
	// (the form offers keeping it, checked, or removing it).
	if old != nil && f.FormerContact != "" && f.FormerContact != formerKeep && f.FormerContact != formerRemove {
		errs[pfFormer] = "Choisissez si " + strings.ToLower(old.ContactEmail) + " garde l'accès aux candidatures de cette offre ou le perd."
	}
	if p.ExternalURL = posting.CleanLine(f.Link); p.ExternalURL != "" && !validLink(p.ExternalURL) {
		errs[pfLink] = "Saisissez une adresse web complète commençant par https:// (ou http://), ou laissez le champ vide."
	}

	var oldOpens, oldCloses *time.Time
	var oldDomains, oldTechnos []string
	if old != nil {
		oldOpens, oldCloses, oldDomains, oldTechnos = old.OpensAt, old.ClosesAt, old.Domains, old.Technos
	}
	if f.Opens = strings.TrimSpace(f.Opens); f.Opens != "" {
		switch day, ok := parseDay(f.Opens); {
		case !ok:
			errs[pfOpens] = "Saisissez une date valide, au format jj/mm/aaaa."
		case oldOpens != nil && sameDay(*oldOpens, day):
			p.OpensAt = oldOpens
		case day.Year() < 2000 || day.Year() > 2100:
			errs[pfOpens] = "Saisissez une date entre l'an 2000 et l'an 2100."
		default:
			p.OpensAt = &day
		}
	}
	p.ClosesAt = checkClosing(f, oldCloses, errs)
	// Dates kept as imported are not held against an edit of the rest
	// (some files close before they open).
	kept := old != nil && p.OpensAt == oldOpens && p.ClosesAt == oldCloses
	if p.OpensAt != nil && p.ClosesAt != nil && !p.ClosesAt.After(*p.OpensAt) && errs[pfClosesDate] == "" && !kept {
		errs[pfClosesDate] = "La clôture doit venir après la date de publication."
	}

	var msg string
	if p.Domains, msg = checkList(f.Domains, oldDomains, "domaines"); msg != "" {
		errs[pfDomains] = msg
	}
	if p.Technos, msg = checkList(f.Technos, oldTechnos, "technologies"); msg != "" {
		errs[pfTechnos] = msg
	}

	p.BodyMD = cleanBody(f.Body)
	switch n := utf8.RuneCountInString(p.BodyMD); {
	case strings.TrimSpace(p.BodyMD) == "":
		errs[pfBody] = "Écrivez le texte de l'offre."
	case n > maxPostingBody:
		errs[pfBody] = "Le texte ne doit pas dépasser 50 000 caractères (il en compte " + strconv.Itoa(n) + ")."
	case strings.IndexFunc(p.BodyMD, isBodyControl) >= 0:
		errs[pfBody] = "Le texte contient des caractères de contrôle invisibles (souvent venus d'un copier-coller) : retirez-les."
	}
	return p, errs
}

// checkClosing reads the closing date and time. Without a time the
// posting closes at the end of that day, as a date-only closing date in a
// Markdown file does.
func checkClosing(f postingForm, old *time.Time, errs postingErrors) *time.Time {
	date, clock := strings.TrimSpace(f.ClosesDate), strings.TrimSpace(f.ClosesTime)
	if date == "" {
		if clock != "" {
			errs[pfClosesDate] = "Indiquez la date de clôture, ou effacez l'heure."
		}
		return nil
	}
	day, ok := parseDay(date)
	if !ok {
		errs[pfClosesDate] = "Saisissez une date valide, au format jj/mm/aaaa."
	}
	hour, minute, sec := 23, 59, 59
	if clock != "" {
		var okClock bool
		if hour, minute, sec, okClock = parseClock(clock); !okClock {
			errs[pfClosesTime] = "Saisissez une heure au format hh:mm, par exemple 18:00."
			return nil
		}
	}
	if !ok {
		return nil
	}
	if old != nil && sameDay(*old, day) {
		o := old.In(frfmt.Paris)
		if clock == o.Format("15:04") || clock == o.Format("15:04:05") || (clock == "" && o.Hour() == 23 && o.Minute() == 59) {
			return old
		}
	}
	if day.Year() < 2000 || day.Year() > 2100 {
		errs[pfClosesDate] = "Saisissez une date entre l'an 2000 et l'an 2100."
		return nil
	}
	t := time.Date(day.Year(), day.Month(), day.Day(), hour, minute, sec, 0, frfmt.Paris)
	return &t
}

// parseDay reads a date as a date input sends it (2024-03-15), or as a
// person types it where the browser shows a plain text box (15/03/2024).
func parseDay(s string) (time.Time, bool) {
	for _, layout := range []string{time.DateOnly, "02/01/2006", "2/1/2006"} {
		if t, err := time.ParseInLocation(layout, s, frfmt.Paris); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseClock reads 18:00, 18:00:00 or 18h00.
func parseClock(s string) (hour, minute, sec int, ok bool) {
	for _, layout := range []string{"15:04", "15:04:05", "15h04", "15h"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Hour(), t.Minute(), t.Second(), true
		}
	}
	return 0, 0, 0, false
}

func sameDay(t, day time.Time) bool {
	y1, m1, d1 := t.In(frfmt.Paris).Date()
	y2, m2, d2 := day.Date()
	return y1 == y2 && m1 == m2 && d1 == d2
}

// checkList splits a comma-separated list; shown unchanged, the stored
// list is kept as it is (an imported item may hold a comma).
func checkList(s string, old []string, what string) (pq.StringArray, string) {
	if len(old) > 0 && strings.TrimSpace(s) == strings.Join(old, ", ") {
		return old, ""
	}
	if utf8.RuneCountInString(s) > maxPostingList {
		return nil, "Pas plus de 1 000 caractères pour les " + what + "."
	}
	out := pq.StringArray{}
	for _, item := range strings.Split(s, ",") {
		if item = posting.CleanLine(item); item != "" {
			out = append(out, item)
		}
	}
	if len(out) > maxPostingItems {
		return nil, "Pas plus de 30 " + what + ", séparés par des virgules."
	}
	return out, ""
}

// The choices offered for the previous contact.
const (
	formerKeep   = "garder"
	formerRemove = "retirer"
)

// contactRe is the shape of address the Markdown parser recognises in a
// contact field: a domain with a dot and a top-level domain of letters.
var contactRe = regexp.MustCompile(
	`^[a-z0-9._%+\-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}$`)

func validContact(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && len(s) <= maxPostingEmail && contactRe.MatchString(s)
}

// validLink accepts what the parser keeps as an external link, up to the
// form's length.
func validLink(s string) bool {
	return utf8.RuneCountInString(s) <= maxPostingLink && posting.IsHTTPURL(s)
}

// cleanBody gives the body the form the parser gives a file's body: valid
// UTF-8, NFC, LF line endings (browsers send a textarea with CRLF).
func cleanBody(s string) string {
	s = norm.NFC.String(strings.ToValidUTF8(s, "\uFFFD"))
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// isBodyControl is a control character other than tab and line feed
// (PostgreSQL refuses NUL; the others are invisible debris).
func isBodyControl(r rune) bool {
	return unicode.Is(unicode.Cc, r) && r != '\n' && r != '\t'
}
