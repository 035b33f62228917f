package oauth2flowstest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"

	"github.com/oauth2flows/oauth2flows"
)

// RFC 8705 client authentication methods, as registered in
// [Client.AuthMethod] and recorded in [Request.AuthMethod].
const (
	AuthTLSClientAuth           = "tls_client_auth"
	AuthSelfSignedTLSClientAuth = "self_signed_tls_client_auth"
)

// WithMTLS starts a second, HTTPS listener that asks every client for a
// certificate, and serves the token, revocation, introspection, device
// authorization (RFC 8628 §4) and pushed authorization request (RFC 9126
// §5) endpoints there as the RFC 8705 §5 mtls_endpoint_aliases: in
// [Server.Endpoint] and in the metadata. Clients registered with
// [Client.TLSSubjectDN] or a SAN field then authenticate with
// tls_client_auth, whose certificates must chain to one of clientCAs
// (§2.1); clients registered with [Client.SelfSignedCertificates]
// authenticate with self_signed_tls_client_auth (§2.2), which needs no CA.
// Access tokens issued to a client that authenticated with a certificate
// are bound to it with cnf "x5t#S256" (§3).
//
// The listener's own certificate is trusted by [Server.RootCAs] and
// [Server.Client].
func WithMTLS(clientCAs ...*x509.Certificate) Option {
	return func(cfg *config) {
		cfg.mtls = true
		if cfg.clientCAs == nil {
			cfg.clientCAs = x509.NewCertPool()
		}
		for _, ca := range clientCAs {
			if ca != nil {
				cfg.clientCAs.AddCert(ca)
			}
		}
	}
}

// startMTLS starts the listener of the mtls_endpoint_aliases. It asks for
// a certificate without verifying it: the check depends on the client's
// registration (a CA for tls_client_auth, none for self-signed), so it is
// done by client authentication, which answers invalid_client.
func (s *Server) startMTLS() {
	s.mtls = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serveHTTP(w, r.WithContext(context.WithValue(r.Context(), mtlsListenerKey{}, true)))
	}))
	s.mtls.TLS = &tls.Config{ClientAuth: tls.RequestClientCert, MinVersion: tls.VersionTLS12}
	s.mtls.StartTLS()
}

// RootCAs returns a pool that trusts the server's HTTPS listeners, for
// tls.Config.RootCAs (as given to oauth2flows.NewMTLSClient); nil without [WithMTLS] or [WithEntra]. The
// certificate is net/http/httptest's, valid for 127.0.0.1, ::1 and
// example.com; the same pool trusts [NewMTLSResourceServer].
func (s *Server) RootCAs() *x509.CertPool {
	p := x509.NewCertPool()
	switch {
	case s.mtls != nil:
		p.AddCert(s.mtls.Certificate())
	case s.cfg.entra != nil:
		p.AddCert(s.srv.Certificate())
	default:
		return nil
	}
	return p
}

// mtlsListenerKey marks the requests of the mtls_endpoint_aliases listener
// in their context: with WithEntra the main listener is TLS too.
type mtlsListenerKey struct{}

func onMTLSListener(r *http.Request) bool {
	on, _ := r.Context().Value(mtlsListenerKey{}).(bool)
	return on
}

// mtlsAliased reports whether the mTLS listener serves path: every
// endpoint where the client authenticates (RFC 8705 §5), none the browser
// visits.
func mtlsAliased(path string) bool {
	switch path {
	case pathToken, pathRevoke, pathIntrospect, pathDeviceAuthorization, pathPAR, pathUserInfo:
		return true
	}
	return false
}

// peerCertificate is the client certificate of a request, or nil.
func peerCertificate(r *http.Request) *x509.Certificate {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return nil
	}
	return r.TLS.PeerCertificates[0]
}

// certPresent reports certificate authentication: a client certificate and
// no other credentials. A certificate next to a secret or an assertion is
// transport security, not the client's choice of method.
func certPresent(in *authInput) bool {
	return peerCertificate(in.r) != nil && !basicPresent(in) && !postPresent(in) && !jwtPresent(in)
}

// checkCertificate authenticates a client by its TLS certificate
// (RFC 8705 §2). client_id names the client; its registration picks the
// method. The client returned is a copy remembering the certificate, so
// that issued access tokens are bound to it (§3). A public client presenting
// a certificate is not authenticated by it but still gets bound tokens (§4).
func (s *Server) checkCertificate(in *authInput) (*Client, *oauthError) {
	cert := peerCertificate(in.r)
	in.method = AuthTLSClientAuth
	id := in.form.Get("client_id")
	if id == "" {
		return nil, errInvalidClient("client_id is required with certificate authentication (RFC 8705 §2)", false)
	}
	c := s.clients[id]
	if c == nil {
		return nil, errInvalidClient("unknown client", false)
	}
	switch method := c.certMethod(); method {
	case AuthNone:
		in.method = AuthNone
	case AuthTLSClientAuth:
		if e := s.checkPKICertificate(c, in.r.TLS.PeerCertificates); e != nil {
			return nil, e
		}
	case AuthSelfSignedTLSClientAuth:
		in.method = method
		if !slices.ContainsFunc(c.SelfSignedCertificates, cert.Equal) {
			return nil, errInvalidClient("the certificate is not registered for this client", false)
		}
	default:
		return nil, errInvalidClient("client is not registered for certificate authentication", false)
	}
	bound := *c
	bound.boundCert = oauth2flows.CertificateThumbprint(cert)
	return &bound, nil
}

// checkPKICertificate verifies a tls_client_auth chain against the CAs of
// [WithMTLS] at the server's clock, then the registered subject or SANs
// (RFC 8705 §2.1.2).
func (s *Server) checkPKICertificate(c *Client, chain []*x509.Certificate) *oauthError {
	inter := x509.NewCertPool()
	for _, ic := range chain[1:] {
		inter.AddCert(ic)
	}
	leaf := chain[0]
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots:         s.cfg.clientCAs,
		Intermediates: inter,
		CurrentTime:   s.now(),
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return errInvalidClient("the certificate does not chain to a trusted CA", false)
	}
	checks := []struct {
		want string
		ok   func(string) bool
	}{
		{c.TLSSubjectDN, func(v string) bool { return leaf.Subject.String() == v }},
		{c.TLSSANDNS, func(v string) bool { return slices.Contains(leaf.DNSNames, v) }},
		{c.TLSSANURI, func(v string) bool {
			return slices.ContainsFunc(leaf.URIs, func(u *url.URL) bool { return u.String() == v })
		}},
		{c.TLSSANIP, func(v string) bool {
			ip := net.ParseIP(v)
			return ip != nil && slices.ContainsFunc(leaf.IPAddresses, ip.Equal)
		}},
		{c.TLSSANEmail, func(v string) bool { return slices.Contains(leaf.EmailAddresses, v) }},
	}
	registered := false
	for _, ch := range checks {
		if ch.want == "" {
			continue
		}
		registered = true
		if !ch.ok(ch.want) {
			return errInvalidClient("the certificate's subject does not match the client's registration", false)
		}
	}
	if !registered {
		// Without a registered subject any certificate of the CA would do.
		return errInvalidClient("client has no registered certificate subject or SAN (RFC 8705 §2.1.2)", false)
	}
	return nil
}

// NewMTLSResourceServer starts an HTTPS server that asks for client
// certificates, like httptest.NewTLSServer, for a resource server behind
// [Server.Protect] that must see the certificate a bound token is bound to
// (RFC 8705 §3). Its certificate is the one [Server.RootCAs] trusts.
// Close it when done.
func NewMTLSResourceServer(h http.Handler) *httptest.Server {
	rs := httptest.NewUnstartedServer(h)
	rs.TLS = &tls.Config{ClientAuth: tls.RequestClientCert, MinVersion: tls.VersionTLS12}
	rs.StartTLS()
	return rs
}
