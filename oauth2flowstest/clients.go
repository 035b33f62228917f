package oauth2flowstest

import (
	"crypto"
	"crypto/x509"
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
	// When non-empty, a redirect_uri must equal one of them exactly. Public
	// clients and the implicit grant need at least one (§3.1.2.2); a
	// confidential client without any may use any absolute URI with the
	// code grant.
	RedirectURIs []string

	// PostLogoutRedirectURIs are the registered post_logout_redirect_uri
	// values (OpenID Connect RP-Initiated Logout 1.0 §3.1): the end
	// session endpoint sends the user back only to one of them.
	PostLogoutRedirectURIs []string

	// GrantTypes restricts the grants the client may use (RFC 7591 §2), e.g.
	// "authorization_code", "refresh_token", [GrantImplicit]. Empty allows all.
	GrantTypes []string

	// TLSSubjectDN, TLSSANDNS, TLSSANURI, TLSSANIP and TLSSANEmail register
	// a tls_client_auth client (RFC 8705 §2.1.2): its certificate must chain
	// to a CA given to [WithMTLS] and match the field that is set (RFC 8705
	// wants exactly one; if several are set, each must match; with none set
	// the client cannot authenticate). TLSSubjectDN
	// is compared with the RFC 4514 form of crypto/x509's Name.String, e.g.
	// "CN=client-a,O=Example".
	TLSSubjectDN string
	TLSSANDNS    string
	TLSSANURI    string
	TLSSANIP     string
	TLSSANEmail  string

	// SelfSignedCertificates register a self_signed_tls_client_auth client
	// (RFC 8705 §2.2.2, where they would be the x5c of the client's JWKS):
	// it authenticates with any one of them, so rotation can be tested.
	SelfSignedCertificates []*x509.Certificate

	// Audiences are the resources the client serves besides its own ID and
	// "api://"+ID: an incoming token for one of them may be traded by the
	// client with On-Behalf-Of or token exchange (RFC 8693 §2.1).
	Audiences []string

	// RequireSignedRequestObject makes the client's authorization requests
	// valid only as signed request objects (JAR, RFC 9101 §10.5
	// require_signed_request_object), verified with PublicKey; when
	// pushed (RFC 9126 §3), the push must carry it.
	RequireSignedRequestObject bool

	// Roles are the app roles granted to the client, the "roles" claim of
	// its app-only tokens with [WithEntra].
	Roles []string

	// boundCert is set on the per-request copy made by certificate
	// authentication: the x5t#S256 that issued access tokens are bound to.
	boundCert string
	// dpopJKT is set on the per-request copy made by a DPoP proof
	// (RFC 9449 §5): the thumbprint of the key issued tokens are bound to.
	dpopJKT string
	// xmsCC is set on the per-request copy made for a claims request
	// declaring client capabilities (cae.go).
	xmsCC []string
}

// mayActFor reports whether an incoming token is one the client may trade:
// issued for the client itself, as its ID or "api://"+ID, or for one of
// its [Client.Audiences].
func (c *Client) mayActFor(t *Claims) bool {
	return t.hasAudience(c.ID) || t.hasAudience("api://"+c.ID) ||
		slices.ContainsFunc(c.Audiences, t.hasAudience)
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

// certMethod is how a client presenting a certificate authenticates: its
// registered RFC 8705 method, or the one its registration implies, or
// "none" for a public client. "" means it may not use a certificate.
func (c *Client) certMethod() string {
	switch {
	case c.AuthMethod == AuthTLSClientAuth, c.AuthMethod == AuthSelfSignedTLSClientAuth, c.public():
		return c.AuthMethod
	case c.AuthMethod != "":
		return ""
	case len(c.SelfSignedCertificates) > 0:
		return AuthSelfSignedTLSClientAuth
	case c.TLSSubjectDN != "" || c.TLSSANDNS != "" || c.TLSSANURI != "" || c.TLSSANIP != "" || c.TLSSANEmail != "":
		return AuthTLSClientAuth
	}
	return ""
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
