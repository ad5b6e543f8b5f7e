// Package config reads Vivier's settings from the environment. Every
// setting has a development default; a bad value stops start-up with a
// message naming the variable.
package config

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Config holds every setting of a Vivier process.
type Config struct {
	Port            int
	BaseURL         string
	DatabaseURL     string
	RedisURL        string
	SMTPURL         string
	MailFrom        string
	AdminEmails     []string
	UploadMaxBytes  int64
	RetentionMonths int
	LogFormat       string
	OperatorName    string
	TrustedProxies  []string
	// ApplyRateLimit is how many applications one client may send per
	// hour (0: no limit).
	ApplyRateLimit int
	// WorkerConcurrency is how many emails `vivier worker` sends at once
	// (and how many SMTP connections it keeps open). A send mostly waits
	// on the relay's round trips, so it is well above the CPU count.
	WorkerConcurrency int
	// EmailClaimTimeout is how long an email may stay "sending" before it
	// is taken for the work of a dead worker and sent again.
	EmailClaimTimeout time.Duration
	// SchemaWait is how long serve, worker and scheduler wait for the
	// schema to be migrated before giving up (0: refuse at once).
	SchemaWait time.Duration
	// MetricsToken, when set, lets a scraper read /metrics with
	// "Authorization: Bearer <token>"; empty: signed-in admins only.
	MetricsToken string
	// MetricsPort is where `vivier worker` serves /metrics and /healthz
	// (0: not at all).
	MetricsPort int
	// LinkKey (LINK_KEY, 32 bytes) seals the tokens of the links that
	// emails carry while they wait in the outbox.
	LinkKey []byte
	// OperatorNameArticle is the operator's name as a sentence reads it,
	// with its article ("l'Incubateur des Territoires"), for "de l'…",
	// "à l'…" and the like (see frfmt.De and frfmt.A).
	OperatorNameArticle string
}

// Getenv is os.Getenv or a test's map lookup.
type Getenv func(string) string

// Defaults for a developer's machine, documented in the README.
const (
	DefaultPort            = 8080
	DefaultDatabaseURL     = "postgres://postgres@127.0.0.1:5432/vivier?sslmode=disable"
	DefaultRedisURL        = "redis://127.0.0.1:6379/0"
	DefaultSMTPURL         = "smtp://127.0.0.1:1025"
	DefaultMailFrom        = "Vivier <ne-pas-repondre@vivier.localhost>"
	DefaultUploadMaxBytes  = 10 << 20
	DefaultRetentionMonths = 24
	DefaultOperatorName    = "Incubateur des Territoires"
	DefaultMetricsPort     = 9090
	// DefaultOperatorNameArticle goes with DefaultOperatorName only.
	DefaultOperatorNameArticle = "l'Incubateur des Territoires"
	// DefaultWorkerConcurrency was 10 until `make bench` measured 20.
	DefaultWorkerConcurrency = 20
)

// Load reads the configuration through getenv and validates every value.
func Load(getenv Getenv) (*Config, error) {
	c := &Config{}
	var errs []string
	fail := func(name, format string, args ...any) {
		errs = append(errs, name+": "+fmt.Sprintf(format, args...))
	}
	str := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}

	var err error
	if c.Port, err = strconv.Atoi(str("PORT", strconv.Itoa(DefaultPort))); err != nil || c.Port < 1 || c.Port > 65535 {
		fail("PORT", "expected a port number between 1 and 65535, got %q", getenv("PORT"))
	}
	c.BaseURL = strings.TrimRight(str("BASE_URL", fmt.Sprintf("http://localhost:%d", c.Port)), "/")
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fail("BASE_URL", "expected an absolute http(s) URL, got %q", c.BaseURL)
	}

	// Scalingo's and Heroku's names are fallbacks for the platform add-ons.
	c.DatabaseURL = str("DATABASE_URL", str("SCALINGO_POSTGRESQL_URL", DefaultDatabaseURL))
	if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		fail("DATABASE_URL", "expected a postgres:// URL, got %q", redact(c.DatabaseURL))
	}
	c.RedisURL = str("REDIS_URL", str("SCALINGO_REDIS_URL", DefaultRedisURL))
	if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
		fail("REDIS_URL", "expected a redis:// or rediss:// URL, got %q", redact(c.RedisURL))
	}
	c.SMTPURL = str("SMTP_URL", DefaultSMTPURL)
	if _, err := ParseSMTPURL(c.SMTPURL); err != nil {
		fail("SMTP_URL", "%v", err)
	}
	c.MailFrom = str("MAIL_FROM", DefaultMailFrom)
	if _, err := mail.ParseAddress(c.MailFrom); err != nil {
		fail("MAIL_FROM", "expected an address such as \"Vivier <noreply@example.org>\", got %q", c.MailFrom)
	}
	for _, a := range strings.Split(getenv("ADMIN_EMAILS"), ",") {
		if a = strings.ToLower(strings.TrimSpace(a)); a == "" {
			continue
		}
		if _, err := mail.ParseAddress(a); err != nil {
			fail("ADMIN_EMAILS", "%q is not an email address", a)
			continue
		}
		c.AdminEmails = append(c.AdminEmails, a)
	}
	if c.UploadMaxBytes, err = strconv.ParseInt(str("UPLOAD_MAX_BYTES", strconv.Itoa(DefaultUploadMaxBytes)), 10, 64); err != nil || c.UploadMaxBytes < 1024 {
		fail("UPLOAD_MAX_BYTES", "expected a number of bytes of at least 1024, got %q", getenv("UPLOAD_MAX_BYTES"))
	}
	if c.RetentionMonths, err = strconv.Atoi(str("RETENTION_MONTHS", strconv.Itoa(DefaultRetentionMonths))); err != nil || c.RetentionMonths < 1 {
		fail("RETENTION_MONTHS", "expected a whole number of months of at least 1, got %q", getenv("RETENTION_MONTHS"))
	}
	c.LogFormat = str("LOG_FORMAT", "text")
	if c.LogFormat != "text" && c.LogFormat != "json" {
		fail("LOG_FORMAT", "expected text or json, got %q", c.LogFormat)
	}
	c.OperatorName = str("OPERATOR_NAME", DefaultOperatorName)
	// Another operator's name is used bare until its article form is given.
	defaultArticle := c.OperatorName
	if c.OperatorName == DefaultOperatorName {
		defaultArticle = DefaultOperatorNameArticle
	}
	c.OperatorNameArticle = str("OPERATOR_NAME_ARTICLE", defaultArticle)
	if strings.IndexFunc(c.OperatorNameArticle, unicode.IsControl) >= 0 || !hasNameAfterArticle(c.OperatorNameArticle) {
		fail("OPERATOR_NAME_ARTICLE", "expected the name with its article on one line, such as \"l'Incubateur des Territoires\", \"la Fabrique numérique\" or \"le GIP Inclusion\", got %q", getenv("OPERATOR_NAME_ARTICLE"))
	}
	if c.SchemaWait, err = time.ParseDuration(str("SCHEMA_WAIT", "5m")); err != nil || c.SchemaWait < 0 {
		fail("SCHEMA_WAIT", "expected a duration such as 5m (0 to refuse at once), got %q", getenv("SCHEMA_WAIT"))
	}
	if c.EmailClaimTimeout, err = time.ParseDuration(str("EMAIL_CLAIM_TIMEOUT", "10m")); err != nil || c.EmailClaimTimeout < time.Second {
		fail("EMAIL_CLAIM_TIMEOUT", "expected a duration such as 10m (at least 1s), got %q", getenv("EMAIL_CLAIM_TIMEOUT"))
	}
	if c.ApplyRateLimit, err = strconv.Atoi(str("APPLY_RATE_LIMIT", "30")); err != nil || c.ApplyRateLimit < 0 {
		fail("APPLY_RATE_LIMIT", "expected a number of applications per client and hour (0 for no limit), got %q", getenv("APPLY_RATE_LIMIT"))
	}
	if c.WorkerConcurrency, err = strconv.Atoi(str("WORKER_CONCURRENCY", strconv.Itoa(DefaultWorkerConcurrency))); err != nil || c.WorkerConcurrency < 1 || c.WorkerConcurrency > 1000 {
		fail("WORKER_CONCURRENCY", "expected a number of emails sent at once between 1 and 1000, got %q", getenv("WORKER_CONCURRENCY"))
	}
	for _, p := range strings.Split(getenv("TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p != "" {
			c.TrustedProxies = append(c.TrustedProxies, p)
		}
	}

	c.MetricsToken = strings.TrimSpace(getenv("METRICS_TOKEN"))
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		fail("METRICS_TOKEN", "expected at least 16 characters (a random secret), got %d", len(c.MetricsToken))
	}
	if c.MetricsPort, err = strconv.Atoi(str("METRICS_PORT", strconv.Itoa(DefaultMetricsPort))); err != nil || c.MetricsPort < 0 || c.MetricsPort > 65535 {
		fail("METRICS_PORT", "expected a port number (0 to turn the worker's metrics off), got %q", getenv("METRICS_PORT"))
	}

	if v := strings.TrimSpace(getenv("LINK_KEY")); v != "" {
		if c.LinkKey, err = ParseLinkKey(v); err != nil {
			fail("LINK_KEY", "%v", err)
		} else if c.Secure() && string(c.LinkKey) == string(DevLinkKey()) {
			fail("LINK_KEY", "this is the development key, public in the source: generate one (openssl rand -base64 32)")
		}
	} else if c.Secure() {
		fail("LINK_KEY", "required when BASE_URL is https: 32 random bytes in base64 or hex (openssl rand -base64 32)")
	} else {
		c.LinkKey = DevLinkKey()
	}

	if len(errs) > 0 {
		return nil, fmt.Errorf("invalid configuration:\n  %s", strings.Join(errs, "\n  "))
	}
	return c, nil
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

// IsAdmin reports whether email is listed in ADMIN_EMAILS.
func (c *Config) IsAdmin(email string) bool {
	email = strings.ToLower(strings.TrimSpace(email))
	for _, a := range c.AdminEmails {
		if a == email {
			return true
		}
	}
	return false
}

// Secure reports whether the site is served over https.
func (c *Config) Secure() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// redact hides a password in a URL before it is printed.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Redact hides the password of a service URL for log lines and messages.
func Redact(raw string) string { return redact(raw) }
