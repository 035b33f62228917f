package oauth2flows

import (
	"crypto/tls"
	"net/http"
	"net/url"
	"strings"
)

// NewMTLSClient returns an *http.Client that presents the client
// certificate of cfg in the TLS handshake (RFC 8705 §2), for mutual-TLS
// client authentication and for calling resource servers with
// certificate-bound access tokens (RFC 8705 §3), which must see the same
// certificate. Use it as Config.HTTPClient, so that token requests reuse
// its pooled connections, and as the base of the resource [Transport]
// (through [WithBase] with its Transport).
//
// cfg is cloned, so later changes to it have no effect. It must carry a
// client certificate: Certificates, or GetClientCertificate to rotate one
// without a restart (open connections keep the certificate of their
// handshake: call CloseIdleConnections on the client after a swap).
// Otherwise NewMTLSClient returns a [*ConfigError]. RootCAs, when set, are
// the only CAs trusted for server certificates, as a private PKI needs; nil
// means the system roots. The certificate is sent whenever the server asks
// for one, even if the server's list of acceptable CAs does not name its
// issuer, as self-signed certificates (RFC 8705 §2.2) need. The client has
// the SDK's default 30-second timeout and http.DefaultTransport's proxy and
// pool settings.
func NewMTLSClient(cfg *tls.Config) (*http.Client, error) {
	if cfg == nil || (len(cfg.Certificates) == 0 && cfg.GetClientCertificate == nil) {
		return nil, &ConfigError{Field: "tls.Config.Certificates", Reason: "no client certificate: set Certificates or GetClientCertificate (RFC 8705 §2)"}
	}
	c := cfg.Clone()
	if c.GetClientCertificate == nil {
		c.GetClientCertificate = staticCertificate(&c.Certificates[0])
	}
	c.Certificates = nil
	if c.MinVersion == 0 {
		c.MinVersion = tls.VersionTLS12
	}
	t := defaultTransport()
	t.TLSClientConfig = c
	return &http.Client{Transport: t, Timeout: defaultTimeout}, nil
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
// the configured *http.Transport (for instance from [NewMTLSClient]).
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
// [NewMTLSClient]'s) is used as it is, so its connections pool and a
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
		return nil, &ConfigError{Field: "Config.HTTPClient", Reason: "certificate authentication needs an *http.Transport to add the certificate to (or a client from NewMTLSClient)"}
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
