package oauth2flowstest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims are the claims of the server's JWT access tokens (RFC 9068 §2.2,
// RFC 8693 §4).
type Claims struct {
	jwt.RegisteredClaims
	// Scope is the space-separated scopes granted, in Entra's "scp" claim.
	Scope string `json:"scp,omitempty"`
	// ClientID is the client the token was issued to (OpenID Connect "azp").
	ClientID string `json:"azp,omitempty"`
	// Act is the current actor of a delegated token (RFC 8693 §4.1).
	Act *Actor `json:"act,omitempty"`
	// Cnf is the confirmation claim of a sender-constrained token (RFC 7800 §3.1).
	Cnf map[string]string `json:"cnf,omitempty"`
	// Roles, ObjectID and TenantID are Entra's "roles" (the app roles of an
	// app-only token), "oid" and "tid", set with [WithEntra].
	Roles    []string `json:"roles,omitempty"`
	ObjectID string   `json:"oid,omitempty"`
	TenantID string   `json:"tid,omitempty"`

	// Capabilities is Entra's "xms_cc": the client capabilities the token
	// request declared, such as "cp1" (continuous access evaluation).
	Capabilities []string `json:"xms_cc,omitempty"`
}

// Actor is the RFC 8693 §4.1 "act" claim: who acts for the subject, with any
// earlier actor nested inside.
type Actor struct {
	Subject string `json:"sub"`
	Act     *Actor `json:"act,omitempty"`
}

// ErrInvalidToken is wrapped by every error of [Server.VerifyAccessToken].
var ErrInvalidToken = errors.New("oauth2flowstest: invalid access token")

// newSigningKey makes the server's P-256 key and its key ID, the RFC 7638
// thumbprint.
func newSigningKey() (*ecdsa.PrivateKey, string) {
	// With crypto/rand, P-256 key generation cannot fail: since Go 1.24 a
	// failing system random source aborts the program instead of erroring.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jwk := publicJWK(&key.PublicKey, "")
	canon := fmt.Sprintf(`{"crv":"P-256","kty":"EC","x":"%s","y":"%s"}`, jwk["x"], jwk["y"])
	sum := sha256.Sum256([]byte(canon))
	return key, base64.RawURLEncoding.EncodeToString(sum[:])
}

// publicJWK is the RFC 7518 §6.2 JWK of a P-256 public key.
func publicJWK(pub *ecdsa.PublicKey, kid string) map[string]string {
	b, _ := pub.Bytes() // uncompressed point: 0x04 || X || Y
	jwk := map[string]string{
		"kty": "EC",
		"crv": "P-256",
		"x":   base64.RawURLEncoding.EncodeToString(b[1:33]),
		"y":   base64.RawURLEncoding.EncodeToString(b[33:65]),
	}
	if kid != "" {
		jwk["kid"], jwk["use"], jwk["alg"] = kid, "sig", "ES256"
	}
	return jwk
}

// randomString returns an unguessable opaque value for codes, refresh tokens
// and token IDs.
func randomString() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// sign signs claims with the server's key (ES256, RFC 7518 §3.4).
func (s *Server) sign(typ string, claims jwt.MapClaims) string {
	t := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	t.Header["kid"] = s.kid
	if typ != "" {
		t.Header["typ"] = typ
	}
	// ES256 signing with the server's own P-256 key cannot fail: claims are
	// plain JSON values and crypto/rand does not return errors.
	out, _ := t.SignedString(s.key)
	return out
}

// grant is what an access token is issued for.
type grant struct {
	subject  string
	clientID string
	audience []string
	scope    string // scp claim
	act      *Actor
	family   string // refresh-token family, "" if none
	// boundCert is the x5t#S256 the token is bound to (RFC 8705 §3), "" if none.
	boundCert string
	// dpopJKT is the RFC 7638 thumbprint of the DPoP key the token is bound
	// to (RFC 9449 §6), "" if none.
	dpopJKT string
	appOnly bool // no user: the client acts for itself
	// xmsCC are the client capabilities the request declared (cae.go).
	xmsCC  []string
	openid bool // granted the openid scope (OpenID Connect Core §5.3)
}

// audClaim is a JWT "aud": a string when there is one audience (RFC 7519 §4.1.3).
func audClaim(aud []string) any {
	if len(aud) == 1 {
		return aud[0]
	}
	return aud
}

// tokenExpiry is when a token issued at now for lifetime expires: now +
// lifetime rounded up to the whole second a JWT NumericDate holds (RFC 7519
// §2). Rounding down would end the token before the expires_in announced
// with it (RFC 6749 §5.1), counted by a client from any time up to now.
func tokenExpiry(now time.Time, lifetime time.Duration) time.Time {
	exp := now.Add(lifetime).Round(0)
	if t := exp.Truncate(time.Second); t.Before(exp) {
		return t.Add(time.Second)
	}
	return exp
}

// mintAccessToken issues a JWT access token (RFC 9068) and records it:
// the token, its lifetime as announced, and its exp.
func (s *Server) mintAccessToken(g grant) (token string, expiresIn time.Duration, expiresAt time.Time) {
	now := s.now()
	jti := randomString()
	exp := tokenExpiry(now, s.cfg.accessLifetime)
	c := jwt.MapClaims{
		"iss": s.issuer(),
		"sub": g.subject,
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": exp.Unix(),
		"jti": jti,
	}
	if len(g.audience) > 0 {
		c["aud"] = audClaim(g.audience)
	}
	if g.scope != "" {
		c["scp"] = g.scope
	}
	if g.clientID != "" {
		c["azp"] = g.clientID
		c["client_id"] = g.clientID
	}
	if g.act != nil {
		c["act"] = g.act
	}
	cnf := map[string]string{}
	if g.boundCert != "" {
		cnf["x5t#S256"] = g.boundCert
	}
	if g.dpopJKT != "" {
		cnf["jkt"] = g.dpopJKT
	}
	if len(cnf) > 0 {
		c["cnf"] = cnf
	}
	if len(g.xmsCC) > 0 {
		c["xms_cc"] = g.xmsCC
	}
	s.entraAccessClaims(c, g)
	s.mu.Lock()
	s.store.access[jti] = &accessEntry{clientID: g.clientID, family: g.family, expires: exp, appOnly: g.appOnly, issued: now, openid: g.openid}
	s.mu.Unlock()
	return s.sign("at+jwt", c), s.cfg.accessLifetime, exp
}

// mintIDToken issues an OpenID Connect ID token (OpenID Connect Core §2).
func (s *Server) mintIDToken(subject, clientID, nonce string, extra jwt.MapClaims) string {
	now := s.now()
	c := jwt.MapClaims{
		"iss":       s.issuer(),
		"sub":       subject,
		"aud":       clientID,
		"azp":       clientID,
		"iat":       now.Unix(),
		"exp":       tokenExpiry(now, s.cfg.accessLifetime).Unix(),
		"auth_time": now.Unix(),
	}
	if nonce != "" {
		c["nonce"] = nonce
	}
	if u := s.userBySubject(subject); u != nil && u.Username != "" {
		c["preferred_username"] = u.Username
	}
	maps.Copy(c, extra)
	s.entraIDClaims(c, subject)
	return s.sign("JWT", c)
}

// IssueAccessToken returns a JWT access token for subject, as if issued to
// a client for the API audience (the "aud" claim), with scopes as its
// space-separated "scp" claim. Use it as the incoming token of an
// On-Behalf-Of or token exchange test, or to call a [Server.Protect]ed API.
// The token names no client (no "azp"), so no client may revoke it
// (RFC 7009 §2.1); it expires after the access token lifetime.
func (s *Server) IssueAccessToken(subject, audience string, scopes ...string) string {
	g := grant{subject: subject, scope: strings.Join(scopes, " ")}
	if audience != "" {
		g.audience = []string{audience}
	}
	tok, _, _ := s.mintAccessToken(g)
	return tok
}

// VerifyAccessToken checks an access token issued by the server: its ES256
// signature by the server's key, its issuer, its exp and nbf by the server's
// clock, and that it was not revoked (RFC 7009) or invalidated with its
// refresh-token family. Errors wrap [ErrInvalidToken].
func (s *Server) VerifyAccessToken(token string) (*Claims, error) {
	c := &Claims{}
	_, err := jwt.ParseWithClaims(token, c, func(t *jwt.Token) (any, error) {
		if kid, _ := t.Header["kid"].(string); kid != s.kid {
			return nil, errors.New("unknown key ID")
		}
		return &s.key.PublicKey, nil
	},
		jwt.WithValidMethods([]string{"ES256"}),
		jwt.WithIssuer(s.issuer()),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(s.now),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if c.ID == "" {
		return nil, fmt.Errorf("%w: not an access token", ErrInvalidToken)
	}
	s.mu.Lock()
	active := s.store.accessActive(c.ID)
	s.mu.Unlock()
	if !active {
		return nil, fmt.Errorf("%w: token revoked", ErrInvalidToken)
	}
	return c, nil
}

// hasAudience reports whether the claims name aud among their audiences.
func (c *Claims) hasAudience(aud string) bool { return slices.Contains(c.Audience, aud) }

type claimsKey struct{}

// ClaimsFromContext returns the claims [Server.Protect] put in a request's
// context.
func ClaimsFromContext(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*Claims)
	return c, ok
}
