package config

import (
	"slices"
	"strings"
	"testing"
)

// ProConnect's three settings go together; its issuer is https on an
// https site, and may be http only while the site itself is.
func TestProConnectSettings(t *testing.T) {
	all := map[string]string{"PROCONNECT_ISSUER": "https://auth.agentconnect.gouv.fr/api/v2",
		"PROCONNECT_CLIENT_ID": "vivier-anct", "PROCONNECT_CLIENT_SECRET": "un-secret-de-proconnect"}
	c, err := loadEnv(all)
	if err != nil || !c.ProConnect() {
		t.Fatalf("all three: %v, configured %v", err, c != nil && c.ProConnect())
	}
	if c, err := loadEnv(nil); err != nil || c.ProConnect() {
		t.Fatalf("none: %v", err)
	}
	for _, missing := range []string{"PROCONNECT_ISSUER", "PROCONNECT_CLIENT_ID", "PROCONNECT_CLIENT_SECRET"} {
		env := map[string]string{}
		for k, v := range all {
			if k != missing {
				env[k] = v
			}
		}
		_, err := loadEnv(env)
		if err == nil || !strings.Contains(err.Error(), "together") {
			t.Errorf("without %s: %v, want a message saying the three go together", missing, err)
			continue
		}
		if strings.Contains(err.Error(), "un-secret-de-proconnect") {
			t.Errorf("without %s: the message shows the secret: %v", missing, err)
		}
	}
	http := map[string]string{"PROCONNECT_ISSUER": "http://127.0.0.1:9999", "PROCONNECT_CLIENT_ID": "vivier", "PROCONNECT_CLIENT_SECRET": "secret"}
	if _, err := loadEnv(http); err != nil {
		t.Errorf("an http issuer for an http site: %v", err)
	}
	http["BASE_URL"] = "https://vivier.example.org"
	http["LINK_KEY"] = strings.Repeat("5a", 32)
	_, err = loadEnv(http)
	if err == nil || !slices.ContainsFunc(linesOf(err), func(l string) bool { return strings.HasPrefix(l, "PROCONNECT_ISSUER: ") }) {
		t.Errorf("an http issuer for an https site: %v, want PROCONNECT_ISSUER refused", err)
	}
}
