package emailtmpl

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	texttemplate "text/template"
	"unicode/utf8"
)

// A posting may word some emails its own way: the subject and the message
// (the words between the greeting and the signature; the private link,
// the answers and the data notice stay). Overrides are small templates
// over the variables below.

// Override is a posting's own subject and message for one kind of email.
type Override struct {
	Subject, Body string
}

// Editable is an email a posting may reword.
type Editable struct {
	Key   string // acknowledgement, status_rejected, close_in_review...
	Label string
	Kind  string // the template kind that renders it
	Arg   string // the status or close group it is about
}

// Editables lists the emails a posting may reword, in the order the
// editor shows them. The sign-in link is not a posting's: it stays common.
var Editables = []Editable{
	{"acknowledgement", "Accusé de réception, à la personne candidate", Acknowledgement, ""},
	{"contact_notification", "Nouvelle candidature, à la personne qui recrute", ContactNotification, ""},
	{"status_in_review", "Statut « En cours d'examen »", StatusUpdate, "in_review"},
	{"status_shortlisted", "Statut « Présélectionnée »", StatusUpdate, "shortlisted"},
	{"status_interview", "Statut « Entretien »", StatusUpdate, "interview"},
	{"status_accepted", "Statut « Retenue »", StatusUpdate, "accepted"},
	{"status_rejected", "Statut « Non retenue »", StatusUpdate, "rejected"},
	{"close_in_review", "Clôture : candidatures encore à l'étude", CloseUpdate, "close_in_review"},
	{"close_accepted", "Clôture : candidatures retenues", CloseUpdate, "close_accepted"},
	{"close_rejected", "Clôture : candidatures non retenues", CloseUpdate, "close_rejected"},
}

// EditableByKey finds an editable email.
func EditableByKey(key string) (Editable, bool) {
	for _, e := range Editables {
		if e.Key == key {
			return e, true
		}
	}
	return Editable{}, false
}

// Variable is a name an override may use, as {{.Name}}.
type Variable struct{ Name, Meaning string }

// Variables are listed next to the editor.
var Variables = []Variable{
	{"Prenom", "le prénom de la personne candidate"},
	{"Nom", "son nom"},
	{"Offre", "le titre de l'offre"},
	{"Organisation", "l'organisation qui recrute"},
	{"Contact", "l'adresse de la personne qui recrute"},
	{"Operateur", "le nom du service (" + "par défaut « Incubateur des Territoires »)"},
}

func variables(d *Data) map[string]string {
	v := map[string]string{"Operateur": d.Operator, "Prenom": "", "Nom": "", "Offre": "", "Organisation": "", "Contact": ""}
	if d.Application != nil {
		v["Prenom"], v["Nom"] = d.Application.FirstName, d.Application.LastName
	}
	if d.Posting != nil {
		v["Offre"], v["Organisation"], v["Contact"] = d.Posting.Title, d.Posting.Organisation, d.Posting.ContactEmail
	}
	return v
}

var unknownKey = regexp.MustCompile(`map has no entry for key "([^"]*)"`)

// renderOverride executes one override template over d's variables.
func renderOverride(name, src string, d *Data) (string, error) {
	t, err := texttemplate.New(name).Option("missingkey=error").Parse(src)
	if err != nil {
		return "", fmt.Errorf("%s illisible : %s", fieldName(name), strings.TrimPrefix(err.Error(), "template: "))
	}
	var b bytes.Buffer
	if err := t.Execute(&b, variables(d)); err != nil {
		if m := unknownKey.FindStringSubmatch(err.Error()); m != nil {
			return "", fmt.Errorf("%s : la variable « %s » n'existe pas (variables possibles : %s)", fieldName(name), m[1], variableNames())
		}
		return "", fmt.Errorf("%s : %s", fieldName(name), strings.TrimPrefix(err.Error(), "template: "))
	}
	return b.String(), nil
}

func fieldName(name string) string {
	if name == "subject" {
		return "Objet"
	}
	return "Message"
}

func variableNames() string {
	var names []string
	for _, v := range Variables {
		names = append(names, "{{."+v.Name+"}}")
	}
	return strings.Join(names, ", ")
}

// CheckOverride refuses, with the reason in French, an override that does
// not parse, names an unknown variable, or is empty or too long.
func CheckOverride(o Override) error {
	switch {
	case strings.TrimSpace(o.Subject) == "":
		return errors.New("Objet : indiquez l'objet de l'email.")
	case strings.ContainsAny(o.Subject, "\r\n") || utf8.RuneCountInString(o.Subject) > 200:
		return errors.New("Objet : il tient sur une ligne de 200 caractères au plus.")
	case strings.TrimSpace(o.Body) == "":
		return errors.New("Message : écrivez le message.")
	case utf8.RuneCountInString(o.Body) > 10000:
		return errors.New("Message : il ne doit pas dépasser 10000 caractères.")
	}
	sample := &Data{Operator: "Opérateur"}
	if _, err := renderOverride("subject", o.Subject, sample); err != nil {
		return err
	}
	_, err := renderOverride("body", o.Body, sample)
	return err
}

// Words renders the subject and message of an editable email for d: the
// posting's override when there is one, the default otherwise.
func (r *Renderer) Words(e Editable, d *Data, o *Override) (subject, message string, err error) {
	dd := *d
	dd.Status = e.Arg
	if o != nil {
		if subject, err = renderOverride("subject", o.Subject, &dd); err != nil {
			return "", "", err
		}
		if message, err = renderOverride("body", o.Body, &dd); err != nil {
			return "", "", err
		}
		return strings.Join(strings.Fields(subject), " "), strings.TrimSpace(message), nil
	}
	return r.DefaultWords(e.Kind, &dd)
}
