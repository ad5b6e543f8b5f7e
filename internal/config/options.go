package config

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"
)

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

// option is one environment variable and the field of Config it sets.
type option struct {
	Name string
	// Default is the value of an unset (or blank) variable, as the
	// README's configuration table shows it; "" for none.
	Default string
	// DefaultFrom, when set, gives the default from the settings above
	// it in the table instead (BASE_URL's from PORT).
	DefaultFrom func(*Config) string
	// Fallback is read when Name is unset: a hosting platform's name for
	// the same setting.
	Fallback string
	// Set parses and checks the value (trimmed; the default when unset)
	// and sets its field. Its error says what was expected, and never
	// repeats a secret; Load puts the variable's name before it. It may
	// read the fields set by the options above it.
	Set func(c *Config, v string) error
}

// options are every setting, in the order they are read: an option may
// depend on those above it, never on those below. The README's
// configuration table lists the same names (config_test.go checks it).
var options = []option{
	{Name: "PORT", Default: strconv.Itoa(DefaultPort), Set: func(c *Config, v string) (err error) {
		c.Port, err = number(v, 1, 65535, "a port number between 1 and 65535")
		return err
	}},
	{Name: "BASE_URL", DefaultFrom: func(c *Config) string { return fmt.Sprintf("http://localhost:%d", c.Port) },
		Set: func(c *Config, v string) error {
			c.BaseURL = strings.TrimRight(v, "/")
			return urlOf(c.BaseURL, c.BaseURL, "an absolute http(s) URL", true, "http", "https")
		}},
	{Name: "DATABASE_URL", Default: DefaultDatabaseURL, Fallback: "SCALINGO_POSTGRESQL_URL", Set: func(c *Config, v string) error {
		c.DatabaseURL = v
		return urlOf(v, redact(v), "a postgres:// URL", false, "postgres", "postgresql")
	}},
	{Name: "REDIS_URL", Default: DefaultRedisURL, Fallback: "SCALINGO_REDIS_URL", Set: func(c *Config, v string) error {
		c.RedisURL = v
		return urlOf(v, redact(v), "a redis:// or rediss:// URL", false, "redis", "rediss")
	}},
	{Name: "SMTP_URL", Default: DefaultSMTPURL, Set: func(c *Config, v string) error {
		c.SMTPURL = v
		_, err := ParseSMTPURL(v)
		return err
	}},
	{Name: "MAIL_FROM", Default: DefaultMailFrom, Set: func(c *Config, v string) error {
		c.MailFrom = v
		if _, err := mail.ParseAddress(v); err != nil {
			return expected(`an address such as "Vivier <noreply@example.org>"`, v)
		}
		return nil
	}},
	{Name: "ADMIN_EMAILS", Set: func(c *Config, v string) error {
		var errs []error
		for _, a := range list(strings.ToLower(v)) {
			if _, err := mail.ParseAddress(a); err != nil {
				errs = append(errs, fmt.Errorf("%q is not an email address", a))
				continue
			}
			c.AdminEmails = append(c.AdminEmails, a)
		}
		return errors.Join(errs...)
	}},
	{Name: "UPLOAD_MAX_BYTES", Default: strconv.Itoa(DefaultUploadMaxBytes), Set: func(c *Config, v string) (err error) {
		c.UploadMaxBytes, err = number[int64](v, 1024, math.MaxInt64, "a number of bytes of at least 1024")
		return err
	}},
	{Name: "RETENTION_MONTHS", Default: strconv.Itoa(DefaultRetentionMonths), Set: func(c *Config, v string) (err error) {
		c.RetentionMonths, err = number(v, 1, math.MaxInt, "a whole number of months of at least 1")
		return err
	}},
	{Name: "LOG_FORMAT", Default: "text", Set: func(c *Config, v string) error {
		c.LogFormat = v
		if v != "text" && v != "json" {
			return expected("text or json", v)
		}
		return nil
	}},
	{Name: "OPERATOR_NAME", Default: DefaultOperatorName, Set: func(c *Config, v string) error {
		c.OperatorName = v
		return nil
	}},
	// Another operator's name is used bare until its article form is given.
	{Name: "OPERATOR_NAME_ARTICLE", DefaultFrom: func(c *Config) string {
		if c.OperatorName == DefaultOperatorName {
			return DefaultOperatorNameArticle
		}
		return c.OperatorName
	}, Set: func(c *Config, v string) error {
		c.OperatorNameArticle = v
		if strings.IndexFunc(v, unicode.IsControl) >= 0 || !hasNameAfterArticle(v) {
			return expected(`the name with its article on one line, such as "l'Incubateur des Territoires", "la Fabrique numérique" or "le GIP Inclusion"`, v)
		}
		return nil
	}},
	{Name: "APPLY_RATE_LIMIT", Default: "30", Set: func(c *Config, v string) (err error) {
		c.ApplyRateLimit, err = number(v, 0, math.MaxInt, "a number of applications per client and hour (0 for no limit)")
		return err
	}},
	{Name: "EMAIL_CLAIM_TIMEOUT", Default: "10m", Set: func(c *Config, v string) (err error) {
		c.EmailClaimTimeout, err = duration(v, time.Second, "a duration such as 10m (at least 1s)")
		return err
	}},
	{Name: "SCHEMA_WAIT", Default: "5m", Set: func(c *Config, v string) (err error) {
		c.SchemaWait, err = duration(v, 0, "a duration such as 5m (0 to refuse at once)")
		return err
	}},
	{Name: "TRUSTED_PROXIES", Set: func(c *Config, v string) error {
		c.TrustedProxies = list(v)
		return nil
	}},
	{Name: "METRICS_TOKEN", Set: func(c *Config, v string) error {
		c.MetricsToken = v
		if v != "" && len(v) < 16 {
			return fmt.Errorf("expected at least 16 characters (a random secret), got %d", len(v))
		}
		return nil
	}},
	{Name: "WORKER_CONCURRENCY", Default: strconv.Itoa(DefaultWorkerConcurrency), Set: func(c *Config, v string) (err error) {
		c.WorkerConcurrency, err = number(v, 1, 1000, "a number of emails sent at once between 1 and 1000")
		return err
	}},
	{Name: "SMTP_RATE", Default: "0", Set: func(c *Config, v string) error {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(r) || r < 0 || r > 100000 {
			return errors.New("a number of messages per second between 0 and 100000, such as 10 or 0.5 (0 for no limit)")
		}
		c.SMTPRate = r
		return nil
	}},
	{Name: "METRICS_PORT", Default: strconv.Itoa(DefaultMetricsPort), Set: func(c *Config, v string) (err error) {
		c.MetricsPort, err = number(v, 0, 65535, "a port number (0 to turn the worker's metrics off)")
		return err
	}},
	// The development key is public: only http, never https, takes it.
	{Name: "LINK_KEY", DefaultFrom: func(c *Config) string {
		if c.Secure() {
			return ""
		}
		return hex.EncodeToString(DevLinkKey())
	}, Set: func(c *Config, v string) (err error) {
		if v == "" {
			return errors.New("required when BASE_URL is https: 32 random bytes in base64 or hex (openssl rand -base64 32)")
		}
		if c.LinkKey, err = ParseLinkKey(v); err != nil {
			return err
		}
		if c.Secure() && bytes.Equal(c.LinkKey, DevLinkKey()) {
			return errors.New("this is the development key, public in the source: generate one (openssl rand -base64 32)")
		}
		return nil
	}}, // ProConnect (OpenID Connect): all three settings or none. The issuer
	// is https, or http while BASE_URL is (a test or laptop provider).
	{Name: "PROCONNECT_ISSUER", Set: func(c *Config, v string) error {
		c.ProConnectIssuer = strings.TrimRight(v, "/")
		if v == "" {
			return nil
		}
		schemes := []string{"https"}
		if !c.Secure() {
			schemes = append(schemes, "http")
		}
		return urlOf(c.ProConnectIssuer, c.ProConnectIssuer, "the provider's issuer URL, such as https://auth.agentconnect.gouv.fr/api/v2 (https)", true, schemes...)
	}},
	{Name: "PROCONNECT_CLIENT_ID", Set: func(c *Config, v string) error {
		c.ProConnectClientID = v
		if (v == "") != (c.ProConnectIssuer == "") {
			return errors.New("set PROCONNECT_ISSUER, PROCONNECT_CLIENT_ID and PROCONNECT_CLIENT_SECRET together, or none of them")
		}
		if strings.IndexFunc(v, unicode.IsSpace) >= 0 || strings.IndexFunc(v, unicode.IsControl) >= 0 {
			return expected("the client id ProConnect gave, without spaces", v)
		}
		return nil
	}},
	{Name: "PROCONNECT_CLIENT_SECRET", Set: func(c *Config, v string) error {
		c.ProConnectClientSecret = v
		if (v == "") != (c.ProConnectIssuer == "") {
			return errors.New("set PROCONNECT_ISSUER, PROCONNECT_CLIENT_ID and PROCONNECT_CLIENT_SECRET together, or none of them")
		}
		if strings.IndexFunc(v, unicode.IsSpace) >= 0 || strings.IndexFunc(v, unicode.IsControl) >= 0 {
			return errors.New("expected the client secret ProConnect gave, without spaces")
		}
		return nil
	}},
	// Conversations by email: a mailbox read over IMAP, and its address.
	{Name: "INBOUND_IMAP_URL", Set: func(c *Config, v string) error {
		c.InboundIMAPURL = v
		if v == "" {
			return nil
		}
		_, err := ParseIMAPURL(v)
		return err
	}},
	{Name: "INBOUND_ADDRESS", Set: func(c *Config, v string) error {
		c.InboundAddress = strings.ToLower(v)
		if (v == "") != (c.InboundIMAPURL == "") {
			return errors.New("set INBOUND_IMAP_URL and INBOUND_ADDRESS together, or neither")
		}
		if v == "" {
			return nil
		}
		a, err := mail.ParseAddress(v)
		if err != nil || a.Address != v || a.Name != "" || strings.Contains(v, "+") {
			return expected("the mailbox's plain address, without a name or a +, such as recrutement@example.org", v)
		}
		return nil
	}},
	{Name: "INBOUND_POLL", Default: "30s", Set: func(c *Config, v string) (err error) {
		c.InboundPoll, err = duration(v, time.Second, "a duration such as 30s (at least 1s)")
		return err
	}},
}
