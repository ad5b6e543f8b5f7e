package applyform

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Where an applicant came from: the parameters of the posting's address,
// carried by the form as hidden fields of the same names, and the host of
// the site that linked to the posting.
const (
	FieldUTMSource   = "utm_source"
	FieldUTMMedium   = "utm_medium"
	FieldUTMCampaign = "utm_campaign"
	FieldRef         = "ref"
	// FieldOrigin carries the referring site's host from the posting page
	// to the form's answer (the form's own request comes from this site).
	FieldOrigin = "origine"
)

// SourceFields are the names of the fields that say where an applicant
// came from, in the form's order.
func SourceFields() []string {
	return []string{FieldUTMSource, FieldUTMMedium, FieldUTMCampaign, FieldRef, FieldOrigin}
}

// MaxSourceLen bounds each source value, in characters.
const MaxSourceLen = 100

// maxHostLen is DNS's bound on a host name.
const maxHostLen = 253

// Source is where an application came from; a value that is not clean
// text is left empty, never refused: it is no fault of the applicant's.
type Source struct {
	Source, Medium, Campaign, Ref string
	// ReferrerHost is the host of another site that linked to the
	// posting: never a full address, never this site.
	ReferrerHost string
}

// IsZero reports whether nothing is known of where the application came from.
func (s Source) IsZero() bool { return s == Source{} }

// ReadSource reads the campaign parameters from v (an address's query or
// the form's hidden fields), dropping any that is not clean text, and the
// referring host carried by the form, dropping it if it is not a host
// name or is one of own.
func ReadSource(v url.Values, own ...string) Source {
	return Source{
		Source:       SourceValue(v.Get(FieldUTMSource)),
		Medium:       SourceValue(v.Get(FieldUTMMedium)),
		Campaign:     SourceValue(v.Get(FieldUTMCampaign)),
		Ref:          SourceValue(v.Get(FieldRef)),
		ReferrerHost: otherHost(v.Get(FieldOrigin), own),
	}
}

// SourceValue returns s trimmed if it is valid UTF-8, at most
// MaxSourceLen characters and printable (no control or invisible format
// character), and "" otherwise.
func SourceValue(s string) string {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxSourceLen {
		return ""
	}
	for _, r := range s {
		if !unicode.IsPrint(r) || unicode.Is(unicode.Cf, r) {
			return ""
		}
	}
	return s
}

// ReferrerHost returns the host of a Referer header's address when it is
// an http(s) address on another host than own, and "" otherwise.
func ReferrerHost(referer string, own ...string) string {
	u, err := url.Parse(referer)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	return otherHost(u.Hostname(), own)
}

// otherHost returns host, lower-cased, if it is a host name (letters,
// digits, dots and hyphens, as a Referer carries one, or an IP address)
// and none of own; "" otherwise.
func otherHost(host string, own []string) string {
	host = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(host)), ".")
	if host == "" || len(host) > maxHostLen {
		return ""
	}
	for _, r := range host {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == ':' || r == '[' || r == ']') {
			return ""
		}
	}
	for _, o := range own {
		if strings.EqualFold(strings.TrimSuffix(o, "."), host) {
			return ""
		}
	}
	return host
}
