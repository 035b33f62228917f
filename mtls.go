package oauth2flows

import (
	"crypto/tls"
	"net/http"
)

// mtlsTransport returns a transport that presents Config.Certificate
// (RFC 8705 §2). base is the configured transport: when it is an
// *http.Transport, a clone keeps its RootCAs, proxy and timeouts.
func (c *Config) mtlsTransport(base http.RoundTripper) (http.RoundTripper, error) {
	if c.Certificate == nil {
		return nil, &ConfigError{Field: "Certificate", Reason: "certificate authentication needs Config.Certificate"}
	}
	var t *http.Transport
	switch b := base.(type) {
	case nil:
		t = http.DefaultTransport.(*http.Transport).Clone()
	case *http.Transport:
		t = b.Clone()
	default:
		return nil, &ConfigError{Field: "HTTPClient", Reason: "certificate authentication needs an *http.Transport to add the certificate to"}
	}
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	cert := c.Certificate
	t.TLSClientConfig.Certificates = nil
	t.TLSClientConfig.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	// A transport built per request must not keep idle connections.
	t.DisableKeepAlives = true
	return t, nil
}
