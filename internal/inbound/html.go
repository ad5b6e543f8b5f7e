package inbound

import (
	"strings"

	"golang.org/x/net/html"
)

// HTMLText turns an HTML-only reply into plain text that is safe to show
// as text: the words without any markup, scripts and styles dropped,
// block elements and <br> as line breaks, links as their text, and the
// quoted history of mail clients (blockquote, Gmail's and Outlook's quote
// blocks) left out.
func HTMLText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	skip := 0 // depth inside script, style, head or a quote
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return tidy(b.String())
		case html.TextToken:
			if skip == 0 {
				b.WriteString(collapse(string(z.Text())))
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			quote := false
			if tt == html.StartTagToken && hasAttr {
				for {
					k, v, more := z.TagAttr()
					if string(k) == "class" && (strings.Contains(string(v), "gmail_quote") || strings.Contains(string(v), "moz-cite-prefix")) ||
						string(k) == "id" && (strings.Contains(string(v), "divRplyFwdMsg") || strings.Contains(string(v), "appendonsend")) {
						quote = true
					}
					if !more {
						break
					}
				}
			}
			switch tag {
			case "script", "style", "head", "title", "blockquote":
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
				continue
			}
			if quote && tt == html.StartTagToken {
				// The rest is the quoted history.
				return tidy(b.String())
			}
			switch tag {
			case "br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "hr":
				if skip == 0 {
					b.WriteByte('\n')
				}
			}
		}
	}
}

// collapse folds runs of ASCII white space (HTML's) into one space; a
// no-break space stays.
func collapse(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	if space {
		b.WriteByte(' ')
	}
	return b.String()
}

// tidy trims each line and keeps at most one blank line in a row.
func tidy(s string) string {
	var out []string
	blank := false
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			if !blank && len(out) > 0 {
				out = append(out, "")
			}
			blank = true
			continue
		}
		blank = false
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}
