package main

import (
	"bufio"
	"bytes"
	"io"
	"log"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// countingSMTP is an SMTP server, run in-process, that counts what it
// accepts by the Message-ID Vivier gives each outbox row
// ("vivier.email.<id>@domain"), with the time of the first copy. It keeps
// only whole messages sent to one watched address (the admin's sign-in
// links), so 10,000+ messages cost little memory and CPU.
type countingSMTP struct {
	server   *smtp.Server
	listener net.Listener
	watch    string

	mu      sync.Mutex
	phase   string
	seen    map[string]map[int64]*arrival // phase → email id → arrival
	watched [][]byte
}

type arrival struct {
	first time.Time
	count int
}

func startSMTP(watch string) (*countingSMTP, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c := &countingSMTP{listener: l, watch: strings.ToLower(watch), phase: "setup",
		seen: map[string]map[int64]*arrival{}}
	c.server = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &countSession{c: c}, nil }))
	c.server.Domain = "localhost"
	c.server.AllowInsecureAuth = true
	c.server.MaxMessageBytes = 30 << 20
	c.server.ReadTimeout, c.server.WriteTimeout = time.Minute, time.Minute
	c.server.ErrorLog = log.New(io.Discard, "", 0)
	go func() { _ = c.server.Serve(l) }()
	return c, nil
}

func (c *countingSMTP) Addr() string { return c.listener.Addr().String() }
func (c *countingSMTP) URL() string  { return "smtp://" + c.Addr() + "?tls=none" }
func (c *countingSMTP) Close()       { _ = c.server.Close() }

// SetPhase starts counting under a new name (a scenario, a baseline).
func (c *countingSMTP) SetPhase(p string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.phase = p
}

// Arrivals returns a copy of what a phase received, by email id.
func (c *countingSMTP) Arrivals(phase string) map[int64]arrival {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[int64]arrival, len(c.seen[phase]))
	for id, a := range c.seen[phase] {
		out[id] = *a
	}
	return out
}

// WaitIDs waits until every id arrived in phase, or timeout passes; it
// returns how many are still missing.
func (c *countingSMTP) WaitIDs(phase string, ids []int64, timeout time.Duration) int {
	deadline := time.After(timeout)
	for {
		c.mu.Lock()
		missing := 0
		for _, id := range ids {
			if c.seen[phase][id] == nil {
				missing++
			}
		}
		c.mu.Unlock()
		if missing == 0 {
			return 0
		}
		// Polled rather than woken by each arrival: a check reads every
		// id, and doing it per message would make the benchmark itself
		// the bottleneck. Arrival times are taken as messages come.
		select {
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			return missing
		}
	}
}

// Watched returns the whole messages sent to the watched address.
func (c *countingSMTP) Watched() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]byte(nil), c.watched...)
}

func (c *countingSMTP) record(id int64, raw []byte) {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if raw != nil {
		c.watched = append(c.watched, raw)
	}
	if id == 0 {
		return // not one of Vivier's emails
	}
	m := c.seen[c.phase]
	if m == nil {
		m = map[int64]*arrival{}
		c.seen[c.phase] = m
	}
	if a := m[id]; a != nil {
		a.count++
	} else {
		m[id] = &arrival{first: now, count: 1}
	}
}

type countSession struct {
	c       *countingSMTP
	watched bool
}

func (s *countSession) Reset()        { s.watched = false }
func (s *countSession) Logout() error { return nil }
func (s *countSession) Mail(string, *smtp.MailOptions) error {
	return nil
}

func (s *countSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.EqualFold(to, s.c.watch) {
		s.watched = true
	}
	return nil
}

// Data reads the header for the Message-ID and discards the body, unless
// the message goes to the watched address.
func (s *countSession) Data(r io.Reader) error {
	if s.watched {
		raw, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		hdr, _ := textproto.NewReader(bufio.NewReader(bytes.NewReader(raw))).ReadMIMEHeader()
		s.c.record(emailID(hdr.Get("Message-Id")), raw)
		return nil
	}
	br := bufio.NewReaderSize(r, 4096)
	hdr, err := textproto.NewReader(br).ReadMIMEHeader()
	if err != nil && len(hdr) == 0 {
		return err
	}
	if _, err := io.Copy(io.Discard, br); err != nil {
		return err
	}
	s.c.record(emailID(hdr.Get("Message-Id")), nil)
	return nil
}

// emailID reads the outbox id out of "<vivier.email.42@domain>"; 0 if none.
func emailID(messageID string) int64 {
	const prefix = "vivier.email."
	i := strings.Index(messageID, prefix)
	if i < 0 {
		return 0
	}
	rest := messageID[i+len(prefix):]
	if j := strings.IndexByte(rest, '@'); j > 0 {
		rest = rest[:j]
	}
	id, _ := strconv.ParseInt(rest, 10, 64)
	return id
}
