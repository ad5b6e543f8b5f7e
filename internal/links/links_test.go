package links

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestSealedTokenOpensOnlyForItsEmail(t *testing.T) {
	k, err := NewKey(bytes.Repeat([]byte{7}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	token, hash, err := NewToken()
	if err != nil || len(token) != 43 || !bytes.Equal(hash, Hash(token)) {
		t.Fatalf("token %q: %v", token, err)
	}
	sealed, err := k.Seal(42, "Camille@Example.org", token)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte(token)) {
		t.Fatal("the sealed value holds the token")
	}
	if got, err := k.Open(42, "camille@example.org", sealed); err != nil || got != token {
		t.Fatalf("open: %q, %v", got, err)
	}
	other, _ := NewKey(bytes.Repeat([]byte{8}, KeySize))
	for name, open := range map[string]func() (string, error){
		"another row":     func() (string, error) { return k.Open(43, "camille@example.org", sealed) },
		"another address": func() (string, error) { return k.Open(42, "mallory@example.org", sealed) },
		"another key":     func() (string, error) { return other.Open(42, "camille@example.org", sealed) },
		"cut":             func() (string, error) { return k.Open(42, "camille@example.org", sealed[:10]) },
	} {
		if _, err := open(); !errors.Is(err, ErrUnreadable) {
			t.Errorf("%s: %v, want ErrUnreadable", name, err)
		}
	}
	if _, err := NewKey([]byte("court")); err == nil {
		t.Error("a short key was accepted")
	}
}

func TestHideAndFill(t *testing.T) {
	token, _, _ := NewToken()
	body := `<a href="https://vivier.example/candidature/` + token + `">https://vivier.example/candidature/` + token + `</a>`
	stored := Hide(body, token)
	if strings.Contains(stored, token) || strings.Count(stored, Marker) != 2 {
		t.Fatalf("hidden: %s", stored)
	}
	if Fill(stored, token) != body {
		t.Fatalf("filled: %s", Fill(stored, token))
	}
}
