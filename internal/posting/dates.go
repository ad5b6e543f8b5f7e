package posting

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	// Europe/Paris must resolve even on machines without a zoneinfo database.
	_ "time/tzdata"
)

// paris is the zone of every date in the corpus that carries no offset.
var paris = mustLoadParis()

func mustLoadParis() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		// Unreachable with time/tzdata linked in.
		panic("posting: cannot load Europe/Paris: " + err.Error())
	}
	return loc
}

// isoDateRe matches the ISO-like forms met in front matter and in YAML
// timestamps: date only, or date plus time with one- or two-digit hours,
// optional seconds and fraction, and an optional zone (Z, UTC, ±H, ±HH,
// ±HHMM, ±HH:MM), possibly separated by spaces.
var isoDateRe = regexp.MustCompile(
	`^(\d{4})-(\d{1,2})-(\d{1,2})` +
		`(?:(?:[Tt]|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?` +
		`\s*(Z|z|UTC|GMT|[+-]\d{1,2}(?::?\d{2})?)?)?$`)

// frDateRe matches French day-first dates: 15/03/2021 or 15.03.2021.
var frDateRe = regexp.MustCompile(`^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$`)

// jsDateRe matches JavaScript's Date.toString() output, which leaked into
// some Incubateur des Territoires exports:
// "Mon Dec 21 2020 14:05:12 GMT+0100 (heure normale d’Europe centrale)".
var jsDateRe = regexp.MustCompile(
	`^[A-Za-z]{3}\s+([A-Za-z]{3})\s+(\d{1,2})\s+(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})\s+GMT([+-]\d{4})(?:\s+\(.*\))?$`)

var monthAbbrev = map[string]time.Month{
	"jan": time.January, "feb": time.February, "mar": time.March,
	"apr": time.April, "may": time.May, "jun": time.June,
	"jul": time.July, "aug": time.August, "sep": time.September,
	"oct": time.October, "nov": time.November, "dec": time.December,
}

// parseDate reads a front-matter date. A date without a time means the
// start of that day in Paris, or its last second when endOfDay is set
// (a closing date includes its whole day). ok is false when s is not a date.
func parseDate(s string, endOfDay bool) (t time.Time, ok bool) {
	s = strings.TrimSpace(s)
	if len(s) > 128 {
		return time.Time{}, false
	}
	if m := isoDateRe.FindStringSubmatch(s); m != nil {
		return fromISO(m, endOfDay)
	}
	if m := frDateRe.FindStringSubmatch(s); m != nil {
		return dayInParis(atoi(m[3]), atoi(m[2]), atoi(m[1]), endOfDay)
	}
	if m := jsDateRe.FindStringSubmatch(s); m != nil {
		mon, found := monthAbbrev[strings.ToLower(m[1])]
		if !found {
			return time.Time{}, false
		}
		off, okOff := parseOffset(m[7])
		if !okOff {
			return time.Time{}, false
		}
		return buildTime(atoi(m[3]), int(mon), atoi(m[2]), atoi(m[4]), atoi(m[5]), atoi(m[6]), 0, off)
	}
	return time.Time{}, false
}

func fromISO(m []string, endOfDay bool) (time.Time, bool) {
	year, month, day := atoi(m[1]), atoi(m[2]), atoi(m[3])
	if m[4] == "" {
		return dayInParis(year, month, day, endOfDay)
	}
	sec := 0
	if m[6] != "" {
		sec = atoi(m[6])
	}
	nsec := 0
	if frac := m[7]; frac != "" {
		if len(frac) > 9 {
			frac = frac[:9]
		}
		nsec = atoi(frac + strings.Repeat("0", 9-len(frac)))
	}
	loc := paris
	if m[8] != "" {
		var ok bool
		if loc, ok = parseOffset(m[8]); !ok {
			return time.Time{}, false
		}
	}
	return buildTime(year, month, day, atoi(m[4]), atoi(m[5]), sec, nsec, loc)
}

func dayInParis(year, month, day int, endOfDay bool) (time.Time, bool) {
	if endOfDay {
		return buildTime(year, month, day, 23, 59, 59, 0, paris)
	}
	return buildTime(year, month, day, 0, 0, 0, 0, paris)
}

// buildTime checks the ranges that time.Date would silently normalise
// (2021-02-30 is not a date) and returns the instant in Paris.
func buildTime(year, month, day, hour, min, sec, nsec int, loc *time.Location) (time.Time, bool) {
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60 {
		return time.Time{}, false
	}
	if sec == 60 { // leap second: keep the instant inside the minute
		sec = 59
	}
	if time.Date(year, time.Month(month), day, 12, 0, 0, 0, time.UTC).Day() != day {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, min, sec, nsec, loc).In(paris)
	// Keep every instant writable back as a four-digit year.
	if t.Year() < 1 || t.Year() > 9999 {
		return time.Time{}, false
	}
	return t, true
}

// parseOffset reads Z, UTC, GMT, ±H, ±HH, ±HHMM or ±HH:MM.
func parseOffset(z string) (*time.Location, bool) {
	switch strings.ToUpper(z) {
	case "Z", "UTC", "GMT":
		return time.UTC, true
	}
	sign := 1
	if z[0] == '-' {
		sign = -1
	}
	digits := strings.ReplaceAll(z[1:], ":", "")
	var h, m int
	switch len(digits) {
	case 1, 2:
		h = atoi(digits)
	case 3, 4:
		h, m = atoi(digits[:len(digits)-2]), atoi(digits[len(digits)-2:])
	default:
		return nil, false
	}
	if h > 14 || m > 59 {
		return nil, false
	}
	off := sign * (h*3600 + m*60)
	if off == 0 {
		return time.UTC, true
	}
	return time.FixedZone("", off), true
}

// atoi is only called on strings the regexps above guarantee to be digits.
func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}
