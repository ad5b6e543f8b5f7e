package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"vivier/internal/catalog"
	"vivier/internal/frfmt"
	"vivier/repository"
)

// Every posting's figures over a period, for admins: the posting page's
// figures (views, forms, applications, where they stand, answer times,
// those still waiting) with a row per posting and the totals, and the
// same as CSV.

// defaultPeriodDays is the period shown when none is asked: the last 30
// days, today included.
const defaultPeriodDays = 30

// periodForm is the period asked, as typed, and what is wrong with it.
type periodForm struct {
	From, To           string
	FromError, ToError string
	// first and last are the days read (Paris), when both are right.
	first, last time.Time
}

func (f *periodForm) ok() bool { return f.FromError == "" && f.ToError == "" }

// readPeriod reads du and au from the query: the last 30 days by default,
// a missing start 30 days before the end, a missing end today.
func readPeriod(q url.Values, today time.Time) periodForm {
	f := periodForm{From: strings.TrimSpace(q.Get("du")), To: strings.TrimSpace(q.Get("au"))}
	read := func(s, label string, errText *string) (time.Time, bool) {
		d, ok := parseDay(s)
		switch {
		case !ok:
			*errText = "« " + label + " » doit être une date, par exemple " + today.Format("02/01/2006") + "."
		case d.Year() < 2000 || d.Year() > 2100:
			*errText = "« " + label + " » doit être une date entre l'an 2000 et l'an 2100."
		default:
			return d, true
		}
		return time.Time{}, false
	}
	first, last := today.AddDate(0, 0, 1-defaultPeriodDays), today
	okFirst, okLast := true, true
	if f.To != "" {
		last, okLast = read(f.To, "Au", &f.ToError)
	}
	if f.From != "" {
		first, okFirst = read(f.From, "Du", &f.FromError)
	} else if okLast {
		first = last.AddDate(0, 0, 1-defaultPeriodDays)
	}
	if okFirst && okLast && last.Before(first) {
		f.ToError = "« Au » doit être le même jour que « Du » ou un jour après."
	}
	f.first, f.last = first, last
	return f
}

// periodRow is a posting's line (or the totals') in the tables.
type periodRow struct {
	Title, Link                        string
	Views, Started, Sent, Applications int64
	ByStatus                           []int64 // in catalog.Statuses() order
	Stages                             []stageFigure
	ToFirstChange, ToDecision          string
	Waiting                            []int64 // per waitingDays
	Sources                            []sourceFigure
}

// sourceFigure is how many applications came from one source.
type sourceFigure struct {
	Label string
	N     int64
}

type adminFiguresData struct {
	inboxPage
	Form        periodForm
	Period      string // "du 1er mars 2026 au 31 mars 2026"
	Statuses    []string
	StageNames  []string
	WaitingDays []int
	Rows        []periodRow
	Total       periodRow
	CSVLink     string
}

// sourceLabel names a source for people.
func sourceLabel(s string) string {
	if s == "" {
		return "Inconnue"
	}
	return s
}

func rowOf(f *repository.PeriodFigures, title, link string) periodRow {
	r := periodRow{Title: title, Link: link, Views: f.Views, Started: f.Started, Sent: f.Sent, Applications: f.Applications,
		ToFirstChange: frDuration(f.ToFirstChange), ToDecision: frDuration(f.ToDecision), Waiting: f.Waiting}
	for _, s := range f.BySource {
		r.Sources = append(r.Sources, sourceFigure{Label: sourceLabel(s.Source), N: s.N})
	}
	for _, s := range catalog.Statuses() {
		r.ByStatus = append(r.ByStatus, f.ByStatus[s])
	}
	for i, s := range catalog.Stages() {
		st := stageFigure{Label: s.Label(), Reached: f.Reached[i]}
		if i > 0 {
			st.Conversion = percent(f.Reached[i], f.Reached[i-1])
		}
		r.Stages = append(r.Stages, st)
	}
	return r
}

// periodFigures reads the period asked and counts its figures; when the
// period is wrong, the form's errors are set (see form.ok) and nothing is
// counted.
func (h *Handler) periodFigures(c *gin.Context) (periodForm, []*repository.PeriodFigures, *repository.PeriodFigures, error) {
	today := h.Now().In(frfmt.Paris)
	midnight := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, frfmt.Paris)
	form := readPeriod(c.Request.URL.Query(), midnight)
	if !form.ok() {
		return form, nil, nil, nil
	}
	var since []time.Time
	for _, n := range waitingDays {
		since = append(since, midnight.AddDate(0, 0, 1-n))
	}
	rows, total, err := h.Repo.FiguresOverPeriod(c.Request.Context(), form.first, form.last, since)
	return form, rows, total, err
}

func (h *Handler) adminFigures(c *gin.Context) {
	form, rows, total, err := h.periodFigures(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	d := adminFiguresData{inboxPage: h.inboxPage(c, "Statistiques de toutes les offres"), Form: form, WaitingDays: waitingDays}
	for _, s := range catalog.Statuses() {
		d.Statuses = append(d.Statuses, s.Label())
	}
	for _, s := range catalog.Stages() {
		d.StageNames = append(d.StageNames, s.Label())
	}
	if !form.ok() {
		h.render(c, http.StatusBadRequest, "admin_figures", d)
		return
	}
	d.Form.From, d.Form.To = form.first.Format(time.DateOnly), form.last.Format(time.DateOnly)
	d.Period = "du " + frfmt.Date(form.first) + " au " + frfmt.Date(form.last)
	d.CSVLink = "/boite/statistiques.csv?" + url.Values{"du": {d.Form.From}, "au": {d.Form.To}}.Encode()
	for _, f := range rows {
		d.Rows = append(d.Rows, rowOf(f, f.Title, "/boite/offres/"+strconv.FormatInt(f.PostingID, 10)+"/statistiques"))
	}
	d.Total = rowOf(total, "Toutes les offres", "")
	h.render(c, http.StatusOK, "admin_figures", d)
}

// hours writes a wait in hours, one decimal, with a French comma; "" for
// none.
func hours(d *time.Duration) string {
	if d == nil {
		return ""
	}
	return frMean(d.Hours())
}

func (h *Handler) adminFiguresCSV(c *gin.Context) {
	form, rows, total, err := h.periodFigures(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	if !form.ok() {
		h.errorPage(c, http.StatusBadRequest, "Export impossible", strings.TrimSpace(form.FromError+" "+form.ToError)+
			" Choisissez la période sur la page des statistiques, puis exportez-la de nouveau.")
		return
	}
	name := fmt.Sprintf("statistiques-%s-%s.csv", form.first.Format(csvDate), form.last.Format(csvDate))
	w := startCSV(c, name)
	head := []string{"N° de l'offre", "Offre", "Du", "Au", "Vues", "Formulaires commencés", "Formulaires envoyés", "Candidatures reçues"}
	for _, s := range catalog.Statuses() {
		head = append(head, "Statut actuel : "+s.Label())
	}
	for _, s := range catalog.Stages() {
		head = append(head, "Étape atteinte : "+s.Label())
	}
	head = append(head, "Délai médian jusqu'au premier changement de statut (heures)", "Délai médian jusqu'à la décision (heures)")
	for _, n := range waitingDays {
		head = append(head, fmt.Sprintf("Toujours reçues depuis %d jours ou plus", n))
	}
	head = append(head, "Sources")
	w.Write(head)
	line := func(id, title string, f *repository.PeriodFigures) {
		cells := []string{id, title, form.first.Format(csvDate), form.last.Format(csvDate), countText(f.Views), countText(f.Started), countText(f.Sent), countText(f.Applications)}
		for _, s := range catalog.Statuses() {
			cells = append(cells, countText(f.ByStatus[s]))
		}
		for _, n := range f.Reached {
			cells = append(cells, countText(n))
		}
		cells = append(cells, hours(f.ToFirstChange), hours(f.ToDecision))
		for _, n := range f.Waiting {
			cells = append(cells, countText(n))
		}
		var sources []string
		for _, s := range f.BySource {
			sources = append(sources, sourceLabel(s.Source)+" : "+countText(s.N))
		}
		w.Write(neutralise(append(cells, strings.Join(sources, " ; "))))
	}
	for _, f := range rows {
		line(countText(f.PostingID), f.Title, f)
	}
	line("", "Toutes les offres", total)
	w.Flush()
}

func countText(n int64) string { return strconv.FormatInt(n, 10) }
