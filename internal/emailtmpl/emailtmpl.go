// Package emailtmpl renders Vivier's emails, in French, from the templates
// in templates/email: a subject, a text part and an HTML part each. Emails
// are rendered when they are written to the outbox and stored as sent.
package emailtmpl

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"vivier/internal/catalog"
	"vivier/internal/frfmt"
	"vivier/repository"
	"vivier/templates"
)

// Kinds of email, each with <kind>.txt and <kind>.html templates.
const (
	Acknowledgement     = "acknowledgement"
	ContactNotification = "contact_notification"
	PrivateLink         = "private_link"
	WithdrawnContact    = "withdrawn_contact"
	ErasedContact       = "erased_contact"
	SignInLink          = "sign_in_link"
	StatusUpdate        = "status_update"
	CloseUpdate         = "close_update"
	CloseSummary        = "close_summary"
	// RetentionNotice tells an applicant when their data will be erased;
	// RetentionNoticeContact tells the posting's contact.
	RetentionNotice        = repository.KindRetentionNotice
	RetentionNoticeContact = repository.KindRetentionNoticeContact
)

// WithdrawalUndoneContact tells the contact that an applicant took back
// their withdrawal; Data.Status is the status restored.
const WithdrawalUndoneContact = "withdrawal_undone_contact"

// CloseKinds are the kinds of the emails a close writes: each group's
// update (its kind is the group) and the summary to the contact.
func CloseKinds() []string {
	var out []string
	for _, g := range catalog.CloseGroups() {
		out = append(out, string(g))
	}
	return append(out, CloseSummary)
}

var kinds = []string{Acknowledgement, ContactNotification, PrivateLink, WithdrawnContact, ErasedContact, SignInLink,
	StatusUpdate, CloseUpdate, CloseSummary, RetentionNotice, RetentionNoticeContact, WithdrawalUndoneContact}

// Data is what every template may use.
type Data struct {
	Operator        string
	OperatorArticle string // with its article ("l'Incubateur des Territoires") for "de l'…"; Operator when empty
	Posting         *repository.Posting
	Application     *repository.Application
	Contact         string // the posting's contact address
	Link            string // the applicant's private link
	CVName          string
	RetentionMonths int
	DataContact     string             // where to send personal data requests
	ValidMinutes    int                // how long a sign-in link lasts
	Status          catalog.Status     // the application's new status (status_update, withdrawal_undone_contact)
	Group           catalog.CloseGroup // the close group (close_update)
	Message         string             // the reviewer's own words (status_update, close_update)
	Subject         string             // a subject replacing the template's
	Summary         *CloseSummaryData
	// Retention notices: the posting's latest close, when the data is due
	// for erasure, and how many applications still hold data.
	ClosedAt time.Time
	EraseAt  time.Time
	Count    int
}

// CloseSummaryData is what the contact is told after a close.
type CloseSummaryData struct {
	Actor                                              string
	InReview, Interview, Accepted, Rejected, Withdrawn int
	AcceptedSilent, RejectedTold, Told                 int
}

// Rendered is a rendered email.
type Rendered struct {
	Subject, Text, HTML string
}

// Renderer holds the parsed templates of every kind and the default
// wordings.
type Renderer struct {
	text     map[string]*texttemplate.Template
	html     map[string]*htmltemplate.Template
	defaults map[string]words
}

var funcs = map[string]any{
	"frDate": frfmt.Date,         // an instant, shown in Paris time
	"frDay":  frfmt.CalendarDate, // a DATE column
	"frDays": frfmt.Days,

	"plural":     frfmt.PluralOf, // {{plural .N "personne prévenue" "personnes prévenues"}}
	"phone":      frfmt.Phone,
	"de":         frfmt.De, // {{de .OperatorArticle}}: "de l'Incubateur des Territoires"
	"au":         frfmt.A,  // "à l'Incubateur des Territoires", "au GIP …"
	"capitalize": frfmt.Capitalize,

	"statusLabel": catalog.Status.Label,
}

// New parses every email template; an error names the file at fault.
func New() (*Renderer, error) {
	defaults, err := loadDefaults()
	if err != nil {
		return nil, err
	}
	r := &Renderer{text: map[string]*texttemplate.Template{}, html: map[string]*htmltemplate.Template{}, defaults: defaults}
	for _, k := range kinds {
		t, err := texttemplate.New(k).Funcs(funcs).ParseFS(templates.FS, "email/"+k+".txt")
		if err != nil {
			return nil, fmt.Errorf("email template %s.txt: %w", k, err)
		}
		h, err := htmltemplate.New(k).Funcs(funcs).ParseFS(templates.FS, "email/layout.html", "email/"+k+".html", "email/"+k+".txt")
		if err != nil {
			return nil, fmt.Errorf("email template %s.html: %w", k, err)
		}
		r.text[k], r.html[k] = t, h
	}
	return r, nil
}

// Render renders one kind of email. A kind with a wording (see
// Editables) uses d.Subject and d.Message when set, its default wording
// for d otherwise; d.Subject, when set, replaces any kind's subject.
func (r *Renderer) Render(kind string, d *Data) (Rendered, error) {
	t, ok := r.text[kind]
	if !ok {
		return Rendered{}, fmt.Errorf("unknown email kind %q", kind)
	}
	if d.OperatorArticle == "" {
		dd := *d
		dd.OperatorArticle = d.Operator
		d = &dd
	}
	if e, worded := editableFor(kind, d); worded && (d.Subject == "" || d.Message == "") {
		subject, message, err := r.Words(e, d, nil)
		if err != nil {
			return Rendered{}, fmt.Errorf("render %s words: %w", kind, err)
		}
		dd := *d
		if dd.Subject == "" {
			dd.Subject = subject
		}
		if dd.Message == "" {
			dd.Message = message
		}
		d = &dd
	}
	var subj, text, html bytes.Buffer
	if d.Subject != "" {
		subj.WriteString(d.Subject)
	} else if err := t.ExecuteTemplate(&subj, "subject", d); err != nil {
		return Rendered{}, fmt.Errorf("render %s subject: %w", kind, err)
	}
	if err := t.ExecuteTemplate(&text, "text", d); err != nil {
		return Rendered{}, fmt.Errorf("render %s text: %w", kind, err)
	}
	if err := r.html[kind].ExecuteTemplate(&html, "layout", d); err != nil {
		return Rendered{}, fmt.Errorf("render %s html: %w", kind, err)
	}
	// A subject is one line, whatever a field held.
	subject := strings.Join(strings.Fields(subj.String()), " ")
	return Rendered{Subject: subject, Text: strings.TrimLeft(text.String(), "\n"), HTML: html.String()}, nil
}
