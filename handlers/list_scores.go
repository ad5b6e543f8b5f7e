package handlers

import (
	"math"
	"strconv"
	"strings"

	"vivier/repository"
)

// The list's part of scorecards and of the blind first pass: the mean
// and number of scorecards of each row, the filter on the mean, and the
// rows shown as numbers while the posting is reviewed blind.

// scoreCell is a row's scorecards as the list shows them.
type scoreCell struct {
	Count int
	// Mean is shown once the reader has filled their own scorecard ("").
	Mean   string
	Hidden bool // the row is shown as a number (blind first pass)
}

// scoresView is the list's scorecards and blind pass.
type scoresView struct {
	// BlindUntil names the stage until which the posting is reviewed
	// blind ("" when it is not).
	BlindUntil string
	Cells      map[int64]scoreCell
}

// scoreColumns masks, in place, the rows a blind first pass hides and
// returns each row's scorecards' cell.
func scoreColumns(p *repository.Posting, rows []repository.ListRow) scoresView {
	v := scoresView{Cells: make(map[int64]scoreCell, len(rows))}
	if p.BlindUntil != "" {
		v.BlindUntil = p.BlindUntil.Label()
	}
	for i := range rows {
		r, hidden := listRowFor(p, rows[i])
		rows[i] = r
		cell := scoreCell{Count: r.Scorecards, Hidden: hidden}
		if r.MyScorecard && r.Scorecards > 0 {
			cell.Mean = frMean(r.ScoreMean)
		}
		v.Cells[r.ID] = cell
	}
	return v
}

// scoreBound reads a bound of the mean, from 1 to 4 ("2,5" or "2.5"); a
// bad one is named in problems and left out.
func scoreBound(s, label string, problems *[]string) float64 {
	if s == "" {
		return 0
	}
	f, err := strconv.ParseFloat(strings.Replace(strings.TrimSpace(s), ",", ".", 1), 64)
	if err != nil || math.IsNaN(f) || f < 1 || f > 4 {
		*problems = append(*problems, "« "+label+" » doit être un nombre entre 1 et 4, par exemple 2,5.")
		return 0
	}
	return f
}
