package testkit

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
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
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// ProConnect is an OpenID Connect provider run in-process, built on
// zitadel/oidc's op package and configured like ProConnect: the
// authorization code flow only, state and nonce of 32 characters at
// least, extra parameters refused, codes valid 30 s and once, access
// tokens valid 60 s, the userinfo a JWT signed with its RSA key
// (application/jwt), ProConnect's claims, and an end-session endpoint.
// What op does not do the ProConnect way (refusing extra parameters,
// signing the userinfo, the failure switches) is done by small handlers
// around its router. The person who signs in is the one the test names
// (SignInAs): the provider's own login page is not Vivier's to test.
type ProConnect struct {
	tb           testing.TB
	srv          *httptest.Server
	op           *op.Provider
	router       http.Handler // op's, with the ProConnect rules around
	Issuer       string
	ClientID     string
	ClientSecret string
	key          *rsa.PrivateKey
	otherKey     *rsa.PrivateKey

	mu       sync.Mutex
	b        ProConnectBehaviour
	requests map[string]*pcAuthRequest // by id
	codes    map[string]string         // code to request id
	access   map[string]*pcAccess      // by token id
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

const (
	pcKeyID  = "proconnect-test"
	pcPrefix = "/api/v2"
)

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
		requests: map[string]*pcAuthRequest{}, codes: map[string]string{}, access: map[string]*pcAccess{}}
	mux := http.NewServeMux()
	p.srv = httptest.NewServer(mux)
	tb.Cleanup(p.srv.Close)
	p.Issuer = p.srv.URL + pcPrefix

	var cryptoKey [32]byte
	rand.Read(cryptoKey[:])
	provider, err := op.NewProvider(&op.Config{CryptoKey: cryptoKey, AuthMethodPost: true,
		SupportedScopes: []string{"openid", "email", "given_name", "usual_name", "siret", "uid", "idp_id"},
		SupportedClaims: []string{"sub", "email", "given_name", "usual_name", "uid", "siret", "idp_id"}},
		&pcStorage{p}, op.StaticIssuer(p.Issuer), op.WithAllowInsecure(),
		op.WithCustomAuthEndpoint(op.NewEndpoint("authorize")), op.WithCustomTokenEndpoint(op.NewEndpoint("token")),
		op.WithCustomUserinfoEndpoint(op.NewEndpoint("userinfo")), op.WithCustomKeysEndpoint(op.NewEndpoint("jwks")),
		op.WithCustomEndSessionEndpoint(op.NewEndpoint("session/end")))
	if err != nil {
		tb.Fatal(err)
	}
	p.op = provider
	router := http.NewServeMux()
	router.Handle("/", provider)
	router.HandleFunc("GET /.well-known/openid-configuration", p.discovery(provider))
	router.HandleFunc("GET /authorize", p.authorize(provider))
	router.HandleFunc("GET /authorize/callback", p.callback(provider))
	router.HandleFunc("POST /token", p.token(provider))
	router.HandleFunc("/userinfo", p.userinfo(provider))
	router.HandleFunc("GET /session/end", p.endSession(provider))
	p.router = router
	mux.Handle(pcPrefix+"/", http.StripPrefix(pcPrefix, router))
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

// now is the provider's clock; callers hold p.mu.
func (p *ProConnect) now() time.Time { return time.Now().Add(p.offset) }

func (p *ProConnect) behaviour() ProConnectBehaviour {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.b
}

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

// ProConnect refuses parameters it does not know, and a state or nonce
// shorter than 32 characters; op accepts both.
var authorizeParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "acr_values", "claims", "prompt", "login_hint", "idp_hint"}

func (p *ProConnect) authorize(next http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		for k := range q {
			if !slices.Contains(authorizeParams, k) {
				http.Error(w, "unknown parameter "+k, http.StatusBadRequest)
				return
			}
		}
		if len(q.Get("state")) < 32 || len(q.Get("nonce")) < 32 {
			http.Error(w, "state and nonce need 32 characters", http.StatusBadRequest)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		login, err := url.Parse(rec.Header().Get("Location"))
		if rec.Code != http.StatusFound || err != nil || login.Path != pcPrefix+"/login" {
			copyResponse(w, rec)
			return
		}
		// The person is signed in at ProConnect already: the
		// browser comes back with the code at once.
		p.login(w, r, login.Query().Get("id"))
	}
}

// discovery adds what op does not say: the userinfo is a signed JWT.
func (p *ProConnect) discovery(next http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var config map[string]any
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &config) != nil {
			copyResponse(w, rec)
			return
		}
		config["userinfo_signing_alg_values_supported"] = []string{"RS256"}
		config["acr_values_supported"] = []string{"eidas1"}
		writeJSON(w, http.StatusOK, config)
	}
}

// login stands for ProConnect's own pages: the person the test named
// signs in, or refuses.
func (p *ProConnect) login(w http.ResponseWriter, r *http.Request, id string) {
	p.mu.Lock()
	b := p.b
	req := p.requests[id]
	if req != nil && !b.Deny {
		req.user, req.done, req.authTime = b.User, true, time.Now()
		req.wrongNonce, req.foreign = b.WrongNonce, b.ForeignUserinfoKey
	}
	if req != nil && b.Deny {
		delete(p.requests, id)
	}
	p.mu.Unlock()
	if req == nil {
		http.Error(w, "unknown authorization request", http.StatusBadRequest)
		return
	}
	if b.Deny {
		op.AuthRequestError(w, r, req, oidc.ErrAccessDenied().WithDescription("User auth aborted"), p.op)
		return
	}
	back := r.Clone(r.Context())
	back.URL = &url.URL{Path: "/authorize/callback", RawQuery: url.Values{"id": {id}}.Encode()}
	back.RequestURI = back.URL.RequestURI()
	p.router.ServeHTTP(w, back)
}

// callback lets the test see each code before the browser gets it.
func (p *ProConnect) callback(next http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		if b := p.behaviour(); b.OnCode != nil {
			if back, err := url.Parse(rec.Header().Get("Location")); err == nil && back.Query().Get("code") != "" {
				b.OnCode(back.Query().Get("code"), back.String())
			}
		}
		copyResponse(w, rec)
	}
}

// token answers the status the test chose, as a provider in trouble does.
func (p *ProConnect) token(next http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if status := p.behaviour().TokenStatus; status != 0 {
			writeJSON(w, status, map[string]string{"error": "server_error"})
			return
		}
		next.ServeHTTP(w, r)
	}
}

type pcUserinfoCall struct{ foreign bool }

type pcUserinfoKey struct{}

// userinfo turns op's JSON userinfo into the JWT ProConnect answers,
// signed with the provider's key (or a foreign one, under the same id).
func (p *ProConnect) userinfo(next http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		call := &pcUserinfoCall{}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), pcUserinfoKey{}, call)))
		if rec.Code != http.StatusOK {
			copyResponse(w, rec)
			return
		}
		var claims map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &claims); err != nil {
			http.Error(w, "userinfo: "+err.Error(), http.StatusInternalServerError)
			return
		}
		claims["iss"], claims["aud"], claims["iat"] = p.Issuer, p.ClientID, time.Now().Unix()
		key := p.key
		if call.foreign {
			key = p.otherKey
		}
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: pcKeyID}},
			(&jose.SignerOptions{}).WithType("JWT"))
		if err != nil {
			http.Error(w, "userinfo: "+err.Error(), http.StatusInternalServerError)
			return
		}
		signed, err := jwt.Signed(signer).Claims(claims).Serialize()
		if err != nil {
			http.Error(w, "userinfo: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/jwt; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write([]byte(signed))
	}
}

// endSession keeps ProConnect's rules op does not have (a state of 32
// characters, an ID token good for one logout) and records each session
// ended.
func (p *ProConnect) endSession(next http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		hint := q.Get("id_token_hint")
		p.mu.Lock()
		again := slices.Contains(p.ended, hint)
		p.mu.Unlock()
		if hint == "" || again || len(q.Get("state")) < 32 || q.Get("post_logout_redirect_uri") == "" {
			http.Error(w, "bad logout request", http.StatusBadRequest)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		if rec.Code == http.StatusFound && strings.HasPrefix(rec.Header().Get("Location"), q.Get("post_logout_redirect_uri")) {
			p.mu.Lock()
			p.ended = append(p.ended, hint)
			p.mu.Unlock()
		}
		copyResponse(w, rec)
	}
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
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
