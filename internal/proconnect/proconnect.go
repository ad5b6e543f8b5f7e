// Package proconnect signs people in with ProConnect, the State's OpenID
// Connect provider: the authorization code flow, the ID token and the
// signed userinfo checked by go-oidc against the provider's keys.
//
// Discovery is lazy: the provider is asked for its configuration on the
// first sign-in, not at start-up, so that a provider that is down stops
// neither the site nor its readiness; a failed discovery is tried again
// at the next sign-in.
package proconnect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"vivier/internal/config"
)

// Paths of this site that ProConnect redirects to; both are registered
// with ProConnect under BASE_URL.
const (
	CallbackPath   = "/connexion/proconnect/retour"
	PostLogoutPath = "/connexion"
)

// Scopes are ProConnect's, and nothing else: it refuses what it does not
// know.
var Scopes = []string{oidc.ScopeOpenID, "email", "given_name", "usual_name", "siret", "uid", "idp_id"}

var (
	// ErrUnavailable: the provider did not answer, or answered 5xx.
	ErrUnavailable = errors.New("proconnect: provider unavailable")
	// ErrCodeRefused: the provider refused the code (expired, or used
	// already).
	ErrCodeRefused = errors.New("proconnect: authorization code refused")
	// ErrInvalid: an answer of the provider failed its checks (signature,
	// issuer, audience, expiry, nonce, subject).
	ErrInvalid = errors.New("proconnect: invalid answer")
)

// Identity is who ProConnect says signed in.
type Identity struct {
	Subject   string
	Email     string // lower-cased
	GivenName string
	UsualName string
	UID       string
	SIRET     string
	IdpID     string
	// IDToken is kept for the end of the provider's session at sign-out.
	IDToken string
}

// Client talks to one ProConnect issuer for this site.
type Client struct {
	issuer        string
	oauth         oauth2.Config
	postLogoutURL string
	http          *http.Client
	now           func() time.Time

	mu         sync.Mutex
	provider   *oidc.Provider
	endpoint   oauth2.Endpoint
	keys       *oidc.RemoteKeySet
	endSession string
}

// New returns the client of cfg's ProConnect settings, or nil when they
// are unset. now is the server's clock (token expiry).
func New(cfg *config.Config, now func() time.Time) *Client {
	if !cfg.ProConnect() {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	return &Client{
		issuer: cfg.ProConnectIssuer,
		oauth: oauth2.Config{ClientID: cfg.ProConnectClientID, ClientSecret: cfg.ProConnectClientSecret,
			RedirectURL: cfg.BaseURL + CallbackPath, Scopes: Scopes},
		postLogoutURL: cfg.BaseURL + PostLogoutPath,
		// Each call to the provider is bounded: a stalled provider
		// answers a French page, not a hung request.
		http: &http.Client{Timeout: 10 * time.Second},
		now:  now,
	}
}

func (c *Client) ctx(ctx context.Context) context.Context { return oidc.ClientContext(ctx, c.http) }

// discover reads the provider's configuration once it answers.
func (c *Client) discover(ctx context.Context) (*oidc.Provider, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.provider != nil {
		return c.provider, nil
	}
	p, err := oidc.NewProvider(c.ctx(ctx), c.issuer)
	if err != nil {
		var mismatch *oidc.IssuerMismatchError
		if errors.As(err, &mismatch) {
			return nil, fmt.Errorf("discovery: %w: %w", ErrInvalid, err)
		}
		return nil, fmt.Errorf("discovery: %w: %w", ErrUnavailable, err)
	}
	var extra struct {
		JWKS        string   `json:"jwks_uri"`
		EndSession  string   `json:"end_session_endpoint"`
		AuthMethods []string `json:"token_endpoint_auth_methods_supported"`
	}
	if err := p.Claims(&extra); err != nil || extra.JWKS == "" {
		return nil, fmt.Errorf("discovery: %w: no jwks_uri (%v)", ErrInvalid, err)
	}
	c.provider, c.endSession = p, extra.EndSession
	c.endpoint = p.Endpoint()
	// The client authenticates as the provider says it may, rather than
	// by trial and error on a single-use code.
	switch {
	case slices.Contains(extra.AuthMethods, "client_secret_post"):
		c.endpoint.AuthStyle = oauth2.AuthStyleInParams
	case slices.Contains(extra.AuthMethods, "client_secret_basic"):
		c.endpoint.AuthStyle = oauth2.AuthStyleInHeader
	}
	c.keys = oidc.NewRemoteKeySet(c.ctx(context.Background()), extra.JWKS)
	return p, nil
}

// reachable asks the provider for its configuration again before a
// browser is sent there: a provider that went down after it was first
// read would otherwise leave the person on their browser's connection
// error instead of our page offering the emailed link.
func (c *Client) reachable(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(c.issuer, "/")+"/.well-known/openid-configuration", nil)
	if err != nil {
		return fmt.Errorf("provider check: %w: %w", ErrInvalid, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("provider check: %w: %w", ErrUnavailable, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("provider check: %w: status %d", ErrUnavailable, resp.StatusCode)
	}
	return nil
}

func (c *Client) endpointOf() oauth2.Endpoint {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.endpoint
}

// AuthURL is where the browser goes to sign in; state and nonce are the
// caller's (kept in the session, 32 characters at least).
func (c *Client) AuthURL(ctx context.Context, state, nonce string) (string, error) {
	if _, err := c.discover(ctx); err != nil {
		return "", err
	}
	if err := c.reachable(ctx); err != nil {
		return "", err
	}
	o := c.oauth
	o.Endpoint = c.endpointOf()
	return o.AuthCodeURL(state, oidc.Nonce(nonce)), nil
}

// Exchange trades the callback's code for tokens, verifies the ID token
// (signature, issuer, audience, expiry) and its nonce, then reads the
// userinfo, which must be a JWT signed with the provider's keys, about
// the same subject.
func (c *Client) Exchange(ctx context.Context, code, nonce string) (*Identity, error) {
	p, err := c.discover(ctx)
	if err != nil {
		return nil, err
	}
	o := c.oauth
	o.Endpoint = c.endpointOf()
	tok, err := o.Exchange(c.ctx(ctx), code)
	if err != nil {
		return nil, fmt.Errorf("token: %w", classify(err))
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, fmt.Errorf("token: %w: no id_token", ErrInvalid)
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: c.oauth.ClientID, Now: c.now}).Verify(c.ctx(ctx), raw)
	if err != nil {
		return nil, fmt.Errorf("id token: %w: %w", ErrInvalid, err)
	}
	if nonce == "" || idt.Nonce != nonce {
		return nil, fmt.Errorf("id token: %w: nonce mismatch", ErrInvalid)
	}
	claims, err := c.userinfo(ctx, p, tok.AccessToken)
	if err != nil {
		return nil, err
	}
	if claims.Subject != idt.Subject {
		return nil, fmt.Errorf("userinfo: %w: subject %q, the ID token's is %q", ErrInvalid, claims.Subject, idt.Subject)
	}
	if claims.Email == "" {
		return nil, fmt.Errorf("userinfo: %w: no email", ErrInvalid)
	}
	return &Identity{Subject: claims.Subject, Email: strings.ToLower(strings.TrimSpace(claims.Email)), GivenName: claims.GivenName,
		UsualName: claims.UsualName, UID: claims.UID, SIRET: claims.SIRET, IdpID: claims.IdpID, IDToken: raw}, nil
}

type userinfoClaims struct {
	Subject   string   `json:"sub"`
	Issuer    string   `json:"iss"`
	Audience  audience `json:"aud"`
	Email     string   `json:"email"`
	GivenName string   `json:"given_name"`
	UsualName string   `json:"usual_name"`
	UID       string   `json:"uid"`
	SIRET     string   `json:"siret"`
	IdpID     string   `json:"idp_id"`
}

// userinfo fetches the userinfo, refusing anything but a JWT signed with
// the provider's keys (ProConnect always signs it).
func (c *Client) userinfo(ctx context.Context, p *oidc.Provider, accessToken string) (*userinfoClaims, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.UserInfoEndpoint(), nil)
	if err != nil {
		return nil, fmt.Errorf("userinfo: %w: %w", ErrInvalid, err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/jwt")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("userinfo: %w: %w", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("userinfo: %w: %w", ErrUnavailable, err)
	}
	switch {
	case resp.StatusCode >= 500:
		return nil, fmt.Errorf("userinfo: %w: status %d", ErrUnavailable, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("userinfo: %w: status %d", ErrCodeRefused, resp.StatusCode)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/jwt" {
		return nil, fmt.Errorf("userinfo: %w: %q, not a signed JWT", ErrInvalid, mt)
	}
	c.mu.Lock()
	keys := c.keys
	c.mu.Unlock()
	payload, err := keys.VerifySignature(c.ctx(ctx), strings.TrimSpace(string(body)))
	if err != nil {
		return nil, fmt.Errorf("userinfo: %w: %w", ErrInvalid, err)
	}
	var claims userinfoClaims
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, fmt.Errorf("userinfo: %w: %w", ErrInvalid, err)
	}
	// ProConnect names itself and this client in the signed answer.
	if claims.Issuer != "" && claims.Issuer != c.issuer {
		return nil, fmt.Errorf("userinfo: %w: issuer %q", ErrInvalid, claims.Issuer)
	}
	if len(claims.Audience) > 0 && !slices.Contains(claims.Audience, c.oauth.ClientID) {
		return nil, fmt.Errorf("userinfo: %w: audience %v", ErrInvalid, claims.Audience)
	}
	return &claims, nil
}

// LogoutURL is where the browser goes to end its ProConnect session,
// coming back to the sign-in page. It needs the provider's configuration,
// read at sign-in already.
func (c *Client) LogoutURL(ctx context.Context, idToken, state string) (string, error) {
	if _, err := c.discover(ctx); err != nil {
		return "", err
	}
	if c.endSession == "" {
		return "", fmt.Errorf("logout: %w: no end_session_endpoint", ErrInvalid)
	}
	u, err := url.Parse(c.endSession)
	if err != nil {
		return "", fmt.Errorf("logout: %w: %w", ErrInvalid, err)
	}
	q := u.Query()
	q.Set("id_token_hint", idToken)
	q.Set("state", state)
	q.Set("post_logout_redirect_uri", c.postLogoutURL)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// classify tells a refused code from a provider in trouble.
func classify(err error) error {
	if re, ok := errors.AsType[*oauth2.RetrieveError](err); ok {
		if re.Response != nil && re.Response.StatusCode >= 500 {
			return fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return fmt.Errorf("%w: %w", ErrCodeRefused, err)
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if _, ok := errors.AsType[*url.Error](err); ok {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return fmt.Errorf("%w: %w", ErrInvalid, err)
}
