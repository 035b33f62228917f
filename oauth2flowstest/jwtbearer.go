package oauth2flowstest

import (
	"crypto"
	"net/url"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/oauth2flows/oauth2flows"
)

// defaultGrantAssertionLifetime bounds how far ahead the exp of a
// jwt-bearer grant assertion may be: Google's service-account assertions
// last at most an hour, and RFC 7523 §3 lets a server refuse an exp
// "unreasonably far in the future".
const defaultGrantAssertionLifetime = time.Hour

// assertionAlgs are the signature algorithms of assertions from outside
// issuers.
var assertionAlgs = []string{"RS256", "PS256", "ES256"}

// TrustedIssuer is an outside JWT issuer whose assertions the token
// endpoint accepts as authorization grants (RFC 7523 §2.1), as Google
// accepts a service account's: a token request with grant_type
// urn:ietf:params:oauth:grant-type:jwt-bearer and an assertion signed by
// PublicKey, whose iss is Issuer, gets an access token for its sub.
type TrustedIssuer struct {
	// Issuer is the exact "iss" of its assertions.
	Issuer string
	// PublicKey verifies them: *rsa.PublicKey (RS256, PS256) or
	// *ecdsa.PublicKey (ES256).
	PublicKey crypto.PublicKey
	// MaxLifetime bounds how far in the future an assertion's exp may be;
	// one hour when zero.
	MaxLifetime time.Duration
}

// FederatedCredential lets a client authenticate with a JWT another
// issuer gave it, instead of a secret or a key of its own (workload
// identity federation): a Kubernetes projected service-account token, a
// GitHub Actions OIDC token, an Entra federated credential. The token is
// sent as client_assertion with the jwt-bearer client_assertion_type
// (RFC 7523 §2.2) and client_id; it must be signed by PublicKey, and its
// iss, sub and aud must be Issuer, Subject and Audience.
type FederatedCredential struct {
	// Issuer is the exact "iss", e.g. a cluster's service-account issuer or
	// "https://token.actions.githubusercontent.com".
	Issuer string
	// Subject is the exact "sub", e.g. "system:serviceaccount:ns:name" or
	// "repo:org/repo:ref:refs/heads/main".
	Subject string
	// Audience must be among the token's "aud". Entra's default is
	// "api://AzureADTokenExchange". Empty means this server: its issuer
	// URL or token endpoint URL, as RFC 7523 §3 has it.
	Audience string
	// PublicKey verifies the token: *rsa.PublicKey (RS256, PS256) or
	// *ecdsa.PublicKey (ES256).
	PublicKey crypto.PublicKey
}

// assertionConfig is what WithTrustedIssuer and WithFederatedCredential
// register.
type assertionConfig struct {
	issuers   []TrustedIssuer
	federated map[string][]FederatedCredential // by client ID
}

// WithTrustedIssuer trusts an issuer's assertions as authorization grants
// (RFC 7523 §2.1). It may be repeated. Assertions must be signed by the
// issuer's key and carry iss, sub, an aud naming this server (its issuer
// URL or token endpoint URL), exp (at most [TrustedIssuer.MaxLifetime]
// ahead), and a jti, which may be used once (§3). The token is issued
// for sub, without a refresh token; the client authenticates as usual, or
// not at all when it sends neither credentials nor client_id (§3.1).
//
// Once an issuer is trusted, a jwt-bearer request without
// requested_token_use is this grant; with requested_token_use=on_behalf_of
// it is Entra's On-Behalf-Of, as it is on a server with no trusted issuer.
func WithTrustedIssuer(ti TrustedIssuer) Option {
	return func(cfg *config) { cfg.assertions.issuers = append(cfg.assertions.issuers, ti) }
}

// WithFederatedCredential lets the client clientID authenticate with a
// token of another issuer (workload identity federation; see
// [FederatedCredential]). It may be repeated, for several credentials.
// Unlike a client's own private_key_jwt assertion, the token's iss and sub
// are not the client, so client_id is required; and the same token may be
// sent again until it expires, as a pod re-reads its projected token file
// and Entra accepts it. [Request.AuthMethod] records private_key_jwt.
func WithFederatedCredential(clientID string, fc FederatedCredential) Option {
	return func(cfg *config) {
		if cfg.assertions.federated == nil {
			cfg.assertions.federated = map[string][]FederatedCredential{}
		}
		cfg.assertions.federated[clientID] = append(cfg.assertions.federated[clientID], fc)
	}
}

// grantJWTBearer serves the jwt-bearer grant type: RFC 7523 §2.1 when the
// server trusts issuers and the request is not Entra's On-Behalf-Of
// (requested_token_use), On-Behalf-Of otherwise.
func (s *Server) grantJWTBearer(c *Client, form url.Values) (*tokenResponse, *oauthError) {
	if len(s.cfg.assertions.issuers) == 0 || form.Has("requested_token_use") {
		return s.grantOnBehalfOf(c, form)
	}
	return s.grantAssertion(c, form)
}

// grantAssertion is the JWT bearer authorization grant (RFC 7523 §2.1),
// checked as §3 lists; every refusal is invalid_grant (§3.1).
func (s *Server) grantAssertion(c *Client, form url.Values) (*tokenResponse, *oauthError) {
	assertion := form.Get("assertion")
	if assertion == "" {
		return nil, errInvalidRequest("assertion missing")
	}
	var unverified jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(assertion, &unverified); err != nil {
		return nil, errInvalidGrant("malformed assertion")
	}
	var ti *TrustedIssuer
	for i := range s.cfg.assertions.issuers {
		if s.cfg.assertions.issuers[i].Issuer == unverified.Issuer {
			ti = &s.cfg.assertions.issuers[i]
		}
	}
	if ti == nil || unverified.Issuer == "" {
		return nil, errInvalidGrant("the assertion's issuer is not trusted")
	}
	var claims jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(assertion, &claims, func(*jwt.Token) (any, error) { return ti.PublicKey, nil },
		jwt.WithValidMethods(assertionAlgs),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithIssuer(ti.Issuer),
		jwt.WithTimeFunc(s.now),
	)
	if err != nil {
		return nil, errInvalidGrant("assertion rejected: " + assertionReason(err))
	}
	maxLife := ti.MaxLifetime
	if maxLife <= 0 {
		maxLife = defaultGrantAssertionLifetime
	}
	now := s.now()
	switch {
	case claims.Subject == "":
		return nil, errInvalidGrant("assertion has no sub")
	case !slices.ContainsFunc(claims.Audience, s.isOwnAudience):
		return nil, errInvalidGrant("assertion audience is not this server")
	case claims.ExpiresAt.Sub(now) > maxLife:
		return nil, errInvalidGrant("assertion expires too far in the future")
	case claims.ID == "":
		return nil, errInvalidGrant("assertion has no jti")
	}
	if !s.useAssertionID("grant "+ti.Issuer+" "+claims.ID, claims.ExpiresAt.Time) {
		return nil, errInvalidGrant("assertion replayed")
	}
	if e := checkResources(form["resource"]); e != nil {
		return nil, e
	}
	if c.ID == "" && form.Get("scope") == "" && len(form["resource"]) == 0 {
		// Without a client there is no default audience.
		return nil, errInvalidScope("name the API with a scope or a resource: no client was named")
	}
	return s.issue(issuance{
		subject:   claims.Subject,
		client:    c,
		scope:     form.Get("scope"),
		resources: form["resource"],
	})
}

// isOwnAudience reports whether aud names this server: its issuer URL or
// its token endpoint URL, either listener (RFC 7523 §3).
func (s *Server) isOwnAudience(aud string) bool {
	return aud == s.URL() || aud == s.URL()+pathToken || s.mtls != nil && aud == s.mtls.URL+pathToken
}

// useAssertionID records a one-time assertion ID until exp, and reports
// false when it was already used.
func (s *Server) useAssertionID(id string, exp time.Time) bool {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, e := range s.store.assertionIDs {
		if now.After(e) {
			delete(s.store.assertionIDs, k)
		}
	}
	if _, seen := s.store.assertionIDs[id]; seen {
		return false
	}
	s.store.assertionIDs[id] = exp
	return true
}

// anonymousJWTBearer reports a jwt-bearer request to the token endpoint
// that names no client at all, which RFC 7523 §3.1 allows ("authentication
// of the client is optional") and Google's service-account flow sends. It
// is served only when the server trusts an issuer.
func (s *Server) anonymousJWTBearer(in *authInput) bool {
	r, form := in.r, in.form
	return len(s.cfg.assertions.issuers) > 0 && r.URL.Path == pathToken &&
		form.Get("grant_type") == oauth2flows.GrantTypeJWTBearer && !form.Has("requested_token_use") &&
		form.Get("client_id") == "" && r.Header.Get("Authorization") == "" &&
		!form.Has("client_secret") && !form.Has("client_assertion") && !form.Has("client_assertion_type") &&
		peerCertificate(r) == nil
}

// federatedFor returns the federated credentials of client id for
// issuer, or nil.
func (s *Server) federatedFor(id, issuer string) []FederatedCredential {
	var out []FederatedCredential
	for _, fc := range s.cfg.assertions.federated[id] {
		if fc.Issuer == issuer && issuer != "" {
			out = append(out, fc)
		}
	}
	return append(out, s.managedFederation(id, issuer)...)
}

// checkFederated authenticates a client by a token of another issuer
// (RFC 7523 §2.2 with workload identity federation): the client named by
// client_id must have a federated credential whose key verifies the token
// and whose subject and audience it carries. The token must be unexpired
// (exp required) but may be presented again.
func (s *Server) checkFederated(in *authInput, assertion string, creds []FederatedCredential) (*Client, *oauthError) {
	in.method = AuthPrivateKeyJWT
	c := s.clients[in.form.Get("client_id")]
	if c == nil {
		return nil, errInvalidClient("unknown client", false)
	}
	if c.AuthMethod != "" && c.AuthMethod != AuthPrivateKeyJWT {
		return nil, errInvalidClient("client is not registered for "+AuthPrivateKeyJWT, false)
	}
	reason := "no federated credential of the client matches the token's issuer, subject and audience"
	for _, fc := range creds {
		var claims jwt.RegisteredClaims
		_, err := jwt.ParseWithClaims(assertion, &claims, func(*jwt.Token) (any, error) { return fc.PublicKey, nil },
			jwt.WithValidMethods(assertionAlgs),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithIssuer(fc.Issuer),
			jwt.WithTimeFunc(s.now),
		)
		if err != nil {
			reason = "federated token rejected: " + assertionReason(err)
			continue
		}
		aud := func(a string) bool { return a == fc.Audience }
		if fc.Audience == "" {
			aud = s.isOwnAudience
		}
		if claims.Subject == fc.Subject && slices.ContainsFunc(claims.Audience, aud) {
			return c, nil
		}
	}
	return nil, errInvalidClient(reason, false)
}
