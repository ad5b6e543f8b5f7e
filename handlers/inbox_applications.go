package handlers

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"vivier/internal/applyform"
	"vivier/internal/catalog"
	"vivier/internal/frfmt"
	"vivier/repository"
)

// pageSize is how many applications a list page shows.
const pageSize = 50

// Bounds of a search: PostgreSQL's parser of a search recurses once per
// word (tens of thousands of words exhaust its stack), and the search is
// written back into the page and every link of the list.
const (
	maxSearchWords = 32
	maxSearchRunes = 200
)

// listQuery is the list's filter as it lives in the URL, so a view can be
// shared and reloaded.
type listQuery struct {
	Status, Query, DaysMin, DaysMax, RateMin, RateMax, From, To, Source, Sort, After string
	// ScoreMin and ScoreMax bound the mean of the scorecards (see list_scores.go).
	ScoreMin, ScoreMax string
	// SearchCut says the search was longer than its bounds and was cut.
	SearchCut string
	// Answers are the filters on the column questions' answers, by URL
	// parameter (see inbox_list_questions.go).
	Answers map[string]string
}

func readListQuery(v url.Values) listQuery {
	q := listQuery{Status: v.Get("statut"), DaysMin: v.Get("dispo_min"), DaysMax: v.Get("dispo_max"),
		RateMin: v.Get("tjm_min"), RateMax: v.Get("tjm_max"), From: v.Get("recu_du"), To: v.Get("recu_au"),
		Source: v.Get("source"), Sort: v.Get("tri"), After: v.Get("apres"), ScoreMin: v.Get("note_min"), ScoreMax: v.Get("note_max")}
	q.Query, q.SearchCut = boundSearch(v.Get("q"))
	q.Answers = readAnswerParams(v)
	return q
}

// boundSearch keeps the first maxSearchWords words of a search, and at
// most maxSearchRunes characters of them (cut between words when it can),
// and says in French what was left out.
func boundSearch(s string) (string, string) {
	words := strings.Fields(s)
	if len(words) <= maxSearchWords && utf8.RuneCountInString(s) <= maxSearchRunes {
		return s, ""
	}
	note := fmt.Sprintf("Votre recherche est longue : seuls les %d premiers mots sont cherchés.", maxSearchWords)
	if len(words) > maxSearchWords {
		words = words[:maxSearchWords]
	}
	out := strings.Join(words, " ")
	if r := []rune(out); len(r) > maxSearchRunes {
		out = string(r[:maxSearchRunes])
		if i := strings.LastIndexByte(out, ' '); i > 0 {
			out = out[:i]
		}
		note = fmt.Sprintf("Votre recherche est longue : seuls ses %d premiers caractères sont cherchés.", maxSearchRunes)
	}
	return out, note
}

// Values encodes the query back, leaving out empty parts.
func (q listQuery) Values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"statut": q.Status, "q": q.Query, "dispo_min": q.DaysMin, "dispo_max": q.DaysMax,
		"tjm_min": q.RateMin, "tjm_max": q.RateMax, "recu_du": q.From, "recu_au": q.To, "source": q.Source, "tri": q.Sort, "apres": q.After,
		"note_min": q.ScoreMin, "note_max": q.ScoreMax} {
		if s != "" {
			v.Set(k, s)
		}
	}
	for k, s := range q.Answers {
		v.Set(k, s)
	}
	return v
}

// With returns the query string with one part changed (and the page reset
// unless the part is the page itself).
func (q listQuery) With(key, value string) string {
	v := q.Values()
	if key != "apres" {
		v.Del("apres")
	}
	if value == "" {
		v.Del(key)
	} else {
		v.Set(key, value)
	}
	if s := v.Encode(); s != "" {
		return "?" + s
	}
	return "?"
}

// Filter turns the URL's query into a repository filter; a value it
// cannot read is left out and named in the returned messages. sources are
// those seen for the posting (repository.PostingSources): the source
// filter takes one of them.
func (q listQuery) Filter(postingID int64, reader string, sources []string) (repository.ListFilter, []string) {
	f := repository.ListFilter{PostingID: postingID, Query: strings.TrimSpace(q.Query), Sort: q.Sort, After: q.After,
		Limit: pageSize, Reader: reader}
	var problems []string
	if q.Status != "" {
		if s := catalog.Status(q.Status); s.Valid() {
			f.Status = s
		} else {
			problems = append(problems, "Statut inconnu : il n'est pas appliqué.")
		}
	}
	days := func(s, label string) float64 {
		if s == "" {
			return 0
		}
		d, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
		if err != nil || math.IsNaN(d) || d < 0.5 || d > 5 {
			problems = append(problems, "« "+label+" » doit être un nombre de jours entre 0,5 et 5.")
			return 0
		}
		return d
	}
	f.DaysMin, f.DaysMax = days(q.DaysMin, "Disponibilité minimale"), days(q.DaysMax, "Disponibilité maximale")
	// Rates are those the form accepts: within the column's integer range.
	rate := func(s, label string) int {
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 0 || n > applyform.MaxDailyRate {
			problems = append(problems, "« "+label+" » doit être un nombre entier d'euros entre 0 et 10 000.")
			return 0
		}
		return n
	}
	f.RateMin, f.RateMax = rate(q.RateMin, "TJM minimal"), rate(q.RateMax, "TJM maximal")
	day := func(s, label string, next bool) *time.Time {
		if s == "" {
			return nil
		}
		d, err := time.ParseInLocation("2006-01-02", s, frfmt.Paris)
		if err != nil {
			problems = append(problems, "« "+label+" » doit être une date (jj/mm/aaaa).")
			return nil
		}
		if d.Year() < 2000 || d.Year() > 2100 {
			problems = append(problems, "« "+label+" » doit être une date entre l'an 2000 et l'an 2100.")
			return nil
		}
		if next {
			d = d.AddDate(0, 0, 1) // "received until" includes that whole day
		}
		return &d
	}
	f.ReceivedFrom, f.ReceivedTo = day(q.From, "Reçue à partir du", false), day(q.To, "Reçue jusqu'au", true)
	if q.Source != "" {
		if slices.Contains(sources, q.Source) {
			f.Source = q.Source
		} else {
			problems = append(problems, "« Source » : aucune candidature à cette offre ne vient de cette source ; le filtre n'est pas appliqué.")
		}
	}
	f.ScoreMin, f.ScoreMax = scoreBound(q.ScoreMin, "Moyenne minimale", &problems), scoreBound(q.ScoreMax, "Moyenne maximale", &problems)
	switch q.Sort {
	case "", repository.SortDate, repository.SortName, repository.SortRate, repository.SortScore:
	case q.Sort:
		if isQuestionSort(q.Sort) {
			break // checked by answerFilter, against the columns
		}
		fallthrough
	default:
		problems = append(problems, "Tri inconnu : les candidatures sont triées par date.")
		f.Sort = ""
	}
	if q.After != "" && !repository.ValidCursor(q.After) {
		problems = append(problems, "Ce lien de page n'est pas valable : la liste reprend à sa première page.")
		f.After = ""
	}
	return f, problems
}

type statusTab struct {
	Status      catalog.Status
	Label, Link string
	Count       int
	More        bool // Count is a floor: counting stopped there (see repository.CountCap)
	Current     bool
}

type inboxApplicationsData struct {
	inboxPage
	Posting    postingView
	Query      listQuery
	Tabs       []statusTab
	Rows       []repository.ListRow
	Scores     scoresView // the scorecards' columns and filter, the blind pass (list_scores.go)
	Total      int
	TotalMore  bool   // Total is a floor (see repository.CountCap)
	RowSuffix  string // the list's query, carried by each row's link (computed once, not per row)
	NextLink   string
	FirstLink  string
	Problems   []string
	Statuses   []statusTab
	ExportLink string
	Reviewers  []repository.Reviewer
	Flash      string
	FlashAbout string // "relecteurs": the message is about the reviewers
	Open       bool
	ClosedAt   *time.Time // when it stopped taking applications; nil while open
	Events     []repository.PostingEvent
	Sources    []string // the sources seen for the posting, for the filter
	Links      trackedLinksView
	// Notify is how the viewer hears of this posting ("" when they do not
	// review it: an admin).
	Notify catalog.Notify
	// Columns are the posting's column questions; Cells each row's
	// answers to them, by application.
	Columns []listColumn
	Cells   map[int64][]string
	// ColumnCount is the table's number of columns, its questions' included.
	ColumnCount int
}

func (h *Handler) inboxApplications(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	h.renderInboxApplications(c, http.StatusOK, p, trackedLinksView{})
}

// renderInboxApplications shows a posting's list; links holds what was
// typed in the tracked links' form, and its error, when it is shown again.
func (h *Handler) renderInboxApplications(c *gin.Context, status int, p *repository.Posting, links trackedLinksView) {
	ctx, v := c.Request.Context(), viewerOf(c)
	q := readListQuery(c.Request.URL.Query())
	sources, err := h.Repo.PostingSources(ctx, p.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	f, problems := q.Filter(p.ID, v.Email, sources)
	columns, err := h.listColumns(ctx, p.ID, q)
	if err != nil {
		h.fail(c, err)
		return
	}
	problems = append(problems, q.answerFilter(&f, columns)...)
	f.Blind = p.BlindUntil != ""
	problems = append(problems, blindSort(&q, &f)...)
	rows, next, err := h.Repo.ListApplications(ctx, f)
	if err != nil {
		h.fail(c, err)
		return
	}
	cells, err := h.columnCells(ctx, rows, columns)
	if err != nil {
		h.fail(c, err)
		return
	}
	scores := scoreColumns(p, rows)
	counts, err := h.Repo.StatusCounts(ctx, f)
	if err != nil {
		h.fail(c, err)
		return
	}
	d := inboxApplicationsData{inboxPage: h.inboxPage(c, "Candidatures — "+p.Title), Posting: viewOf(p), Query: q,
		Rows: rows, Scores: scores, Problems: problems, RowSuffix: q.With("", ""), Sources: sources, Links: links,
		Columns: columns, Cells: cells, ColumnCount: 8 + len(columns)}
	d.Flash, d.FlashAbout = h.popFlash(c)
	total, more := 0, false
	tabs := []statusTab{}
	for _, s := range catalog.Statuses() {
		n := counts[s]
		total, more = total+n.N, more || n.More
		tabs = append(tabs, statusTab{Status: s, Label: s.Label(), Count: n.N, More: n.More, Link: q.With("statut", string(s)), Current: f.Status == s})
	}
	d.Tabs = append([]statusTab{{Label: "Toutes", Count: total, More: more, Link: q.With("statut", ""), Current: f.Status == ""}}, tabs...)
	for _, s := range catalog.Pipeline() {
		d.Statuses = append(d.Statuses, statusTab{Status: s, Label: s.Label()})
	}
	for _, t := range d.Tabs {
		if t.Current {
			d.Total, d.TotalMore = t.Count, t.More
		}
	}
	if next != "" {
		d.NextLink = q.With("apres", next)
	}
	if q.After != "" {
		d.FirstLink = q.With("apres", "")
	}
	export := q.Values()
	export.Del("apres")
	d.ExportLink = "/boite/offres/" + strconv.FormatInt(p.ID, 10) + "/export.csv?" + export.Encode()
	if v.Admin {
		if d.Reviewers, err = h.Repo.ReviewerList(ctx, p.ID); err != nil {
			h.fail(c, err)
			return
		}
	}
	switch d.Notify, err = h.Repo.NotifyPreference(ctx, p.ID, v.Email); {
	case errors.Is(err, repository.ErrNotFound):
		d.Notify = ""
	case err != nil:
		h.fail(c, err)
		return
	}
	d.Open = p.AcceptsApplications(h.Now())
	closed, err := h.closedSince(ctx, p)
	if err != nil {
		h.fail(c, err)
		return
	}
	d.ClosedAt = closed[p.ID]
	if d.Events, err = h.Repo.PostingEvents(ctx, p.ID); err != nil {
		h.fail(c, err)
		return
	}
	if d.Links.Items, err = h.trackedLinkItems(ctx, p.ID); err != nil {
		h.fail(c, err)
		return
	}
	// A value the list could not use was left out and named: the page
	// shows the rest, as a refusal of that value.
	if len(problems) > 0 && status == http.StatusOK {
		status = http.StatusBadRequest
	}
	if q.After == "" && c.Request.Method == http.MethodGet {
		// The time of this visit feeds the "new since" counts of the next
		// page, this one's being read already. It is recorded before the
		// page is sent: a client holding the whole page (its length is
		// known) may open the next one at once. A failure only loses the
		// counts' reference, not the page.
		if err := h.Repo.RecordVisit(ctx, p.ID, v.Email); err != nil {
			h.logger(c).Warn("record visit", "error", err, "posting_id", p.ID)
		}
	}
	h.render(c, status, "inbox_applications", d)
}
