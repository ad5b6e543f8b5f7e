package handlers

import (
	"html/template"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"vivier/internal/catalog"
	"vivier/internal/frfmt"
	"vivier/repository"
)

// A posting's figures: views of its page and applications per day,
// applications by source and by current status. Each chart is an SVG
// drawn here, with a table beside it that says the same to everyone.

// maxFigureDays bounds the days a chart shows: the latest ones.
const maxFigureDays = 366

// Chart sizes, in the SVG's own units.
const (
	chartWidth  = 600.0
	chartHeight = 160.0
)

// chart is a bar chart and its table.
type chart struct {
	ID, Title, Desc string
	// Head names the table's first column.
	Head  string
	Bars  []chartBar
	Total int64
	// SVGBars and TableRows are the bars and the table's rows, written
	// here (numbers, and labels escaped) rather than by html/template,
	// whose escaping of each of a year's bars would cost more than the
	// page's queries.
	SVGBars, TableRows template.HTML
}

type chartBar struct {
	Label      string
	Value      int64
	X, Y, W, H float64
}

// newChart lays out bars side by side, heights in proportion to the
// largest value.
func newChart(id, title, head string, labels []string, values []int64) chart {
	c := chart{ID: id, Title: title, Head: head}
	var top int64
	for _, v := range values {
		top = max(top, v)
		c.Total += v
	}
	if len(values) == 0 {
		c.Desc = "Aucune donnée."
		return c
	}
	step := chartWidth / float64(len(values))
	for i, v := range values {
		b := chartBar{Label: labels[i], Value: v, X: float64(i) * step, W: max(step*0.8, 1)}
		if top > 0 {
			b.H = chartHeight * float64(v) / float64(top)
		}
		b.Y = chartHeight - b.H
		c.Bars = append(c.Bars, b)
	}
	var svg, rows strings.Builder
	num := func(b *strings.Builder, f float64) { b.WriteString(strconv.FormatFloat(f, 'f', 2, 64)) }
	for _, b := range c.Bars {
		label, value := template.HTMLEscapeString(b.Label), strconv.FormatInt(b.Value, 10)
		svg.WriteString(`<rect x="`)
		num(&svg, b.X)
		svg.WriteString(`" y="`)
		num(&svg, b.Y)
		svg.WriteString(`" width="`)
		num(&svg, b.W)
		svg.WriteString(`" height="`)
		num(&svg, b.H)
		svg.WriteString(`" fill="#000091"><title>` + label + ` : ` + value + "</title></rect>\n")
		rows.WriteString(`<tr><th scope="row">` + label + `</th><td>` + value + `</td></tr>`)
	}
	c.SVGBars, c.TableRows = template.HTML(svg.String()), template.HTML(rows.String())
	c.Desc = "Diagramme en barres : " + strconv.Itoa(len(values)) + " barres, de " + strconv.FormatInt(top, 10) +
		" au plus ; le tableau qui suit donne chaque valeur."
	return c
}

// dailyChart is a chart of counts per day, every day from the first with
// a count to today (days without a count at zero).
func dailyChart(id, title string, counts []repository.DayCount, today time.Time) chart {
	if len(counts) == 0 {
		return newChart(id, title, "Jour", nil, nil)
	}
	// Days by their calendar date, read from each time's own fields.
	key := func(t time.Time) int { return t.Year()*10000 + int(t.Month())*100 + t.Day() }
	byDay := make(map[int]int64, len(counts))
	for _, c := range counts {
		byDay[key(c.Day)] = c.N
	}
	first := counts[0].Day
	first = time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, frfmt.Paris)
	last := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, frfmt.Paris)
	if lastCount := counts[len(counts)-1].Day; lastCount.After(last) {
		last = time.Date(lastCount.Year(), lastCount.Month(), lastCount.Day(), 0, 0, 0, 0, frfmt.Paris)
	}
	if days := int(last.Sub(first).Hours()/24) + 1; days > maxFigureDays {
		first = last.AddDate(0, 0, -(maxFigureDays - 1))
	}
	var labels []string
	var values []int64
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		labels = append(labels, frfmt.CalendarDate(d))
		values = append(values, byDay[key(d)])
	}
	return newChart(id, title, "Jour", labels, values)
}

type postingFiguresData struct {
	inboxPage
	Posting postingView
	Charts  []chart
	// Stages: how many reached each stage, and the share of the previous
	// stage's that went on to it.
	Stages []stageFigure
	// Answer times, in French ("3 jours"); "" when there is none yet.
	ToFirstChange, ToDecision string
	Waiting                   []waitingFigure
}

type stageFigure struct {
	Label      string
	Reached    int64
	Conversion string // "" for the first stage
}

// waitingFigure is how many applications wait for an answer since at
// least Days days, and the list that shows them.
type waitingFigure struct {
	Days int
	N    int64
	Link string
}

// waitingDays are the waits the page counts.
var waitingDays = []int{7, 14, 30}

// frDuration writes a wait as people say it, rounded: minutes, hours,
// then days.
func frDuration(d *time.Duration) string {
	switch {
	case d == nil:
		return ""
	case *d < time.Hour-30*time.Second:
		m := int(math.Round(d.Minutes()))
		return strconv.Itoa(m) + " " + frfmt.Plural(float64(m), "minute", "minutes")
	case *d < 48*time.Hour-30*time.Minute:
		h := int(math.Round(d.Hours()))
		return strconv.Itoa(h) + " " + frfmt.Plural(float64(h), "heure", "heures")
	}
	days := d.Hours() / 24
	return frfmt.Days(math.Round(days*10)/10) + " jours"
}

// percent writes n/of as a French percentage, "—" when of is zero.
func percent(n, of int64) string {
	if of == 0 {
		return "—"
	}
	return strings.Replace(strconv.FormatFloat(math.Round(float64(n)*1000/float64(of))/10, 'f', -1, 64), ".", ",", 1) + " %"
}

func (h *Handler) postingFigures(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	today := h.Now().In(frfmt.Paris)
	midnight := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, frfmt.Paris)
	// Waiting since at least n days: received on day today-n or before, as
	// the list filtered "received until" that day shows them.
	var since []time.Time
	for _, n := range waitingDays {
		since = append(since, midnight.AddDate(0, 0, 1-n))
	}
	f, err := h.Repo.PostingFigures(c.Request.Context(), p.ID, since)
	if err != nil {
		h.fail(c, err)
		return
	}
	var sources []string
	var bySource []int64
	for _, s := range f.BySource {
		sources, bySource = append(sources, sourceLabel(s.Source)), append(bySource, s.N)
	}
	var statuses []string
	var byStatus []int64
	for _, s := range catalog.Statuses() {
		statuses, byStatus = append(statuses, s.Label()), append(byStatus, f.ByStatus[s])
	}
	d := postingFiguresData{inboxPage: h.inboxPage(c, "Statistiques — "+p.Title), Posting: viewOf(p), Charts: []chart{
		dailyChart("vues", "Vues de la page de l'offre, par jour", f.Views, today),
		dailyChart("commences", "Formulaires commencés, par jour", f.Started, today),
		dailyChart("envoyes", "Formulaires envoyés (refusés compris), par jour", f.Sent, today),
		dailyChart("candidatures", "Candidatures reçues, par jour", f.Applications, today),
		newChart("sources", "Candidatures par source", "Source", sources, bySource),
		newChart("statuts", "Candidatures par statut actuel", "Statut", statuses, byStatus),
	}, ToFirstChange: frDuration(f.ToFirstChange), ToDecision: frDuration(f.ToDecision)}
	for i, s := range catalog.Stages() {
		st := stageFigure{Label: s.Label(), Reached: f.Reached[i]}
		if i > 0 {
			st.Conversion = percent(f.Reached[i], f.Reached[i-1])
		}
		d.Stages = append(d.Stages, st)
	}
	for i, n := range waitingDays {
		q := listQuery{Status: string(catalog.StatusReceived), To: midnight.AddDate(0, 0, -n).Format(time.DateOnly)}
		d.Waiting = append(d.Waiting, waitingFigure{Days: n, N: f.Waiting[i],
			Link: "/boite/offres/" + strconv.FormatInt(p.ID, 10) + q.With("", "")})
	}
	h.render(c, http.StatusOK, "inbox_figures", d)
}
