// Package mailcatcher is a real SMTP server, run in-process, that keeps
// what it receives in memory: `vivier dev` lists its messages at /dev/mail,
// tests read them and the benchmark counts them. A fault hook lets tests
// make it refuse mail.
package mailcatcher

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"time"

	"encoding/base64"

	"github.com/emersion/go-smtp"
)

// Message is one email as the server received it.
type Message struct {
	ID       int
	Received time.Time
	From     string
	To       []string
	Raw      []byte
	Header   mail.Header
	Subject  string
	Text     string
	HTML     string
	// Calendar is the message's iCalendar part (text/calendar), if any,
	// and CalendarMethod its method (REQUEST, CANCEL).
	Calendar       string
	CalendarMethod string
	// Attachments are the parts sent as files.
	Attachments []Attachment
}

// Attachment is a file a message carries.
type Attachment struct {
	Name, ContentType string
	Data              []byte
}

// HeaderText is a header as people read it: encoded words such as
// "=?utf-8?q?L=C3=A9a_Dubois?=" decoded ("Léa Dubois"); a header that does
// not decode is returned as it came.
func (m *Message) HeaderText(name string) string {
	raw := m.Header.Get(name)
	if s, err := new(mime.WordDecoder).DecodeHeader(raw); err == nil {
		return s
	}
	return raw
}

// Fault decides, for each message, whether the server refuses it; nil accepts.
type Fault func(from string, to []string) *smtp.SMTPError

// Keep decides, for each message, whether it is kept whole (its bytes,
// text and HTML); the others keep their envelope and header only, which
// lets a benchmark count tens of thousands of messages without measuring
// the catcher. Without one, every message is kept whole.
type Keep func(from string, to []string) bool

// Catcher is the server and its mailbox.
type Catcher struct {
	server   *smtp.Server
	listener net.Listener

	mu       sync.Mutex
	messages []*Message
	fault    Fault
	keep     Keep
	notify   chan struct{}
}

// Start listens on addr ("127.0.0.1:0" for any free port) and serves.
func Start(addr string) (*Catcher, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mail catcher: listen on %s: %w", addr, err)
	}
	c := &Catcher{listener: l, notify: make(chan struct{})}
	c.server = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{c: c}, nil
	}))
	c.server.Domain = "localhost"
	c.server.AllowInsecureAuth = true
	c.server.MaxMessageBytes = 30 << 20
	c.server.ReadTimeout = time.Minute
	// A client that hangs up (a worker killed on purpose) is not news.
	c.server.ErrorLog = log.New(io.Discard, "", 0)
	c.server.WriteTimeout = time.Minute
	go func() { _ = c.server.Serve(l) }()
	return c, nil
}

// Addr is the address the server listens on (host:port).
func (c *Catcher) Addr() string { return c.listener.Addr().String() }

// URL is the SMTP_URL that reaches this server.
func (c *Catcher) URL() string { return "smtp://" + c.Addr() + "?tls=none" }

// Close stops the server.
func (c *Catcher) Close() error { return c.server.Close() }

// SetFault installs (or with nil, removes) a fault hook.
func (c *Catcher) SetFault(f Fault) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fault = f
}

// SetKeep installs (or with nil, removes) the choice of messages kept whole.
func (c *Catcher) SetKeep(k Keep) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keep = k
}

// Messages returns a copy of the list of received messages, oldest first.
func (c *Catcher) Messages() []*Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*Message(nil), c.messages...)
}

// Message returns the message with that id, or nil.
func (c *Catcher) Message(id int) *Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	if id < 1 || id > len(c.messages) {
		return nil
	}
	return c.messages[id-1]
}

// WaitFor waits until at least n messages arrived or timeout passes, and
// returns the messages received by then.
func (c *Catcher) WaitFor(n int, timeout time.Duration) []*Message {
	deadline := time.After(timeout)
	for {
		c.mu.Lock()
		got, ch := len(c.messages), c.notify
		c.mu.Unlock()
		if got >= n {
			return c.Messages()
		}
		select {
		case <-ch:
		case <-deadline:
			return c.Messages()
		}
	}
}

func (c *Catcher) add(m *Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m.ID = len(c.messages) + 1
	c.messages = append(c.messages, m)
	close(c.notify)
	c.notify = make(chan struct{})
}

type session struct {
	c    *Catcher
	from string
	to   []string
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	s.c.mu.Lock()
	fault, keep := s.c.fault, s.c.keep
	s.c.mu.Unlock()
	var raw []byte
	var header mail.Header
	var err error
	whole := keep == nil || keep(s.from, s.to)
	if whole {
		raw, err = io.ReadAll(r)
	} else {
		header, err = readHeader(r)
	}
	if err != nil {
		return err
	}
	if fault != nil {
		if e := fault(s.from, s.to); e != nil {
			return e
		}
	}
	m := &Message{Received: time.Now(), From: s.from, To: append([]string(nil), s.to...), Raw: raw, Header: header}
	if whole {
		parse(m)
	}
	s.c.add(m)
	return nil
}

// readHeader reads a message's header and drops its body.
func readHeader(r io.Reader) (mail.Header, error) {
	br := bufio.NewReaderSize(r, 4096)
	h, err := textproto.NewReader(br).ReadMIMEHeader()
	if err != nil && len(h) == 0 {
		return nil, err
	}
	if _, err := io.Copy(io.Discard, br); err != nil {
		return nil, err
	}
	return mail.Header(h), nil
}

// Parse reads a raw message as the catcher does the ones it receives.
func Parse(raw []byte) *Message {
	m := &Message{Raw: raw}
	parse(m)
	return m
}

// parse fills the header, subject and the text and HTML parts; a message
// it cannot read keeps only its raw bytes.
func parse(m *Message) {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Raw))
	if err != nil {
		return
	}
	m.Header = msg.Header
	dec := new(mime.WordDecoder)
	if subj, err := dec.DecodeHeader(msg.Header.Get("Subject")); err == nil {
		m.Subject = subj
	}
	walk(m, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), "", msg.Body)
}

func walk(m *Message, contentType, encoding, disposition string, body io.Reader) {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		mediaType = "text/plain"
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return
			}
			walk(m, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p.Header.Get("Content-Disposition"), p)
		}
	}
	data, err := io.ReadAll(decode(encoding, body))
	if err != nil && !errors.Is(err, io.EOF) {
		return
	}
	if d, dparams, err := mime.ParseMediaType(disposition); err == nil && d == "attachment" {
		m.Attachments = append(m.Attachments, Attachment{Name: dparams["filename"], ContentType: mediaType, Data: data})
		return
	}
	switch mediaType {
	case "text/calendar":
		if m.Calendar == "" {
			m.Calendar, m.CalendarMethod = string(data), strings.ToUpper(params["method"])
		}
	case "text/plain":
		if m.Text == "" {
			m.Text = string(data)
		}
	case "text/html":
		if m.HTML == "" {
			m.HTML = string(data)
		}
	}
}

func decode(encoding string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, newlineStripper{r})
	}
	return r
}

// newlineStripper drops CR and LF so base64 lines decode as one stream.
type newlineStripper struct{ r io.Reader }

func (n newlineStripper) Read(p []byte) (int, error) {
	for {
		k, err := n.r.Read(p)
		j := 0
		for _, b := range p[:k] {
			if b != '\r' && b != '\n' {
				p[j] = b
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}
