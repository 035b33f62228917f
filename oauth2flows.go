package oauth2flows

import (
	"context"
	"crypto"
	"crypto/tls"
	"log/slog"
	"net/http"
	"time"
)

// Endpoint holds the URLs of an authorization server (RFC 6749 §3, RFC 7009 §2,
// RFC 7662 §2, RFC 8628 §3.1, RFC 9126 §5 and the RFC 8705 §5
// mtls_endpoint_aliases), and what its metadata says about authorization
// responses. [Metadata.Endpoint] fills it from a discovery document.
type Endpoint struct {
	// Issuer is the authorization server's issuer identifier (RFC 8414 §2).
	// It is optional. When set, it is the expected RFC 9207 "iss" of
	// authorization responses, and the audience of client assertions when
	// [Config.AssertionAudience] is [AudienceIssuer].
	Issuer           string
	AuthURL          string
	TokenURL         string
	RevocationURL    string
	IntrospectionURL string

	// MTLSTokenURL, MTLSRevocationURL and MTLSIntrospectionURL are the RFC 8705
	// §5 mtls_endpoint_aliases. They are used instead of the plain URLs when,
	// and only when, the client authenticates with a certificate.
	MTLSTokenURL         string
	MTLSRevocationURL    string
	MTLSIntrospectionURL string

	// DeviceAuthURL is the RFC 8628 §3.1 device_authorization_endpoint.
	DeviceAuthURL string
	// PushedAuthURL is the RFC 9126 §5 pushed_authorization_request_endpoint.
	PushedAuthURL string

	// JWKSURL is the issuer's jwks_uri (RFC 8414 §2, OpenID Connect
	// Discovery §3): the keys [Token.VerifyIDToken] checks signatures with.
	JWKSURL string
	// UserInfoURL is the OpenID Connect Core §5.3 userinfo_endpoint, for
	// [UserInfo]; MTLSUserInfoURL is its RFC 8705 §5 alias, used instead
	// when Config.Certificate is set, for certificate-bound tokens.
	UserInfoURL     string
	MTLSUserInfoURL string
	// EndSessionURL is the end_session_endpoint of OpenID Connect
	// RP-Initiated Logout 1.0 §2.1, for [LogoutURL].
	EndSessionURL string

	// MTLSDeviceAuthURL and MTLSPushedAuthURL are the RFC 8705 §5
	// mtls_endpoint_aliases of the device authorization endpoint (RFC 8628
	// §4) and the pushed authorization request endpoint (RFC 9126 §5). As
	// the other aliases, they are used instead of DeviceAuthURL and
	// PushedAuthURL when, and only when, the client authenticates with a
	// certificate.
	MTLSDeviceAuthURL string
	MTLSPushedAuthURL string
	// RequirePushedAuthRequests records the server's RFC 9126 §5
	// require_pushed_authorization_requests: it accepts authorization
	// requests only through PushedAuthURL.
	RequirePushedAuthRequests bool
	// AuthResponseIssParameterSupported records the server's RFC 9207 §3
	// authorization_response_iss_parameter_supported. When true,
	// [ParseCallback] refuses an authorization response without "iss"
	// (RFC 9207 §2.4).
	AuthResponseIssParameterSupported bool

	// invalid is why a constructor such as EntraEndpoint refused its
	// input; every call then fails with a *ConfigError.
	invalid string
}

// AuthMethod is how the client authenticates to the token endpoint
// (RFC 6749 §2.3, OpenID Connect Core §9, RFC 8705 §2).
// The zero value, [AuthAuto], chooses from what [Config] carries.
type AuthMethod int

const (
	// AuthAuto picks the method from the Config: a ClientSecret means
	// [ClientSecretBasic], a PrivateKey means [PrivateKeyJWT] (with a
	// Certificate, its assertions carry the "x5t#S256" header), a
	// Certificate alone means [TLSClientAuth], and nothing means
	// [NoClientAuth]; a ClientAssertion means [PrivateKeyJWT] with the
	// assertions it supplies. A ClientSecret together with a PrivateKey or a
	// Certificate is ambiguous: every call is refused with a [*ConfigError]
	// until AuthMethod is set. It never retries in another method after a
	// failure.
	AuthAuto AuthMethod = iota
	// ClientSecretBasic sends HTTP Basic credentials, each part
	// form-urlencoded first (RFC 6749 §2.3.1).
	ClientSecretBasic
	// ClientSecretPost sends client_id and client_secret in the body
	// (RFC 6749 §2.3.1).
	ClientSecretPost
	// ClientSecretJWT sends an HS256 client assertion keyed with the secret
	// (RFC 7523 §2.2, OpenID Connect Core §9).
	ClientSecretJWT
	// PrivateKeyJWT sends a client assertion signed with Config.PrivateKey
	// (RFC 7523 §2.2, OpenID Connect Core §9).
	PrivateKeyJWT
	// TLSClientAuth authenticates with a PKI-issued client certificate
	// (RFC 8705 §2.1).
	TLSClientAuth
	// SelfSignedTLSClientAuth authenticates with a self-signed client
	// certificate registered with the server (RFC 8705 §2.2).
	SelfSignedTLSClientAuth
	// NoClientAuth is a public client: client_id in the body, no secret
	// (RFC 6749 §2.1, §3.2.1).
	NoClientAuth
)

var authMethodNames = [...]string{
	AuthAuto:                "auto",
	ClientSecretBasic:       "client_secret_basic",
	ClientSecretPost:        "client_secret_post",
	ClientSecretJWT:         "client_secret_jwt",
	PrivateKeyJWT:           "private_key_jwt",
	TLSClientAuth:           "tls_client_auth",
	SelfSignedTLSClientAuth: "self_signed_tls_client_auth",
	NoClientAuth:            "none",
}

// String returns the method's registered name (RFC 8414 §2
// token_endpoint_auth_methods_supported), e.g. "client_secret_basic".
func (m AuthMethod) String() string {
	if m < 0 || int(m) >= len(authMethodNames) {
		return "unknown"
	}
	return authMethodNames[m]
}

// AssertionAudience selects the "aud" claim of client assertions
// (RFC 7523 §3). Servers differ: Entra and ory/fosite want the token
// endpoint URL, zitadel wants the issuer.
type AssertionAudience int

const (
	// AudienceTokenURL uses the URL the assertion is posted to. It is the default.
	AudienceTokenURL AssertionAudience = iota
	// AudienceIssuer uses Endpoint.Issuer.
	AudienceIssuer
)

// Token type identifiers of RFC 8693 §3, used with [WithRequestedTokenType]
// and [WithSubjectTokenType].
const (
	TokenTypeAccessToken  = "urn:ietf:params:oauth:token-type:access_token"
	TokenTypeRefreshToken = "urn:ietf:params:oauth:token-type:refresh_token"
	TokenTypeIDToken      = "urn:ietf:params:oauth:token-type:id_token"
	TokenTypeJWT          = "urn:ietf:params:oauth:token-type:jwt"
	TokenTypeSAML1        = "urn:ietf:params:oauth:token-type:saml1"
	TokenTypeSAML2        = "urn:ietf:params:oauth:token-type:saml2"
)

// Grant type identifiers sent as grant_type (RFC 6749 §4, RFC 7523 §2.1,
// RFC 8693 §2.1).
const (
	GrantTypeAuthorizationCode = "authorization_code"
	GrantTypePassword          = "password"
	GrantTypeClientCredentials = "client_credentials"
	GrantTypeRefreshToken      = "refresh_token"
	GrantTypeJWTBearer         = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	GrantTypeTokenExchange     = "urn:ietf:params:oauth:grant-type:token-exchange"
)

// Config describes an OAuth 2.0 client (RFC 6749 §2). The zero value of
// every field is usable: AuthMethod picks itself from the credentials, and a
// nil HTTPClient means a default client with timeouts that does not follow
// redirects. A Config is safe for concurrent use once it is no longer
// being written.
type Config struct {
	ClientID     string
	ClientSecret string
	Endpoint     Endpoint
	RedirectURL  string
	Scopes       []string
	AuthMethod   AuthMethod

	// PrivateKey signs PrivateKeyJWT client assertions (RSA or ECDSA).
	PrivateKey crypto.Signer
	// KeyID is the "kid" header of client assertions.
	KeyID string
	// AssertionAlg overrides the client assertion's signing algorithm:
	// "RS256", "PS256" or "ES256" (Entra's certificate credentials use PS256).
	// Empty means RS256 for an RSA key and ES256 for a P-256 key.
	AssertionAlg string
	// AssertionAudience selects the assertion's "aud". The default is the
	// token URL.
	AssertionAudience AssertionAudience

	// Certificate is the RFC 8705 client certificate. With PrivateKeyJWT it
	// instead adds the Entra "x5t#S256" header to client assertions.
	Certificate *tls.Certificate

	// ClientAssertion, when set, supplies the client assertion another
	// issuer gave the workload (workload identity federation: an Entra
	// federated credential in AZURE_FEDERATED_TOKEN_FILE, a Kubernetes
	// projected service-account token, a GitHub Actions OIDC token; see
	// [AssertionFromFile]). It is called afresh for every attempt (retries
	// included), and what it returns is sent as client_assertion, with
	// client_assertion_type
	// urn:ietf:params:oauth:client-assertion-type:jwt-bearer and client_id
	// (RFC 7523 §2.2). It goes with AuthAuto or PrivateKeyJWT and no other
	// credential: beside ClientSecret, PrivateKey or Certificate, AuthAuto
	// is ambiguous and every call is refused with a [*ConfigError]. Its
	// failures are returned as an [*AssertionError]; the assertion is never
	// in an error string or a log line.
	ClientAssertion func(ctx context.Context) (string, error)

	// ClientCapabilities declares what the client can handle, such as
	// "cp1": it answers claims challenges, so Entra's continuous access
	// evaluation (CAE) may give it long-lived tokens that resources revoke
	// at once with a challenge. They go in access_token.xms_cc of the
	// "claims" parameter (OpenID Connect Core §5.5) of every token request
	// and authorization request ([AuthCodeURL], [PushAuthCodeURL]), merged
	// with the claims of [WithClaims]; their own members are kept. See [ClaimsFromError] and [ParseClaimsChallenge].
	ClientCapabilities []string

	// DPoPKey, when set, sender-constrains tokens with DPoP (RFC 9449):
	// every request to the authorization server carries a proof signed with
	// it, authorization URLs carry its dpop_jkt (§10), and a [Transport]
	// over a source of this package sends DPoP tokens with a fresh proof per
	// request (§7). An ECDSA P-256 key (ES256) or an RSA key (RS256, or
	// PS256 with DPoPAlg). Only Public and Sign are called, so a KMS or HSM
	// key works. Proofs carry only its public JWK.
	DPoPKey crypto.Signer
	// DPoPAlg overrides the proofs' algorithm: "ES256", "RS256" or "PS256"
	// (FAPI 2.0 servers refuse RS256). Empty means ES256 for a P-256 key
	// and RS256 for RSA, as for AssertionAlg.
	DPoPAlg string

	// KeySet holds the issuer's signing keys for [Token.VerifyIDToken]:
	// make it once with [NewKeySet] from Endpoint.JWKSURL and keep it. Nil
	// means the keys are fetched from Endpoint.JWKSURL on every
	// verification.
	KeySet *KeySet
	// IDTokenAlgs are the JWS algorithms an ID token may be signed with
	// (OpenID Connect Core §3.1.3.7 step 7). Nil means RS256, PS256 and
	// ES256 (and their 384 and 512 variants) and EdDSA; a FAPI 2.0 client
	// sets [FAPI2Algs] (FAPI 2.0 Security Profile §5.4.1 refuses RS256).
	// "none" and the HMAC algorithms are refused whatever this says.
	IDTokenAlgs []string
	// RequestObjectKey, when set, signs the authorization request as a
	// request object (JAR, RFC 9101 §4): [PushAuthCodeURL] pushes it as
	// "request" (RFC 9126 §3) and [AuthCodeURL] carries it by value. It
	// holds every parameter, with iss (ClientID), aud (Endpoint.Issuer,
	// required), exp, nbf, iat and jti. An RSA or ECDSA P-256 key; only
	// Public and Sign are called.
	RequestObjectKey crypto.Signer
	// RequestObjectKeyID is the "kid" header of request objects.
	RequestObjectKeyID string
	// RequestObjectAlg is "PS256" or "ES256" (FAPI 2.0 allows no other);
	// empty: ES256 for a P-256 key, PS256 for RSA.
	RequestObjectAlg string
	// ResponseMode is the authorization request's response_mode. "jwt"
	// asks for a signed response (JARM): [ParseCallback] and
	// [ParseCallbackURL] then read only its "response" JWT, verified with
	// the issuer's keys (Endpoint.JWKSURL), its iss, aud and exp.
	ResponseMode string

	// HTTPClient sends every request. Nil means a default client with a
	// 30-second timeout. Whatever client is given, token requests never follow
	// redirects.
	HTTPClient *http.Client

	// Logger, when set, records one line per request to the authorization
	// server: endpoint, grant, status, attempt and duration. It never records
	// a secret, code, assertion or token.
	Logger *slog.Logger

	// Observer, when set, is told of this client's token requests, renewals,
	// OBO cache lookups and store failures, for metrics and traces; see
	// [Observer].
	Observer Observer

	// Retry controls retries of requests to the authorization server. The
	// zero value retries 429, 503 and connection failures a few times, as
	// far as each request allows; see [RetryPolicy].
	Retry RetryPolicy

	// InsecureAllowHTTP allows plain-http endpoints on hosts other than
	// loopback. Credentials then cross the network in clear text.
	InsecureAllowHTTP bool
}

// RetryPolicy bounds retries of requests to the authorization server.
// Every request is retried on 429, and on connection errors that happened
// before the request was written. A request without a one-time credential
// (client credentials, On-Behalf-Of, token exchange, password, revocation,
// introspection) is also retried on 503 and after a connection failure or
// timeout once sent. A request carrying a one-time credential (an
// authorization code or a refresh token) is not: a 503 may come from a
// proxy after the server consumed it. Nothing is retried after a 500 or
// once the server began an answer net/http could not use. Waits honour
// Retry-After and end when the context does; a Retry-After longer than
// MaxDelay returns the server's error, with Error.RetryAfter set, instead
// of sending early.
type RetryPolicy struct {
	// MaxAttempts is the number of attempts in all; 0 means 3, 1 disables retries.
	MaxAttempts int
	// BaseDelay is the first backoff delay; 0 means 200ms. It doubles per
	// attempt, with jitter, up to MaxDelay.
	BaseDelay time.Duration
	// MaxDelay caps each backoff wait; 0 means 10s. A Retry-After longer
	// than MaxDelay is not waited for: the error is returned.
	MaxDelay time.Duration
}
