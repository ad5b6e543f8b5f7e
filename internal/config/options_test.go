package config

import (
	"bytes"
	"encoding/base64"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func loadEnv(env map[string]string) (*Config, error) {
	return Load(func(k string) string { return env[k] })
}

// linesOf returns the lines of a configuration error, one a variable.
func linesOf(err error) []string {
	return strings.Split(err.Error(), "\n  ")[1:]
}

// Each variable: its default when unset, a good value read into its
// field, a bad value refused with a message naming the variable (and
// never repeating a secret).
func TestEveryOption(t *testing.T) {
	key := bytes.Repeat([]byte{0x5A}, 32)
	proConnectClient := map[string]string{"PROCONNECT_CLIENT_ID": "vivier-anct", "PROCONNECT_CLIENT_SECRET": "un-secret-de-proconnect"}
	proConnectIssuerAndSecret := map[string]string{"PROCONNECT_ISSUER": "https://auth.agentconnect.gouv.fr/api/v2", "PROCONNECT_CLIENT_SECRET": "un-secret-de-proconnect"}
	cases := []struct {
		name     string
		get      func(*Config) any
		def      any
		good     string
		goodGets any
		bad      string // "" when every value is taken
		hidden   string // what the bad value's message must not show
		env      map[string]string
	}{
		{name: "PORT", get: func(c *Config) any { return c.Port }, def: 8080, good: " 3000 ", goodGets: 3000, bad: "80a"},
		{name: "BASE_URL", get: func(c *Config) any { return c.BaseURL }, def: "http://localhost:8080",
			good: "https://vivier.example.org/", goodGets: "https://vivier.example.org", bad: "vivier.example.org",
			env: map[string]string{"LINK_KEY": base64.StdEncoding.EncodeToString(key)}},
		{name: "DATABASE_URL", get: func(c *Config) any { return c.DatabaseURL }, def: DefaultDatabaseURL,
			good: "postgresql://vivier@db.internal:5432/vivier", goodGets: "postgresql://vivier@db.internal:5432/vivier",
			bad: "mysql://vivier:motdepasse@db.internal/vivier", hidden: "motdepasse"},
		{name: "REDIS_URL", get: func(c *Config) any { return c.RedisURL }, def: DefaultRedisURL,
			good: "rediss://redis.internal:6380/1", goodGets: "rediss://redis.internal:6380/1",
			bad: "http://vivier:motdepasse@redis.internal", hidden: "motdepasse"},
		{name: "SMTP_URL", get: func(c *Config) any { return c.SMTPURL }, def: DefaultSMTPURL,
			good: "smtps://vivier:motdepasse@relay.example.org", goodGets: "smtps://vivier:motdepasse@relay.example.org",
			bad: "http://vivier:motdepasse@relay.example.org", hidden: "motdepasse"},
		{name: "MAIL_FROM", get: func(c *Config) any { return c.MailFrom }, def: DefaultMailFrom,
			good: "Recrutement <recrutement@anct.gouv.fr>", goodGets: "Recrutement <recrutement@anct.gouv.fr>", bad: "recrutement"},
		{name: "ADMIN_EMAILS", get: func(c *Config) any { return c.AdminEmails }, def: []string(nil),
			good: " Camille@ANCT.gouv.fr, ,ops@anct.gouv.fr", goodGets: []string{"camille@anct.gouv.fr", "ops@anct.gouv.fr"},
			bad: "camille@anct.gouv.fr, pas-une-adresse"},
		{name: "UPLOAD_MAX_BYTES", get: func(c *Config) any { return c.UploadMaxBytes }, def: int64(10 << 20),
			good: "2048", goodGets: int64(2048), bad: "1023"},
		{name: "RETENTION_MONTHS", get: func(c *Config) any { return c.RetentionMonths }, def: 24, good: "36", goodGets: 36, bad: "0"},
		{name: "LOG_FORMAT", get: func(c *Config) any { return c.LogFormat }, def: "text", good: "json", goodGets: "json", bad: "xml"},
		{name: "OPERATOR_NAME", get: func(c *Config) any { return c.OperatorName }, def: DefaultOperatorName,
			good: "GIP Inclusion", goodGets: "GIP Inclusion"},
		{name: "OPERATOR_NAME_ARTICLE", get: func(c *Config) any { return c.OperatorNameArticle }, def: DefaultOperatorNameArticle,
			good: "la Fabrique numérique", goodGets: "la Fabrique numérique", bad: "l'"},
		{name: "APPLY_RATE_LIMIT", get: func(c *Config) any { return c.ApplyRateLimit }, def: 30, good: "0", goodGets: 0, bad: "-1"},
		{name: "EMAIL_CLAIM_TIMEOUT", get: func(c *Config) any { return c.EmailClaimTimeout }, def: 10 * time.Minute,
			good: "15m", goodGets: 15 * time.Minute, bad: "500ms"},
		{name: "SCHEMA_WAIT", get: func(c *Config) any { return c.SchemaWait }, def: 5 * time.Minute, good: "0", goodGets: time.Duration(0), bad: "-1s"},
		{name: "TRUSTED_PROXIES", get: func(c *Config) any { return c.TrustedProxies }, def: []string(nil),
			good: "10.0.0.0/8, ,192.168.1.1", goodGets: []string{"10.0.0.0/8", "192.168.1.1"}},
		{name: "METRICS_TOKEN", get: func(c *Config) any { return c.MetricsToken }, def: "",
			good: " un-jeton-assez-long-pour-servir ", goodGets: "un-jeton-assez-long-pour-servir", bad: "court", hidden: "court"},
		{name: "WORKER_CONCURRENCY", get: func(c *Config) any { return c.WorkerConcurrency }, def: 20, good: "40", goodGets: 40, bad: "1001"},
		{name: "SMTP_RATE", get: func(c *Config) any { return c.SMTPRate }, def: 0.0, good: "12.5", goodGets: 12.5, bad: "-1"},
		{name: "METRICS_PORT", get: func(c *Config) any { return c.MetricsPort }, def: 9090, good: "0", goodGets: 0, bad: "-1"},
		{name: "LINK_KEY", get: func(c *Config) any { return c.LinkKey }, def: DevLinkKey(),
			good: base64.StdEncoding.EncodeToString(key), goodGets: key, bad: "c2VjcmV0", hidden: "c2VjcmV0"},
		{name: "PROCONNECT_ISSUER", get: func(c *Config) any { return c.ProConnectIssuer }, def: "",
			good: "https://auth.agentconnect.gouv.fr/api/v2/", goodGets: "https://auth.agentconnect.gouv.fr/api/v2", bad: "auth.agentconnect.gouv.fr",
			env: proConnectClient},
		{name: "PROCONNECT_CLIENT_ID", get: func(c *Config) any { return c.ProConnectClientID }, def: "",
			good: "vivier-anct", goodGets: "vivier-anct", bad: "vivier anct", env: proConnectIssuerAndSecret},
		{name: "PROCONNECT_CLIENT_SECRET", get: func(c *Config) any { return c.ProConnectClientSecret }, def: "",
			good: "un-secret-de-proconnect", goodGets: "un-secret-de-proconnect", bad: "un secret", hidden: "un secret",
			env: map[string]string{"PROCONNECT_ISSUER": "https://auth.agentconnect.gouv.fr/api/v2", "PROCONNECT_CLIENT_ID": "vivier-anct"}},
		{name: "INBOUND_IMAP_URL", get: func(c *Config) any { return c.InboundIMAPURL }, def: "",
			good: "imaps://recrutement:s3cret@imap.example.org:993/INBOX", goodGets: "imaps://recrutement:s3cret@imap.example.org:993/INBOX",
			bad: "imap://recrutement:s3cret@imap.example.org/INBOX", hidden: "s3cret",
			env: map[string]string{"INBOUND_ADDRESS": "recrutement@example.org"}},
		{name: "INBOUND_ADDRESS", get: func(c *Config) any { return c.InboundAddress }, def: "",
			good: "Recrutement@example.org", goodGets: "recrutement@example.org", bad: "recrutement+x@example.org",
			env: map[string]string{"INBOUND_IMAP_URL": "imap://recrutement:pass@127.0.0.1:1143/INBOX?tls=none"}},
		{name: "INBOUND_POLL", get: func(c *Config) any { return c.InboundPoll }, def: 30 * time.Second,
			good: "5s", goodGets: 5 * time.Second, bad: "0s"},
	}

	var tested []string
	for _, c := range cases {
		tested = append(tested, c.name)
		with := func(v string) map[string]string {
			env := map[string]string{c.name: v}
			for k, v := range c.env {
				env[k] = v
			}
			return env
		}
		cfg, err := loadEnv(nil)
		if err != nil {
			t.Fatalf("defaults: %v", err)
		}
		if got := c.get(cfg); !reflect.DeepEqual(got, c.def) {
			t.Errorf("%s unset: %#v, want %#v", c.name, got, c.def)
		}
		cfg, err = loadEnv(with(c.good))
		if err != nil {
			t.Errorf("%s=%q: %v", c.name, c.good, err)
		} else if got := c.get(cfg); !reflect.DeepEqual(got, c.goodGets) {
			t.Errorf("%s=%q: %#v, want %#v", c.name, c.good, got, c.goodGets)
		}
		if c.bad == "" {
			continue
		}
		_, err = loadEnv(with(c.bad))
		if err == nil {
			t.Errorf("%s=%q was taken", c.name, c.bad)
			continue
		}
		for _, line := range linesOf(err) {
			if !strings.HasPrefix(line, c.name+": ") {
				t.Errorf("%s=%q: %q does not name the variable", c.name, c.bad, line)
			}
		}
		if c.hidden != "" && strings.Contains(err.Error(), c.hidden) {
			t.Errorf("%s=%q: the message shows the secret: %v", c.name, c.bad, err)
		}
	}
	var names []string
	for _, o := range options {
		names = append(names, o.Name)
	}
	if !slices.Equal(tested, names) {
		t.Errorf("variables tested %v, want the option table's %v", tested, names)
	}
}

// The platforms' names are read when Vivier's own are unset.
func TestFallbacks(t *testing.T) {
	cfg, err := loadEnv(map[string]string{"SCALINGO_POSTGRESQL_URL": "postgres://scalingo@db/app", "SCALINGO_REDIS_URL": "redis://scalingo@redis:6379"})
	if err != nil || cfg.DatabaseURL != "postgres://scalingo@db/app" || cfg.RedisURL != "redis://scalingo@redis:6379" {
		t.Fatalf("fallbacks alone: %+v, %v", cfg, err)
	}
	cfg, err = loadEnv(map[string]string{"DATABASE_URL": "postgres://own@db/app", "SCALINGO_POSTGRESQL_URL": "postgres://scalingo@db/app",
		"REDIS_URL": "redis://own:6379", "SCALINGO_REDIS_URL": "redis://scalingo@redis:6379"})
	if err != nil || cfg.DatabaseURL != "postgres://own@db/app" || cfg.RedisURL != "redis://own:6379" {
		t.Fatalf("both set: %+v, %v", cfg, err)
	}
	_, err = loadEnv(map[string]string{"SCALINGO_POSTGRESQL_URL": "mysql://db/app"})
	if err == nil || !strings.HasPrefix(linesOf(err)[0], "DATABASE_URL: ") {
		t.Fatalf("bad fallback: %v, want DATABASE_URL named", err)
	}
}

// BASE_URL's default follows PORT; https then needs a LINK_KEY of its own.
func TestSettingsThatDependOnOthers(t *testing.T) {
	cfg, err := loadEnv(map[string]string{"PORT": "3000"})
	if err != nil || cfg.BaseURL != "http://localhost:3000" || cfg.Secure() {
		t.Fatalf("PORT=3000: %+v, %v", cfg, err)
	}
	_, err = loadEnv(map[string]string{"BASE_URL": "https://vivier.example.org"})
	if err == nil || !slices.Equal(linesOf(err), []string{"LINK_KEY: required when BASE_URL is https: 32 random bytes in base64 or hex (openssl rand -base64 32)"}) {
		t.Fatalf("https without LINK_KEY: %v", err)
	}
}

// Every bad value is reported at once, one line a variable, in the
// table's order.
func TestAllErrorsAtOnce(t *testing.T) {
	_, err := loadEnv(map[string]string{"PORT": "quatre-vingts", "LOG_FORMAT": "xml", "ADMIN_EMAILS": "a, b", "METRICS_PORT": "-1"})
	if err == nil {
		t.Fatal("bad values taken")
	}
	var named []string
	for _, line := range linesOf(err) {
		named = append(named, strings.SplitN(line, ":", 2)[0])
	}
	if want := []string{"PORT", "ADMIN_EMAILS", "ADMIN_EMAILS", "LOG_FORMAT", "METRICS_PORT"}; !slices.Equal(named, want) {
		t.Fatalf("lines name %v, want %v:\n%v", named, want, err)
	}
}

// The README's configuration table lists exactly the variables of the
// option table, with the same defaults where a default is a plain value.
func TestREADMEListsEveryOption(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Configuration\n")
	if !ok {
		t.Fatal("no Configuration section in the README")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	row := regexp.MustCompile("(?m)^\\| `([A-Z_]+)` \\| (.*?) \\|")
	defaults := map[string]string{}
	var listed []string
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		listed = append(listed, m[1])
		defaults[m[1]] = m[2]
	}
	var names []string
	for _, o := range options {
		names = append(names, o.Name)
		if o.Default != "" && o.DefaultFrom == nil && !strings.Contains(defaults[o.Name], "`"+o.Default+"`") {
			t.Errorf("README: %s's default is %q, the code's `%s`", o.Name, defaults[o.Name], o.Default)
		}
	}
	slices.Sort(listed)
	slices.Sort(names)
	if !slices.Equal(listed, names) {
		t.Errorf("the README lists %v, the option table has %v", listed, names)
	}
}
