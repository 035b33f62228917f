package oauth2flowstest

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Endpoint names of the Azure managed identity endpoints [WithManagedIdentity]
// emulates, for [Server.RequestsTo] and [Server.InjectFault] (IMDS answers
// 410 while it is updated and 429 under load: inject those to test a
// client's retries).
const (
	EndpointIMDS       = "imds"
	EndpointAppService = "appservice"
)

// Paths of the emulated endpoints: IMDS's own, and the path App Service's
// IDENTITY_ENDPOINT names.
const (
	pathIMDS       = "/metadata/identity/oauth2/token"
	pathAppService = "/msi/token"
)

// imdsHost is the Instance Metadata Service's link-local address.
const imdsHost = "169.254.169.254"

// ManagedIdentity is an identity of the Azure host the server emulates
// (see [WithManagedIdentity]). Empty IDs are derived from the others.
type ManagedIdentity struct {
	ClientID   string // the identity's application (client) ID
	ObjectID   string // its service principal's object ID: the tokens' sub and oid
	ResourceID string // its ARM resource ID: the tokens' xms_mirid
	// UserAssigned is false for the host's one system-assigned identity.
	UserAssigned bool
	// FederatedWith lists the client IDs of the app registrations that
	// trust this identity as a federated identity credential: its token for
	// api://AzureADTokenExchange authenticates them (iss the server's
	// issuer, sub the ObjectID), as Entra's "managed identity as a
	// federated identity credential".
	FederatedWith []string
}

// WithManagedIdentity gives the emulated Azure host an identity; it may be
// repeated, with at most one system-assigned identity. The server then
// serves, as Azure does:
//
//   - IMDS at /metadata/identity/oauth2/token: GET with "Metadata: true",
//     api-version 2018-02-01 (or later), resource, and client_id,
//     object_id or msi_res_id for a user-assigned identity. Its answers
//     carry every number as a string. [Server.Client] sends requests for
//     http://169.254.169.254 here, so that MSAL Go and
//     [oauth2flows.ManagedIdentitySource] reach it unchanged.
//   - App Service at /msi/token: GET with X-IDENTITY-HEADER, api-version
//     2019-08-01, resource, and client_id, object_id or mi_res_id; see
//     [Server.AppServiceEnv]. expires_on is a number.
//
// Like IMDS, it hands out the same token for an identity and resource
// until 5 minutes (a quarter of its lifetime, if shorter) before it
// expires. Refusals are 400 with IMDS's error and error_description, and
// an unknown X-IDENTITY-HEADER is 401.
func WithManagedIdentity(mi ManagedIdentity) Option {
	return func(cfg *config) {
		mi.FederatedWith = slices.Clone(mi.FederatedWith)
		name := cmp.Or(mi.ClientID, mi.ObjectID, mi.ResourceID, strconv.Itoa(len(cfg.managed)))
		if mi.ClientID == "" {
			mi.ClientID = guidFrom("mi-client:" + name)
		}
		if mi.ObjectID == "" {
			mi.ObjectID = guidFrom("mi-object:" + name)
		}
		if mi.ResourceID == "" {
			mi.ResourceID = "/subscriptions/" + guidFrom("subscription") +
				"/resourcegroups/test/providers/Microsoft.ManagedIdentity/userAssignedIdentities/" + guidFrom("mi-name:"+name)
		}
		cfg.managed = append(cfg.managed, mi)
	}
}

// AppServiceEnv returns the IDENTITY_ENDPOINT and IDENTITY_HEADER an App
// Service app would find in its environment, for t.Setenv.
func (s *Server) AppServiceEnv() (endpoint, header string) {
	return s.URL() + pathAppService, s.appServiceSecret
}

// managedIdentityEndpointName names the emulated endpoints.
func managedIdentityEndpointName(path string) string {
	switch path {
	case pathIMDS:
		return EndpointIMDS
	case pathAppService:
		return EndpointAppService
	}
	return ""
}

// serveManagedIdentity serves the emulated endpoints; it reports false for
// any other path, or without WithManagedIdentity.
func (s *Server) serveManagedIdentity(w http.ResponseWriter, r *http.Request, path string) bool {
	if len(s.cfg.managed) == 0 || (path != pathIMDS && path != pathAppService) {
		return false
	}
	imds := path == pathIMDS
	q := r.URL.Query()
	refuse := func(desc string) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": desc})
	}
	switch {
	case r.Method != http.MethodGet:
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return true
	case imds && r.Header.Get("Metadata") != "true":
		refuse("Required metadata header not specified")
		return true
	case imds && r.Header.Get("X-Forwarded-For") != "":
		// IMDS refuses what came through a proxy.
		refuse("Request contains X-Forwarded-For header")
		return true
	case !imds && (s.appServiceSecret == "" || r.Header.Get("X-IDENTITY-HEADER") != s.appServiceSecret):
		writeJSON(w, http.StatusUnauthorized, map[string]any{"statusCode": 401, "message": "Unauthorized"})
		return true
	case q.Get("api-version") == "":
		refuse("Required query variable 'api-version' is missing")
		return true
	case imds && q.Get("api-version") < "2018-02-01", !imds && q.Get("api-version") != "2019-08-01":
		refuse("Invalid version: " + q.Get("api-version"))
		return true
	case q.Get("resource") == "":
		refuse("Required audience parameter not specified")
		return true
	}
	resIDParam := "mi_res_id" // App Service's spelling
	if imds {
		resIDParam = "msi_res_id"
	}
	mi, desc := s.managedIdentityFor(q, resIDParam)
	if mi == nil {
		refuse(desc)
		return true
	}
	tok, exp := s.managedIdentityToken(mi, q.Get("resource"))
	body := map[string]any{
		"access_token": tok, "token_type": "Bearer", "resource": q.Get("resource"), "client_id": mi.ClientID,
	}
	if imds {
		// expires_in is the whole seconds left: never past exp.
		now := s.now()
		in := strconv.FormatInt(int64(exp.Sub(now)/time.Second), 10)
		body["expires_in"], body["ext_expires_in"] = in, in
		body["expires_on"], body["not_before"] = strconv.FormatInt(exp.Unix(), 10), strconv.FormatInt(now.Unix(), 10)
	} else {
		body["expires_on"] = exp.Unix()
	}
	writeJSON(w, http.StatusOK, body)
	return true
}

// managedIdentityFor picks the identity a request names, or says why none.
func (s *Server) managedIdentityFor(q url.Values, resIDParam string) (*ManagedIdentity, string) {
	var named []string
	for _, p := range []string{"client_id", "object_id", resIDParam} {
		if q.Has(p) {
			named = append(named, p)
		}
	}
	for _, p := range []string{"msi_res_id", "mi_res_id"} {
		if p != resIDParam && q.Has(p) {
			return nil, "Unknown query parameter " + p
		}
	}
	if len(named) > 1 {
		return nil, "Only one of client_id, object_id and " + resIDParam + " may be specified"
	}
	ids := s.cfg.managed
	if len(named) == 0 {
		for i := range ids {
			if !ids[i].UserAssigned {
				return &ids[i], ""
			}
		}
		if len(ids) == 1 { // IMDS: a host with one identity uses it
			return &ids[0], ""
		}
		return nil, "Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request"
	}
	v := q.Get(named[0])
	for i := range ids {
		if ids[i].UserAssigned && (named[0] == "client_id" && strings.EqualFold(ids[i].ClientID, v) ||
			named[0] == "object_id" && strings.EqualFold(ids[i].ObjectID, v) ||
			named[0] == resIDParam && strings.EqualFold(ids[i].ResourceID, v)) {
			return &ids[i], ""
		}
	}
	return nil, "Identity not found"
}

// managedIdentityToken returns the identity's token for resource: the
// one issued before while it has long enough to live, else a new one.
func (s *Server) managedIdentityToken(mi *ManagedIdentity, resource string) (string, time.Time) {
	key := mi.ObjectID + " " + resource
	now := s.now()
	s.mu.Lock()
	if c, ok := s.managedCache[key]; ok {
		if e := s.store.access[c.jti]; e != nil && !e.revoked && c.expires.Sub(now) > min(5*time.Minute, s.cfg.accessLifetime/4) {
			s.mu.Unlock()
			return c.token, c.expires
		}
	}
	s.mu.Unlock()
	jti := randomString()
	exp := tokenExpiry(now, s.cfg.accessLifetime)
	c := jwt.MapClaims{
		"iss": s.issuer(), "sub": mi.ObjectID, "oid": mi.ObjectID, "aud": resource,
		"azp": mi.ClientID, "appid": mi.ClientID, "idtyp": "app", "xms_mirid": mi.ResourceID,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": exp.Unix(), "jti": jti,
	}
	if s.cfg.entra != nil {
		c["tid"], c["ver"] = s.cfg.entra.tenantID, "2.0"
	}
	tok := s.sign("at+jwt", c)
	s.mu.Lock()
	s.store.access[jti] = &accessEntry{clientID: mi.ClientID, expires: exp, appOnly: true}
	s.managedCache[key] = managedToken{token: tok, jti: jti, expires: exp}
	s.mu.Unlock()
	return tok, exp
}

// managedToken is a token the emulated host hands out again.
type managedToken struct {
	token, jti string
	expires    time.Time
}

// managedFederation returns the federated credentials through which
// client id trusts the server's managed identities.
func (s *Server) managedFederation(id, issuer string) []FederatedCredential {
	var out []FederatedCredential
	if issuer != s.issuer() {
		return nil
	}
	for _, mi := range s.cfg.managed {
		if slices.Contains(mi.FederatedWith, id) {
			out = append(out, FederatedCredential{Issuer: issuer, Subject: mi.ObjectID,
				Audience: "api://AzureADTokenExchange", PublicKey: &s.key.PublicKey})
		}
	}
	return out
}

// imdsTransport sends requests for http://169.254.169.254 to the server,
// and every other request where it was addressed.
type imdsTransport struct {
	base http.RoundTripper
	to   *url.URL // the server's URL
}

func (t *imdsTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme != "http" || r.URL.Host != imdsHost {
		return t.base.RoundTrip(r)
	}
	r2 := r.Clone(r.Context())
	r2.URL.Scheme, r2.URL.Host, r2.Host = t.to.Scheme, t.to.Host, t.to.Host
	return t.base.RoundTrip(r2)
}

// CloseIdleConnections closes the idle connections of the transport it
// wraps.
func (t *imdsTransport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// startManagedIdentity makes the App Service secret and has
// [Server.Client] reach the emulated IMDS.
func (s *Server) startManagedIdentity() {
	if len(s.cfg.managed) == 0 {
		return
	}
	s.appServiceSecret = randomString()
	s.managedCache = map[string]managedToken{}
	c := *s.Client()
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	to, _ := url.Parse(s.URL())
	c.Transport = &imdsTransport{base: base, to: to}
	s.client = &c
}
