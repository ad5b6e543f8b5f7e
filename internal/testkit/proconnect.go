package testkit

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// ProConnect is an OpenID Connect provider run in-process, configured like
// ProConnect: the authorization code flow only, state and nonce of 32
// characters at least, extra parameters refused, codes valid 30 s and
// once, access tokens valid 60 s, the userinfo a JWT signed with its RSA
// key (application/jwt), ProConnect's claims, and an end-session endpoint.
// Its tokens are real JWTs (go-jose), checked by the app with its real
// client. The person who signs in is the one the test names (SignInAs):
// the provider's own login page is not Vivier's to test.
type ProConnect struct {
	tb           testing.TB
	srv          *httptest.Server
	Issuer       string
	ClientID     string
	ClientSecret string
	key          *rsa.PrivateKey
	otherKey     *rsa.PrivateKey

	mu       sync.Mutex
	b        ProConnectBehaviour
	codes    map[string]*grant
	access   map[string]*grant
	idTokens map[string]bool
	ended    []string
	// offset moves the provider's clock (codes and tokens expire on it).
	offset time.Duration
}

// ProConnectUser is who signs in, with ProConnect's claims.
type ProConnectUser struct {
	Sub, Email, GivenName, UsualName, UID, SIRET, IdpID string
}

// ProConnectBehaviour is how the provider answers the next requests.
type ProConnectBehaviour struct {
	User ProConnectUser
	// Deny answers the authorization with error=access_denied (the
	// person refused).
	Deny bool
	// WrongNonce puts another nonce in the ID token.
	WrongNonce bool
	// ForeignUserinfoKey signs the userinfo with a key that is not the
	// provider's (under the provider's key id).
	ForeignUserinfoKey bool
	// TokenStatus, when set, is the token endpoint's status (a 5xx).
	TokenStatus int
	// OnCode is called with each code, and the callback address the
	// browser is sent back to with it, before it is sent (a test may
	// redeem the code first, or keep the address).
	OnCode func(code, callback string)
}

type grant struct {
	user             ProConnectUser
	redirectURI      string
	nonce            string
	expires          time.Time
	used             bool
	wrongNonce       bool
	foreignSignature bool
}

// NewProConnect starts the provider for this test's client.
func NewProConnect(tb testing.TB) *ProConnect {
	tb.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	p := &ProConnect{tb: tb, ClientID: "vivier-test", ClientSecret: "secret-de-test-proconnect", key: key, otherKey: other,
		codes: map[string]*grant{}, access: map[string]*grant{}, idTokens: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v2/.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /api/v2/jwks", p.jwks)
	mux.HandleFunc("GET /api/v2/authorize", p.authorize)
	mux.HandleFunc("POST /api/v2/token", p.token)
	mux.HandleFunc("GET /api/v2/userinfo", p.userinfo)
	mux.HandleFunc("GET /api/v2/session/end", p.endSession)
	p.srv = httptest.NewServer(mux)
	p.Issuer = p.srv.URL + "/api/v2"
	tb.Cleanup(p.srv.Close)
	return p
}

// Env is the app's settings for this provider.
func (p *ProConnect) Env() map[string]string {
	return map[string]string{"PROCONNECT_ISSUER": p.Issuer, "PROCONNECT_CLIENT_ID": p.ClientID, "PROCONNECT_CLIENT_SECRET": p.ClientSecret}
}

// Set changes how the provider answers from now on.
func (p *ProConnect) Set(b ProConnectBehaviour) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.b = b
}

// SignInAs makes the next sign-ins those of user, otherwise well behaved.
func (p *ProConnect) SignInAs(user ProConnectUser) { p.Set(ProConnectBehaviour{User: user}) }

// Advance moves the provider's clock forward by d: a code or token
// issued before may expire.
func (p *ProConnect) Advance(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.offset += d
}

func (p *ProConnect) now() time.Time { return time.Now().Add(p.offset) }

// Down stops the provider: nothing answers at its address any more.
func (p *ProConnect) Down() { p.srv.Close() }

// EndedSessions are the ID tokens whose sessions a browser ended.
func (p *ProConnect) EndedSessions() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.ended)
}

// Redeem trades code at the token endpoint, as an app (or a thief) would,
// and returns the status.
func (p *ProConnect) Redeem(code, redirectURI string) int {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI},
		"client_id": {p.ClientID}, "client_secret": {p.ClientSecret}}
	resp, err := http.PostForm(p.Issuer+"/token", form)
	if err != nil {
		p.tb.Errorf("redeem a code: %v", err)
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (p *ProConnect) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer": p.Issuer, "authorization_endpoint": p.Issuer + "/authorize", "token_endpoint": p.Issuer + "/token",
		"userinfo_endpoint": p.Issuer + "/userinfo", "jwks_uri": p.Issuer + "/jwks", "end_session_endpoint": p.Issuer + "/session/end",
		"response_types_supported": []string{"code"}, "grant_types_supported": []string{"authorization_code"},
		"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256"},
		"userinfo_signing_alg_values_supported": []string{"RS256"}, "token_endpoint_auth_methods_supported": []string{"client_secret_post"},
		"scopes_supported":     []string{"openid", "email", "given_name", "usual_name", "siret", "uid", "idp_id"},
		"claims_supported":     []string{"sub", "email", "given_name", "usual_name", "uid", "siret", "idp_id"},
		"acr_values_supported": []string{"eidas1"},
	})
}

func (p *ProConnect) jwks(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.key.PublicKey, KeyID: "proconnect-test", Algorithm: "RS256", Use: "sig"}}})
}

// ProConnect refuses parameters it does not know.
var authorizeParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "acr_values", "claims", "prompt", "login_hint", "idp_hint"}

func (p *ProConnect) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k := range q {
		if !slices.Contains(authorizeParams, k) {
			http.Error(w, "unknown parameter "+k, http.StatusBadRequest)
			return
		}
	}
	if q.Get("client_id") != p.ClientID || q.Get("response_type") != "code" || q.Get("redirect_uri") == "" ||
		!slices.Contains(strings.Fields(q.Get("scope")), "openid") || len(q.Get("state")) < 32 || len(q.Get("nonce")) < 32 {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	b := p.b
	answer := url.Values{"state": {q.Get("state")}}
	if b.Deny {
		answer.Set("error", "access_denied")
		answer.Set("error_description", "User auth aborted")
	} else {
		code := secret()
		p.codes[code] = &grant{user: b.User, redirectURI: q.Get("redirect_uri"), nonce: q.Get("nonce"),
			expires: p.now().Add(30 * time.Second), wrongNonce: b.WrongNonce, foreignSignature: b.ForeignUserinfoKey}
		answer.Set("code", code)
		answer.Set("iss", p.Issuer)
	}
	p.mu.Unlock()
	back.RawQuery = answer.Encode()
	if b.OnCode != nil && answer.Get("code") != "" {
		b.OnCode(answer.Get("code"), back.String())
	}
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (p *ProConnect) token(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.b.TokenStatus != 0 {
		writeJSON(w, p.b.TokenStatus, map[string]string{"error": "server_error"})
		return
	}
	id, secretGiven, ok := r.BasicAuth()
	if !ok {
		id, secretGiven = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
	}
	if id != p.ClientID || secretGiven != p.ClientSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	g := p.codes[r.PostFormValue("code")]
	if r.PostFormValue("grant_type") != "authorization_code" || g == nil || g.used || p.now().After(g.expires) ||
		g.redirectURI != r.PostFormValue("redirect_uri") {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	g.used = true
	now := p.now()
	nonce := g.nonce
	if g.wrongNonce {
		nonce = secret()
	}
	idToken := p.sign(p.key, map[string]any{"iss": p.Issuer, "sub": g.user.Sub, "aud": p.ClientID, "iat": now.Unix(),
		"exp": now.Add(60 * time.Second).Unix(), "nonce": nonce, "acr": "eidas1", "amr": []string{"pwd"}})
	access := secret()
	p.access[access] = &grant{user: g.user, expires: now.Add(60 * time.Second), foreignSignature: g.foreignSignature}
	p.idTokens[idToken] = true
	writeJSON(w, http.StatusOK, map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": 60, "id_token": idToken})
}

func (p *ProConnect) userinfo(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	g := p.access[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	if g == nil || p.now().After(g.expires) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	key := p.key
	if g.foreignSignature {
		key = p.otherKey
	}
	u := g.user
	w.Header().Set("Content-Type", "application/jwt; charset=utf-8")
	fmt.Fprint(w, p.sign(key, map[string]any{"iss": p.Issuer, "aud": p.ClientID, "iat": p.now().Unix(), "sub": u.Sub,
		"email": u.Email, "given_name": u.GivenName, "usual_name": u.UsualName, "uid": u.UID, "siret": u.SIRET, "idp_id": u.IdpID}))
}

func (p *ProConnect) endSession(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	known := p.idTokens[q.Get("id_token_hint")]
	if known {
		p.ended = append(p.ended, q.Get("id_token_hint"))
		delete(p.idTokens, q.Get("id_token_hint"))
	}
	p.mu.Unlock()
	back, err := url.Parse(q.Get("post_logout_redirect_uri"))
	if !known || err != nil || back.Host == "" || len(q.Get("state")) < 32 {
		http.Error(w, "bad logout request", http.StatusBadRequest)
		return
	}
	back.RawQuery = url.Values{"state": {q.Get("state")}}.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// sign writes claims as a JWT signed (RS256) with key, under the
// provider's key id.
func (p *ProConnect) sign(key *rsa.PrivateKey, claims map[string]any) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "proconnect-test"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		p.tb.Errorf("signer: %v", err)
		return ""
	}
	s, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		p.tb.Errorf("sign: %v", err)
	}
	return s
}

func secret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
