package catalog

import "slices"

// Recommendation is a reviewer's overall answer on a scorecard, from 1
// (definitely not) to 4 (definitely yes). Before scorecards, it was the
// application's one rating from 1 to 4.
type Recommendation int

// Recommendations, from the lowest.
const (
	DefinitelyNot Recommendation = 1
	No            Recommendation = 2
	Yes           Recommendation = 3
	DefinitelyYes Recommendation = 4
)

// Recommendations lists them from the lowest.
func Recommendations() []Recommendation {
	return []Recommendation{DefinitelyNot, No, Yes, DefinitelyYes}
}

var recommendationLabels = map[Recommendation]string{
	DefinitelyNot: "Définitivement non",
	No:            "Non",
	Yes:           "Oui",
	DefinitelyYes: "Définitivement oui",
}

// Label is the recommendation's French name ("" for none).
func (r Recommendation) Label() string { return recommendationLabels[r] }

// Valid reports whether r is one of the recommendations.
func (r Recommendation) Valid() bool { _, ok := recommendationLabels[r]; return ok }

// Positive reports whether r says yes.
func (r Recommendation) Positive() bool { return r >= Yes }

// Mark is a mark from 1 to 4 on one criterion of a scorecard.
type Mark int

// The marks' bounds.
const (
	MinMark Mark = 1
	MaxMark Mark = 4
)

// Marks lists the marks, from the lowest.
func Marks() []Mark { return []Mark{1, 2, 3, 4} }

var markLegend = map[Mark]string{
	1: "Insuffisant",
	2: "Partiel",
	3: "Bon",
	4: "Excellent",
}

// Legend says what the mark means ("Bon").
func (m Mark) Legend() string { return markLegend[m] }

// Valid reports whether m is a mark from 1 to 4.
func (m Mark) Valid() bool { return m >= MinMark && m <= MaxMark }

// BlindStages are the stages a posting's blind first pass may last
// until: an application is shown as a number until it reaches one.
func BlindStages() []Status {
	return []Status{StatusInReview, StatusShortlisted, StatusInterview}
}

// Reaches reports whether an application at s has reached stage: s is
// that stage of the pipeline or a later one. Rejected and withdrawn
// applications reach no stage.
func (s Status) Reaches(stage Status) bool {
	stages := Stages()
	i, j := slices.Index(stages, s), slices.Index(stages, stage)
	return i >= 0 && j >= 0 && i >= j
}
