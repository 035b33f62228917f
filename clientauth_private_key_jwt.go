package oauth2flows

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// clientAssertionType is RFC 7523 §2.2's client_assertion_type.
const clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// assertionLifetime is how far ahead client assertions expire.
// RFC 7523 §3 wants a short lifetime; five minutes is the most servers allow.
const assertionLifetime = 5 * time.Minute

// privateKeyJWT is private_key_jwt (RFC 7523 §2.2, OpenID Connect Core §9):
// a JWT signed with Config.PrivateKey, new for every attempt.
type privateKeyJWT struct{}

func (privateKeyJWT) authenticate(_ context.Context, c *Config, form url.Values, _ http.Header) error {
	if c.PrivateKey == nil {
		return &ConfigError{Field: "Config.PrivateKey", Reason: "private_key_jwt needs a private key or Config.ClientAssertion"}
	}
	alg, err := signingAlg(c.PrivateKey, c.AssertionAlg, "PrivateKey", "AssertionAlg")
	if err != nil {
		return err
	}
	claims, err := assertionClaims(c)
	if err != nil {
		return err
	}
	t := jwt.NewWithClaims(jwt.GetSigningMethod(alg), claims)
	if c.KeyID != "" {
		t.Header["kid"] = c.KeyID
	}
	if c.Certificate != nil && len(c.Certificate.Certificate) > 0 {
		// Entra's certificate credentials name the certificate by its
		// SHA-256 thumbprint.
		t.Header["x5t#S256"] = thumbprintS256(c.Certificate.Certificate[0])
	}
	a, err := signJWT(t, c.PrivateKey, alg, "PrivateKey")
	if err != nil {
		return err
	}
	setAssertion(c, form, a)
	return nil
}

// assertionClaims are the claims of a client authentication JWT (RFC 7523
// §3): iss and sub the client id, aud the token URL (or the issuer, with
// AudienceIssuer), a random jti, and a lifetime of at most five minutes.
func assertionClaims(c *Config) (jwt.MapClaims, error) {
	aud := c.Endpoint.TokenURL
	if c.AssertionAudience == AudienceIssuer {
		if c.Endpoint.Issuer == "" {
			return nil, &ConfigError{Field: "Config.Endpoint.Issuer", Reason: "AudienceIssuer needs the issuer"}
		}
		aud = c.Endpoint.Issuer
	}
	now := time.Now()
	return jwt.MapClaims{
		"iss": c.ClientID,
		"sub": c.ClientID,
		"aud": aud,
		"jti": newJTI(),
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(assertionLifetime).Unix(),
	}, nil
}

// setAssertion puts a client assertion in the form (RFC 7523 §2.2).
func setAssertion(c *Config, form url.Values, assertion string) {
	form.Set("client_assertion_type", clientAssertionType)
	form.Set("client_assertion", assertion)
	form.Set("client_id", c.ClientID)
}
