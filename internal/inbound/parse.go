// Package inbound reads what comes back from applicants: their replies,
// their mail servers' automatic answers and the delivery status
// notifications (bounces) of our emails. A Reader takes messages from
// the mailbox of INBOUND_IMAP_URL (IDLE where the server offers it,
// polling otherwise); a Processor parses each one (go-message), matches
// it to its application, stores it and tells the reviewers, once; `vivier
// dev` hands it the replies written on /dev/mail.
package inbound

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/textproto"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // charsets beyond UTF-8, ISO-8859-1 and US-ASCII
	"github.com/emersion/go-message/mail"

	"vivier/internal/applyform"
)

// MaxText is the longest reply text kept (longer ones are cut, saying so).
const MaxText = 20000

// Parsed is what Vivier keeps of a message.
type Parsed struct {
	// Key is the Message-ID, or a digest of the header when there is none.
	Key        string
	MessageID  string
	InReplyTo  []string // with angle brackets, as emails.message_id
	References []string
	Recipients []string // To, Cc, Delivered-To, X-Original-To, lower-cased
	From       string
	FromName   string
	Subject    string
	Date       *time.Time
	// Auto: an automatic answer (Auto-Submitted, X-Autoreply, Precedence).
	Auto bool
	// Bounce, for a delivery status notification that reports a failure.
	Bounce *Bounce
	// Text is the reply's text, without the quoted history.
	Text        string
	Attachments []Attachment
	// Refused lists, in French, the attachments not kept and why, and
	// parts that could not be read.
	Refused []string
}

// Bounce is what a delivery status notification says.
type Bounce struct {
	// MessageID is the Message-ID of the message that was not delivered.
	MessageID string
	Recipient string
	Reason    string
}

// Attachment is a file kept: a PDF, DOC, DOCX or ODT within the CV limit.
type Attachment struct {
	Name, ContentType string
	Data              []byte
}

// Parse reads a message. maxBytes is a CV's limit (UPLOAD_MAX_BYTES): a
// larger attachment is refused without being held whole. A message whose
// MIME is broken or whose charset is unknown keeps what could be read,
// and says so; only a header that cannot be read at all is an error.
func Parse(r io.Reader, maxBytes int64) (*Parsed, error) {
	mr, err := mail.CreateReader(r)
	if mr == nil {
		return nil, err
	}
	p := &Parsed{}
	if err != nil {
		p.Refused = append(p.Refused, "jeu de caractères inconnu : le texte peut être mal lu")
	}
	h := mr.Header
	p.readHeader(h)

	var plain, html string
	var havePlain, haveHTML bool
	var report *reportParts
	ct, ctParams, _ := h.ContentType()
	if ct == "multipart/report" && strings.EqualFold(ctParams["report-type"], "delivery-status") {
		report = &reportParts{}
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
			p.Refused = append(p.Refused, "message mal formé : la suite n'a pas pu être lue")
			break
		}
		if err != nil {
			p.Refused = append(p.Refused, "une partie utilise un codage inconnu : elle peut être mal lue")
		}
		switch ph := part.Header.(type) {
		case *mail.InlineHeader:
			t, _, _ := ph.ContentType()
			switch {
			case report != nil && (t == "message/delivery-status" || t == "text/rfc822-headers"):
				report.add(t, part.Body)
			case t == "text/plain" && !havePlain:
				plain, havePlain = readText(part.Body), true
			case t == "text/html" && !haveHTML:
				html, haveHTML = readText(part.Body), true
			case !strings.HasPrefix(t, "text/"):
				p.attachment(ph.Header, "", part.Body, maxBytes)
			}
		case *mail.AttachmentHeader:
			t, _, _ := ph.ContentType()
			if report != nil && (t == "message/delivery-status" || t == "message/global-delivery-status" ||
				t == "message/rfc822" || t == "text/rfc822-headers" || t == "message/global-headers") {
				report.add(t, part.Body)
				continue
			}
			name, _ := ph.Filename()
			p.attachment(ph.Header, name, part.Body, maxBytes)
		}
	}
	if report != nil {
		p.Bounce = report.bounce()
	}
	switch {
	case havePlain && strings.TrimSpace(plain) != "":
		p.Text = plain
	case haveHTML:
		p.Text = HTMLText(html)
	}
	p.Text = StripQuoted(p.Text)
	if utf8.RuneCountInString(p.Text) > MaxText {
		p.Text = string([]rune(p.Text)[:MaxText]) + "\n[…] (texte coupé : trop long)"
	}
	return p, nil
}

func (p *Parsed) readHeader(h mail.Header) {
	p.MessageID, _ = h.MessageID()
	if p.MessageID != "" {
		p.MessageID = "<" + p.MessageID + ">"
		p.Key = p.MessageID
	} else {
		// No Message-ID: the header's own bytes say which message it is.
		sum := sha256.New()
		fields := h.Fields()
		for fields.Next() {
			sum.Write([]byte(fields.Key() + ":" + fields.Value() + "\n"))
		}
		p.Key = "sha256:" + hex.EncodeToString(sum.Sum(nil))
	}
	for _, key := range []string{"In-Reply-To", "References"} {
		ids, _ := h.MsgIDList(key)
		for i := range ids {
			ids[i] = "<" + ids[i] + ">"
		}
		if key == "In-Reply-To" {
			p.InReplyTo = ids
		} else {
			p.References = ids
		}
	}
	for _, key := range []string{"To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To"} {
		if addrs, err := h.AddressList(key); err == nil {
			for _, a := range addrs {
				p.Recipients = append(p.Recipients, strings.ToLower(a.Address))
			}
		} else {
			for _, v := range h.Values(key) {
				p.Recipients = append(p.Recipients, strings.ToLower(strings.Trim(strings.TrimSpace(v), "<>")))
			}
		}
	}
	if from, err := h.AddressList("From"); err == nil && len(from) > 0 {
		p.From, p.FromName = strings.ToLower(from[0].Address), oneLine(from[0].Name, 200)
	}
	if s, err := h.Subject(); err == nil {
		p.Subject = oneLine(s, 300)
	} else {
		p.Subject = oneLine(h.Get("Subject"), 300)
	}
	if d, err := h.Date(); err == nil && !d.IsZero() {
		p.Date = &d
	}
	p.Auto = automatic(h)
}

// automatic tells an automatic answer (RFC 3834's Auto-Submitted, and the
// headers of the mail servers that do not write it).
func automatic(h mail.Header) bool {
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && v != "no" {
		return true
	}
	if h.Get("X-Autoreply") != "" || h.Get("X-Autorespond") != "" {
		return true
	}
	switch strings.ToLower(strings.TrimSpace(h.Get("Precedence"))) {
	case "auto_reply", "bulk", "junk":
		return true
	}
	return false
}

// attachment keeps a file under a CV's checks and limits, or says why not.
func (p *Parsed) attachment(h message.Header, name string, body io.Reader, maxBytes int64) {
	if name == "" {
		if _, params, err := h.ContentType(); err == nil {
			name = params["name"]
		}
	}
	if name == "" {
		// An inline picture (a signature's logo): nothing to keep or say.
		_, _ = io.Copy(io.Discard, body)
		return
	}
	shown := oneLine(name, 80)
	data, err := io.ReadAll(io.LimitReader(body, maxBytes+1))
	_, _ = io.Copy(io.Discard, body)
	switch {
	case err != nil:
		p.Refused = append(p.Refused, shown+" : illisible (mal encodée)")
		return
	case int64(len(data)) > maxBytes:
		p.Refused = append(p.Refused, shown+" : refusée, plus de "+applyform.HumanSize(maxBytes))
		return
	}
	cv, why := applyform.CheckCV(name, data, maxBytes)
	if why != "" {
		p.Refused = append(p.Refused, shown+" : refusée, ni PDF, ni DOC, ni DOCX, ni ODT")
		return
	}
	p.Attachments = append(p.Attachments, Attachment{Name: cv.Name, ContentType: cv.ContentType, Data: data})
}

// readText reads a text part, replacing what is not UTF-8.
func readText(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, 4*MaxText*4))
	_, _ = io.Copy(io.Discard, r)
	return strings.ToValidUTF8(strings.ReplaceAll(string(b), "\r\n", "\n"), "\uFFFD")
}

// oneLine keeps s on one line of n characters at most, without control
// or invisible format characters.
func oneLine(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n]) + "…"
	}
	return s
}

// reportParts gathers the parts of a delivery status notification.
type reportParts struct {
	status   []textproto.MIMEHeader // the per-message block, then each recipient's
	original string                 // the Message-ID of the returned message
}

func (r *reportParts) add(contentType string, body io.Reader) {
	b, _ := io.ReadAll(io.LimitReader(body, 1<<20))
	_, _ = io.Copy(io.Discard, body)
	if strings.HasSuffix(contentType, "delivery-status") {
		tr := textproto.NewReader(bufio.NewReader(bytes.NewReader(append(bytes.TrimLeft(b, "\r\n"), '\n', '\n'))))
		for range 50 {
			h, err := tr.ReadMIMEHeader()
			if len(h) > 0 {
				r.status = append(r.status, h)
			}
			if err != nil {
				break
			}
		}
		return
	}
	// The returned message, or its header: its Message-ID.
	tr := textproto.NewReader(bufio.NewReader(bytes.NewReader(b)))
	h, _ := tr.ReadMIMEHeader()
	if id := strings.TrimSpace(h.Get("Message-Id")); id != "" && r.original == "" {
		r.original = id
	}
}

// bounce is the failure a report tells, or nil when it reports none (a
// delay, a delivery).
func (r *reportParts) bounce() *Bounce {
	if r.original == "" {
		return nil
	}
	for _, h := range r.status {
		if !strings.EqualFold(strings.TrimSpace(h.Get("Action")), "failed") {
			continue
		}
		b := &Bounce{MessageID: r.original}
		if _, rcpt, ok := strings.Cut(h.Get("Final-Recipient"), ";"); ok {
			b.Recipient = strings.ToLower(strings.TrimSpace(rcpt))
		}
		reason := strings.TrimSpace(h.Get("Diagnostic-Code"))
		if _, d, ok := strings.Cut(reason, ";"); ok {
			reason = strings.TrimSpace(d)
		}
		status := strings.TrimSpace(h.Get("Status"))
		switch {
		case reason != "" && status != "":
			reason = status + " " + reason
		case reason == "":
			reason = status
		}
		if reason == "" {
			reason = "refusé par le serveur du destinataire"
		}
		b.Reason = oneLine(reason, 500)
		return b
	}
	return nil
}

// Quoted history: the lines mail clients put above what they quote.
var (
	attribution   = regexp.MustCompile(`(?i)^\s*(le|on)\s.*(a\s+écrit|wrote)\s*:?\s*$`)
	attribution2  = regexp.MustCompile(`(?i)^\s*(le|on)\s`)
	attributionTo = regexp.MustCompile(`(?i)^\s*(a\s+)?(écrit|wrote)\s*:?\s*$|(a\s+écrit|wrote)\s*:?\s*$`)
	separator     = regexp.MustCompile(`(?i)^\s*(-{2,}\s*(original message|message d'origine|message transféré|forwarded message)\s*-{2,}|_{10,})\s*$`)
	outlookFrom   = regexp.MustCompile(`(?i)^\s*\*?(de|from)\s*:`)
	outlookNext   = regexp.MustCompile(`(?i)^\s*\*?(envoyé|sent|date|objet|subject|à|to)\s*:`)
)

// StripQuoted returns a reply's own words: the text above the quoted
// history (lines starting with ">", and what follows an attribution line
// such as "Le 3 mars 2026 à 10:00, … a écrit :" or an "Original message"
// separator), trimmed.
func StripQuoted(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	var out []string
cut:
	for i, l := range lines {
		switch {
		case attribution.MatchString(l), separator.MatchString(l):
			break cut
		case attribution2.MatchString(l) && i+1 < len(lines) && attributionTo.MatchString(lines[i+1]):
			break cut
		case outlookFrom.MatchString(l) && i+1 < len(lines) && outlookNext.MatchString(lines[i+1]):
			break cut
		case strings.HasPrefix(strings.TrimLeft(l, " "), ">"):
			continue
		}
		out = append(out, strings.TrimRight(l, " \t"))
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}
