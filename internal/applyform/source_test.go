package applyform

import (
	"net/url"
	"strings"
	"testing"
)

func TestSourceValuesAreCleanOrDropped(t *testing.T) {
	for in, want := range map[string]string{
		"LinkedIn": "LinkedIn", "  Mailing beta.gouv ": "Mailing beta.gouv", "été-2026": "été-2026",
		"\xff\xfe": "", "bell\a": "", "line\nbreak": "", "rtl\u202eexe": "", "zero\u200bwidth": "",
		strings.Repeat("é", MaxSourceLen): strings.Repeat("é", MaxSourceLen), strings.Repeat("x", MaxSourceLen+1): "",
	} {
		if got := SourceValue(in); got != want {
			t.Errorf("SourceValue(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReferrerHostIsAnotherSitesHostOnly(t *testing.T) {
	own := []string{"vivier.example", "127.0.0.1"}
	for in, want := range map[string]string{
		"https://www.LinkedIn.com/feed/update/123?trk=x#y": "www.linkedin.com",
		"http://beta.gouv.fr:8080/lettre":                  "beta.gouv.fr",
		"https://vivier.example/offres/x":                  "",
		"http://127.0.0.1:8080/":                           "",
		"android-app://com.google.android.gm/":             "",
		"not a url":                                        "",
		"":                                                 "",
		"https://exa_mple.com/":                            "",
	} {
		if got := ReferrerHost(in, own...); got != want {
			t.Errorf("ReferrerHost(%q) = %q, want %q", in, got, want)
		}
	}
	// The form's hidden field is checked again: a host, not an address.
	got := ReadSource(url.Values{FieldOrigin: {"https://evil.example/x"}, FieldUTMSource: {"ok"}}, own...)
	if got != (Source{Source: "ok"}) {
		t.Errorf("ReadSource = %+v", got)
	}
	if got := ReadSource(url.Values{FieldOrigin: {"VIVIER.example"}}, own...); !got.IsZero() {
		t.Errorf("this site's own host kept: %+v", got)
	}
}
