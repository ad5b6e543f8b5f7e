package config

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The parsers the options share. Their errors read "expected …, got …".

func expected(what, got string) error { return fmt.Errorf("expected %s, got %q", what, got) }

// number reads a whole number between min and max.
func number[T int | int64](v string, min, max T, what string) (T, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || T(n) < min || T(n) > max || int64(T(n)) != n {
		return T(n), expected(what, v)
	}
	return T(n), nil
}

// duration reads a Go duration (5m, 1h30m) of at least min.
func duration(v string, min time.Duration, what string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d < min {
		return d, expected(what, v)
	}
	return d, nil
}

// urlOf checks that v is a URL of one of schemes (with a host if
// needHost); shown is v as an error may print it (its password hidden).
func urlOf(v, shown, what string, needHost bool, schemes ...string) error {
	u, err := url.Parse(v)
	if err != nil || (needHost && u.Host == "") {
		return expected(what, shown)
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return nil
		}
	}
	return expected(what, shown)
}

// list splits a comma-separated value, dropping blanks.
func list(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// DevLinkKey is LINK_KEY's default for development (BASE_URL over http):
// it is in the source, so it protects nothing and https refuses it.
func DevLinkKey() []byte {
	sum := sha256.Sum256([]byte("vivier: development LINK_KEY, never for production"))
	return sum[:]
}

// ParseLinkKey reads LINK_KEY: 32 bytes written as 64 hexadecimal digits
// or in base64 (standard or URL alphabet, padded or not).
func ParseLinkKey(s string) ([]byte, error) {
	var key []byte
	if b, err := hex.DecodeString(s); err == nil && len(s) == 64 {
		key = b
	} else {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(s); err == nil {
				key = b
				break
			}
		}
	}
	if key == nil {
		return nil, fmt.Errorf("expected 32 random bytes in base64 or hex (openssl rand -base64 32), got something else")
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("expected 32 random bytes in base64 or hex (openssl rand -base64 32), got %d bytes", len(key))
	}
	return key, nil
}

// hasNameAfterArticle refuses an article alone ("l'", "la").
func hasNameAfterArticle(s string) bool {
	lower := strings.ToLower(s)
	for _, a := range []string{"l'", "l’", "la", "le", "les"} {
		if strings.TrimSpace(strings.TrimPrefix(lower, a)) == "" {
			return false
		}
	}
	return true
}

// SMTP is a parsed SMTP_URL.
type SMTP struct {
	Host     string
	Port     int
	Username string
	Password string
	// TLS is "none", "opportunistic" (STARTTLS when offered), "mandatory"
	// (STARTTLS required) or "implicit" (smtps).
	TLS string
}

// ParseSMTPURL reads smtp://user:pass@host:port?tls=none|opportunistic|mandatory
// and smtps://user:pass@host:port.
func ParseSMTPURL(raw string) (SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return SMTP{}, fmt.Errorf("expected smtp://user:pass@host:port, got %q", redact(raw))
	}
	s := SMTP{Host: u.Hostname(), TLS: "opportunistic"}
	switch u.Scheme {
	case "smtp":
		s.Port = 25
	case "smtps":
		s.Port, s.TLS = 465, "implicit"
	default:
		return SMTP{}, fmt.Errorf("expected an smtp:// or smtps:// URL, got %q", redact(raw))
	}
	if s.Host == "" {
		return SMTP{}, fmt.Errorf("missing host in %q", redact(raw))
	}
	if p := u.Port(); p != "" {
		if s.Port, err = strconv.Atoi(p); err != nil {
			return SMTP{}, fmt.Errorf("bad port in %q", redact(raw))
		}
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	if t := u.Query().Get("tls"); t != "" {
		switch t {
		case "none", "opportunistic", "mandatory":
			if s.TLS == "implicit" {
				return SMTP{}, fmt.Errorf("tls=%s makes no sense with smtps://", t)
			}
			s.TLS = t
		default:
			return SMTP{}, fmt.Errorf("tls must be none, opportunistic or mandatory, got %q", t)
		}
	}
	return s, nil
}

// IMAP is a parsed INBOUND_IMAP_URL.
type IMAP struct {
	Host     string
	Port     int
	Username string
	Password string
	// TLS is "implicit" (imaps://), "starttls" or "none" (imap://, the
	// latter only for a server on this machine).
	TLS string
	// Mailbox is the folder read, INBOX by default.
	Mailbox string
}

// Addr is host:port.
func (m IMAP) Addr() string { return net.JoinHostPort(m.Host, strconv.Itoa(m.Port)) }

// ParseIMAPURL reads imaps://user:pass@host:993/INBOX or
// imap://user:pass@host:143/INBOX?tls=starttls (tls=none is accepted for
// a server on the loopback only: the password would travel in clear).
func ParseIMAPURL(raw string) (IMAP, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return IMAP{}, fmt.Errorf("expected imaps://user:pass@host:993/INBOX, got %q", redact(raw))
	}
	m := IMAP{Host: u.Hostname(), Mailbox: strings.Trim(u.Path, "/")}
	switch u.Scheme {
	case "imaps":
		m.Port, m.TLS = 993, "implicit"
	case "imap":
		m.Port, m.TLS = 143, ""
	default:
		return IMAP{}, fmt.Errorf("expected an imaps:// or imap:// URL, got %q", redact(raw))
	}
	if m.Host == "" {
		return IMAP{}, fmt.Errorf("missing host in %q", redact(raw))
	}
	if p := u.Port(); p != "" {
		if m.Port, err = strconv.Atoi(p); err != nil || m.Port < 1 || m.Port > 65535 {
			return IMAP{}, fmt.Errorf("bad port in %q", redact(raw))
		}
	}
	if u.User == nil || u.User.Username() == "" {
		return IMAP{}, fmt.Errorf("missing user name and password in %q (imaps://user:pass@host/INBOX)", redact(raw))
	}
	m.Username = u.User.Username()
	m.Password, _ = u.User.Password()
	if m.Mailbox == "" {
		m.Mailbox = "INBOX"
	}
	t := u.Query().Get("tls")
	switch {
	case m.TLS == "implicit" && t != "":
		return IMAP{}, fmt.Errorf("tls=%s makes no sense with imaps://", t)
	case m.TLS == "implicit":
	case t == "starttls":
		m.TLS = t
	case t == "none":
		if ip := net.ParseIP(m.Host); m.Host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return IMAP{}, fmt.Errorf("tls=none sends the password in clear: only for a server on this machine, got host %q", m.Host)
		}
		m.TLS = t
	default:
		return IMAP{}, fmt.Errorf("imap:// needs tls=starttls (or imaps://), got tls=%q", t)
	}
	return m, nil
}
