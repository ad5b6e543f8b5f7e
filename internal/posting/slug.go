package posting

import (
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

const maxSlugLen = 80

// datePrefixRe is the Jekyll-style date that starts most corpus file names.
var datePrefixRe = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})[-_ ]`)

// nameDateRe also accepts a name that is only a date ("2021-03-15.md").
var nameDateRe = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})(?:[-_ .]|$)`)

// extRe matches the Markdown extensions a posting file may carry.
var extRe = regexp.MustCompile(`(?i)\.(md|markdown)$`)

// foldedLetters covers letters that NFD does not split into base + accent.
var foldedLetters = strings.NewReplacer(
	"œ", "oe", "æ", "ae", "ß", "ss", "ø", "o", "đ", "d", "ł", "l",
	"ð", "d", "þ", "th", "ı", "i",
)

// Slugify turns a file name into a URL slug: drop a .md/.markdown extension
// and a leading YYYY-MM-DD[-_ ] date, strip accents, lowercase, turn every
// run of characters other than [a-z0-9] into one "-", trim dashes and cut to
// at most 80 characters, at a dash when possible. It never returns "".
func Slugify(name string) string {
	name = strings.ToValidUTF8(name, "\uFFFD")
	name = extRe.ReplaceAllString(name, "")
	name = datePrefixRe.ReplaceAllString(name, "")
	s := foldedLetters.Replace(strings.ToLower(norm.NFC.String(name)))

	var b strings.Builder
	dash := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			// accent split off by NFD: drop it, é -> e
		case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9'):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
	}
	slug := b.String()
	if len(slug) > maxSlugLen {
		cut := slug[:maxSlugLen+1]
		if i := strings.LastIndexByte(cut, '-'); i > 0 {
			slug = cut[:i]
		} else {
			slug = slug[:maxSlugLen]
		}
		slug = strings.Trim(slug, "-")
	}
	if slug == "" {
		return "offre"
	}
	return slug
}

// titleFromName makes a readable fallback title from a file name, for a
// posting whose front matter names no role nor title.
func titleFromName(name string) string {
	name = strings.ToValidUTF8(name, "\uFFFD")
	name = extRe.ReplaceAllString(name, "")
	name = datePrefixRe.ReplaceAllString(name, "")
	name = strings.Map(func(r rune) rune {
		if r == '-' || r == '_' {
			return ' '
		}
		return r
	}, name)
	t := cleanText(name)
	if t == "" {
		return "Offre sans titre"
	}
	r, size := utf8.DecodeRuneInString(t)
	return cleanText(string(unicode.ToUpper(r)) + t[size:])
}

// dateFromName reads the YYYY-MM-DD prefix of a file name, if any.
func dateFromName(name string) (time.Time, bool) {
	m := nameDateRe.FindStringSubmatch(name)
	if m == nil {
		return time.Time{}, false
	}
	return dayInParis(atoi(m[1]), atoi(m[2]), atoi(m[3]), false)
}
