package handlers

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"vivier/internal/catalog"
	"vivier/internal/frfmt"
	"vivier/repository"
)

// The form that proposes interview slots (to one application, or to a
// posting's pool) and the one that moves an interview share their
// fields and their checks.

const (
	// maxSlots is the most slots one proposal holds.
	maxSlots = 10
	// slotRows is how many rows of slots the form shows.
	slotRows = maxSlots
	// maxSlotMinutes is the longest interview: 8 hours.
	maxSlotMinutes = 8 * 60
	// maxPlaceLen bounds an address or a link, in characters.
	maxPlaceLen = 500
)

// Form fields.
const (
	fieldSlotDate      = "date"
	fieldSlotTime      = "heure"
	fieldSlotMinutes   = "duree"
	fieldSlotMode      = "modalite"
	fieldSlotPlace     = "lieu"
	fieldSlotAttendees = "participants"
	fieldSlots         = "creneaux"
)

// slotRow is one row of the form, as typed.
type slotRow struct {
	N                   int // 1-based
	Date, Time, Minutes string
	Errors              []string
}

// slotForm is the proposal form as the page shows it: what was typed and,
// by field, what is wrong.
type slotForm struct {
	// Action is where the form is sent.
	Action    string
	Rows      []slotRow
	Mode      string
	Place     string
	Attendees []string
	Reviewers []string
	Errors    map[string]string
	Modes     []modeOption
	// HasPhone: the applicant gave a phone number (the phone mode needs one).
	HasPhone bool
}

type modeOption struct {
	Value, Label string
}

func modeOptions() []modeOption {
	var out []modeOption
	for _, m := range catalog.InterviewModes() {
		out = append(out, modeOption{Value: string(m), Label: m.Label()})
	}
	return out
}

// emptySlotForm is a fresh form, the viewer attending.
func emptySlotForm(reviewers []string, viewer string) slotForm {
	f := slotForm{Mode: string(catalog.InterviewVideo), Reviewers: reviewers, Errors: map[string]string{}, Modes: modeOptions()}
	if slices.Contains(reviewers, viewer) {
		f.Attendees = []string{viewer}
	}
	for i := range slotRows {
		f.Rows = append(f.Rows, slotRow{N: i + 1, Minutes: "45"})
	}
	return f
}

// Error is the message of a field, for the template.
func (f slotForm) Error(field string) string { return f.Errors[field] }

// Attends reports whether a reviewer is checked.
func (f slotForm) Attends(email string) bool { return slices.Contains(f.Attendees, email) }

// ErrorList lists every message, for the summary at the top.
func (f slotForm) ErrorList() []string {
	var out []string
	for _, k := range []string{fieldSlots, fieldSlotMode, fieldSlotPlace, fieldSlotAttendees} {
		if m := f.Errors[k]; m != "" {
			out = append(out, m)
		}
	}
	for _, r := range f.Rows {
		for _, e := range r.Errors {
			out = append(out, "Créneau "+strconv.Itoa(r.N)+" : "+e)
		}
	}
	return out
}

// readSlotForm reads and checks a proposal: 1 to maxSlots slots, each to
// come, of 1 minute to 8 hours, none overlapping another or one of
// existing (slots already offered to the same people); a mode, with an
// address (in person) or an https link (video); attendees among the
// posting's reviewers. It returns the slots and the form as typed, whose
// Errors are empty when all is well.
func readSlotForm(c *gin.Context, reviewers []string, existing []repository.InterviewSlot, now time.Time, hasPhone bool) ([]*repository.InterviewSlot, slotForm) {
	f := slotForm{Reviewers: reviewers, Errors: map[string]string{}, Modes: modeOptions(), HasPhone: hasPhone}
	f.Mode = c.PostForm(fieldSlotMode)
	f.Place = strings.TrimSpace(c.PostForm(fieldSlotPlace))
	f.Attendees = c.PostFormArray(fieldSlotAttendees)
	dates, times, minutes := c.PostFormArray(fieldSlotDate), c.PostFormArray(fieldSlotTime), c.PostFormArray(fieldSlotMinutes)
	n := max(len(dates), len(times), len(minutes), slotRows)
	if n > 100 {
		n = 100
	}
	at := func(s []string, i int) string {
		if i < len(s) {
			return strings.TrimSpace(s[i])
		}
		return ""
	}
	var slots []*repository.InterviewSlot
	mode := catalog.InterviewMode(f.Mode)
	for i := range n {
		row := slotRow{N: i + 1, Date: at(dates, i), Time: at(times, i), Minutes: at(minutes, i)}
		if row.Date == "" && row.Time == "" {
			if i < slotRows {
				if row.Minutes == "" {
					row.Minutes = "45"
				}
				f.Rows = append(f.Rows, row)
			}
			continue
		}
		start, mins, errs := checkSlot(row, now)
		row.Errors = errs
		if len(errs) == 0 {
			s := &repository.InterviewSlot{StartsAt: start, Minutes: mins, Mode: mode, Place: f.Place,
				Attendees: f.Attendees}
			for _, other := range slots {
				if overlaps(s.StartsAt, s.EndsAt(), other.StartsAt, other.EndsAt()) {
					row.Errors = append(row.Errors, "il chevauche un autre créneau de cette proposition ("+frfmt.Appointment(other.StartsAt)+").")
					break
				}
			}
			for _, other := range existing {
				if len(row.Errors) == 0 && !other.Taken && overlaps(s.StartsAt, s.EndsAt(), other.StartsAt, other.EndsAt()) {
					row.Errors = append(row.Errors, "il chevauche un créneau déjà proposé ("+frfmt.Appointment(other.StartsAt)+").")
				}
			}
			if len(row.Errors) == 0 {
				slots = append(slots, s)
			}
		}
		f.Rows = append(f.Rows, row)
	}
	count := 0
	for _, r := range f.Rows {
		if r.Date != "" || r.Time != "" {
			count++
		}
	}
	switch {
	case count == 0:
		f.Errors[fieldSlots] = "Proposez au moins un créneau : sa date, son heure de début et sa durée."
	case count > maxSlots:
		f.Errors[fieldSlots] = "Proposez au plus " + strconv.Itoa(maxSlots) + " créneaux à la fois (" + strconv.Itoa(count) + " reçus)."
	}
	if msg := checkPlace(mode, f.Place, hasPhone); msg != "" {
		if mode.Valid() {
			f.Errors[fieldSlotPlace] = msg
		} else {
			f.Errors[fieldSlotMode] = msg
		}
	}
	for _, a := range f.Attendees {
		if !slices.Contains(reviewers, a) {
			f.Errors[fieldSlotAttendees] = "Choisissez les participant·es parmi les relecteur·rices de l'offre."
		}
	}
	if len(f.Attendees) > len(reviewers) {
		f.Errors[fieldSlotAttendees] = "Choisissez les participant·es parmi les relecteur·rices de l'offre."
	}
	if len(f.Errors) > 0 || slices.ContainsFunc(f.Rows, func(r slotRow) bool { return len(r.Errors) > 0 }) {
		return nil, f
	}
	if mode != catalog.InterviewInPerson && mode != catalog.InterviewVideo {
		for _, s := range slots {
			s.Place = ""
		}
		f.Place = ""
	}
	return slots, f
}

// checkSlot reads one row: the start in Paris time and the length.
func checkSlot(row slotRow, now time.Time) (time.Time, int, []string) {
	var errs []string
	day, err := time.Parse("2006-01-02", row.Date)
	if err != nil {
		errs = append(errs, "saisissez sa date au format jj/mm/aaaa.")
	}
	clock, terr := time.Parse("15:04", row.Time)
	if terr != nil {
		errs = append(errs, "saisissez son heure de début au format hh:mm (par exemple 14:30).")
	}
	mins, merr := strconv.Atoi(row.Minutes)
	switch {
	case merr != nil:
		errs = append(errs, "saisissez sa durée en minutes (par exemple 45).")
	case mins <= 0:
		errs = append(errs, "sa durée doit être d'au moins une minute.")
	case mins > maxSlotMinutes:
		errs = append(errs, "sa durée ne peut pas dépasser 8 heures (480 minutes).")
	}
	if err != nil || terr != nil {
		return time.Time{}, 0, errs
	}
	start := time.Date(day.Year(), day.Month(), day.Day(), clock.Hour(), clock.Minute(), 0, 0, frfmt.Paris)
	if !start.After(now) {
		errs = append(errs, "le "+frfmt.Appointment(start)+" est déjà passé : choisissez un moment à venir.")
	} else if start.After(now.AddDate(2, 0, 0)) {
		errs = append(errs, "choisissez une date dans les deux ans qui viennent.")
	}
	return start, mins, errs
}

// checkPlace says what is wrong with a mode and its place ("" if nothing).
func checkPlace(mode catalog.InterviewMode, place string, hasPhone bool) string {
	switch {
	case !mode.Valid():
		return "Choisissez comment se passe l'entretien : sur place, par téléphone ou en visioconférence."
	case utf8.RuneCountInString(place) > maxPlaceLen || badText(place) || strings.ContainsAny(place, "\r\n"):
		return "L'adresse ou le lien doit tenir sur une ligne de " + strconv.Itoa(maxPlaceLen) + " caractères au plus, sans caractères invisibles."
	case mode == catalog.InterviewInPerson && place == "":
		return "Indiquez l'adresse du rendez-vous."
	case mode == catalog.InterviewVideo:
		u, err := url.Parse(place)
		if place == "" || err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
			return "Indiquez le lien de la visioconférence, une adresse qui commence par https://."
		}
	case mode == catalog.InterviewPhone && !hasPhone:
		return "La personne candidate n'a pas indiqué de numéro de téléphone : choisissez un autre moyen."
	}
	return ""
}

func overlaps(aStart, aEnd, bStart, bEnd time.Time) bool {
	return aStart.Before(bEnd) && bStart.Before(aEnd)
}

// slotDate and slotTime write an instant back into the form's fields.
func slotDate(t time.Time) string { return t.In(frfmt.Paris).Format("2006-01-02") }
func slotTime(t time.Time) string { return t.In(frfmt.Paris).Format("15:04") }
