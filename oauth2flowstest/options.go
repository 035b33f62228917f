package oauth2flowstest

import (
	"crypto/x509"
	"time"
)

// Option configures a [Server] created by [NewServer].
type Option func(*config)

// config is what a Server's Options collect. It is read-only once the
// server has started.
type config struct {
	clients         []Client
	users           []User
	accessLifetime  time.Duration
	refreshLifetime time.Duration
	now             func() time.Time
	refreshPolicy   RefreshTokenPolicy // 0: the profile's default
	entra           *entraProfile      // nil: the generic profile
	auth0           bool               // WithAuth0
	entraV1         bool
	formResponses   bool
	mtls            bool
	clientCAs       *x509.CertPool
	device          deviceConfig    // RFC 8628, device.go
	dpop            dpopConfig      // RFC 9449, dpop.go
	par             parConfig       // RFC 9126, par.go
	fapi2           bool            // WithFAPI2, fapi.go
	fapiSigning     bool            // WithFAPI2MessageSigning, fapi.go
	assertions      assertionConfig // RFC 7523 trusted issuers, federation: jwtbearer.go

	managed []ManagedIdentity // the emulated Azure host's: managedidentity.go
}

func newConfig(opts []Option) config {
	c := config{
		accessLifetime:  time.Hour,
		refreshLifetime: 24 * time.Hour,
		now:             time.Now,
	}
	for _, opt := range opts {
		if opt != nil {
			opt(&c)
		}
	}
	return c
}

// WithClient registers a client (RFC 6749 §2). It may be repeated; a later
// registration of the same ID replaces the earlier one.
func WithClient(c Client) Option {
	return func(cfg *config) {
		c.RedirectURIs = append([]string(nil), c.RedirectURIs...)
		c.GrantTypes = append([]string(nil), c.GrantTypes...)
		c.PostLogoutRedirectURIs = append([]string(nil), c.PostLogoutRedirectURIs...)
		c.SelfSignedCertificates = append([]*x509.Certificate(nil), c.SelfSignedCertificates...)
		c.Audiences = append([]string(nil), c.Audiences...)
		c.Roles = append([]string(nil), c.Roles...)
		c.boundCert = ""
		cfg.clients = append(cfg.clients, c)
	}
}

// WithUser registers a resource owner. It may be repeated. The first user
// registered is the one who signs in and consents at the authorization
// endpoint, unless the request's login_hint names another (OpenID Connect
// Core §3.1.2.1).
func WithUser(u User) Option {
	return func(cfg *config) { cfg.users = append(cfg.users, u) }
}

// WithAccessTokenLifetime sets the lifetime of access tokens (RFC 6749 §5.1
// expires_in). The default is one hour. A token's exp (and an ID token's)
// is its issue time plus d rounded up to the whole second, so a client
// counting expires_in from when it sent the request never holds the token
// past its exp.
func WithAccessTokenLifetime(d time.Duration) Option {
	return func(cfg *config) { cfg.accessLifetime = d }
}

// WithRefreshTokenLifetime sets the lifetime of refresh tokens (RFC 6749
// §1.5). The default is 24 hours.
func WithRefreshTokenLifetime(d time.Duration) Option {
	return func(cfg *config) { cfg.refreshLifetime = d }
}

// WithClock sets the server's clock, used for issuing, expiring and
// verifying every token and client assertion. Fault delays use real time.
// Client assertions are checked against it too, so a clock far from the
// client's makes private_key_jwt and client_secret_jwt fail, as clock skew
// would with a real server. now is called from the server's request
// goroutines while the test runs, so it must be safe for concurrent use:
// keep a moving clock in an atomic (sync/atomic.Int64 offset) or behind a
// mutex, not in a plain variable the test reassigns.
func WithClock(now func() time.Time) Option {
	return func(cfg *config) {
		if now != nil {
			cfg.now = now
		}
	}
}

// WithEntraV1Responses shapes token responses like Microsoft Entra's v1
// endpoint: expires_in, ext_expires_in, expires_on and not_before are JSON
// strings, and "resource" names the token's audience.
func WithEntraV1Responses() Option {
	return func(cfg *config) { cfg.entraV1 = true }
}

// WithFormResponses sends token responses, errors included, as
// application/x-www-form-urlencoded instead of JSON, as GitHub does unless
// asked for JSON. Status codes stay those of RFC 6749 §5.
func WithFormResponses() Option {
	return func(cfg *config) { cfg.formResponses = true }
}
