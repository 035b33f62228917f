package oauth2flowstest

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// assertionTypeJWT is the client_assertion_type of RFC 7523 §2.2.
const assertionTypeJWT = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// maxAssertionLifetime bounds how far in the future a client assertion's exp
// may be. Servers refuse long-lived assertions (Entra: 10 minutes) because a
// stolen one would stay usable.
const maxAssertionLifetime = 10 * time.Minute

// authInput is one request's client credentials, as seen by every
// authenticator.
type authInput struct {
	r        *http.Request
	form     url.Values
	endpoint string // the URL being called, a valid assertion audience
	method   string // set by an authenticator that serves several methods
}

// authenticator recognises and checks one client authentication method.
// present reports whether the request carries that method's credentials at
// all; only then are client and err meaningful.
//
// RFC 8705 tls_client_auth and self_signed_tls_client_auth are one more
// authenticator, looking at r.TLS.PeerCertificates (see mtls.go).
type authenticator struct {
	method  string
	present func(in *authInput) bool
	check   func(s *Server, in *authInput) (*Client, *oauthError)
}

// authenticators lists the methods the server understands (RFC 6749 §2.3,
// RFC 7523 §2.2, RFC 8705 §2). The JWT entry reports either client_secret_jwt or
// private_key_jwt depending on the assertion's algorithm, once it has parsed.
func authenticators() []authenticator {
	return []authenticator{
		{AuthClientSecretBasic, basicPresent, (*Server).checkBasic},
		{AuthClientSecretPost, postPresent, (*Server).checkPost},
		{"", jwtPresent, (*Server).checkJWT},          // method set by checkJWT
		{"", certPresent, (*Server).checkCertificate}, // RFC 8705 §2; method set by checkCertificate
	}
}

// authenticateClient authenticates the client of a token, revocation or
// introspection request (RFC 6749 §2.3, §3.2.1) and records who it was.
// A client without credentials is accepted only when registered as public
// ("none"), naming itself with client_id.
func (s *Server) authenticateClient(in *authInput, rec *Request) (*Client, *oauthError) {
	var found *authenticator
	all := authenticators()
	for i := range all {
		a := &all[i]
		if !a.present(in) {
			continue
		}
		if found != nil {
			// RFC 6749 §2.3: "MUST NOT use more than one authentication method
			// in each request."
			return nil, errInvalidRequest("more than one client authentication method used")
		}
		found = a
	}
	if found == nil {
		rec.AuthMethod = AuthNone
		return s.checkNone(in, rec)
	}
	c, err := found.check(s, in)
	// Record the method tried, even when it failed, so tests can assert how
	// a client authenticated.
	rec.AuthMethod = found.method
	if in.method != "" {
		rec.AuthMethod = in.method
	}
	if err != nil {
		return nil, err
	}
	if id := in.form.Get("client_id"); id != "" && id != c.ID {
		return nil, errInvalidClient("client_id does not match the authenticated client", found.method == AuthClientSecretBasic)
	}
	rec.ClientID = c.ID
	return c, nil
}

func (s *Server) checkNone(in *authInput, rec *Request) (*Client, *oauthError) {
	id := in.form.Get("client_id")
	if id == "" && s.anonymousJWTBearer(in) {
		return &Client{AuthMethod: AuthNone}, nil // RFC 7523 §3.1, jwtbearer.go
	}
	if id == "" {
		return nil, errInvalidClient("client authentication required", false)
	}
	c := s.clients[id]
	if c == nil {
		return nil, errInvalidClient("unknown client", false)
	}
	if !c.public() {
		return nil, errInvalidClient("client authentication required for a confidential client", false)
	}
	rec.ClientID = c.ID
	return c, nil
}

func basicPresent(in *authInput) bool {
	scheme, _, _ := strings.Cut(in.r.Header.Get("Authorization"), " ")
	return strings.EqualFold(scheme, "Basic")
}

// checkBasic verifies HTTP Basic credentials. RFC 6749 §2.3.1: the client ID
// and secret are form-urlencoded before being joined with ":" and base64
// encoded, so each part is decoded after splitting.
func (s *Server) checkBasic(in *authInput) (*Client, *oauthError) {
	_, b64, _ := strings.Cut(in.r.Header.Get("Authorization"), " ")
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return nil, errInvalidClient("malformed Basic credentials", true)
	}
	encID, encSecret, ok := strings.Cut(string(raw), ":")
	if !ok {
		return nil, errInvalidClient("malformed Basic credentials", true)
	}
	id, err1 := url.QueryUnescape(encID)
	secret, err2 := url.QueryUnescape(encSecret)
	if err1 != nil || err2 != nil {
		return nil, errInvalidClient("Basic credentials are not form-urlencoded", true)
	}
	return s.checkSecret(id, secret, AuthClientSecretBasic)
}

// postPresent, like jwtPresent, ignores empty parameters: RFC 6749 §3.1
// says they are treated as omitted.
func postPresent(in *authInput) bool { return in.form.Get("client_secret") != "" }

func (s *Server) checkPost(in *authInput) (*Client, *oauthError) {
	return s.checkSecret(in.form.Get("client_id"), in.form.Get("client_secret"), AuthClientSecretPost)
}

func (s *Server) checkSecret(id, secret, method string) (*Client, *oauthError) {
	basic := method == AuthClientSecretBasic
	c := s.clients[id]
	if c == nil {
		return nil, errInvalidClient("unknown client", basic)
	}
	if !c.allowsMethod(method) {
		return nil, errInvalidClient("client is not registered for "+method, basic)
	}
	if c.Secret == "" || subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1 {
		return nil, errInvalidClient("invalid client secret", basic)
	}
	return c, nil
}

func jwtPresent(in *authInput) bool {
	return in.form.Get("client_assertion") != "" || in.form.Get("client_assertion_type") != ""
}

// checkJWT verifies a client assertion (RFC 7523 §3, OpenID Connect Core §9):
// HS256 keyed with the secret for client_secret_jwt, RS256, PS256 or ES256
// with the registered public key for private_key_jwt.
func (s *Server) checkJWT(in *authInput) (*Client, *oauthError) {
	if in.form.Get("client_assertion_type") != assertionTypeJWT {
		return nil, errInvalidRequest("client_assertion_type must be " + assertionTypeJWT)
	}
	assertion := in.form.Get("client_assertion")
	if assertion == "" {
		return nil, errInvalidRequest("client_assertion missing")
	}
	var unverified jwt.RegisteredClaims
	tok, _, err := jwt.NewParser().ParseUnverified(assertion, &unverified)
	if err != nil {
		return nil, errInvalidClient("malformed client assertion", false)
	}
	// Workload identity federation: a token of another issuer, for the
	// client that client_id names (jwtbearer.go).
	if creds := s.federatedFor(in.form.Get("client_id"), unverified.Issuer); unverified.Issuer != unverified.Subject && creds != nil {
		return s.checkFederated(in, assertion, creds)
	}
	method := AuthPrivateKeyJWT
	if tok.Method.Alg() == "HS256" {
		method = AuthClientSecretJWT
	}
	in.method = method
	c := s.clients[unverified.Subject]
	if c == nil {
		return nil, errInvalidClient("unknown client", false)
	}
	key := any(c.PublicKey)
	if method == AuthClientSecretJWT {
		key = []byte(c.Secret)
	}
	if !c.allowsMethod(method) {
		return nil, errInvalidClient("client is not registered for "+method, false)
	}
	if method == AuthClientSecretJWT && c.Secret == "" || method == AuthPrivateKeyJWT && c.PublicKey == nil {
		return nil, errInvalidClient("client has no key for "+method, false)
	}
	algs := []string{"RS256", "PS256", "ES256"}
	if method == AuthClientSecretJWT {
		algs = []string{"HS256"}
	} else {
		algs = s.signingAlgs(algs)
	}
	var claims jwt.RegisteredClaims
	_, err = jwt.ParseWithClaims(assertion, &claims, func(*jwt.Token) (any, error) { return key, nil },
		jwt.WithValidMethods(algs),
		jwt.WithExpirationRequired(),
		jwt.WithIssuer(c.ID),
		jwt.WithSubject(c.ID),
		jwt.WithTimeFunc(s.now),
	)
	if err != nil {
		return nil, errInvalidClient("client assertion rejected: "+assertionReason(err), false)
	}
	aud := []string{s.URL() + pathToken, in.endpoint, s.URL()}
	if !slices.ContainsFunc(claims.Audience, func(a string) bool { return slices.Contains(aud, a) }) {
		return nil, errInvalidClient("client assertion audience is not this server", false)
	}
	if s.cfg.fapi2 && !slices.Equal(claims.Audience, []string{s.issuer()}) {
		// FAPI 2.0 §5.3.2.1: the issuer identifier alone (golang-jwt reads
		// a string and a one-element array alike).
		return nil, errInvalidClient("FAPI 2.0: the client assertion audience must be the issuer identifier", false)
	}
	now := s.now()
	if claims.ExpiresAt.Sub(now) > maxAssertionLifetime {
		return nil, errInvalidClient("client assertion expires too far in the future", false)
	}
	if claims.ID == "" {
		return nil, errInvalidClient("client assertion has no jti", false)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, exp := range s.store.assertionIDs {
		if now.After(exp) {
			delete(s.store.assertionIDs, id)
		}
	}
	key2 := c.ID + " " + claims.ID
	if _, seen := s.store.assertionIDs[key2]; seen {
		return nil, errInvalidClient("client assertion replayed", false)
	}
	s.store.assertionIDs[key2] = claims.ExpiresAt.Time
	return c, nil
}

// assertionReason names what was wrong with an assertion without echoing it.
func assertionReason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "expired"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "exp missing"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return "not valid yet"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer), errors.Is(err, jwt.ErrTokenInvalidSubject):
		return "iss and sub must be the client_id"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return "bad signature or algorithm"
	}
	return "invalid"
}
