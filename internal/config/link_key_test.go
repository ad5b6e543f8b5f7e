package config

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

func TestLinkKey(t *testing.T) {
	load := func(env map[string]string) (*Config, error) { return Load(func(k string) string { return env[k] }) }
	key := bytes.Repeat([]byte{0xA5}, 32)

	// Over http, the development key by default.
	c, err := load(nil)
	if err != nil || !bytes.Equal(c.LinkKey, DevLinkKey()) {
		t.Fatalf("default: %v, %v", c, err)
	}
	// Base64 (either alphabet, padded or not) and hex are read.
	for _, v := range []string{base64.StdEncoding.EncodeToString(key), base64.RawURLEncoding.EncodeToString(key), hex.EncodeToString(key)} {
		c, err := load(map[string]string{"LINK_KEY": v, "BASE_URL": "https://vivier.example.org"})
		if err != nil || !bytes.Equal(c.LinkKey, key) {
			t.Errorf("LINK_KEY=%s: %v", v, err)
		}
	}
	// Over https it must be set, to a key of 32 bytes that is not the
	// development one; a bad value is refused whatever the scheme.
	for name, env := range map[string]map[string]string{
		"unset over https":     {"BASE_URL": "https://vivier.example.org"},
		"too short":            {"LINK_KEY": base64.StdEncoding.EncodeToString(key[:16])},
		"not base64 nor hex":   {"LINK_KEY": "pas une clé !"},
		"the development key":  {"LINK_KEY": hex.EncodeToString(DevLinkKey()), "BASE_URL": "https://vivier.example.org"},
		"too short over https": {"LINK_KEY": "c2VjcmV0", "BASE_URL": "https://vivier.example.org"},
	} {
		if _, err := load(env); err == nil || !strings.Contains(err.Error(), "LINK_KEY") {
			t.Errorf("%s: %v, want an error naming LINK_KEY", name, err)
		}
	}
}
