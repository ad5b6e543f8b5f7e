// Package frfmt formats dates, numbers and statuses the way French readers
// expect them, for pages and emails alike.
package frfmt

import (
	"strconv"
	"strings"
	"time"
)

var months = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
	"septembre", "octobre", "novembre", "décembre"}

// Paris is the zone every date is shown in.
var Paris = mustLoad("Europe/Paris")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err) // time/tzdata is linked into the binary: this cannot fail
	}
	return loc
}

// Date formats "15 mars 2021" in Paris time.
func Date(t time.Time) string {
	t = t.In(Paris)
	day := strconv.Itoa(t.Day())
	if t.Day() == 1 {
		day = "1er"
	}
	return day + " " + months[t.Month()-1] + " " + strconv.Itoa(t.Year())
}

// DateTime formats "15 mars 2021 à 14 h 05" in Paris time.
func DateTime(t time.Time) string {
	t = t.In(Paris)
	return Date(t) + " à " + strconv.Itoa(t.Hour()) + " h " + twoDigits(t.Minute())
}

// CalendarDate formats a date-only value (a DATE column, read as UTC
// midnight) without shifting it to another day.
func CalendarDate(t time.Time) string {
	return Date(time.Date(t.Year(), t.Month(), t.Day(), 12, 0, 0, 0, Paris))
}

// Days formats 2.5 as "2,5" and 3 as "3".
func Days(d float64) string {
	return strings.Replace(strconv.FormatFloat(d, 'f', -1, 64), ".", ",", 1)
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

var weekdays = [...]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}

// Weekday formats "mardi 3 mars 2026" in Paris time.
func Weekday(t time.Time) string {
	t = t.In(Paris)
	return weekdays[t.Weekday()] + " " + Date(t)
}

// Appointment formats "mardi 3 mars 2026 à 14 h 30" in Paris time.
func Appointment(t time.Time) string {
	t = t.In(Paris)
	return Weekday(t) + " à " + Clock(t)
}

// Clock formats "14 h 30" (and "9 h 05") in Paris time.
func Clock(t time.Time) string {
	t = t.In(Paris)
	return strconv.Itoa(t.Hour()) + " h " + twoDigits(t.Minute())
}

// Minutes formats a length of minutes: "45 min", "1 h", "1 h 30".
func Minutes(n int) string {
	switch {
	case n < 60:
		return strconv.Itoa(n) + " min"
	case n%60 == 0:
		return strconv.Itoa(n/60) + " h"
	}
	return strconv.Itoa(n/60) + " h " + twoDigits(n%60)
}
