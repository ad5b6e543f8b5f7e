// Package config reads Vivier's settings from the environment. Every
// setting has a development default; a bad value stops start-up with a
// message naming the variable.
package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"
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
	// SMTPRate is how many messages a second every worker together hands
	// to the relay at most (0: no limit).
	SMTPRate float64
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
	// ProConnect's issuer and this site's client: all set, or all empty
	// (no ProConnect button).
	ProConnectIssuer       string
	ProConnectClientID     string
	ProConnectClientSecret string
	// InboundIMAPURL is the mailbox replies are read from (empty: none,
	// and emails to applicants say Reply-To the posting's contact).
	InboundIMAPURL string
	// InboundAddress is that mailbox's address, plus-addressed per
	// application in the Reply-To of emails to applicants.
	InboundAddress string
	// InboundPoll is how often the mailbox is read when the server does
	// not offer IDLE (and the longest an IDLE waits before reading again).
	InboundPoll time.Duration
}

// Inbound reports whether replies are read from a mailbox.
func (c *Config) Inbound() bool { return c.InboundIMAPURL != "" }

// RoutingAddress is the Reply-To address of an application's emails,
// from INBOUND_ADDRESS and the application's routing token:
// recrutement+TOKEN@domain.
func (c *Config) RoutingAddress(token string) string {
	local, domain, _ := strings.Cut(c.InboundAddress, "@")
	return local + "+" + token + "@" + domain
}

// ProConnect reports whether sign-in with ProConnect is configured.
func (c *Config) ProConnect() bool { return c.ProConnectIssuer != "" }

// Getenv is os.Getenv or a test's map lookup.
type Getenv func(string) string

// Load reads every option of the table (options.go) through getenv, in
// the table's order, and returns all the bad values at once, each line
// naming its variable.
func Load(getenv Getenv) (*Config, error) {
	c := &Config{}
	var errs []string
	for _, o := range options {
		v := strings.TrimSpace(getenv(o.Name))
		if v == "" && o.Fallback != "" {
			v = strings.TrimSpace(getenv(o.Fallback))
		}
		if v == "" {
			v = o.Default
			if o.DefaultFrom != nil {
				v = o.DefaultFrom(c)
			}
		}
		if err := o.Set(c, v); err != nil {
			for _, e := range unjoin(err) {
				errs = append(errs, o.Name+": "+e.Error())
			}
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("invalid configuration:\n  %s", strings.Join(errs, "\n  "))
	}
	return c, nil
}

// unjoin lists the errors errors.Join put together (one a line).
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
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
