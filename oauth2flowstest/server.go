package oauth2flowstest

import (
	"bytes"
	"cmp"
	"crypto/ecdsa"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"time"

	"github.com/oauth2flows/oauth2flows"
)

// Endpoint paths, relative to [Server.URL].
const (
	pathAuthorize     = "/authorize"
	pathToken         = "/token"
	pathRevoke        = "/revoke"
	pathIntrospect    = "/introspect"
	pathJWKS          = "/jwks"
	pathOAuthMetadata = "/.well-known/oauth-authorization-server"
	pathOIDCMetadata  = "/.well-known/openid-configuration"

	pathDeviceAuthorization = "/device_authorization" // RFC 8628 §3.1
	pathDeviceVerification  = "/device"               // RFC 8628 §3.3
)

// maxBody bounds request bodies, as a real server's front end would.
const maxBody = 1 << 20

// Server is an OAuth 2.0 authorization server (RFC 6749) running on a
// loopback port, for tests: authorization, token, revocation (RFC 7009),
// introspection (RFC 7662), metadata (RFC 8414) and JWKS endpoints, a token
// store, a request log and fault injection. It is safe for concurrent use.
type Server struct {
	cfg     config
	srv     *httptest.Server
	client  *http.Client     // Client's answer with WithEntra; nil otherwise
	mtls    *httptest.Server // RFC 8705 §5 aliases; nil without WithMTLS
	clients map[string]*Client
	key     *ecdsa.PrivateKey
	kid     string

	// closing is closed by Close, to cut fault delays short.
	closing   chan struct{}
	closeOnce sync.Once

	mu     sync.Mutex
	store  store
	log    []Request
	faults map[string][]Fault

	appServiceSecret string                  // IDENTITY_HEADER, with WithManagedIdentity
	managedCache     map[string]managedToken // by identity and resource, under mu
	revokedUsers     map[string]time.Time    // RevokeUser's events, by subject, under mu
}

// NewServer starts a Server on 127.0.0.1, as httptest.NewServer does. Its
// URL is its issuer identifier (RFC 8414 §2). Call Close when done.
func NewServer(opts ...Option) *Server {
	s := &Server{
		cfg:     newConfig(opts),
		clients: map[string]*Client{},
		faults:  map[string][]Fault{},
		store:   newStore(),
		closing: make(chan struct{}),
	}
	for i := range s.cfg.clients {
		c := s.cfg.clients[i]
		s.clients[c.ID] = &c
	}
	s.key, s.kid = newSigningKey()
	if s.cfg.entra != nil {
		s.startEntra() // over TLS, as Entra and MSAL require
	} else {
		s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	}
	if s.cfg.mtls {
		s.startMTLS()
	}
	s.startManagedIdentity()
	return s
}

// Close shuts the server down and blocks until all requests have finished.
// Requests held back by a [Fault.Delay] are answered at once with 503.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closing) })
	s.srv.Close()
	if s.mtls != nil {
		s.mtls.Close()
	}
}

// URL returns the server's base URL, which is also its issuer (RFC 8414 §2).
func (s *Server) URL() string { return s.srv.URL }

// Endpoint returns the server's endpoints for an [oauth2flows.Config].
// With [WithMTLS] it includes the RFC 8705 §5 mtls_endpoint_aliases; with
// [WithEntra] it is the tenant's [Server.EntraEndpoint].
func (s *Server) Endpoint() oauth2flows.Endpoint {
	if s.cfg.entra != nil {
		return s.EntraEndpoint(s.cfg.entra.tenant)
	}
	return s.genericEndpoint()
}

// genericEndpoint is the generic layout's endpoints, which the RFC 8414
// metadata names.
func (s *Server) genericEndpoint() oauth2flows.Endpoint {
	e := oauth2flows.Endpoint{
		Issuer:           s.URL(),
		AuthURL:          s.URL() + pathAuthorize,
		TokenURL:         s.URL() + pathToken,
		RevocationURL:    s.URL() + pathRevoke,
		IntrospectionURL: s.URL() + pathIntrospect,
		DeviceAuthURL:    s.URL() + pathDeviceAuthorization,
		PushedAuthURL:    s.URL() + pathPAR,
		JWKSURL:          s.URL() + pathJWKS,
		UserInfoURL:      s.URL() + pathUserInfo,
		EndSessionURL:    s.URL() + pathEndSession,
		// The server's metadata advertises it and every response carries iss.
		AuthResponseIssParameterSupported: true,
		RequirePushedAuthRequests:         s.cfg.par.required,
	}
	if s.cfg.auth0 {
		e.TokenURL = s.URL() + pathAuth0Token
	}
	if s.mtls != nil {
		e.MTLSTokenURL = s.mtls.URL + pathToken
		e.MTLSRevocationURL = s.mtls.URL + pathRevoke
		e.MTLSIntrospectionURL = s.mtls.URL + pathIntrospect
		e.MTLSDeviceAuthURL = s.mtls.URL + pathDeviceAuthorization
		e.MTLSPushedAuthURL = s.mtls.URL + pathPAR
		e.MTLSUserInfoURL = s.mtls.URL + pathUserInfo
	}
	return e
}

// Client returns an HTTP client configured for requests to the server, like
// httptest.Server.Client. With [WithMTLS] it also trusts the HTTPS
// listener; it presents no client certificate, but oauth2flows adds
// Config.Certificate to a clone of its transport.
func (s *Server) Client() *http.Client {
	if s.client != nil {
		return s.client
	}
	if s.mtls != nil {
		return s.mtls.Client()
	}
	return s.srv.Client()
}

func (s *Server) now() time.Time { return s.cfg.now() }

// endpointName names the endpoint a path belongs to, as used by
// [Request.Endpoint] and [Server.InjectFault].
func endpointName(path string) string {
	switch path {
	case pathAuthorize:
		return EndpointAuthorize
	case pathToken:
		return EndpointToken
	case pathRevoke:
		return EndpointRevoke
	case pathIntrospect:
		return EndpointIntrospect
	case pathJWKS:
		return EndpointJWKS
	case pathOAuthMetadata, pathOIDCMetadata:
		return EndpointDiscovery
	case pathDeviceAuthorization:
		return EndpointDeviceAuthorization
	case pathDeviceVerification:
		return EndpointDeviceVerification
	case pathPAR:
		return EndpointPAR
	}
	if n := oidcEndpointName(path); n != "" {
		return n
	}
	return cmp.Or(entraEndpointName(path), managedIdentityEndpointName(path))
}

// serveHTTP records every request, applies injected faults, then hands the
// request to its endpoint's handler.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	path, r := s.route(w, r)
	rec := &Request{
		Endpoint: endpointName(path),
		Method:   r.Method,
		Header:   r.Header.Clone(),
		MTLS:     onMTLSListener(r),
	}
	if cert := peerCertificate(r); cert != nil {
		rec.ClientCertThumbprint = oauth2flows.CertificateThumbprint(cert)
	}
	if rec.MTLS && !mtlsAliased(path) {
		rec.Endpoint = ""
	}
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		rec.Status = sw.status()
		s.mu.Lock()
		s.log = append(s.log, *rec)
		s.mu.Unlock()
	}()

	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		http.Error(sw, "request body unreadable or too large", http.StatusRequestEntityTooLarge)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if r.Method == http.MethodPost {
		rec.Form, _ = url.ParseQuery(string(body))
	} else {
		rec.Form = r.URL.Query()
	}

	if rec.MTLS && !mtlsAliased(path) {
		http.NotFound(sw, r) // only the RFC 8705 §5 aliases are served over mTLS
		return
	}
	if f, ok := s.takeFault(rec.Endpoint); ok {
		f.serve(sw, r, s.closing)
		return
	}

	switch path {
	case pathAuthorize:
		s.handleAuthorize(sw, r, rec)
	case pathToken:
		s.handleToken(sw, r, rec)
	case pathRevoke:
		s.handleRevoke(sw, r, rec)
	case pathIntrospect:
		s.handleIntrospect(sw, r, rec)
	case pathJWKS:
		s.handleJWKS(sw, r)
	case pathOAuthMetadata, pathOIDCMetadata:
		s.handleDiscovery(sw, r)
	case pathDeviceAuthorization:
		s.handleDeviceAuthorization(sw, r, rec)
	case pathDeviceVerification:
		s.handleDeviceVerification(sw, r)
	case pathPAR:
		s.handlePAR(sw, r, rec)
	default:
		if !s.serveOIDC(sw, r, path) && !s.serveEntra(sw, r, path) && !s.serveManagedIdentity(sw, r, path) {
			http.NotFound(sw, r)
		}
	}
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}
