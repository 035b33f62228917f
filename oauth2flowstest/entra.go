package oauth2flowstest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/oauth2flows/oauth2flows"
)

// Tenant path segments every Entra authority accepts besides the tenant's
// own (Microsoft identity platform, "Application configuration options").
const (
	entraCommon        = "common"
	entraOrganizations = "organizations"
)

// entraDiscoveryHost is where MSAL sends AAD instance discovery for an
// authority host it does not know.
const entraDiscoveryHost = "login.microsoftonline.com"

// entraProfile is the state of [WithEntra].
type entraProfile struct {
	tenant   string // as given: a GUID or a domain name
	tenantID string // the "tid": tenant if a GUID, else one derived from it
}

// WithEntra serves Microsoft Entra ID's layout and rules for tenant over TLS:
// [Server.URL] is https, [Server.Client] and [Server.RootCAs] trust its
// certificate, and [Server.Endpoint] is the tenant's [Server.EntraEndpoint].
// The generic paths stay served. tenant is a GUID or a domain
// name such as "contoso.onmicrosoft.com"; the tokens' "tid" is tenant when
// it is a GUID, else a GUID derived from it. An empty tenant is a GUID
// the server makes up.
//
// Paths, for {tenant} the tenant, its tid, "common" or "organizations":
//
//	/{tenant}/oauth2/v2.0/{authorize,token,devicecode,logout}
//	/{tenant}/v2.0/.well-known/openid-configuration, /{tenant}/discovery/v2.0/keys
//	/{tenant}/oauth2/{authorize,token}, /{tenant}/.well-known/openid-configuration (v1)
//	/common/discovery/instance (AAD instance discovery), /oidc/userinfo
//
// The rules are Entra's, as the package documentation lists: client
// credentials need one {resource}/.default scope (AADSTS1002012); a scope
// without a resource is Microsoft Graph's; refusals carry error_codes,
// trace_id, correlation_id and timestamp; responses carry ext_expires_in
// and, when client_info=1 is sent, client_info; tokens carry oid and tid;
// refresh tokens stay valid after use ([RotateKeepOld]). The v1 token
// endpoint answers in v1's shape ([WithEntraV1Responses]).
//
// MSAL looks up an authority host it does not know at
// https://login.microsoftonline.com/common/discovery/instance. [Server.Client]
// sends that one GET, which carries no credential, to this server instead;
// every other request to that host goes where it was addressed.
func WithEntra(tenant string) Option {
	return func(cfg *config) {
		if tenant == "" {
			tenant = guidFrom("tenant")
		}
		id := tenant
		if !isGUIDish(tenant) {
			id = guidFrom("tenant:" + tenant)
		}
		cfg.entra = &entraProfile{tenant: tenant, tenantID: strings.ToLower(id)}
	}
}

// EntraEndpoint returns the server's Entra v2 endpoints for tenant, like
// oauth2flows.EntraEndpoint does for the real cloud (Entra has no
// revocation or introspection endpoint): tenant is the one given
// to [WithEntra] ("" for that one), its tid, "common" or "organizations".
// The Issuer is the tenant's, which "common" and "organizations" do not
// have. Without [WithEntra] it returns [Server.Endpoint].
func (s *Server) EntraEndpoint(tenant string) oauth2flows.Endpoint {
	if s.cfg.entra == nil {
		return s.Endpoint()
	}
	if tenant == "" {
		tenant = s.cfg.entra.tenant
	}
	base := s.URL() + "/" + tenant + "/oauth2/v2.0"
	e := oauth2flows.Endpoint{
		AuthURL:       base + "/authorize",
		TokenURL:      base + "/token",
		DeviceAuthURL: base + "/devicecode",
	}
	if s.cfg.entra.knows(tenant) {
		e.Issuer = s.issuer()
	}
	if s.mtls != nil {
		g := s.genericEndpoint()
		e.MTLSTokenURL, e.MTLSRevocationURL, e.MTLSIntrospectionURL = g.MTLSTokenURL, g.MTLSRevocationURL, g.MTLSIntrospectionURL
		e.MTLSDeviceAuthURL = g.MTLSDeviceAuthURL // Entra has no PAR: no PushedAuthURL, no alias
	}
	return e
}

// knows reports whether tenant names the profile's tenant.
func (p *entraProfile) knows(tenant string) bool {
	return strings.EqualFold(tenant, p.tenant) || strings.EqualFold(tenant, p.tenantID)
}

// accepts reports whether tenant is a path segment the server answers for.
func (p *entraProfile) accepts(tenant string) bool {
	return p.knows(tenant) || tenant == entraCommon || tenant == entraOrganizations
}

// issuer is the "iss" of the server's tokens: Entra v2's
// {authority host}/{tid}/v2.0, or the server's URL (RFC 8414 §2).
func (s *Server) issuer() string {
	if s.cfg.entra == nil {
		return s.URL()
	}
	return s.URL() + "/" + s.cfg.entra.tenantID + "/v2.0"
}

// entraRequest is what the Entra path of a request said, kept in its
// context for the handlers.
type entraRequest struct {
	tenant string // the path's tenant segment
	v1     bool   // a v1 endpoint (/oauth2/token rather than /oauth2/v2.0/token)
}

type entraRequestKey struct{}

func entraRequestOf(r *http.Request) *entraRequest {
	er, _ := r.Context().Value(entraRequestKey{}).(*entraRequest)
	return er
}

// Paths of Entra-only endpoints, after routing.
const (
	pathEntraInstanceDiscovery = "/common/discovery/instance"
	pathEntraUserInfo          = "/oidc/userinfo"
	pathEntraLogout            = "/entra/logout"   // routed from /{tenant}/oauth2/v2.0/logout
	pathEntraMetadata          = "/entra/metadata" // routed from the v1 and v2 openid-configuration
	// The device authorization endpoint (RFC 8628 §3.1) of the generic
	// layout, which /{tenant}/oauth2/v2.0/devicecode serves.
	pathEntraDeviceCode = "/device_authorization"
)

// entraRoutes maps an Entra path after /{tenant} to the generic path that
// serves it, and whether it is a v1 endpoint.
var entraRoutes = map[string]struct {
	path string
	v1   bool
}{
	"/oauth2/v2.0/authorize":                 {pathAuthorize, false},
	"/oauth2/v2.0/token":                     {pathToken, false},
	"/oauth2/v2.0/devicecode":                {pathEntraDeviceCode, false},
	"/oauth2/v2.0/logout":                    {pathEntraLogout, false},
	"/v2.0/.well-known/openid-configuration": {pathEntraMetadata, false},
	"/discovery/v2.0/keys":                   {pathJWKS, false},
	"/oauth2/authorize":                      {pathAuthorize, true},
	"/oauth2/token":                          {pathToken, true},
	"/oauth2/logout":                         {pathEntraLogout, true},
	"/.well-known/openid-configuration":      {pathEntraMetadata, true},
	"/discovery/keys":                        {pathJWKS, true},
	"/discovery/instance":                    {pathEntraInstanceDiscovery, false}, // /common only
}

// route returns the generic path that serves r, and r with its Entra
// context. Auth0's /oauth/token is the token endpoint with [WithAuth0].
// Without [WithEntra], or for a path that is not Entra's, it is
// r.URL.Path. An unknown tenant is routed to a handler that refuses it
// as Entra does (AADSTS90002).
func (s *Server) route(w http.ResponseWriter, r *http.Request) (string, *http.Request) {
	if s.cfg.auth0 && r.URL.Path == pathAuth0Token {
		return pathToken, r
	}
	p := s.cfg.entra
	if p == nil {
		return r.URL.Path, r
	}
	// Entra names every response with a request ID and echoes the
	// caller's client-request-id (or makes one): its errors repeat them
	// as trace_id and correlation_id.
	corr := r.Header.Get("client-request-id")
	if corr == "" {
		corr = uuid()
	}
	w.Header().Set("x-ms-request-id", uuid())
	w.Header().Set("client-request-id", corr)
	if r.URL.Path == pathEntraUserInfo {
		return pathEntraUserInfo, r
	}
	tenant, rest, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if !ok {
		return r.URL.Path, r
	}
	rt, found := entraRoutes["/"+rest]
	if !found || rt.path == pathEntraInstanceDiscovery && tenant != entraCommon {
		return r.URL.Path, r
	}
	er := &entraRequest{tenant: tenant, v1: rt.v1}
	r = r.WithContext(context.WithValue(r.Context(), entraRequestKey{}, er))
	if !p.accepts(tenant) {
		return pathEntraUnknownTenant, r
	}
	return rt.path, r
}

// pathEntraUnknownTenant serves an Entra path naming a tenant the server
// does not have.
const pathEntraUnknownTenant = "/entra/unknown-tenant"

// entraEndpointName names the Entra-only endpoints for [Request.Endpoint].
func entraEndpointName(path string) string {
	switch path {
	case pathEntraMetadata, pathEntraInstanceDiscovery:
		return EndpointDiscovery
	}
	return ""
}

// serveEntra serves the Entra-only endpoints; it reports false for any
// other path.
func (s *Server) serveEntra(w http.ResponseWriter, r *http.Request, path string) bool {
	if s.cfg.entra == nil {
		return false
	}
	switch path {
	case pathEntraMetadata:
		s.handleEntraMetadata(w, r)
	case pathEntraInstanceDiscovery:
		s.handleInstanceDiscovery(w, r)
	case pathEntraUserInfo:
		s.handleUserInfo(w, r)
	case pathEntraLogout:
		s.handleEndSession(w, r)
	case pathEntraUnknownTenant:
		// Entra: 400 invalid_request, AADSTS90002 "Tenant not found".
		s.writeError(w, errInvalidRequest(fmt.Sprintf("Tenant '%s' not found.", entraRequestOf(r).tenant)))
	default:
		return false
	}
	return true
}

// guidFrom derives a stable RFC 9562 version 8 UUID from name, for tids
// and oids the test did not give.
func guidFrom(name string) string {
	b := sha256.Sum256([]byte(name))
	b[6] = b[6]&0x0f | 0x80
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// startEntra starts the server over TLS, with the client [Server.Client]
// returns: it trusts the server's certificate and sends MSAL's instance
// discovery for login.microsoftonline.com here (see [WithEntra]).
func (s *Server) startEntra() {
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	s.srv.StartTLS()
	c := *s.srv.Client()
	c.Transport = &instanceDiscoveryTransport{base: c.Transport, to: s.srv.URL}
	s.client = &c
}

// instanceDiscoveryTransport sends GET
// https://login.microsoftonline.com/common/discovery/instance to the test
// server; every other request goes where it was addressed.
type instanceDiscoveryTransport struct {
	base http.RoundTripper
	to   string // the server's URL
}

func (t *instanceDiscoveryTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodGet || r.URL.Scheme != "https" || !strings.EqualFold(r.URL.Host, entraDiscoveryHost) ||
		r.URL.Path != pathEntraInstanceDiscovery {
		return t.base.RoundTrip(r)
	}
	to, err := url.Parse(t.to)
	if err != nil {
		return nil, err
	}
	r2 := r.Clone(r.Context())
	r2.URL.Host, r2.Host = to.Host, to.Host
	return t.base.RoundTrip(r2)
}

// CloseIdleConnections closes the idle connections of the transport it
// wraps, for http.Client.CloseIdleConnections (MSAL calls it).
func (t *instanceDiscoveryTransport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// entraKeyIssuer adds to a key of Entra's v2 key set the "issuer" Entra
// gives each key: the v2 issuer with the literal "{tenantid}", which a
// multi-tenant validator fills with a token's tid before comparing it
// with the token's iss. The generic and v1 key sets have none.
func (s *Server) entraKeyIssuer(r *http.Request, jwk map[string]string) map[string]string {
	if er := entraRequestOf(r); er != nil && !er.v1 {
		jwk["issuer"] = s.URL() + "/{tenantid}/v2.0"
	}
	return jwk
}
