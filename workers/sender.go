package workers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"vivier/internal/compose"
	"vivier/internal/config"
	"vivier/repository"
)

// Sender delivers emails over SMTP with go-mail, reusing a bounded pool of
// connections rather than dialing once per message.
type Sender struct {
	smtp     config.SMTP
	from     *mail.Address
	domain   string
	pool     chan pooled
	timeouts time.Duration
	// Replies, when set (INBOUND_IMAP_URL), routes applicants' replies
	// to the mailbox Vivier reads.
	Replies *Replies
}

// Replies is where applicants' replies go when a mailbox is read: the
// Reply-To of each email to an applicant is the routing address of its
// application, and every email's envelope sender is the mailbox, so that
// bounces come back there too.
type Replies struct {
	// Address is INBOUND_ADDRESS.
	Address string
	// RoutingAddress is the Reply-To address of an application's emails.
	RoutingAddress func(applicationID int64) string
}

// NewSender builds a sender with at most poolSize open connections.
func NewSender(smtpURL, from string, poolSize int) (*Sender, error) {
	s, err := config.ParseSMTPURL(smtpURL)
	if err != nil {
		return nil, fmt.Errorf("SMTP_URL: %w", err)
	}
	addr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("MAIL_FROM: %w", err)
	}
	domain := addr.Address[strings.LastIndexByte(addr.Address, '@')+1:]
	if poolSize < 1 {
		poolSize = 1
	}
	sender := &Sender{smtp: s, from: addr, domain: domain, pool: make(chan pooled, poolSize), timeouts: 30 * time.Second}
	for range poolSize {
		sender.pool <- pooled{} // a free slot, dialed on first use
	}
	return sender, nil
}

// pooled is a slot of the pool: a connection (nil until dialed) and when
// it was last used.
type pooled struct {
	client *gomail.Client
	since  time.Time
}

// maxIdle is how long a pooled connection may sit unused before it is
// replaced rather than reused: relays close idle connections after a
// while (Postfix: 5 minutes).
const maxIdle = 30 * time.Second

func (s *Sender) newClient() (*gomail.Client, error) {
	// Neither NOOP before each message nor RSET after it: on a busy
	// connection they are two round trips of seven, and the end of DATA
	// already ends the transaction. A connection that died while pooled
	// fails at MAIL FROM, before anything was sent, and is dialed again.
	opts := []gomail.Option{gomail.WithPort(s.smtp.Port), gomail.WithTimeout(s.timeouts), gomail.WithHELO("localhost"),
		gomail.WithoutNoop(), gomail.WithoutRset()}
	switch s.smtp.TLS {
	case "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case "opportunistic":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case "mandatory":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case "implicit":
		opts = append(opts, gomail.WithSSL())
	}
	if s.smtp.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.smtp.Username), gomail.WithPassword(s.smtp.Password))
	}
	return gomail.NewClient(s.smtp.Host, opts...)
}

// Message builds the MIME message of an outbox row. Its Message-ID is
// the row's (set when it was claimed; derived from the id, so a copy
// re-sent after a crash can be recognised). An email to an applicant
// refers to its application's thread (the acknowledgement, and the
// applicant's message it answers), so that mail clients group the
// conversation, and, with Replies, says Reply-To the application's
// routing address (e.ReplyTo is set to it: it is recorded as sent).
// Addresses go through net/mail, which quotes names properly.
func (s *Sender) Message(e *repository.Email) (*gomail.Msg, error) {
	m := gomail.NewMsg()
	m.FromMailAddress(s.from)
	to, err := mail.ParseAddress(e.ToAddress)
	if err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	to.Name = e.ToName
	m.AddToMailAddress(to)
	if s.Replies != nil {
		if err := m.EnvelopeFrom(s.Replies.Address); err != nil {
			return nil, fmt.Errorf("envelope sender: %w", err)
		}
		if e.ToApplicant && e.ApplicationID != nil {
			e.ReplyTo = s.Replies.RoutingAddress(*e.ApplicationID)
		}
	}
	if e.ReplyTo != "" {
		replyTo, err := mail.ParseAddress(e.ReplyTo)
		if err != nil {
			return nil, fmt.Errorf("reply-to: %w", err)
		}
		m.ReplyToMailAddress(replyTo)
	}
	m.Subject(e.Subject)
	messageID := e.MessageID
	if messageID == "" {
		messageID = repository.MessageID(e.ID, s.domain)
	}
	m.SetGenHeader(gomail.HeaderMessageID, messageID)
	if e.ToApplicant {
		var refs []string
		if e.ThreadRoot != "" {
			refs = append(refs, e.ThreadRoot)
		}
		if e.InReplyTo != "" && e.InReplyTo != e.ThreadRoot {
			refs = append(refs, e.InReplyTo)
		}
		if len(refs) > 0 {
			m.SetGenHeader(gomail.HeaderInReplyTo, refs[len(refs)-1])
			m.SetGenHeader(gomail.HeaderReferences, strings.Join(refs, " "))
		}
	}
	m.SetDate()
	if !compose.Kind(e.Kind).WrittenByPerson() {
		m.SetGenHeader("Auto-Submitted", "auto-generated")
	}
	m.SetBodyString(gomail.TypeTextPlain, e.TextBody)
	if e.HTMLBody != "" {
		m.AddAlternativeString(gomail.TypeTextHTML, e.HTMLBody)
	}
	for _, a := range e.Attachments {
		if err := attach(m, a); err != nil {
			return nil, fmt.Errorf("attachment %s: %w", a.FileName, err)
		}
	}
	return m, nil
}

// attach adds a file to a message. An iCalendar object (text/calendar,
// with its method) goes both as an alternative of the body, where
// calendar clients look for an invitation, and as a file to open
// (application/ics), for the others.
func attach(m *gomail.Msg, a repository.Attachment) error {
	if strings.HasPrefix(a.ContentType, "text/calendar") {
		m.AddAlternativeString(gomail.ContentType(a.ContentType), string(a.Content))
		return m.AttachReader(a.FileName, bytes.NewReader(a.Content), gomail.WithFileContentType("application/ics"))
	}
	return m.AttachReader(a.FileName, bytes.NewReader(a.Content), gomail.WithFileContentType(gomail.ContentType(a.ContentType)))
}

// Send delivers one message and returns its Message-ID. Errors are
// *PermanentError when the server refused for good (5xx).
func (s *Sender) Send(ctx context.Context, e *repository.Email) (string, error) {
	msg, err := s.Message(e)
	if err != nil {
		return "", &PermanentError{Reason: "adresse invalide : " + err.Error()}
	}
	var slot pooled
	select {
	case slot = <-s.pool:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	client := slot.client
	if client != nil && time.Since(slot.since) > maxIdle {
		_ = client.Close()
		client = nil
	}
	keep := false
	defer func() {
		if !keep && client != nil {
			_ = client.Close()
			client = nil
		}
		s.pool <- pooled{client: client, since: time.Now()}
	}()
	for attempt := 0; ; attempt++ {
		fresh := client == nil
		if fresh {
			if client, err = s.newClient(); err != nil {
				return "", &PermanentError{Reason: "configuration SMTP : " + err.Error()}
			}
			if err := client.DialWithContext(ctx); err != nil {
				_ = client.Close()
				client = nil
				if busy := relayBusy(err); busy != nil {
					return "", busy // "421 too many connections" at the greeting
				}
				return "", fmt.Errorf("connect to SMTP server: %w", err)
			}
		}
		err = client.Send(msg)
		if msg.IsDelivered() {
			// The server accepted the message: whatever failed after must
			// not make us send it again. Only the connection is not kept.
			keep = err == nil
			return msg.GetMessageID(), nil
		}
		var se *gomail.SendError
		if err != nil && !fresh && attempt == 0 && errors.As(err, &se) &&
			(se.Reason == gomail.ErrConnCheck || se.Reason == gomail.ErrSMTPMailFrom) {
			// A pooled connection the server closed (or refuses to go on
			// with): nothing was sent yet; dial again, once.
			_ = client.Close()
			client = nil
			continue
		}
		if err != nil {
			return "", classify(err)
		}
		keep = true
		return msg.GetMessageID(), nil
	}
}

// Close closes every idle connection.
func (s *Sender) Close() {
	for range cap(s.pool) {
		if slot := <-s.pool; slot.client != nil {
			_ = slot.client.Close()
		}
	}
}

// PermanentError is a refusal that a retry cannot fix.
type PermanentError struct{ Reason string }

func (e *PermanentError) Error() string { return e.Reason }

// classify tells a 5xx refusal (final) from everything else: go-mail's
// IsTemp is true only for 4xx replies, but a dropped connection or a
// timeout is worth a retry too.
func classify(err error) error {
	if busy := relayBusy(err); busy != nil {
		return busy
	}
	var se *gomail.SendError
	if errors.As(err, &se) && se.ErrorCode() >= 500 && se.ErrorCode() < 600 {
		return &PermanentError{Reason: err.Error()}
	}
	return err
}
