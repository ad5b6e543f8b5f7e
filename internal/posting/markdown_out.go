package posting

import (
	"bytes"
	"fmt"
	"strings"
	"time"
)

// Markdown returns the posting written back as a beta.gouv.fr-format
// Markdown file, such that Parse(p.SourceName, p.Markdown(), now) gives
// back the same field values. Every value is written explicitly (open
// included), so nothing depends on the file name or on now.
func (p *Posting) Markdown() []byte {
	var b bytes.Buffer
	b.WriteString("---\n")
	writeString(&b, "title", p.Title)
	writeString(&b, "roles", p.Title)
	writeString(&b, "friend", p.Organisation)
	writeString(&b, "contact", p.ContactEmail)
	writeString(&b, "contrat", p.Contract)
	writeString(&b, "externalURL", p.ExternalURL)
	if p.OpensAt != nil {
		fmt.Fprintf(&b, "date: %s\n", formatDate(*p.OpensAt, false))
	}
	if p.ClosesAt != nil {
		fmt.Fprintf(&b, "depublication_date: %s\n", formatDate(*p.ClosesAt, true))
	}
	fmt.Fprintf(&b, "open: %t\n", p.Open)
	writeList(&b, "domaines", p.Domains)
	writeList(&b, "techno", p.Technos)
	if p.Junior {
		b.WriteString("junior: true\n")
	}
	if p.HasQuestions || len(p.Questions) > 0 {
		writeQuestions(&b, p.Questions)
	}
	b.WriteString("---\n")
	b.WriteString(p.BodyMarkdown)
	return b.Bytes()
}

func writeString(b *bytes.Buffer, key, val string) {
	if val != "" {
		fmt.Fprintf(b, "%s: %s\n", key, quoteYAML(val))
	}
}

func writeList(b *bytes.Buffer, key string, vals []string) {
	if len(vals) == 0 {
		return
	}
	fmt.Fprintf(b, "%s:\n", key)
	for _, v := range vals {
		fmt.Fprintf(b, "  - %s\n", quoteYAML(v))
	}
}

// formatDate writes a date-only value when it means exactly what Parse
// reads from one (start of day for an opening, end of day for a closing),
// else a full timestamp: in Paris time when its offset is whole minutes
// (always, since 1911), else in UTC.
func formatDate(t time.Time, endOfDay bool) string {
	pt := t.In(paris)
	y, m, d := pt.Date()
	if day, ok := dayInParis(y, int(m), d, endOfDay); ok && day.Equal(t) {
		return fmt.Sprintf("%04d-%02d-%02d", y, m, d)
	}
	if _, off := pt.Zone(); off%60 == 0 {
		return pt.Format(time.RFC3339Nano)
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// quoteYAML writes s as a YAML double-quoted scalar, escaping what the
// YAML scanner would reject or read as a line break.
func quoteYAML(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7F || (r >= 0x80 && r <= 0x9F) || r == 0x2028 || r == 0x2029 ||
			r == 0xFEFF || r == 0xFFFE || r == 0xFFFF:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
