package applyform

import (
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var today = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

func valid() url.Values {
	return url.Values{
		FieldFirstName: {"Camille"}, FieldLastName: {"Durand"}, FieldEmail: {"camille@example.org"},
		FieldLocation: {"Lyon"}, FieldDailyRate: {"650"}, FieldDaysPerWeek: {"2,5"}, FieldAvailable: {"2026-12-01"},
		FieldMotivation: {strings.Repeat("motivé ", 10)}, FieldConsent: {"oui"},
	}
}

func TestPhoneNumbersAreStoredInE164(t *testing.T) {
	for in, want := range map[string]string{
		"06 12 34 56 78": "+33612345678", "+33 6 12 34 56 78": "+33612345678", "0033612345678": "+33612345678",
		"01.23.45.67.89": "+33123456789", "+32 470 12 34 56": "+32470123456", "+1 202-555-0143": "+12025550143",
		"0590 12 34 56": "+590590123456",
	} {
		v := valid()
		v.Set(FieldPhone, in)
		got, errs := Check(v, today)
		if len(errs) != 0 || got.Phone != want {
			t.Errorf("phone %q: got %q, errors %v; want %q", in, got.Phone, errs, want)
		}
	}
	for _, bad := range []string{"12", "06 12", "bonjour", "+33 6 12 34 56 78 99 99"} {
		v := valid()
		v.Set(FieldPhone, bad)
		if _, errs := Check(v, today); errs[FieldPhone] == "" {
			t.Errorf("phone %q accepted", bad)
		}
	}
}

func TestSIRETChecksum(t *testing.T) {
	for s, ok := range map[string]bool{
		"73282932000074": true,  // a real SIRET
		"35600000000048": true,  // La Poste's head office: a plain Luhn key
		"35600000012341": true,  // La Poste: digits add up to a multiple of 5 (no Luhn key)
		"73282932000075": false, // one digit off
		"35600000012342": false,
	} {
		if ValidSIRET(s) != ok {
			t.Errorf("ValidSIRET(%s) = %v, want %v", s, !ok, ok)
		}
	}
}

func TestValuesAreCleaned(t *testing.T) {
	v := valid()
	v.Set(FieldFirstName, "  Chloe\u0301 ") // decomposed accent, spaces
	v.Set(FieldDailyRate, "1 200 €")
	v.Set(FieldDaysPerWeek, "0.5")
	v.Set(FieldLinks, "https://a.example\r\n\r\nhttp://b.example/profil")
	got, errs := Check(v, today)
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	if got.FirstName != "Chloé" || got.DailyRate != 1200 || got.DaysPerWeek != 0.5 || len(got.Links) != 2 {
		t.Errorf("got %+v", got)
	}
}

func TestCVIsRecognisedByContent(t *testing.T) {
	pdf := []byte("%PDF-1.4\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")
	cv, msg := CheckCV(`C:\Users\camille\Mon CV "final".exe`, pdf, 1<<20)
	if msg != "" || cv.ContentType != "application/pdf" || cv.Name != "Mon CV final.pdf" {
		t.Errorf("got %+v, %q", cv, msg)
	}
	if _, msg := CheckCV("cv.pdf", []byte("MZ\x90\x00\x03\x00\x00\x00 not a pdf at all"), 1<<20); msg == "" {
		t.Error("an executable named cv.pdf was accepted")
	}
	if _, msg := CheckCV("cv.pdf", pdf, 10); !strings.Contains(msg, "taille maximale") {
		t.Errorf("oversized CV: %q", msg)
	}
}

// Names and CV file names lose the invisible format characters that make
// them show other than they are; an address holding one is refused.
func TestFormatCharactersAreStrippedFromNames(t *testing.T) {
	v := valid()
	v.Set(FieldFirstName, "\u202eellimaC")                  // right-to-left override: shows "Camille"
	v.Set(FieldLastName, "\u2066Dur\u200band\ufeff\u2069 ") // isolate, zero-width space, BOM
	v.Set(FieldLocation, "Ly\u200don\u200e")
	got, errs := Check(v, today)
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	if got.FirstName != "ellimaC" || got.LastName != "Durand" || got.Location != "Lyon" {
		t.Errorf("got %q %q, %q", got.FirstName, got.LastName, got.Location)
	}
	v.Set(FieldFirstName, "\u200b\u202e")
	if _, errs := Check(v, today); errs[FieldFirstName] == "" {
		t.Error("a first name of format characters only was accepted")
	}
	for _, email := range []string{"cam\u202eille@example.org", "camille@exa\u200bmple.org"} {
		v := valid()
		v.Set(FieldEmail, email)
		if _, errs := Check(v, today); errs[FieldEmail] == "" {
			t.Errorf("address %q accepted", email)
		}
	}
	pdf := []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")
	for name, want := range map[string]string{
		"Mon CV\u202efdp.exe":          "Mon CVfdp.pdf",
		"cv\u2067\u200d\u2069.pdf":     "cv.pdf",
		"\u202bCV\u202c \ufeffLéa.pdf": "CV Léa.pdf",
		"\u202e\u200f.pdf":             "cv.pdf",
	} {
		if cv, msg := CheckCV(name, pdf, 1<<20); msg != "" || cv.Name != want {
			t.Errorf("CV named %q: %q, %q; want %q", name, cv.Name, msg, want)
		}
	}
}

// FuzzCheck: no input makes the form checker panic, and what it accepts
// holds no control characters in one-line fields.
func FuzzCheck(f *testing.F) {
	f.Add("Camille", "camille@example.org", "06 12 34 56 78", "650", "2,5", "2026-12-01", "73282932000074", "https://a.example", "motivé")
	f.Add("A\r\nB", "a@b\r\n.c", "+999", "-1", "NaN", "31/02/2026", "1", "javascript:x", "")
	f.Fuzz(func(t *testing.T, name, email, phone, rate, days, date, siret, links, motivation string) {
		v := valid()
		v.Set(FieldFirstName, name)
		v.Set(FieldEmail, email)
		v.Set(FieldPhone, phone)
		v.Set(FieldDailyRate, rate)
		v.Set(FieldDaysPerWeek, days)
		v.Set(FieldAvailable, date)
		v.Set(FieldSIRET, siret)
		v.Set(FieldLinks, links)
		v.Set(FieldMotivation, motivation)
		got, errs := Check(v, today)
		if len(errs) > 0 {
			return
		}
		for _, s := range []string{got.FirstName, got.Email, got.Phone} {
			if strings.ContainsAny(s, "\r\n") || !utf8.ValidString(s) {
				t.Fatalf("accepted a field with a line break or bad UTF-8: %q", s)
			}
		}
		if hasFormat(got.FirstName) || hasFormat(got.Email) {
			t.Fatalf("accepted a name or an address with a format character: %q, %q", got.FirstName, got.Email)
		}
		if got.DaysPerWeek < 0.5 || got.DaysPerWeek > 5 || got.DailyRate < MinDailyRate {
			t.Fatalf("accepted out-of-range numbers: %+v", got)
		}
	})
}
