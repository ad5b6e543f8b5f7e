package testkit

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"vivier/internal/proconnect"
)

// pcStorage is the test provider's op.Storage, in memory, with one
// client: the app.
type pcStorage struct{ p *ProConnect }

var errPCNotFound = errors.New("not found")

// pcAuthRequest is one authorization, from the app's request to its code.
type pcAuthRequest struct {
	id         string
	req        *oidc.AuthRequest
	user       ProConnectUser
	done       bool
	authTime   time.Time
	code       string
	expires    time.Time // of the code, on the provider's clock
	wrongNonce bool
	foreign    bool
}

func (a *pcAuthRequest) GetID() string                         { return a.id }
func (a *pcAuthRequest) GetACR() string                        { return "eidas1" }
func (a *pcAuthRequest) GetAMR() []string                      { return []string{"pwd"} }
func (a *pcAuthRequest) GetAudience() []string                 { return []string{a.req.ClientID} }
func (a *pcAuthRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *pcAuthRequest) GetClientID() string                   { return a.req.ClientID }
func (a *pcAuthRequest) GetCodeChallenge() *oidc.CodeChallenge { return nil }
func (a *pcAuthRequest) GetRedirectURI() string                { return a.req.RedirectURI }
func (a *pcAuthRequest) GetResponseType() oidc.ResponseType    { return a.req.ResponseType }
func (a *pcAuthRequest) GetResponseMode() oidc.ResponseMode    { return a.req.ResponseMode }
func (a *pcAuthRequest) GetScopes() []string                   { return a.req.Scopes }
func (a *pcAuthRequest) GetState() string                      { return a.req.State }
func (a *pcAuthRequest) GetSubject() string                    { return a.user.Sub }
func (a *pcAuthRequest) Done() bool                            { return a.done }

// GetNonce is the app's nonce, or another when the test asks for it.
func (a *pcAuthRequest) GetNonce() string {
	if a.wrongNonce {
		return secret()
	}
	return a.req.Nonce
}

// pcAccess is an access token's grant.
type pcAccess struct {
	user    ProConnectUser
	foreign bool
	expires time.Time // on the provider's clock
}

func (s *pcStorage) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	a := &pcAuthRequest{id: secret(), req: req}
	s.p.requests[a.id] = a
	return a, nil
}

func (s *pcStorage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	if a := s.p.requests[id]; a != nil {
		return a, nil
	}
	return nil, errPCNotFound
}

// AuthRequestByCode gives a code's request once, within its 30 seconds.
func (s *pcStorage) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	a := s.p.requests[s.p.codes[code]]
	delete(s.p.codes, code)
	if a == nil || s.p.now().After(a.expires) {
		return nil, errPCNotFound
	}
	return a, nil
}

func (s *pcStorage) SaveAuthCode(_ context.Context, id, code string) error {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	a := s.p.requests[id]
	if a == nil {
		return errPCNotFound
	}
	a.code, a.expires = code, s.p.now().Add(30*time.Second)
	s.p.codes[code] = id
	return nil
}

func (s *pcStorage) DeleteAuthRequest(_ context.Context, id string) error {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	if a := s.p.requests[id]; a != nil {
		delete(s.p.codes, a.code)
	}
	delete(s.p.requests, id)
	return nil
}

// CreateAccessToken gives an access token valid 60 seconds.
func (s *pcStorage) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	a, ok := req.(*pcAuthRequest)
	if !ok {
		return "", time.Time{}, errors.New("only the authorization code flow")
	}
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	id := secret()
	s.p.access[id] = &pcAccess{user: a.user, foreign: a.foreign, expires: s.p.now().Add(60 * time.Second)}
	return id, time.Now().Add(60 * time.Second), nil
}

func (s *pcStorage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errors.New("no refresh tokens")
}

func (s *pcStorage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, errors.New("no refresh tokens")
}

func (s *pcStorage) TerminateSession(context.Context, string, string) error { return nil }

func (s *pcStorage) RevokeToken(context.Context, string, string, string) *oidc.Error {
	return oidc.ErrUnsupportedGrantType()
}

func (s *pcStorage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

type pcKey struct{ p *ProConnect }

func (k pcKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k pcKey) Algorithm() jose.SignatureAlgorithm          { return jose.RS256 }
func (k pcKey) ID() string                                  { return pcKeyID }
func (k pcKey) Use() string                                 { return "sig" }

type pcPrivateKey struct{ pcKey }

func (k pcPrivateKey) Key() any { return k.p.key }

type pcPublicKey struct{ pcKey }

func (k pcPublicKey) Key() any { return &k.p.key.PublicKey }

func (s *pcStorage) SigningKey(context.Context) (op.SigningKey, error) {
	return pcPrivateKey{pcKey{s.p}}, nil
}

func (s *pcStorage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *pcStorage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{pcPublicKey{pcKey{s.p}}}, nil
}

func (s *pcStorage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	if id != s.p.ClientID {
		return nil, errPCNotFound
	}
	return &pcClient{s.p}, nil
}

func (s *pcStorage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	if id != s.p.ClientID || secret != s.p.ClientSecret {
		return errors.New("invalid client")
	}
	return nil
}

// SetUserinfoFromScopes fills no claim (ProConnect's ID token has
// none of the person's) but keeps the subject op copies from it.
func (s *pcStorage) SetUserinfoFromScopes(_ context.Context, info *oidc.UserInfo, userID, _ string, _ []string) error {
	info.Subject = userID
	return nil
}

// SetUserinfoFromToken gives ProConnect's claims for a live access token,
// and tells the userinfo handler whether to sign with a foreign key.
func (s *pcStorage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, _, _ string) error {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	g := s.p.access[tokenID]
	if g == nil || s.p.now().After(g.expires) {
		return errors.New("access token expired")
	}
	if call, ok := ctx.Value(pcUserinfoKey{}).(*pcUserinfoCall); ok {
		call.foreign = g.foreign
	}
	u := g.user
	info.Subject, info.Email, info.GivenName = u.Sub, u.Email, u.GivenName
	info.AppendClaims("usual_name", u.UsualName)
	info.AppendClaims("uid", u.UID)
	info.AppendClaims("siret", u.SIRET)
	info.AppendClaims("idp_id", u.IdpID)
	return nil
}

func (s *pcStorage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errors.New("no introspection")
}

func (s *pcStorage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *pcStorage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errPCNotFound
}

func (s *pcStorage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("no JWT profile")
}

func (s *pcStorage) Health(context.Context) error { return nil }

// pcClient is the app, registered for its callback and its sign-in page
// on any local address (each test's app has its own port).
type pcClient struct{ p *ProConnect }

var pcScopes = []string{"email", "given_name", "usual_name", "siret", "uid", "idp_id"}

func (c *pcClient) GetID() string                    { return c.p.ClientID }
func (c *pcClient) RedirectURIs() []string           { return nil }
func (c *pcClient) PostLogoutRedirectURIs() []string { return nil }
func (c *pcClient) RedirectURIGlobs() []string       { return []string{"http://*" + proconnect.CallbackPath} }
func (c *pcClient) PostLogoutRedirectURIGlobs() []string {
	return []string{"http://*" + proconnect.PostLogoutPath}
}
func (c *pcClient) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *pcClient) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodPost }
func (c *pcClient) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *pcClient) GrantTypes() []oidc.GrantType        { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c *pcClient) LoginURL(id string) string           { return c.p.Issuer + "/login?id=" + id }
func (c *pcClient) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }
func (c *pcClient) IDTokenLifetime() time.Duration      { return 60 * time.Second }

// DevMode lets the app's callback be plain http on a local port.
func (c *pcClient) DevMode() bool { return true }

// ProConnect's claims come with the userinfo only, not in the ID token.
func (c *pcClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func([]string) []string { return nil }
}
func (c *pcClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *pcClient) IsScopeAllowed(scope string) bool     { return slices.Contains(pcScopes, scope) }
func (c *pcClient) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c *pcClient) ClockSkew() time.Duration             { return 0 }
