package oauth2flows

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// defaultTimeout bounds a request to the authorization server when
// Config.HTTPClient is nil.
const defaultTimeout = 30 * time.Second

// httpClient returns the client for a request to the authorization server.
// It never follows redirects: a token request that is redirected would
// repost credentials to wherever the redirect points (RFC 6749 §3.2 has no
// redirects). Certificate methods get a client presenting the certificate.
// It is built into pc, which the poster allocates with the rest of a call.
func (c *Config) httpClient(method AuthMethod, pc *posterClient) (*http.Client, error) {
	hc := &pc.Client
	if c.HTTPClient != nil {
		*hc = *c.HTTPClient
	} else {
		hc.Timeout = defaultTimeout
	}
	hc.CheckRedirect = noRedirects
	if method == TLSClientAuth || method == SelfSignedTLSClientAuth {
		if err := c.needCertificate(method); err != nil {
			return nil, err
		}
		rt, err := c.mtlsTransport(hc.Transport)
		if err != nil {
			return nil, err
		}
		hc.Transport = rt
	}
	pc.keep.base = hc.Transport
	hc.Transport = &pc.keep
	return hc, nil
}

// posterClient is an http.Client whose Transport is keep.
type posterClient struct {
	http.Client
	keep keepRedirects
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// keepRedirects hands a 3xx to the poster whatever its Location: net/http
// parses Location before CheckRedirect is asked, and turns an unparsable
// one into an error with no response, so an answer of the server would
// pass for a network failure. The poster follows no redirect, so it needs
// no Location.
type keepRedirects struct{ base http.RoundTripper }

func (k *keepRedirects) RoundTrip(r *http.Request) (*http.Response, error) {
	base := k.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(r)
	if err == nil && resp.StatusCode >= 300 && resp.StatusCode < 400 {
		resp.Header.Del("Location")
	}
	return resp, err
}

// endpointURL picks the URL for kind, using the RFC 8705 §5 alias when the
// client authenticates with a certificate, and refuses unsafe URLs.
func (c *Config) endpointURL(kind endpointKind, method AuthMethod) (string, error) {
	e := c.Endpoint
	if err := e.check(); err != nil {
		return "", err
	}
	mtls := method == TLSClientAuth || method == SelfSignedTLSClientAuth
	var raw, alias, field string
	switch kind {
	case revocationEndpoint:
		raw, alias, field = e.RevocationURL, e.MTLSRevocationURL, "Config.Endpoint.RevocationURL"
	case introspectionEndpoint:
		raw, alias, field = e.IntrospectionURL, e.MTLSIntrospectionURL, "Config.Endpoint.IntrospectionURL"
	case deviceAuthEndpoint:
		raw, alias, field = e.DeviceAuthURL, e.MTLSDeviceAuthURL, "Config.Endpoint.DeviceAuthURL"
	case parEndpoint:
		raw, alias, field = e.PushedAuthURL, e.MTLSPushedAuthURL, "Config.Endpoint.PushedAuthURL"
	default:
		raw, alias, field = e.TokenURL, e.MTLSTokenURL, "Config.Endpoint.TokenURL"
	}
	if mtls && alias != "" {
		raw, field = alias, strings.Replace(field, "Endpoint.", "Endpoint.MTLS", 1)
	}
	if raw == "" {
		return "", &ConfigError{Field: field, Reason: "not set"}
	}
	if mtls {
		if err := requireHTTPS(field, raw); err != nil {
			return "", err
		}
	}
	if err := checkURL(field, raw, c.InsecureAllowHTTP && !mtls); err != nil {
		return "", err
	}
	return raw, nil
}

// checkURL refuses endpoints that would expose credentials: anything but
// https, except http on loopback (RFC 6749 §3.1, §3.2 require TLS;
// RFC 8252 §7.3 allows loopback) or when allowHTTP is set.
func checkURL(field, raw string, allowHTTP bool) error {
	return checkHTTPS(field, raw, allowHTTP, " (set Config.InsecureAllowHTTP to override)")
}

// checkHTTPS is checkURL for any URL that carries credentials or keys
// (Validator's key set too); hint, appended to the refusal of plain http,
// names the setting that allows it, if any.
func checkHTTPS(field, raw string, allowHTTP bool, hint string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return &ConfigError{Field: field, Reason: "not a valid URL"}
	}
	if u.Host == "" {
		return &ConfigError{Field: field, Reason: "not an absolute URL"}
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		if allowHTTP || isLoopback(u.Hostname()) {
			return nil
		}
		return &ConfigError{Field: field, Reason: "plain http is refused except on loopback" + hint}
	}
	return &ConfigError{Field: field, Reason: "scheme must be https"}
}

// isLoopback reports whether host is localhost, 127.0.0.0/8 or ::1.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
