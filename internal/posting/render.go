package posting

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
	"golang.org/x/text/unicode/norm"
)

// Both are safe for concurrent use once built.
var (
	markdown = newMarkdown()
	policy   = newPolicy()
)

var (
	// commentRe matches HTML comments, <!--more--> and pasted
	// <!--StartFragment--> included.
	commentRe = regexp.MustCompile(`(?s)<!--.*?-->`)
	moreRe    = regexp.MustCompile(`(?i)<!--\s*more\s*-->`)
	// bulletRe matches lines bulleted with characters Markdown ignores
	// (•) or with "*" and "+", which CommonMark would make separate lists
	// when mixed with "-" in one list.
	bulletRe  = regexp.MustCompile(`^([ \t]*)(?:[•●◦▪‣][ \t]*|[*+][ \t]+)(\S)`)
	hrRe      = regexp.MustCompile(`^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$`)
	headingRe = regexp.MustCompile(`<(/?)h([1-6])\b`)
	fenceRe   = regexp.MustCompile("^ {0,3}(```|~~~)")
	tagRe     = regexp.MustCompile(`<[^>]*>`)
	// blockStartRe matches a line that cannot continue a paragraph's text:
	// blank, a list item or a heading.
	blockStartRe = regexp.MustCompile(`^\s*$|^ {0,3}([-*+]|\d{1,9}[.)])(\s|$)|^ {0,3}#{1,6}(\s|$)`)
)

func newMarkdown() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithParserOptions(
			parser.WithASTTransformers(util.Prioritized(linkFixer{}, 100)),
		),
		// Inline HTML is common in the corpus; bluemonday cleans it up.
		goldmark.WithRendererOptions(html.WithUnsafe()),
	)
}

func newPolicy() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	// Only http, https and mailto: relative links would point into Vivier.
	p.AllowRelativeURLs(false)
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireNoFollowOnLinks(true)
	// Adds target="_blank" and rel="noopener" to external links.
	p.AddTargetBlankToFullyQualifiedLinks(true)
	// GFM task lists render as disabled checkboxes.
	p.AllowAttrs("type").Matching(regexp.MustCompile(`^checkbox$`)).OnElements("input")
	p.AllowAttrs("checked", "disabled").Matching(regexp.MustCompile(`^(|checked|disabled)$`)).OnElements("input")
	return p
}

// RenderMarkdown renders GitHub-flavoured Markdown to sanitised HTML.
// Headings are shifted one level down (the page has its own h1), HTML
// comments disappear and "•" bullets become list items.
func RenderMarkdown(md string) string {
	src := []byte(prepareMarkdown(md))
	var buf bytes.Buffer
	if err := markdown.Convert(src, &buf); err != nil {
		return ""
	}
	return finishHTML(buf.String())
}

// prepareMarkdown fixes what goldmark would render badly: CRLF, decomposed
// accents, HTML comments (a comment opening a line would swallow the rest
// of it as raw HTML) and bullets that are not Markdown.
func prepareMarkdown(md string) string {
	md = norm.NFC.String(strings.ToValidUTF8(md, "\uFFFD"))
	md = strings.ReplaceAll(md, "\r\n", "\n")
	md = strings.ReplaceAll(md, "\r", "\n")
	md = commentRe.ReplaceAllString(md, "")
	// An unclosed comment would hide everything after it.
	md = strings.ReplaceAll(md, "<!--", "&lt;!--")

	lines := strings.Split(md, "\n")
	code := make([]bool, len(lines))
	inCode := ""
	for i, l := range lines {
		if m := fenceRe.FindStringSubmatch(l); m != nil {
			code[i] = true
			switch inCode {
			case "":
				inCode = m[1]
			case m[1]:
				inCode = ""
			}
			continue
		}
		code[i] = inCode != ""
		if !code[i] && !hrRe.MatchString(l) {
			lines[i] = bulletRe.ReplaceAllString(l, "$1- $2")
		}
	}
	// Text pasted from HackMD ends lines with a backslash line break; at
	// the end of a paragraph or list item it would show as a literal "\".
	for i, l := range lines {
		if code[i] || !endsWithBreak(l) {
			continue
		}
		if i+1 == len(lines) || code[i+1] || blockStartRe.MatchString(lines[i+1]) {
			lines[i] = strings.TrimRight(l[:len(l)-1], " ")
		}
	}
	return strings.Join(lines, "\n")
}

// endsWithBreak tells whether a line ends with an unescaped backslash.
func endsWithBreak(l string) bool {
	n := len(l) - len(strings.TrimRight(l, `\`))
	return n%2 == 1
}

func finishHTML(raw string) string {
	out := policy.Sanitize(raw)
	out = headingRe.ReplaceAllStringFunc(out, func(tag string) string {
		m := headingRe.FindStringSubmatch(tag)
		level, _ := strconv.Atoi(m[2])
		return "<" + m[1] + "h" + strconv.Itoa(min(level+1, 6))
	})
	return strings.TrimSpace(out)
}

// excerptHTML renders what comes before <!--more-->, or else the first
// paragraph that has any content.
func excerptHTML(body string) string {
	if loc := moreRe.FindStringIndex(body); loc != nil {
		if h := RenderMarkdown(body[:loc[0]]); hasContent(h) {
			return h
		}
	}
	src := []byte(prepareMarkdown(body))
	doc := markdown.Parser().Parse(text.NewReader(src))

	var candidates []ast.Node
	for c := doc.FirstChild(); c != nil; c = c.NextSibling() {
		if c.Kind() == ast.KindParagraph {
			candidates = append(candidates, c)
		}
	}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering && n.Kind() == ast.KindParagraph && n.Parent() != doc {
			candidates = append(candidates, n)
		}
		return ast.WalkContinue, nil
	})
	// No paragraph at all (only headings and lists): take the first block.
	for c := doc.FirstChild(); c != nil; c = c.NextSibling() {
		candidates = append(candidates, c)
	}
	for _, n := range candidates {
		var buf bytes.Buffer
		if err := markdown.Renderer().Render(&buf, src, n); err != nil {
			continue
		}
		if h := finishHTML(buf.String()); hasContent(h) {
			return h
		}
	}
	return ""
}

// hasContent tells whether sanitised HTML shows anything: text or an image.
func hasContent(h string) bool {
	return strings.Contains(h, "<img") || strings.TrimSpace(tagRe.ReplaceAllString(h, "")) != ""
}

// linkFixer repairs link destinations that sanitising would drop: a bare
// "www." host gets https://, a bare address gets mailto:.
type linkFixer struct{}

func (linkFixer) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if l, ok := n.(*ast.Link); ok && entering {
			dest := string(l.Destination)
			switch {
			case strings.HasPrefix(strings.ToLower(dest), "www."):
				l.Destination = []byte("https://" + dest)
			case emailRe.FindString(dest) == dest && dest != "":
				l.Destination = []byte("mailto:" + dest)
			}
		}
		return ast.WalkContinue, nil
	})
}
