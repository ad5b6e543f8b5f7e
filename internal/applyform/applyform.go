// Package applyform checks the application form of a freelance posting:
// every field, the CV's real type, and French messages naming the field
// at fault. It reads values and bytes only, so it can be fuzzed.
package applyform

import (
	"fmt"
	"net/mail"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gabriel-vasile/mimetype"
	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/unicode/norm"
)

// Form field names, as posted by the page.
const (
	FieldFirstName   = "prenom"
	FieldLastName    = "nom"
	FieldEmail       = "email"
	FieldPhone       = "telephone"
	FieldLocation    = "localisation"
	FieldDailyRate   = "tjm"
	FieldDaysPerWeek = "jours_par_semaine"
	FieldAvailable   = "disponible_le"
	FieldSIRET       = "siret"
	FieldLinks       = "liens"
	FieldCV          = "cv"
	FieldMotivation  = "motivation"
	FieldConsent     = "consentement"
	// FieldHoneypot is hidden from people; bots fill it.
	FieldHoneypot = "site_web"
	// FieldNonce is the form's one-time value: the same form sent twice is
	// one application.
	FieldNonce = "envoi"
)

// Fields lists the fields in page order, for the error summary.
func Fields() []string {
	return []string{FieldFirstName, FieldLastName, FieldEmail, FieldPhone, FieldLocation, FieldDailyRate,
		FieldDaysPerWeek, FieldAvailable, FieldSIRET, FieldLinks, FieldMotivation, FieldConsent, FieldCV}
}

// Label is a field's name as the page shows it.
func Label(field string) string { return labels[field] }

var labels = map[string]string{
	FieldFirstName: "Prénom", FieldLastName: "Nom", FieldEmail: "Adresse email", FieldPhone: "Téléphone",
	FieldLocation: "Localisation", FieldDailyRate: "Taux journalier moyen (TJM)",
	FieldDaysPerWeek: "Disponibilité (jours par semaine)", FieldAvailable: "Disponible à partir du",
	FieldSIRET: "SIRET", FieldLinks: "Liens vers votre profil", FieldCV: "CV",
	FieldMotivation: "Motivation", FieldConsent: "Consentement",
}

// Limits of the free-text fields.
const (
	MaxNameLen       = 100
	MaxLocationLen   = 200
	MinMotivationLen = 50
	MaxMotivationLen = 5000
	MaxLinks         = 5
	MaxLinkLen       = 500
	MinDailyRate     = 1
	MaxDailyRate     = 10000
)

// Input is a checked application.
type Input struct {
	FirstName, LastName, Email, Phone, Location string
	DailyRate                                   int
	DaysPerWeek                                 float64
	AvailableFrom                               time.Time
	SIRET                                       string
	Links                                       []string
	Motivation                                  string
}

// Errors maps a field to its French message.
type Errors map[string]string

// Ordered returns the errors in page order, for the summary at the top.
func (e Errors) Ordered() []FieldError {
	var out []FieldError
	for _, f := range Fields() {
		if msg, ok := e[f]; ok {
			out = append(out, FieldError{Field: f, Label: labels[f], Message: msg})
		}
	}
	return out
}

// FieldError is one line of the summary.
type FieldError struct{ Field, Label, Message string }

// Check validates the posted values. today is the applicant's day (Paris).
func Check(v url.Values, today time.Time) (Input, Errors) {
	errs := Errors{}
	var in Input
	in.FirstName = line(v, FieldFirstName, MaxNameLen, true, errs)
	in.LastName = line(v, FieldLastName, MaxNameLen, true, errs)
	in.Email = email(v.Get(FieldEmail), errs)
	in.Phone = phone(v.Get(FieldPhone), errs)
	in.Location = line(v, FieldLocation, MaxLocationLen, true, errs)
	in.DailyRate = dailyRate(v.Get(FieldDailyRate), errs)
	in.DaysPerWeek = daysPerWeek(v.Get(FieldDaysPerWeek), errs)
	in.AvailableFrom = availableFrom(v.Get(FieldAvailable), today, errs)
	in.SIRET = siret(v.Get(FieldSIRET), errs)
	in.Links = links(v.Get(FieldLinks), errs)
	in.Motivation = motivation(v.Get(FieldMotivation), errs)
	if v.Get(FieldConsent) == "" {
		errs[FieldConsent] = "Cochez la case pour accepter le traitement de vos données : sans elle, nous ne pouvons pas étudier votre candidature."
	}
	return in, errs
}

// clean normalises to NFC and drops invisible characters around a value.
func clean(s string) string {
	s = norm.NFC.String(strings.ToValidUTF8(s, ""))
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff' })
}

// stripFormat removes the characters of Unicode's category Cf: invisible
// format controls, among them the bidirectional embeddings, overrides and
// isolates (U+202A–U+202E, U+2066–U+2069), the zero-width spaces, joiners
// and marks (U+200B–U+200F) and the BOM, with which a name or a file name
// shows other than what it is ("‮fdp.exe" reads "exe.pdf").
func stripFormat(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
}

func hasFormat(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Cf, r) }) >= 0
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\t' }) >= 0
}

// line reads a one-line field; reviewers see it as typed, so format
// characters are removed.
func line(v url.Values, field string, max int, required bool, errs Errors) string {
	s := clean(stripFormat(strings.ToValidUTF8(v.Get(field), "")))
	label := strings.ToLower(labels[field][:1]) + labels[field][1:]
	switch {
	case s == "" && required:
		errs[field] = fmt.Sprintf("Indiquez votre %s.", label)
	case hasControl(s):
		errs[field] = fmt.Sprintf("Le champ « %s » doit tenir sur une ligne, sans caractère de contrôle.", labels[field])
	case utf8.RuneCountInString(s) > max:
		errs[field] = fmt.Sprintf("Le champ « %s » ne doit pas dépasser %d caractères.", labels[field], max)
	}
	return s
}

func email(raw string, errs Errors) string {
	s := clean(raw)
	if s == "" {
		errs[FieldEmail] = "Indiquez votre adresse email : c'est là que vous recevrez les nouvelles de votre candidature."
		return s
	}
	a, err := mail.ParseAddress(s)
	// An address is not cleaned (that would send mail elsewhere): one with
	// invisible format characters is refused.
	if err != nil || a.Address != s || hasControl(s) || hasFormat(s) || len(s) > 254 || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		errs[FieldEmail] = "Saisissez une adresse email valide, au format nom@domaine.fr."
	}
	return s
}

func phone(raw string, errs Errors) string {
	s := clean(raw)
	if s == "" {
		return ""
	}
	if hasControl(s) || len(s) > 30 {
		errs[FieldPhone] = "Saisissez un numéro de téléphone valide, par exemple 06 12 34 56 78 ou +32 470 12 34 56."
		return s
	}
	// Numbers without a country code are French, overseas ones included.
	for _, region := range frenchRegions {
		if n, err := phonenumbers.Parse(s, region); err == nil && phonenumbers.IsValidNumber(n) {
			return phonenumbers.Format(n, phonenumbers.E164)
		}
	}
	errs[FieldPhone] = "Saisissez un numéro de téléphone valide, par exemple 06 12 34 56 78 ou +32 470 12 34 56."
	return s
}

// frenchRegions are metropolitan France then the overseas regions with
// their own numbering plans.
var frenchRegions = []string{"FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "NC", "PF", "WF"}

func dailyRate(raw string, errs Errors) int {
	s := strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "", "€", "").Replace(clean(raw))
	s = strings.TrimSuffix(strings.TrimSuffix(s, ",00"), ".00")
	if s == "" {
		errs[FieldDailyRate] = "Indiquez votre taux journalier moyen, en euros hors taxes."
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < MinDailyRate || n > MaxDailyRate {
		errs[FieldDailyRate] = fmt.Sprintf("Le TJM doit être un nombre entier d'euros hors taxes, entre %d et %d.", MinDailyRate, MaxDailyRate)
		return 0
	}
	return n
}

func daysPerWeek(raw string, errs Errors) float64 {
	s := strings.Replace(clean(raw), ",", ".", 1)
	if s == "" {
		errs[FieldDaysPerWeek] = "Indiquez combien de jours par semaine vous êtes disponible."
		return 0
	}
	d, err := strconv.ParseFloat(s, 64)
	if err != nil || d < 0.5 || d > 5 || d*2 != float64(int(d*2)) {
		errs[FieldDaysPerWeek] = "La disponibilité va de 0,5 à 5 jours par semaine, par demi-journées (0,5 ; 1 ; 1,5 ...)."
		return 0
	}
	return d
}

func availableFrom(raw string, today time.Time, errs Errors) time.Time {
	s := clean(raw)
	if s == "" {
		errs[FieldAvailable] = "Indiquez la date à partir de laquelle vous êtes disponible."
		return time.Time{}
	}
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		if d, err = time.Parse("02/01/2006", s); err != nil {
			errs[FieldAvailable] = "Saisissez une date valide, au format jj/mm/aaaa."
			return time.Time{}
		}
	}
	day := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	if d.After(day.AddDate(2, 0, 0)) {
		errs[FieldAvailable] = "La date de disponibilité doit être dans les deux ans à venir."
	}
	if d.Before(day.AddDate(-1, 0, 0)) {
		errs[FieldAvailable] = "La date de disponibilité est trop ancienne : indiquez la date d'aujourd'hui si vous êtes disponible dès maintenant."
	}
	return d
}

func siret(raw string, errs Errors) string {
	s := strings.NewReplacer(" ", "", "\u00a0", "", ".", "", "-", "").Replace(clean(raw))
	if s == "" {
		return ""
	}
	if len(s) != 14 || strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		errs[FieldSIRET] = "Le SIRET compte 14 chiffres."
		return s
	}
	if !ValidSIRET(s) {
		errs[FieldSIRET] = "Ce SIRET n'est pas valide : vérifiez les chiffres (la clé de contrôle ne correspond pas)."
	}
	return s
}

// ValidSIRET checks the Luhn key of a 14-digit SIRET. La Poste's
// establishments (SIREN 356000000) also pass when the sum of their digits
// is a multiple of 5, their own rule.
func ValidSIRET(s string) bool {
	if len(s) != 14 {
		return false
	}
	luhn, plain := 0, 0
	for i := 0; i < 14; i++ {
		d := int(s[13-i] - '0')
		if d < 0 || d > 9 {
			return false
		}
		plain += d
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		luhn += d
	}
	return luhn%10 == 0 || (strings.HasPrefix(s, "356000000") && plain%5 == 0)
}

func links(raw string, errs Errors) []string {
	var out []string
	for _, l := range strings.FieldsFunc(clean(raw), func(r rune) bool { return r == '\n' || r == '\r' || r == ' ' || r == '\t' }) {
		l = clean(l)
		if l == "" {
			continue
		}
		u, err := url.Parse(l)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(l) > MaxLinkLen || hasControl(l) {
			errs[FieldLinks] = fmt.Sprintf("« %s » n'est pas un lien valide : chaque lien doit commencer par https:// ou http://.", truncate(l, 60))
			return out
		}
		out = append(out, u.String())
	}
	if len(out) > MaxLinks {
		errs[FieldLinks] = fmt.Sprintf("Indiquez au plus %d liens.", MaxLinks)
	}
	return out
}

func motivation(raw string, errs Errors) string {
	s := strings.ReplaceAll(clean(raw), "\r\n", "\n")
	n := utf8.RuneCountInString(s)
	switch {
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) >= 0:
		errs[FieldMotivation] = "Votre motivation contient des caractères invisibles non autorisés : retapez-la ou collez-la sans mise en forme."
	case n == 0:
		errs[FieldMotivation] = "Dites-nous en quelques lignes pourquoi cette mission vous intéresse."
	case n < MinMotivationLen:
		errs[FieldMotivation] = fmt.Sprintf("Votre motivation est un peu courte : écrivez au moins %d caractères (vous en avez écrit %d).", MinMotivationLen, n)
	case n > MaxMotivationLen:
		errs[FieldMotivation] = fmt.Sprintf("Votre motivation ne doit pas dépasser %d caractères (vous en avez écrit %d).", MaxMotivationLen, n)
	}
	return s
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// CV types accepted, recognised by content.
var cvTypes = map[string]string{
	"application/pdf":    ".pdf",
	"application/msword": ".doc",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
	"application/vnd.oasis.opendocument.text":                                 ".odt",
}

// CV is a checked CV file.
type CV struct {
	Name        string // cleaned, with the extension of its real type
	ContentType string
}

// CheckCV recognises the CV's type from its bytes (not its name) and
// cleans its name. maxBytes is UPLOAD_MAX_BYTES.
func CheckCV(name string, data []byte, maxBytes int64) (CV, string) {
	if len(data) == 0 {
		return CV{}, "Le fichier envoyé est vide : choisissez votre CV."
	}
	if int64(len(data)) > maxBytes {
		return CV{}, fmt.Sprintf("Votre CV dépasse la taille maximale de %s : allégez-le (par exemple en l'exportant en PDF) puis choisissez-le à nouveau.", HumanSize(maxBytes))
	}
	contentType, ext := documentType(data)
	if contentType == "" {
		return CV{}, "Ce fichier n'est pas un CV au format PDF, DOC, DOCX ou ODT (son contenu ne correspond pas à l'un de ces formats)."
	}
	return CV{Name: cleanFileName(name, ext), ContentType: contentType}, ""
}

// documentType recognises a document accepted as a CV by its bytes: its
// type and extension, or "" for any other.
func documentType(data []byte) (contentType, ext string) {
	for m := mimetype.Detect(data); m != nil; m = m.Parent() {
		if e, ok := cvTypes[m.String()]; ok {
			return m.String(), e
		}
	}
	return "", ""
}

// cleanFileName keeps a readable base name without path, control or
// format characters (see stripFormat) or quotes, and the extension of the
// real type.
func cleanFileName(name, ext string) string {
	name = norm.NFC.String(strings.ToValidUTF8(name, ""))
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || strings.ContainsRune(`"'<>:|?*/;`, r) {
			return -1
		}
		return r
	}, name)
	base := strings.TrimSpace(strings.TrimSuffix(name, path.Ext(name)))
	base = strings.Trim(base, ".")
	if base == "" {
		base = "cv"
	}
	if utf8.RuneCountInString(base) > 80 {
		base = string([]rune(base)[:80])
	}
	return base + ext
}

// HumanSize formats 10485760 as "10 Mo".
func HumanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return strings.Replace(strconv.FormatFloat(float64(n)/(1<<20), 'f', -1, 64), ".", ",", 1) + " Mo"
	case n >= 1<<10:
		return strconv.FormatInt(n>>10, 10) + " Ko"
	}
	return strconv.FormatInt(n, 10) + " octets"
}
