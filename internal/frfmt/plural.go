package frfmt

import (
	"fmt"
	"math"
)

// Plural returns the form of a word that the number n calls for in
// French: the singular below 2 (0, 1 and 1,5 jour), the plural from 2 on.
func Plural(n float64, singular, plural string) string {
	if math.Abs(n) < 2 {
		return singular
	}
	return plural
}

// PluralOf is Plural for any number a template holds (int, int64,
// float64...), for the templates' "plural" function.
func PluralOf(n any, singular, plural string) (string, error) {
	var f float64
	switch v := n.(type) {
	case int:
		f = float64(v)
	case int32:
		f = float64(v)
	case int64:
		f = float64(v)
	case uint:
		f = float64(v)
	case uint64:
		f = float64(v)
	case float32:
		f = float64(v)
	case float64:
		f = v
	default:
		return "", fmt.Errorf("plural of %T: not a number", n)
	}
	return Plural(f, singular, plural), nil
}
