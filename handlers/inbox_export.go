package handlers

import (
	"encoding/csv"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"vivier/internal/frfmt"
	"vivier/repository"
)

// exportCSV sends the current list (its filters, every page) as CSV that
// French spreadsheet software opens as it is: UTF-8 with a BOM, ";".
func (h *Handler) exportCSV(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	q := readListQuery(c.Request.URL.Query())
	q.After = ""
	sources, err := h.Repo.PostingSources(c.Request.Context(), p.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	f, problems := q.Filter(p.ID, viewerOf(c).Email, sources)
	columns, err := h.listColumns(c.Request.Context(), p.ID, q)
	if err != nil {
		h.fail(c, err)
		return
	}
	problems = append(problems, q.answerFilter(&f, columns)...)
	f.Blind = p.BlindUntil != ""
	problems = append(problems, blindSort(&q, &f)...)
	if len(problems) > 0 {
		h.errorPage(c, http.StatusBadRequest, "Export impossible", "Le filtre de cet export n'est pas valable : "+strings.Join(problems, " ")+
			" Corrigez-le dans la liste, puis exportez-la de nouveau.")
		return
	}
	f.Limit = 1000
	exported := 0
	questions, err := h.exportQuestionColumns(c.Request.Context(), p.ID)
	if err != nil {
		h.fail(c, err)
		return
	}

	name := fmt.Sprintf("candidatures-%s-%s.csv", p.Slug, h.Now().In(frfmt.Paris).Format("2006-01-02"))
	w := startCSV(c, name)
	w.Write(neutralise(append([]string{"N°", "Reçue le", "Statut", "Prénom", "Nom", "Email", "Téléphone", "Localisation", "TJM (€ HT)",
		"Jours par semaine", "Disponible le", "SIRET", "Moyenne des grilles", "Grilles d'évaluation", "Motivation",
		"Source", "Support", "Campagne", "Référence", "Site d'origine"}, questions.headers...)))
	for {
		rows, next, err := h.Repo.ListApplications(c.Request.Context(), f)
		if err != nil {
			// Headers are gone: all we can do is end the file early and log.
			h.logger(c).Error("export applications", "error", err, "posting_id", p.ID)
			break
		}
		exported += len(rows)
		answers, err := questions.answersOf(c.Request.Context(), h.Repo, rows)
		if err != nil {
			h.logger(c).Error("export answers", "error", err, "posting_id", p.ID)
			break
		}
		for _, r := range rows {
			r, hidden := listRowFor(p, r) // a number, not the person, during a blind first pass
			// The mean once the reader filled their own scorecard, as the
			// list shows it (no one anchors on the others' marks).
			mean := ""
			if r.Scorecards > 0 && r.MyScorecard {
				mean = frMean(r.ScoreMean)
			}
			w.Write(neutralise(append([]string{strconv.FormatInt(r.ID, 10), r.CreatedAt.In(frfmt.Paris).Format(csvDateTime), r.Status.Label(),
				r.FirstName, r.LastName, r.Email, csvPhone(r.Phone), r.Location, strconv.Itoa(r.DailyRate), frfmt.Days(r.DaysPerWeek),
				r.AvailableFrom.Format(csvDate), r.SIRET, mean, strconv.Itoa(r.Scorecards), r.Motivation,
				r.UTMSource, r.UTMMedium, r.UTMCampaign, r.Ref, r.ReferrerHost}, questions.cells(answers[r.ID], hidden)...)))
		}
		if next == "" {
			break
		}
		f.After = next
	}
	w.Flush()
	h.audit(c, repository.AuditExported, p.ID, 0, map[string]any{"filtre": q.Values().Encode(), "lignes": exported})
}

// Dates sort as text and as dates: "2026-11-30 11:07", Paris time.
const (
	csvDateTime = "2006-01-02 15:04"
	csvDate     = "2006-01-02"
)

// csvPhone writes a phone number so that it needs no formula guard: a
// French number as dialled in France ("06 12 34 56 78"), another with 00
// for its "+" ("00 32 470 12 34 56", as dialled from France). Both start
// with a digit, so no spreadsheet reads a formula, and their spaces keep
// them text, leading 0 included.
func csvPhone(e164 string) string {
	p := frfmt.Phone(e164)
	if rest, ok := strings.CutPrefix(p, "+"); ok {
		return "00 " + rest
	}
	return p
}

// startCSV starts the download of a CSV file named name, as French
// spreadsheets open it: UTF-8 with its byte order mark, ";" between
// cells, CRLF lines; never kept in a cache. Each row goes through
// neutralise.
func startCSV(c *gin.Context, name string) *csv.Writer {
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	c.Header("Cache-Control", "private, no-store")
	c.Status(http.StatusOK)
	c.Writer.WriteString("\ufeff")
	w := csv.NewWriter(c.Writer)
	w.Comma = ';'
	w.UseCRLF = true
	return w
}

// neutralise keeps a spreadsheet from reading a cell as a formula: a cell
// that starts with =, +, -, @, a tab or a carriage return gets a leading
// apostrophe.
func neutralise(cells []string) []string {
	for i, s := range cells {
		if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
			cells[i] = "'" + s
		}
	}
	return cells
}
