// Package links makes the tokens of personal links (an applicant's
// private link, a reviewer's sign-in link) and keeps them out of what is
// stored in clear: an email that carries one is stored with Marker in the
// token's place and the token sealed with LINK_KEY, bound to the email's
// row; the worker opens it only to send.
package links

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Marker stands where a token was in the stored subject and bodies of an
// email: what reviewers, exports and backups see. Neither HTML nor text
// escaping changes it.
const Marker = "[lien personnel retiré]"

// KeySize is the length of LINK_KEY in bytes (AES-256).
const KeySize = 32

// NewToken returns a 256-bit random token, base64url without padding, and
// its SHA-256, which alone is stored to look it up.
func NewToken() (string, []byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	return token, Hash(token), nil
}

// Hash is the SHA-256 of a token, as stored.
func Hash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// Hide returns s with every occurrence of token replaced by Marker.
func Hide(s, token string) string {
	if token == "" {
		return s
	}
	return strings.ReplaceAll(s, token, Marker)
}

// Fill returns s with Marker replaced by token: the text as it is sent.
func Fill(s, token string) string { return strings.ReplaceAll(s, Marker, token) }

// Key seals and opens tokens with AES-256-GCM, and signs the tokens of
// routing addresses (see Route).
type Key struct {
	aead cipher.AEAD
	// route is the HMAC key of routing tokens, derived from the link key
	// so that no token is used for two purposes.
	route []byte
}

// NewKey builds a key from KeySize random bytes.
func NewKey(raw []byte) (*Key, error) {
	if len(raw) != KeySize {
		return nil, fmt.Errorf("link key: want %d bytes, got %d", KeySize, len(raw))
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	mac := hmac.New(sha256.New, raw)
	mac.Write([]byte("vivier routing address"))
	return &Key{aead: aead, route: mac.Sum(nil)}, nil
}

// routeEncoding writes routing tokens in lower case letters and digits:
// mail servers may fold the case of an address.
var routeEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Route is the token of an application's routing address (the part after
// the "+" of recrutement+TOKEN@domain): the application's id and 128 bits
// of HMAC-SHA256 over it with the link key. Nothing is stored: the token
// is checked by computing it again, so it cannot be guessed or forged
// without LINK_KEY (changing the key leaves earlier addresses unmatched;
// replies to them are then matched by their In-Reply-To).
func (k *Key) Route(applicationID int64) string {
	id := strconv.FormatInt(applicationID, 10)
	return id + "." + routeEncoding.EncodeToString(k.routeMAC(id))
}

// RouteApplication returns the application a routing token names, or
// false when the token is not one this key made.
func (k *Key) RouteApplication(token string) (int64, bool) {
	id, sig, ok := strings.Cut(strings.ToLower(token), ".")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != id {
		return 0, false
	}
	got, err := routeEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, k.routeMAC(id)) {
		return 0, false
	}
	return n, true
}

func (k *Key) routeMAC(id string) []byte {
	mac := hmac.New(sha256.New, k.route)
	mac.Write([]byte(id))
	return mac.Sum(nil)[:16]
}

// sealVersion starts every sealed token, should the format ever change.
const sealVersion = 1

// ErrUnreadable means a sealed token does not open with this key for this
// email: another key, or a value moved to another row or address.
var ErrUnreadable = errors.New("sealed link unreadable")

// Seal seals token for the email of that id and address: moved to
// another row, or the row sent elsewhere, it no longer opens.
func (k *Key) Seal(emailID int64, to, token string) ([]byte, error) {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := append([]byte{sealVersion}, nonce...)
	return k.aead.Seal(out, nonce, []byte(token), boundTo(emailID, to)), nil
}

// Open returns the token sealed for the email of that id and address, or
// ErrUnreadable.
func (k *Key) Open(emailID int64, to string, sealed []byte) (string, error) {
	n := k.aead.NonceSize()
	if len(sealed) < 1+n || sealed[0] != sealVersion {
		return "", ErrUnreadable
	}
	plain, err := k.aead.Open(nil, sealed[1:1+n], sealed[1+n:], boundTo(emailID, to))
	if err != nil {
		return "", ErrUnreadable
	}
	return string(plain), nil
}

// boundTo is the additional data a token is sealed with.
func boundTo(emailID int64, to string) []byte {
	return []byte("vivier email " + strconv.FormatInt(emailID, 10) + " to " + strings.ToLower(to))
}
