package oauth2flows

import (
	"context"
	"crypto"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/oauth2flows/oauth2flows/internal/jws"
)

// clientAssertionType is RFC 7523 §2.2's client_assertion_type.
const clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// assertionLifetime is how far ahead client assertions expire.
// RFC 7523 §3 wants a short lifetime; five minutes is the most servers allow.
const assertionLifetime = 5 * time.Minute

// authMethod resolves AuthAuto from what the Config carries. It is decided
// once per request and never changed after a failure: x/oauth2's
// auto-detection re-posts in the other style after any error, which can
// redeem an authorization code twice. A secret beside a key or a
// certificate leaves the method ambiguous and is refused; a key with a
// certificate is private_key_jwt naming the certificate by "x5t#S256".
func (c *Config) authMethod() (AuthMethod, error) {
	if c.ClientAssertion != nil {
		return c.assertionMethod()
	}
	if c.AuthMethod != AuthAuto {
		return c.AuthMethod, nil
	}
	ambiguous := func(other string) error {
		return &ConfigError{Field: "Config.AuthMethod", Reason: "AuthAuto cannot choose between Config.ClientSecret and " +
			other + ", which are both set; set Config.AuthMethod"}
	}
	switch {
	case c.ClientSecret != "" && c.PrivateKey != nil:
		return 0, ambiguous("Config.PrivateKey")
	case c.ClientSecret != "" && c.Certificate != nil:
		return 0, ambiguous("Config.Certificate")
	case c.ClientSecret != "":
		return ClientSecretBasic, nil
	case c.PrivateKey != nil:
		return PrivateKeyJWT, nil
	case c.Certificate != nil:
		return TLSClientAuth, nil
	}
	return NoClientAuth, nil
}

// authenticate adds the client's credentials to the form or header
// (RFC 6749 §2.3, RFC 7523 §2.2, RFC 8705 §2).
func (c *Config) authenticate(ctx context.Context, m AuthMethod, form url.Values, header http.Header) error {
	needSecret := func() error {
		if c.ClientSecret == "" {
			return &ConfigError{Field: "Config.ClientSecret", Reason: m.String() + " needs a client secret"}
		}
		return nil
	}
	if c.ClientID == "" {
		return &ConfigError{Field: "Config.ClientID", Reason: "not set"}
	}
	switch m {
	case ClientSecretBasic:
		if err := needSecret(); err != nil {
			return err
		}
		// RFC 6749 §2.3.1: each part is form-urlencoded before Base64, so a
		// secret holding ':' or '%' survives.
		cred := url.QueryEscape(c.ClientID) + ":" + url.QueryEscape(c.ClientSecret)
		header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(cred)))
	case ClientSecretPost:
		if err := needSecret(); err != nil {
			return err
		}
		form.Set("client_id", c.ClientID)
		form.Set("client_secret", c.ClientSecret)
	case ClientSecretJWT, PrivateKeyJWT:
		if m == ClientSecretJWT {
			if err := needSecret(); err != nil {
				return err
			}
		} else if c.PrivateKey == nil && c.ClientAssertion == nil {
			return &ConfigError{Field: "Config.PrivateKey", Reason: "private_key_jwt needs a private key or Config.ClientAssertion"}
		}
		a, err := c.assertionFor(ctx, m)
		if err != nil {
			return err
		}
		form.Set("client_assertion_type", clientAssertionType)
		form.Set("client_assertion", a)
		form.Set("client_id", c.ClientID)
	case TLSClientAuth, SelfSignedTLSClientAuth:
		if !c.hasClientCertificate() {
			return &ConfigError{Field: "Config.Certificate", Reason: m.String() + " needs a client certificate"}
		}
		form.Set("client_id", c.ClientID) // RFC 8705 §2: the certificate authenticates, client_id identifies
	case NoClientAuth:
		form.Set("client_id", c.ClientID)
	default:
		return &ConfigError{Field: "Config.AuthMethod", Reason: "unknown method"}
	}
	return nil
}

// clientAssertion builds a client authentication JWT (RFC 7523 §3): iss and
// sub are the client id, aud the token URL (or issuer), a random jti, and a
// lifetime of at most five minutes.
func (c *Config) clientAssertion(m AuthMethod) (string, error) {
	aud := c.Endpoint.TokenURL
	if c.AssertionAudience == AudienceIssuer {
		if c.Endpoint.Issuer == "" {
			return "", &ConfigError{Field: "Config.Endpoint.Issuer", Reason: "AudienceIssuer needs the issuer"}
		}
		aud = c.Endpoint.Issuer
	}
	jti := make([]byte, 16)
	_, _ = rand.Read(jti) // crypto/rand.Read never fails (Go 1.24+)
	now := time.Now()
	claims := jwt.MapClaims{
		"iss": c.ClientID,
		"sub": c.ClientID,
		"aud": aud,
		"jti": base64.RawURLEncoding.EncodeToString(jti),
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(assertionLifetime).Unix(),
	}
	if m == ClientSecretJWT {
		t := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
		s, err := t.SignedString([]byte(c.ClientSecret))
		if err != nil {
			return "", &ConfigError{Field: "Config.ClientSecret", Reason: "cannot sign client assertion"}
		}
		return s, nil
	}
	alg, err := assertionAlg(c.PrivateKey, c.AssertionAlg)
	if err != nil {
		return "", err
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
	return signWith(t, c.PrivateKey, alg)
}

// assertionAlg picks the JWS algorithm (RFC 7518 §3.1) for key, or checks
// the one asked for fits the key.
func assertionAlg(key crypto.Signer, want string) (string, error) {
	alg, err := jws.ChooseAlg(key, want)
	switch {
	case errors.Is(err, jws.ErrCurve):
		return "", &ConfigError{Field: "PrivateKey", Reason: "ECDSA keys must use P-256 (ES256)"}
	case errors.Is(err, jws.ErrKeyType):
		return "", &ConfigError{Field: "PrivateKey", Reason: "key must be RSA or ECDSA P-256"}
	case err != nil:
		return "", &ConfigError{Field: "AssertionAlg", Reason: "algorithm " + want + " does not fit the key"}
	}
	return alg, nil
}

// signWith signs t through the crypto.Signer interface, so keys held in an
// HSM or a cloud KMS work as well as in-memory ones.
func signWith(t *jwt.Token, key crypto.Signer, alg string) (string, error) {
	input, err := t.SigningString()
	if err != nil {
		return "", &ConfigError{Field: "PrivateKey", Reason: "cannot encode client assertion"}
	}
	sig, err := jws.Sign(key, alg, []byte(input))
	if errors.Is(err, jws.ErrMalformedSignature) {
		return "", &ConfigError{Field: "PrivateKey", Reason: "signer returned a malformed ECDSA signature"}
	} else if err != nil {
		return "", &ConfigError{Field: "PrivateKey", Reason: "signing the client assertion failed"}
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// thumbprintS256 is the "x5t#S256" of a DER certificate (RFC 7515 §4.1.8,
// RFC 8705 §3.1).
func thumbprintS256(der []byte) string { return jws.CertThumbprintS256(der) }
