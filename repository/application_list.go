package repository

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lib/pq"

	"vivier/internal/catalog"
)

// Sort orders of the application list.
const (
	SortDate = "date" // newest first
	SortName = "nom"  // by last name, then first name
	SortRate = "tjm"  // by daily rate, lowest first
	// SortScore is by the mean of the scorecards, highest first (those
	// without a scorecard last).
	SortScore = "note"
)

// ListFilter selects and orders the applications of a posting. Zero
// values mean "no filter".
type ListFilter struct {
	PostingID    int64
	Status       catalog.Status
	Query        string // French full-text search, accents ignored
	DaysMin      float64
	DaysMax      float64
	RateMin      int
	RateMax      int
	ReceivedFrom *time.Time
	ReceivedTo   *time.Time // exclusive
	Source       string     // utm_source, exactly
	// Answers filter on the answers to the posting's column questions
	// (see questions.go); SortQuestion, with Sort SortAnswer, sorts on one.
	Answers      []AnswerFilter
	SortQuestion *Question
	Sort         string
	After        string // keyset cursor: the page after this one
	Limit        int
	Reader       string // the reviewer, for unread marks

	// ScoreMin and ScoreMax bound the mean of the scorecards (1 to 4; 0:
	// no bound). A lower bound leaves out those without a scorecard.
	ScoreMin, ScoreMax float64
	// Blind: the posting is reviewed blind, so a text search looks in the
	// motivation only, never in names or addresses, and the list is not
	// sorted on names (SortName reads as SortDate).
	Blind bool
}

// ListRow is one application in a list.
type ListRow struct {
	ID            int64          `db:"id"`
	Status        catalog.Status `db:"status"`
	FirstName     string         `db:"first_name"`
	LastName      string         `db:"last_name"`
	Email         string         `db:"email"`
	Phone         string         `db:"phone"`
	Location      string         `db:"location"`
	DailyRate     int            `db:"daily_rate"`
	DaysPerWeek   float64        `db:"days_per_week"`
	AvailableFrom time.Time      `db:"available_from"`
	SIRET         string         `db:"siret"`
	Motivation    string         `db:"motivation"`
	CreatedAt     time.Time      `db:"created_at"`
	Unread        bool           `db:"unread"`
	// Bounced: an email to the applicant was not delivered.
	Bounced      bool   `db:"bounced"`
	SortName     string `db:"sort_name"`
	UTMSource    string `db:"utm_source"`
	UTMMedium    string `db:"utm_medium"`
	UTMCampaign  string `db:"utm_campaign"`
	Ref          string `db:"ref"`
	ReferrerHost string `db:"referrer_host"`

	// The mean of the scorecards (0: none), their number, and whether
	// the reader filled one (the list shows the mean only then).
	ScoreMean   float64 `db:"score_mean"`
	Scorecards  int     `db:"scorecard_count"`
	MyScorecard bool    `db:"my_scorecard"`
	// RevealedAt: see blind.go.
	RevealedAt *time.Time `db:"revealed_at"`
}

// cursor is the sort key of the last row of a page.
type cursor struct {
	T  time.Time `json:"t,omitempty"`
	S  string    `json:"s,omitempty"`
	N  int       `json:"n,omitempty"`
	M  float64   `json:"m,omitempty"` // the scorecards' mean
	ID int64     `json:"id"`
	// A sort on a question's answers: its number or yes/no (its choice
	// is S), and Z past the answered ones, among those without answer.
	F *float64 `json:"f,omitempty"`
	B *bool    `json:"b,omitempty"`
	Z bool     `json:"z,omitempty"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor from a URL, refusing one whose values do
// not fit their columns (ids are bigint, rates integer, names text
// without NUL, times within PostgreSQL's range).
func decodeCursor(s string) (cursor, bool) {
	var c cursor
	if len(s) > maxCursorLen {
		return cursor{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.ID <= 0 || c.N < 0 || c.N > math.MaxInt32 ||
		len(c.S) > maxCursorLen || !utf8.ValidString(c.S) || strings.ContainsRune(c.S, 0) ||
		(!c.T.IsZero() && (c.T.Year() < 1 || c.T.Year() > 9999)) || c.M < 0 || c.M > 4 {
		return cursor{}, false
	}
	return c, true
}

// maxCursorLen bounds a cursor and the name it holds: two names of 100
// characters, escaped, fit well within.
const maxCursorLen = 2000

// ValidCursor reports whether s is a cursor this list can resume from;
// ListApplications ignores (starts from the first page on) any other.
func ValidCursor(s string) bool {
	_, ok := decodeCursor(s)
	return ok
}

// where builds the filter's conditions (without the status when
// withStatus is false, for the tab counts) and their arguments.
func (f *ListFilter) where(withStatus bool) (string, []any) {
	conds := []string{"a.posting_id = $1", "a.erased_at IS NULL"}
	args := []any{f.PostingID}
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if withStatus && f.Status != "" {
		add("a.status = ?", f.Status)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		if f.Blind {
			// The index finds the candidates; the motivation's words
			// (weight C) alone decide.
			add("a.search @@ websearch_to_tsquery('vivier_fr', ?) AND ts_filter(a.search, '{c}') @@ websearch_to_tsquery('vivier_fr', ?)", q)
		} else {
			add("a.search @@ websearch_to_tsquery('vivier_fr', ?)", q)
		}
	}
	if f.DaysMin > 0 {
		add("a.days_per_week >= ?", f.DaysMin)
	}
	if f.DaysMax > 0 {
		add("a.days_per_week <= ?", f.DaysMax)
	}
	if f.RateMin > 0 {
		add("a.daily_rate >= ?", f.RateMin)
	}
	if f.RateMax > 0 {
		add("a.daily_rate <= ?", f.RateMax)
	}
	if f.ReceivedFrom != nil {
		add("a.created_at >= ?", *f.ReceivedFrom)
	}
	if f.ReceivedTo != nil {
		add("a.created_at < ?", *f.ReceivedTo)
	}
	if f.Source != "" {
		add("a.utm_source = ?", f.Source)
	}
	f.answerConds(add)
	if f.ScoreMin > 0 {
		add("a.score_mean >= ?", f.ScoreMin)
	}
	if f.ScoreMax > 0 {
		add("a.score_mean <= ? AND a.scorecard_count > 0", f.ScoreMax)
	}
	return strings.Join(conds, " AND "), args
}

// ListApplications returns one page of applications and the cursor of the
// next page ("" on the last page).
func (r *Repo) ListApplications(ctx context.Context, f ListFilter) ([]ListRow, string, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Sort == SortAnswer && f.SortQuestion != nil {
		return r.listByAnswer(ctx, f)
	}
	if f.Blind && f.Sort == SortName {
		f.Sort = SortDate // the order of names would tell who is who
	}
	where, args := f.where(true)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	var order string
	if c, ok := decodeCursor(f.After); ok {
		switch f.Sort {
		case SortName:
			where += fmt.Sprintf(" AND (lower(a.last_name || ' ' || a.first_name), a.id) > (%s, %s)", arg(c.S), arg(c.ID))
		case SortRate:
			where += fmt.Sprintf(" AND (a.daily_rate, a.id) > (%s, %s)", arg(c.N), arg(c.ID))
		case SortScore:
			where += fmt.Sprintf(" AND (a.score_mean, a.id) < (%s::float8, %s)", arg(c.M), arg(c.ID))
		default:
			where += fmt.Sprintf(" AND (a.created_at, a.id) < (%s, %s)", arg(c.T), arg(c.ID))
		}
	}
	var pageOrder string // the same order, over the page's columns
	switch f.Sort {
	case SortName:
		order, pageOrder = "lower(a.last_name || ' ' || a.first_name), a.id", "l.sort_name, l.id"
	case SortRate:
		order, pageOrder = "a.daily_rate, a.id", "l.daily_rate, l.id"
	case SortScore:
		order, pageOrder = "a.score_mean DESC, a.id DESC", "l.score_mean DESC, l.id DESC"
	default:
		order, pageOrder = "a.created_at DESC, a.id DESC", "l.created_at DESC, l.id DESC"
	}
	reader := arg(f.Reader)
	limit := arg(f.Limit + 1)
	// The page is chosen first; unread marks and the reader's own
	// scorecard are looked up for its rows only.
	var rows []ListRow
	err := r.db.SelectContext(ctx, &rows, `SELECT l.*,
		NOT EXISTS (SELECT 1 FROM application_reads ar WHERE ar.application_id = l.id AND ar.email = lower(`+reader+`)) AS unread,
		EXISTS (SELECT 1 FROM emails be WHERE be.application_id = l.id AND be.bounced_at IS NOT NULL
			AND lower(be.to_address) = lower(l.email)) AS bounced,
		EXISTS (SELECT 1 FROM scorecards sc WHERE sc.application_id = l.id AND sc.reviewer = lower(`+reader+`)) AS my_scorecard
		FROM (SELECT a.id, a.status, a.first_name, a.last_name, a.email, a.phone,
			a.location, a.daily_rate, a.days_per_week, a.available_from, a.siret, a.motivation, a.created_at,
			a.utm_source, a.utm_medium, a.utm_campaign, a.ref, a.referrer_host,
			a.score_mean, a.scorecard_count, a.revealed_at,
			lower(a.last_name || ' ' || a.first_name) AS sort_name
			FROM applications a WHERE `+where+` ORDER BY `+order+` LIMIT `+limit+`) l
		ORDER BY `+pageOrder, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list applications: %w", err)
	}
	next := ""
	if len(rows) > f.Limit {
		rows = rows[:f.Limit]
		next = pageCursor(f.Sort, rows[len(rows)-1]).encode()
	}
	return rows, next, nil
}

// pageCursor is the cursor after row, holding its key in sort and nothing
// else: a page's link carries a name only when the list is sorted on
// names (never on a posting reviewed blind, see ListFilter.Blind).
func pageCursor(sort string, row ListRow) cursor {
	switch sort {
	case SortName:
		return cursor{S: row.SortName, ID: row.ID}
	case SortRate:
		return cursor{N: row.DailyRate, ID: row.ID}
	case SortScore:
		return cursor{M: row.ScoreMean, ID: row.ID}
	}
	return cursor{T: row.CreatedAt, ID: row.ID}
}

// CountCap bounds each count of StatusCounts under a text search, and
// under a filter on answers that more than ExactCountLimit applications
// match: a common word or a common answer may match tens of thousands of
// applications, and reading them all to count them would make every page
// of the list slow.
const CountCap = 200

// ExactCountLimit is how many applications a filter on answers may match
// and still be counted exactly, tab by tab: more than any posting gets
// but the largest, and few enough to count in one short pass.
const ExactCountLimit = 2000

// StatusCount is one tab's count. A count may stop at CountCap (see
// there), and More then says there are more.
type StatusCount struct {
	N    int
	More bool
}

// StatusCounts counts the applications matching the filter, by status.
//
// Without a search or a filter on answers, one count a status, so that
// each reads only its own index entries. Under a search, one count a
// status that stops at CountCap. Under a filter on answers, first one
// pass grouped by status over at most ExactCountLimit+1 matches (the
// answers' index joined to the posting's applications read by id from an
// index alone, see migration 00031): exact when the matches are fewer,
// and only otherwise one capped count a status, as under a search.
func (r *Repo) StatusCounts(ctx context.Context, f ListFilter) (map[catalog.Status]StatusCount, error) {
	where, args := f.where(false)
	switch {
	case strings.TrimSpace(f.Query) != "":
		return r.cappedCounts(ctx, where, args)
	case len(f.Answers) > 0:
		counts, n, err := r.statusCounts(ctx, `SELECT m.status, count(*) FROM (SELECT a.status FROM applications a WHERE `+where+
			` LIMIT `+strconv.Itoa(ExactCountLimit+1)+`) m GROUP BY m.status`, args, false)
		if err != nil || n <= ExactCountLimit {
			return counts, err
		}
		return r.cappedCounts(ctx, where, args)
	}
	args = append(args, pq.Array(catalog.Statuses()))
	counts, _, err := r.statusCounts(ctx, `SELECT s, (SELECT count(*) FROM applications a WHERE `+where+` AND a.status = s)
		FROM unnest($`+strconv.Itoa(len(args))+`::text[]) s`, args, false)
	return counts, err
}

// cappedCounts counts by status, each count stopping past CountCap.
func (r *Repo) cappedCounts(ctx context.Context, where string, args []any) (map[catalog.Status]StatusCount, error) {
	args = append(args, pq.Array(catalog.Statuses()))
	counts, _, err := r.statusCounts(ctx, `SELECT s, (SELECT count(*) FROM (SELECT 1 FROM applications a WHERE `+where+
		` AND a.status = s LIMIT `+strconv.Itoa(CountCap+1)+`) capped) FROM unnest($`+strconv.Itoa(len(args))+`::text[]) s`, args, true)
	return counts, err
}

// statusCounts runs stmt, which returns (status, count) rows, and returns
// the counts of every status (0 for those it leaves out) and their sum.
func (r *Repo) statusCounts(ctx context.Context, stmt string, args []any, capped bool) (map[catalog.Status]StatusCount, int, error) {
	rows, err := r.db.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("status counts: %w", err)
	}
	defer rows.Close()
	counts := make(map[catalog.Status]StatusCount, len(catalog.Statuses()))
	for _, s := range catalog.Statuses() {
		counts[s] = StatusCount{}
	}
	total := 0
	for rows.Next() {
		var s catalog.Status
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, 0, err
		}
		total += n
		if capped && n > CountCap {
			counts[s] = StatusCount{N: CountCap, More: true}
		} else {
			counts[s] = StatusCount{N: n}
		}
	}
	return counts, total, rows.Err()
}

// Neighbours returns the ids before and after appID in the list the
// filter describes (0 when there is none), for previous/next links. Each
// is one step along the sort's index from the application's own key, so
// the cost does not grow with the list.
func (r *Repo) Neighbours(ctx context.Context, f ListFilter, appID int64) (prev, next int64, err error) {
	if f.Sort == SortAnswer && f.SortQuestion != nil {
		return r.neighboursByAnswer(ctx, f, appID)
	}
	where, args := f.where(true)
	args = append(args, appID)
	self := "$" + strconv.Itoa(len(args))
	var key string
	desc := false
	if f.Blind && f.Sort == SortName {
		f.Sort = SortDate // as ListApplications
	}
	switch f.Sort {
	case SortName:
		key = "lower(a.last_name || ' ' || a.first_name)"
	case SortRate:
		key = "a.daily_rate"
	case SortScore:
		key, desc = "a.score_mean", true
	default:
		key, desc = "a.created_at", true
	}
	// before and after in the list's order, whichever way the key runs.
	before, after := "<", ">"
	beforeOrder, afterOrder := "DESC", "ASC"
	if desc {
		before, after = after, before
		beforeOrder, afterOrder = afterOrder, beforeOrder
	}
	step := func(cmp, order string) string {
		return `(SELECT a.id FROM applications a WHERE ` + where + ` AND (` + key + `, a.id) ` + cmp + ` (cur.k, cur.id)
			ORDER BY ` + key + ` ` + order + `, a.id ` + order + ` LIMIT 1)`
	}
	// cur is empty when the application is not in this list: no neighbours.
	q := `WITH cur AS (SELECT ` + key + ` AS k, a.id FROM applications a WHERE ` + where + ` AND a.id = ` + self + `)
		SELECT ` + step(before, beforeOrder) + `, ` + step(after, afterOrder) + ` FROM cur`
	return r.neighbours(ctx, appID, q, args)
}

// neighbours runs a Neighbours statement, whose one row (none when the
// application is not in the list) holds the previous and next ids.
func (r *Repo) neighbours(ctx context.Context, appID int64, q string, args []any) (prev, next int64, err error) {
	var p, n *int64
	err = r.db.QueryRowContext(ctx, q, args...).Scan(&p, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("neighbours of application %d: %w", appID, err)
	}
	if p != nil {
		prev = *p
	}
	if n != nil {
		next = *n
	}
	return prev, next, nil
}

// PostingSources returns the sources (utm_source) seen among a posting's
// live applications, in alphabetical order. It steps from one source to
// the next along an index, so it reads one entry per source, not one per
// application.
func (r *Repo) PostingSources(ctx context.Context, postingID int64) ([]string, error) {
	var out []string
	err := r.db.SelectContext(ctx, &out, `WITH RECURSIVE s(v) AS (
			(SELECT utm_source FROM applications WHERE posting_id = $1 AND utm_source <> '' AND erased_at IS NULL
				ORDER BY utm_source LIMIT 1)
			UNION ALL
			SELECT (SELECT utm_source FROM applications WHERE posting_id = $1 AND utm_source > s.v AND utm_source <> '' AND erased_at IS NULL
				ORDER BY utm_source LIMIT 1) FROM s WHERE s.v IS NOT NULL)
		SELECT v FROM s WHERE v IS NOT NULL ORDER BY v`, postingID)
	if err != nil {
		return nil, fmt.Errorf("sources of posting %d: %w", postingID, err)
	}
	return out, nil
}
