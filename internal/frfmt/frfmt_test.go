package frfmt

import (
	"testing"
	"time"
)

func TestPlural(t *testing.T) {
	for _, c := range []struct {
		n    float64
		want string
	}{{0, "jour"}, {0.5, "jour"}, {1, "jour"}, {1.5, "jour"}, {2, "jours"}, {2.5, "jours"}, {5, "jours"}} {
		if got := Plural(c.n, "jour", "jours"); got != c.want {
			t.Errorf("Plural(%v) = %q, want %q", c.n, got, c.want)
		}
	}
	for _, n := range []any{2, int64(2), 2.0} {
		if got, err := PluralOf(n, "personne prévenue", "personnes prévenues"); err != nil || got != "personnes prévenues" {
			t.Errorf("PluralOf(%T 2) = %q, %v", n, got, err)
		}
	}
	if _, err := PluralOf("2", "a", "b"); err == nil {
		t.Error("PluralOf takes a string for a number")
	}
}

func TestArticles(t *testing.T) {
	for _, c := range []struct{ name, de, a, capital string }{
		{"l'Incubateur des Territoires", "de l'Incubateur des Territoires", "à l'Incubateur des Territoires", "L'Incubateur des Territoires"},
		{"l’Agence", "de l’Agence", "à l’Agence", "L’Agence"},
		{"la Fabrique numérique", "de la Fabrique numérique", "à la Fabrique numérique", "La Fabrique numérique"},
		{"le GIP Inclusion", "du GIP Inclusion", "au GIP Inclusion", "Le GIP Inclusion"},
		{"Le Havre", "du Havre", "au Havre", "Le Havre"},
		{"les Ateliers", "des Ateliers", "aux Ateliers", "Les Ateliers"},
		{"Etalab", "d'Etalab", "à Etalab", "Etalab"},
		{"Incubateur des Territoires", "d'Incubateur des Territoires", "à Incubateur des Territoires", "Incubateur des Territoires"},
		{"Beta", "de Beta", "à Beta", "Beta"},
		{"Lena", "de Lena", "à Lena", "Lena"},
	} {
		if got := De(c.name); got != c.de {
			t.Errorf("De(%q) = %q, want %q", c.name, got, c.de)
		}
		if got := A(c.name); got != c.a {
			t.Errorf("A(%q) = %q, want %q", c.name, got, c.a)
		}
		if got := Capitalize(c.name); got != c.capital {
			t.Errorf("Capitalize(%q) = %q, want %q", c.name, got, c.capital)
		}
	}
}

func TestPhone(t *testing.T) {
	for in, want := range map[string]string{
		"+33612345678":  "06 12 34 56 78",
		"+33140000000":  "01 40 00 00 00",
		"+32470123456":  "+32 470 12 34 56",
		"+262692123456": "+262 692 12 34 56",
		"+14155552671":  "+1 415-555-2671",
		"":              "",
		"pas un numéro": "pas un numéro",
	} {
		if got := Phone(in); got != want {
			t.Errorf("Phone(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAppointments(t *testing.T) {
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 3, 3, 13, 30, 0, 0, time.UTC), "mardi 3 mars 2026 à 14 h 30"},
		{time.Date(2026, 3, 31, 7, 5, 0, 0, time.UTC), "mardi 31 mars 2026 à 9 h 05"}, // summer time
		{time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC), "dimanche 1er novembre 2026 à 10 h 00"},
	} {
		if got := Appointment(c.at); got != c.want {
			t.Errorf("Appointment(%v) = %q, want %q", c.at, got, c.want)
		}
	}
	for n, want := range map[int]string{45: "45 min", 60: "1 h", 90: "1 h 30", 480: "8 h"} {
		if got := Minutes(n); got != want {
			t.Errorf("Minutes(%d) = %q, want %q", n, got, want)
		}
	}
}
