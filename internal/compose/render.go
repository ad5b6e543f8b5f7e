package compose

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

// Emails are rendered, in French, from the templates in templates/email:
// a subject, a text part and an HTML part each. They are rendered when
// they are written to the outbox and stored as sent.

// emailData is what every template may use. The Composer fills it.
type emailData struct {
	Operator        string
	OperatorArticle string // with its article ("l'Incubateur des Territoires") for "de l'…"; Operator when empty
	Posting         *repository.Posting
	Application     *repository.Application
	Contact         string // the posting's contact address
	Link            string // the applicant's private link, or a sign-in link
	CVName          string
	RetentionMonths int
	DataContact     string // where to send personal data requests
	ValidMinutes    int    // how long a sign-in link lasts
	Status          catalog.Status
	Message         string // the words of a worded kind (see Editable)
	Subject         string // a subject replacing the template's
	Summary         *closeSummary
	Digest          *digestView  // a digest or a reminder
	Mention         *mentionView // a mention in a note
	// SettingsLink is where the recipient, a reviewer, chooses how they
	// hear of the posting.
	SettingsLink string
	// ReviewLink is the application's page in the inbox.
	ReviewLink string
	Inbound    *inboundSummary // what an applicant wrote back
	// Interview is the interview an email is about (or the slots offered).
	Interview *interviewText
	// Retention notices: the posting's latest close, when the data is due
	// for erasure, and how many applications still hold data.
	ClosedAt time.Time
	EraseAt  time.Time
	Count    int
	// Blind: an email to reviewers about an application they see as a
	// number (Application is then repository.ForReviewers' copy).
	Blind bool
	// Answers are the answers to the posting's questions, in an email to
	// reviewers about a new application (files hidden when Blind).
	Answers []answerLine
	// ByPerson: a person wrote this email (a reviewer's message), which
	// the footer must not call automatic. Set by render from the kind.
	ByPerson bool
}

// closeSummary is what the contact is told after a close.
type closeSummary struct {
	Actor                                              string
	InReview, Interview, Accepted, Rejected, Withdrawn int
	AcceptedSilent, RejectedTold, Told                 int
}

// inboundSummary is an applicant's reply, as reviewers are told of it.
type inboundSummary struct {
	Who, Subject, Text, Attachments string
	// During a blind first pass: how many files were kept, and whether
	// anything was refused, without their names.
	HeldFiles int
	HeldNotes bool
}

// Rendered is a rendered email.
type Rendered struct {
	Subject, Text, HTML string
}

// renderer holds the parsed templates of every kind and the default
// wordings.
type renderer struct {
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
	"frDateTime":  frfmt.DateTime,
}

// newRenderer parses every email template; an error names the file at
// fault.
func newRenderer() (*renderer, error) {
	defaults, err := loadDefaults()
	if err != nil {
		return nil, err
	}
	r := &renderer{text: map[string]*texttemplate.Template{}, html: map[string]*htmltemplate.Template{}, defaults: defaults}
	for _, info := range kinds {
		k := info.template
		if r.text[k] != nil {
			continue
		}
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

// render renders one kind of email. A worded kind (see Editable) uses
// d.Subject and d.Message when set, its default wording for d otherwise;
// d.Subject, when set, replaces any kind's subject.
func (r *renderer) render(kind Kind, d *emailData) (Rendered, error) {
	info, ok := kinds[kind]
	if !ok {
		return Rendered{}, fmt.Errorf("unknown email kind %q", kind)
	}
	if d.OperatorArticle == "" || d.ByPerson != kind.WrittenByPerson() {
		dd := *d
		if dd.OperatorArticle == "" {
			dd.OperatorArticle = d.Operator
		}
		dd.ByPerson = kind.WrittenByPerson()
		d = &dd
	}
	if e, worded := editableFor(kind, d.Status); worded && (d.Subject == "" || d.Message == "") {
		subject, message := r.words(e, d, nil)
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
	} else if err := r.text[info.template].ExecuteTemplate(&subj, "subject", d); err != nil {
		return Rendered{}, fmt.Errorf("render %s subject: %w", kind, err)
	}
	if err := r.text[info.template].ExecuteTemplate(&text, "text", d); err != nil {
		return Rendered{}, fmt.Errorf("render %s text: %w", kind, err)
	}
	if err := r.html[info.template].ExecuteTemplate(&html, "layout", d); err != nil {
		return Rendered{}, fmt.Errorf("render %s html: %w", kind, err)
	}
	// A subject is one line, whatever a field held.
	subject := strings.Join(strings.Fields(subj.String()), " ")
	return Rendered{Subject: subject, Text: strings.TrimLeft(text.String(), "\n"), HTML: html.String()}, nil
}
