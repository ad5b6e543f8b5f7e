package handlers

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"vivier/internal/catalog"
	"vivier/internal/frfmt"
	"vivier/repository"
)

// A posting's selection report: how the choice was made, for the file.
// A page that prints well, and the same as CSV: the criteria and their
// weights, every application with its marks by reviewer and its mean,
// every status change with who made it and when, and the reason of each
// rejection, with the answers to the questions shown as columns of the
// list (those the reviewers screened on). Applications still in a blind
// first pass are numbers. While an application is being evaluated, its
// scorecards and their mean show only to a reader who filled their own,
// as on its page, so that the report is no way round that rule; once it
// is decided (accepted, rejected, withdrawn) or the posting is closed,
// the report shows every one, for the file. An admin who is not among
// the posting's reviewers evaluates nothing there and sees them all.

type reportCard struct {
	Reviewer       string
	Recommendation string
	Marks          []string // by the report's criteria
	Score          string
	Comment        string
}

type reportDecision struct {
	At, Who, What, Reason string
	Rejection             bool
}

type reportRow struct {
	ID       int64
	Name     string
	Hidden   bool
	Erased   bool
	Status   string
	Received string
	Mean     string // "" without scorecards
	Count    int
	Cards    []reportCard
	// Withheld: the reader has not filled their scorecard of an
	// application still being evaluated, so others' do not show.
	Withheld  bool
	Decisions []reportDecision
	// Answers are its answers to the questions shown as columns of the
	// list (those reviewers sort and filter on), in the report's order.
	Answers []reportAnswer
}

// reportAnswer is an answer to a column question, "—" when unanswered.
type reportAnswer struct {
	Label, Value string
}

type reportData struct {
	inboxPage
	Posting   postingView
	Criteria  []criterionView
	Rows      []reportRow
	Generated string
	CSVLink   string
	BlindNote string
}

// reportQuestions are the questions whose answers the report lists: those
// shown as columns of the list, and the answers to them.
type reportQuestions struct {
	Questions []repository.Question
	Answers   map[int64]map[int64]repository.Answer // by application, then question
}

// reportAnswers reads the answers the report lists.
func (h *Handler) reportAnswers(c *gin.Context, p *repository.Posting, rep *repository.SelectionReport) (reportQuestions, error) {
	var out reportQuestions
	columns, err := h.listColumns(c.Request.Context(), p.ID, listQuery{})
	if err != nil || len(columns) == 0 {
		return out, err
	}
	qids := make([]int64, 0, len(columns))
	for _, col := range columns {
		out.Questions = append(out.Questions, col.Question)
		qids = append(qids, col.Question.ID)
	}
	ids := make([]int64, 0, len(rep.Applications))
	for _, a := range rep.Applications {
		ids = append(ids, a.ID)
	}
	out.Answers, err = h.Repo.AnswersFor(c.Request.Context(), ids, qids)
	return out, err
}

// reportReader is the reader as one of p's reviewers, whose own
// scorecards decide what others' they see, or "" for an admin who is not.
func (h *Handler) reportReader(c *gin.Context, p *repository.Posting) (string, error) {
	email := strings.ToLower(viewerOf(c).Email)
	ok, err := h.Repo.CanReview(c.Request.Context(), p.ID, email)
	if err != nil || !ok {
		return "", err
	}
	return email, nil
}

// reportRows turns the report into rows as reader (see reportReader) may
// see them.
func reportRows(p *repository.Posting, rep *repository.SelectionReport, qs reportQuestions, reader string) []reportRow {
	postingDone := p.Status == catalog.PostingClosed || p.Status == catalog.PostingArchived
	rows := make([]reportRow, 0, len(rep.Applications))
	for _, a := range rep.Applications {
		row := reportRow{ID: a.ID, Status: a.Status.Label(), Received: frfmt.DateTime(a.CreatedAt), Count: a.Scorecards,
			Erased: a.ErasedAt != nil}
		switch {
		case row.Erased:
			row.Name = repository.NumberLabel(a.ID) + " (données effacées)"
		case repository.HidesIdentity(p.BlindUntil, a.Status, a.RevealedAt != nil):
			row.Name, row.Hidden = repository.NumberLabel(a.ID), true
		default:
			row.Name = a.FirstName + " " + a.LastName
		}
		if !row.Erased {
			for _, q := range qs.Questions {
				value := "—"
				if ans, ok := qs.Answers[a.ID][q.ID]; ok {
					value = answerText(repository.AnswersForReviewers([]repository.Answer{ans}, row.Hidden)[0])
				}
				row.Answers = append(row.Answers, reportAnswer{Label: q.Label, Value: value})
			}
		}
		decided := postingDone || a.Status == catalog.StatusWithdrawn || slices.Contains(catalog.Decisions(), a.Status)
		filled := slices.ContainsFunc(rep.Scorecards[a.ID], func(s repository.Scorecard) bool { return s.Reviewer == reader })
		if row.Withheld = reader != "" && a.Scorecards > 0 && !decided && !filled; row.Withheld {
			rows = append(rows, withDecisions(row, rep.Decisions[a.ID]))
			continue
		}
		if a.Scorecards > 0 {
			row.Mean = frMean(a.ScoreMean)
		}
		for _, s := range rep.Scorecards[a.ID] {
			card := reportCard{Reviewer: s.Reviewer, Recommendation: s.Recommendation.Label(), Score: frMean(s.Score), Comment: s.Comment}
			for _, cr := range rep.Criteria {
				mark := "—"
				if m, ok := s.Marks[cr.ID]; ok {
					mark = strconv.Itoa(int(m))
				}
				card.Marks = append(card.Marks, mark)
			}
			row.Cards = append(row.Cards, card)
		}
		rows = append(rows, withDecisions(row, rep.Decisions[a.ID]))
	}
	return rows
}

// withDecisions adds an application's status changes to its row.
func withDecisions(row reportRow, decisions []repository.Decision) reportRow {
	for _, d := range decisions {
		to := deref(d.To)
		row.Decisions = append(row.Decisions, reportDecision{At: frfmt.DateTime(d.At), Who: d.Actor,
			What: deref(d.From).Label() + " → " + to.Label(), Reason: d.Reason, Rejection: to == catalog.StatusRejected})
	}
	return row
}

// withheldNote stands for the scorecards a reader may not see yet.
const withheldNote = "visibles une fois votre grille remplie"

func (h *Handler) selectionReport(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	rep, err := h.Repo.SelectionReportOf(c.Request.Context(), p.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	qs, err := h.reportAnswers(c, p, rep)
	if err != nil {
		h.fail(c, err)
		return
	}
	reader, err := h.reportReader(c, p)
	if err != nil {
		h.fail(c, err)
		return
	}
	d := reportData{inboxPage: h.inboxPage(c, "Rapport de sélection — "+p.Title), Posting: viewOf(p),
		Rows: reportRows(p, rep, qs, reader), Generated: frfmt.DateTime(h.Now()),
		CSVLink: "/boite/offres/" + strconv.FormatInt(p.ID, 10) + "/rapport.csv"}
	for _, cr := range rep.Criteria {
		d.Criteria = append(d.Criteria, criterionView{ID: cr.ID, Name: cr.Name, Guidance: cr.Guidance, Weight: cr.Weight, Removed: cr.RemovedAt != nil})
	}
	if p.BlindUntil != "" {
		d.BlindNote = "Cette offre est relue à l'aveugle jusqu'à l'étape « " + p.BlindUntil.Label() + " » : les candidatures qui ne l'ont pas atteinte figurent sous leur numéro."
	}
	h.render(c, http.StatusOK, "inbox_report", d)
}

// selectionReportCSV sends the report as CSV: a line per scorecard (one
// for an application without any), the criteria and their weights in the
// header, the status changes of the application in its last column.
func (h *Handler) selectionReportCSV(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	rep, err := h.Repo.SelectionReportOf(c.Request.Context(), p.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	qs, err := h.reportAnswers(c, p, rep)
	if err != nil {
		h.fail(c, err)
		return
	}
	reader, err := h.reportReader(c, p)
	if err != nil {
		h.fail(c, err)
		return
	}
	name := fmt.Sprintf("rapport-de-selection-%s-%s.csv", p.Slug, h.Now().In(frfmt.Paris).Format("2006-01-02"))
	w := startCSV(c, name)
	header := []string{"N°", "Personne", "Statut", "Reçue le", "Moyenne pondérée", "Grilles"}
	for _, q := range qs.Questions {
		header = append(header, q.Label)
	}
	header = append(header, "Relecteur·rice", "Avis")
	for _, cr := range rep.Criteria {
		col := cr.Name + " (poids " + strconv.Itoa(cr.Weight) + ")"
		if cr.RemovedAt != nil {
			col += " [retiré]"
		}
		header = append(header, col)
	}
	header = append(header, "Note pondérée de la grille", "Commentaire", "Décisions (date, qui, changement, motif)")
	w.Write(neutralise(header)) // question labels and criteria are typed by reviewers
	for _, row := range reportRows(p, rep, qs, reader) {
		decisions := make([]string, len(row.Decisions))
		for i, d := range row.Decisions {
			decisions[i] = d.At + ", " + d.Who + ", " + d.What
			if d.Reason != "" {
				decisions[i] += ", motif : " + d.Reason
			}
		}
		base := []string{strconv.FormatInt(row.ID, 10), row.Name, row.Status, row.Received, row.Mean, strconv.Itoa(row.Count)}
		for i := range qs.Questions {
			value := ""
			if i < len(row.Answers) {
				value = row.Answers[i].Value
			}
			base = append(base, value)
		}
		cards := row.Cards
		if len(cards) == 0 {
			cards = []reportCard{{Marks: make([]string, len(rep.Criteria))}}
			if row.Withheld {
				cards[0].Recommendation = withheldNote
			}
		}
		for _, card := range cards {
			line := append(append([]string{}, base...), card.Reviewer, card.Recommendation)
			line = append(line, card.Marks...)
			line = append(line, card.Score, card.Comment, strings.Join(decisions, " | "))
			w.Write(neutralise(line))
		}
	}
	w.Flush()
	h.audit(c, repository.AuditReportDownloaded, p.ID, 0, map[string]any{"candidatures": len(rep.Applications)})
}
