package oauth2flows

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/url"
	"strings"
)

// MTLSOption adjusts the transport built by [NewMTLSTransport] and
// [NewMTLSClient].
type MTLSOption func(*mtlsOptions)

type mtlsOptions struct {
	rootCAs *x509.CertPool
	getCert func(*tls.CertificateRequestInfo) (*tls.Certificate, error)
	base    *http.Transport
}

// WithRootCAs makes the transport trust only pool's CAs for server
// certificates, as a private PKI needs. Without it the base transport's
// RootCAs are kept (the system roots by default). See [LoadCertPool].
func WithRootCAs(pool *x509.CertPool) MTLSOption {
	return func(o *mtlsOptions) { o.rootCAs = pool }
}

// WithGetClientCertificate has the transport ask get for the client
// certificate at every TLS handshake, instead of presenting a fixed one, so
// that a certificate can be rotated without a restart (RFC 8705 §2 leaves
// rotation to the client). get must be safe for concurrent use; an
// atomic.Pointer[tls.Certificate] swapped by a file watcher is enough.
// Open connections keep the certificate of their handshake: call the
// transport's CloseIdleConnections after a swap to use the new one at once.
func WithGetClientCertificate(get func(*tls.CertificateRequestInfo) (*tls.Certificate, error)) MTLSOption {
	return func(o *mtlsOptions) { o.getCert = get }
}

// WithBaseTransport clones t instead of http.DefaultTransport, keeping its
// proxy, timeouts and TLS settings.
func WithBaseTransport(t *http.Transport) MTLSOption {
	return func(o *mtlsOptions) { o.base = t }
}

// NewMTLSTransport returns an *http.Transport that presents cert as its
// TLS client certificate (RFC 8705 §2), for mutual-TLS client
// authentication and for calling resource servers with certificate-bound
// access tokens (RFC 8705 §3), which must see the same certificate.
//
// Set it (through [NewMTLSClient]) as Config.HTTPClient so that token
// requests reuse its pooled connections, and as the base of the resource
// Transport. The certificate is sent whenever the server asks for one, even
// if the server's list of acceptable CAs does not name its issuer, as
// self-signed certificates (RFC 8705 §2.2) need. cert may be nil with
// [WithGetClientCertificate].
func NewMTLSTransport(cert *tls.Certificate, opts ...MTLSOption) *http.Transport {
	var o mtlsOptions
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	t := defaultTransport()
	if o.base != nil {
		t = o.base.Clone()
	}
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if o.rootCAs != nil {
		t.TLSClientConfig.RootCAs = o.rootCAs
	}
	get := o.getCert
	if get == nil && cert != nil {
		get = staticCertificate(cert)
	}
	t.TLSClientConfig.Certificates = nil
	t.TLSClientConfig.GetClientCertificate = get
	return t
}

// NewMTLSClient returns an *http.Client over [NewMTLSTransport], with the
// same 30-second timeout as the SDK's default client. Use it as
// Config.HTTPClient for mutual-TLS client authentication (RFC 8705 §2) with
// pooled connections.
func NewMTLSClient(cert *tls.Certificate, opts ...MTLSOption) *http.Client {
	return &http.Client{Transport: NewMTLSTransport(cert, opts...), Timeout: defaultTimeout}
}

// staticCertificate presents cert whatever the server asks for. Go's TLS
// client, given Certificates instead, sends nothing when the server's
// acceptable-CA list does not match, which loses self-signed certificates.
func staticCertificate(cert *tls.Certificate) func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	return func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
}

// defaultTransport clones http.DefaultTransport, or builds an equivalent if
// a program replaced it with another RoundTripper.
func defaultTransport() *http.Transport {
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		return t.Clone()
	}
	return &http.Transport{Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true}
}

// hasClientCertificate reports whether a certificate method can present a
// certificate: Config.Certificate, or a certificate or callback already on
// the configured *http.Transport (for instance from [NewMTLSClient] with
// [WithGetClientCertificate]).
func (c *Config) hasClientCertificate() bool {
	if c.Certificate != nil {
		return true
	}
	t := c.configuredTransport()
	return t != nil && t.TLSClientConfig != nil &&
		(t.TLSClientConfig.GetClientCertificate != nil || len(t.TLSClientConfig.Certificates) > 0)
}

func (c *Config) configuredTransport() *http.Transport {
	if c.HTTPClient == nil {
		return nil
	}
	t, _ := c.HTTPClient.Transport.(*http.Transport)
	return t
}

// mtlsTransport returns a transport that presents the client certificate
// (RFC 8705 §2). base is the configured transport.
//
// A transport that already has a GetClientCertificate callback (such as
// [NewMTLSTransport]'s) is used as it is, so its connections pool and a
// rotating callback keeps working. Otherwise a clone of base keeps its
// RootCAs, proxy and timeouts, and presents Config.Certificate (or the
// transport's own first certificate). Such a clone lives for one request, so
// it keeps no idle connections.
func (c *Config) mtlsTransport(base http.RoundTripper) (http.RoundTripper, error) {
	var t *http.Transport
	switch b := base.(type) {
	case nil:
		t = defaultTransport()
	case *http.Transport:
		if b.TLSClientConfig != nil && b.TLSClientConfig.GetClientCertificate != nil {
			return b, nil
		}
		t = b.Clone()
	default:
		return nil, &ConfigError{Field: "Config.HTTPClient", Reason: "certificate authentication needs an *http.Transport to add the certificate to (or one from NewMTLSTransport)"}
	}
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	cert := c.Certificate
	if cert == nil && len(t.TLSClientConfig.Certificates) > 0 {
		cert = &t.TLSClientConfig.Certificates[0]
	}
	if cert == nil {
		return nil, &ConfigError{Field: "Config.Certificate", Reason: "certificate authentication needs Config.Certificate"}
	}
	t.TLSClientConfig.Certificates = nil
	t.TLSClientConfig.GetClientCertificate = staticCertificate(cert)
	t.DisableKeepAlives = true
	return t, nil
}

// requireHTTPS refuses a non-https endpoint for certificate authentication,
// loopback included: over plain http no certificate can be presented
// (RFC 8705 §2), and the request would go out unauthenticated.
func requireHTTPS(field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return &ConfigError{Field: field, Reason: "not a valid URL"}
	}
	if !strings.EqualFold(u.Scheme, "https") {
		return &ConfigError{Field: field, Reason: "certificate authentication needs https (RFC 8705 §2)"}
	}
	return nil
}
