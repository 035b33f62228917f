package oauth2flows

import (
	"context"
	"net/http"
	"net/url"
)

// clientAuth is one client authentication method (RFC 6749 §2.3,
// RFC 7523 §2.2, RFC 8705 §2), as golang-jwt's SigningMethod is one
// algorithm: each lives in its own file, clientauth_<method>.go. The
// poster calls authenticate once per attempt, so nothing a server consumes
// (an assertion's jti) is ever sent twice, not even by a retry.
type clientAuth interface {
	authenticate(ctx context.Context, c *Config, form url.Values, header http.Header) error
}

// clientAuth resolves the method of c (see authMethod) and returns it with
// the clientAuth that carries it out.
func (c *Config) clientAuth() (AuthMethod, clientAuth, error) {
	m, err := c.authMethod()
	if err != nil {
		return 0, nil, err
	}
	var a clientAuth
	switch m {
	case ClientSecretBasic:
		a = secretBasic{}
	case ClientSecretPost:
		a = secretPost{}
	case ClientSecretJWT:
		a = secretJWT{}
	case PrivateKeyJWT:
		a = privateKeyJWT{}
		if c.ClientAssertion != nil {
			a = assertionFunc{}
		}
	case TLSClientAuth, SelfSignedTLSClientAuth:
		a = tlsClientAuth{}
	case NoClientAuth:
		a = noClientAuth{}
	default:
		return 0, nil, &ConfigError{Field: "Config.AuthMethod", Reason: "unknown method"}
	}
	return m, a, nil
}

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

// needSecret refuses a secret method without Config.ClientSecret.
func (c *Config) needSecret(m AuthMethod) error {
	if c.ClientSecret == "" {
		return &ConfigError{Field: "Config.ClientSecret", Reason: m.String() + " needs a client secret"}
	}
	return nil
}
