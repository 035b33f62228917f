package oauth2flowstest

import (
	"crypto"
	"slices"
)

// Client authentication methods (RFC 8414 §2 token_endpoint_auth_methods_supported,
// OpenID Connect Core §9), as registered in [Client.AuthMethod] and recorded
// in [Request.AuthMethod].
const (
	AuthClientSecretBasic = "client_secret_basic"
	AuthClientSecretPost  = "client_secret_post"
	AuthClientSecretJWT   = "client_secret_jwt"
	AuthPrivateKeyJWT     = "private_key_jwt"
	AuthNone              = "none"
)

// Grant types a [Client] may be restricted to in [Client.GrantTypes]
// (RFC 7591 §2), besides the grant_type values of the root package.
const (
	// GrantImplicit allows response_type=token at the authorization endpoint
	// (RFC 6749 §4.2).
	GrantImplicit = "implicit"
)

// Client is a registered client (RFC 6749 §2, RFC 7591 §2).
type Client struct {
	ID     string
	Secret string

	// AuthMethod is the registered token_endpoint_auth_method (RFC 7591 §2):
	// one of the Auth* constants. Empty accepts any method the registered
	// credentials allow: a Secret allows client_secret_basic,
	// client_secret_post and client_secret_jwt; a PublicKey allows
	// private_key_jwt. Only "none" makes a public client.
	AuthMethod string

	// PublicKey verifies private_key_jwt assertions (*rsa.PublicKey or
	// *ecdsa.PublicKey).
	PublicKey crypto.PublicKey

	// RedirectURIs are the registered redirection URIs (RFC 6749 §3.1.2).
	// When non-empty, a redirect_uri must equal one of them exactly.
	RedirectURIs []string

	// GrantTypes restricts the grants the client may use (RFC 7591 §2), e.g.
	// "authorization_code", "refresh_token", [GrantImplicit]. Empty allows all.
	GrantTypes []string
}

// public reports whether the client has no credentials (RFC 6749 §2.1).
func (c *Client) public() bool { return c.AuthMethod == AuthNone }

// allowsGrant reports whether the client is registered for the grant type.
func (c *Client) allowsGrant(grant string) bool {
	return len(c.GrantTypes) == 0 || slices.Contains(c.GrantTypes, grant)
}

// allowsMethod reports whether the client may authenticate with method,
// given its registration.
func (c *Client) allowsMethod(method string) bool {
	if c.AuthMethod != "" {
		return c.AuthMethod == method
	}
	switch method {
	case AuthClientSecretBasic, AuthClientSecretPost, AuthClientSecretJWT:
		return c.Secret != ""
	case AuthPrivateKeyJWT:
		return c.PublicKey != nil
	}
	return false
}

// User is a registered resource owner (RFC 6749 §1.1). Subject is the "sub"
// of the tokens issued for the user; it defaults to Username.
type User struct {
	Subject  string
	Username string
	Password string
}

func (u User) subject() string {
	if u.Subject != "" {
		return u.Subject
	}
	return u.Username
}
