package config

import (
	"strings"
	"testing"
)

func TestMetricsSettings(t *testing.T) {
	load := func(env map[string]string) (*Config, error) { return Load(func(k string) string { return env[k] }) }
	c, err := load(nil)
	if err != nil || c.MetricsPort != DefaultMetricsPort || c.MetricsToken != "" {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
	c, err = load(map[string]string{"METRICS_PORT": "0", "METRICS_TOKEN": "  un-jeton-assez-long-pour-servir  "})
	if err != nil || c.MetricsPort != 0 || c.MetricsToken != "un-jeton-assez-long-pour-servir" {
		t.Fatalf("port 0 and a token: %+v, %v", c, err)
	}
	_, err = load(map[string]string{"METRICS_PORT": "quatre-vingt-dix", "METRICS_TOKEN": "court"})
	if err == nil || !strings.Contains(err.Error(), "METRICS_PORT") || !strings.Contains(err.Error(), "METRICS_TOKEN") {
		t.Fatalf("bad values: %v, want both variables named", err)
	}
}
