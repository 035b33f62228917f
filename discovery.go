package oauth2flows

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/oauth2flows/oauth2flows/internal/redact"

	"github.com/oauth2flows/oauth2flows/internal/wire"
)

// Well-known metadata paths: RFC 8414 §3 and OpenID Connect Discovery §4.
const (
	wellKnownOAuth = "/.well-known/oauth-authorization-server"
	wellKnownOIDC  = "/.well-known/openid-configuration"
)

// Metadata is an authorization server's metadata document (RFC 8414 §2,
// OpenID Connect Discovery §3), as published; members this package does not
// use are dropped. Absent members keep their zero value: RFC 8414 §2 then
// implies grant_types_supported ["authorization_code", "implicit"] and
// token_endpoint_auth_methods_supported ["client_secret_basic"].
type Metadata struct {
	Issuer                                     string   `json:"issuer"`
	AuthorizationEndpoint                      string   `json:"authorization_endpoint,omitempty"`
	TokenEndpoint                              string   `json:"token_endpoint,omitempty"`
	RevocationEndpoint                         string   `json:"revocation_endpoint,omitempty"`
	IntrospectionEndpoint                      string   `json:"introspection_endpoint,omitempty"`
	JWKSURI                                    string   `json:"jwks_uri,omitempty"`
	UserinfoEndpoint                           string   `json:"userinfo_endpoint,omitempty"`
	EndSessionEndpoint                         string   `json:"end_session_endpoint,omitempty"`
	IDTokenSigningAlgValuesSupported           []string `json:"id_token_signing_alg_values_supported,omitempty"`
	GrantTypesSupported                        []string `json:"grant_types_supported,omitempty"`
	TokenEndpointAuthMethodsSupported          []string `json:"token_endpoint_auth_methods_supported,omitempty"`
	TokenEndpointAuthSigningAlgValuesSupported []string `json:"token_endpoint_auth_signing_alg_values_supported,omitempty"`
	CodeChallengeMethodsSupported              []string `json:"code_challenge_methods_supported,omitempty"`
	// DeviceAuthorizationEndpoint is the RFC 8628 §4 device authorization endpoint.
	DeviceAuthorizationEndpoint string `json:"device_authorization_endpoint,omitempty"`
	// PushedAuthorizationRequestEndpoint is the RFC 9126 §5 PAR endpoint.
	PushedAuthorizationRequestEndpoint string `json:"pushed_authorization_request_endpoint,omitempty"`
	// RequirePushedAuthorizationRequests says the server accepts
	// authorization requests only through PAR (RFC 9126 §5).
	RequirePushedAuthorizationRequests bool `json:"require_pushed_authorization_requests,omitempty"`

	// MTLSEndpointAliases are the RFC 8705 §5 endpoints for clients that
	// authenticate with a certificate.
	MTLSEndpointAliases MTLSEndpointAliases `json:"mtls_endpoint_aliases,omitzero"`
	// TLSClientCertificateBoundAccessTokens says the server binds access
	// tokens to the client certificate (RFC 8705 §3.3).
	TLSClientCertificateBoundAccessTokens bool `json:"tls_client_certificate_bound_access_tokens,omitempty"`
	// AuthorizationResponseIssParameterSupported says authorization responses
	// carry "iss" (RFC 9207 §3).
	AuthorizationResponseIssParameterSupported bool `json:"authorization_response_iss_parameter_supported,omitempty"`
}

// MTLSEndpointAliases is the RFC 8705 §5 mtls_endpoint_aliases member of
// [Metadata].
type MTLSEndpointAliases struct {
	TokenEndpoint         string `json:"token_endpoint,omitempty"`
	RevocationEndpoint    string `json:"revocation_endpoint,omitempty"`
	IntrospectionEndpoint string `json:"introspection_endpoint,omitempty"`
	// DeviceAuthorizationEndpoint is the alias of the RFC 8628 §4 device
	// authorization endpoint.
	DeviceAuthorizationEndpoint string `json:"device_authorization_endpoint,omitempty"`
	// PushedAuthorizationRequestEndpoint is the alias of the RFC 9126 §5
	// pushed authorization request endpoint.
	PushedAuthorizationRequestEndpoint string `json:"pushed_authorization_request_endpoint,omitempty"`
	// UserinfoEndpoint is the alias of the OpenID Connect userinfo endpoint.
	UserinfoEndpoint string `json:"userinfo_endpoint,omitempty"`
}

// Endpoint returns the metadata's endpoints, mTLS aliases (RFC 8705 §5),
// issuer, and the RFC 9126 and RFC 9207 flags, for [Config.Endpoint].
// To use a metadata document already in hand, unmarshal it into a
// Metadata and check its Issuer (RFC 8414 §3.3) before calling Endpoint.
func (m *Metadata) Endpoint() Endpoint {
	return Endpoint{
		Issuer:                            m.Issuer,
		AuthURL:                           m.AuthorizationEndpoint,
		TokenURL:                          m.TokenEndpoint,
		RevocationURL:                     m.RevocationEndpoint,
		IntrospectionURL:                  m.IntrospectionEndpoint,
		JWKSURL:                           m.JWKSURI,
		UserInfoURL:                       m.UserinfoEndpoint,
		MTLSUserInfoURL:                   m.MTLSEndpointAliases.UserinfoEndpoint,
		EndSessionURL:                     m.EndSessionEndpoint,
		MTLSTokenURL:                      m.MTLSEndpointAliases.TokenEndpoint,
		MTLSRevocationURL:                 m.MTLSEndpointAliases.RevocationEndpoint,
		MTLSIntrospectionURL:              m.MTLSEndpointAliases.IntrospectionEndpoint,
		DeviceAuthURL:                     m.DeviceAuthorizationEndpoint,
		PushedAuthURL:                     m.PushedAuthorizationRequestEndpoint,
		MTLSDeviceAuthURL:                 m.MTLSEndpointAliases.DeviceAuthorizationEndpoint,
		MTLSPushedAuthURL:                 m.MTLSEndpointAliases.PushedAuthorizationRequestEndpoint,
		RequirePushedAuthRequests:         m.RequirePushedAuthorizationRequests,
		AuthResponseIssParameterSupported: m.AuthorizationResponseIssParameterSupported,
	}
}

// clone returns a copy sharing nothing with m, so cached metadata cannot be
// changed through a returned value.
func (m *Metadata) clone() *Metadata {
	c := *m
	c.GrantTypesSupported = cloneStrings(m.GrantTypesSupported)
	c.TokenEndpointAuthMethodsSupported = cloneStrings(m.TokenEndpointAuthMethodsSupported)
	c.TokenEndpointAuthSigningAlgValuesSupported = cloneStrings(m.TokenEndpointAuthSigningAlgValuesSupported)
	c.CodeChallengeMethodsSupported = cloneStrings(m.CodeChallengeMethodsSupported)
	c.IDTokenSigningAlgValuesSupported = cloneStrings(m.IDTokenSigningAlgValuesSupported)
	return &c
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s...)
}

// DiscoveryError is a metadata document that could not be fetched or used:
// not found at either well-known URL, malformed, too large, or published for
// another issuer (RFC 8414 §3.3). Err, when set, is the cause, such as a
// [*NetworkError].
type DiscoveryError struct {
	Issuer     string // the issuer asked for
	URL        string // the metadata URL last tried
	StatusCode int    // the last HTTP status, 0 if none
	Reason     string
	Err        error
}

// Error implements error.
func (e *DiscoveryError) Error() string {
	s := "oauth2flows: discovery of " + strconv.Quote(e.Issuer) + " failed"
	if e.URL != "" {
		s += " at " + e.URL
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *DiscoveryError) Unwrap() error { return e.Err }

// Discover fetches the metadata of the authorization server whose issuer
// identifier is issuer (RFC 8414 §2): first at the RFC 8414 §3.1 URL, where
// "/.well-known/oauth-authorization-server" goes between host and path,
// then, if that is not found, at the OpenID Connect Discovery §4 URL, where
// "/.well-known/openid-configuration" is appended to the issuer.
//
// The document's issuer must equal issuer exactly (RFC 8414 §3.3), or
// Discover returns a [*DiscoveryError]: metadata for another issuer could
// send credentials elsewhere. The issuer must be https (http only on
// loopback) without query or fragment, else a [*ConfigError]. Redirects are
// not followed. Discover does not cache: use a [DiscoveryCache] for that.
// Any provider without a preset such as [EntraEndpoint] is reached this way:
//
//	md, err := oauth2flows.Discover(ctx, "https://issuer.example.com")
//	cfg.Endpoint = md.Endpoint()
func Discover(ctx context.Context, issuer string) (*Metadata, error) {
	md, err := discover(ctx, nil, issuer)
	return md, withOp("Discover", err)
}

// discover is Discover with an optional client.
func discover(ctx context.Context, hc *http.Client, issuer string) (*Metadata, error) {
	if ctx == nil {
		return nil, &ConfigError{Field: "ctx", Reason: "nil context"}
	}
	urls, err := wellKnownURLs(issuer)
	if err != nil {
		return nil, err
	}
	client := discoveryClient(hc)
	var absent []string
	var last *DiscoveryError
	for _, u := range urls {
		md, err := fetchMetadata(ctx, client, issuer, u)
		if err == nil {
			return md, nil
		}
		if !err.absent {
			return nil, err.DiscoveryError // unreachable, or a document that is wrong rather than missing
		}
		absent = append(absent, u+": "+err.Reason)
		last = err.DiscoveryError
	}
	return nil, &DiscoveryError{Issuer: issuer, URL: last.URL, StatusCode: last.StatusCode,
		Reason: "no metadata document (" + strings.Join(absent, "; ") + ")"}
}

// wellKnownURLs returns the RFC 8414 §3.1 and OpenID Connect Discovery §4
// metadata URLs of issuer, after checking issuer is an https URL without
// query or fragment (RFC 8414 §2).
func wellKnownURLs(issuer string) ([]string, error) {
	if err := checkURL("issuer", issuer, false); err != nil {
		if u, perr := url.Parse(issuer); perr == nil && strings.EqualFold(u.Scheme, "http") {
			return nil, &ConfigError{Field: "issuer", Reason: "plain http is refused except on loopback (RFC 8414 §2 requires https)"}
		}
		return nil, err
	}
	u, _ := url.Parse(issuer) // checkURL parsed it
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(issuer, "#") {
		return nil, &ConfigError{Field: "issuer", Reason: "must have no query or fragment (RFC 8414 §2)"}
	}
	if u.User != nil {
		return nil, &ConfigError{Field: "issuer", Reason: "must have no user information"}
	}
	origin := u.Scheme + "://" + u.Host
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	return []string{origin + wellKnownOAuth + path, origin + path + wellKnownOIDC}, nil
}

// discoveryClient copies hc, or makes a default client, that never follows
// redirects: a redirected metadata request would read another host's claims.
func discoveryClient(hc *http.Client) *http.Client {
	var c http.Client
	if hc != nil {
		c = *hc
	} else {
		c.Timeout = defaultTimeout
	}
	c.CheckRedirect = noRedirects
	return &c
}

// fetchError is a failed metadata fetch; absent means the document is not
// at this URL, so the other well-known URL may be tried.
type fetchError struct {
	*DiscoveryError
	absent bool
}

// fetchMetadata GETs one metadata URL. A non-200 status means the document
// is absent; so does a 200 whose body is not a JSON object, as catch-all
// front ends answer unknown paths with an HTML page.
func fetchMetadata(ctx context.Context, client *http.Client, issuer, target string) (*Metadata, *fetchError) {
	fail := func(status int, absent bool, reason string, cause error) (*Metadata, *fetchError) {
		return nil, &fetchError{&DiscoveryError{Issuer: issuer, URL: target, StatusCode: status, Reason: reason, Err: cause}, absent}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fail(0, false, "cannot build request", nil)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return fail(0, false, "", &NetworkError{URL: target, Err: redact.UnwrapURLError(err)})
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fail(resp.StatusCode, true, "status "+strconv.Itoa(resp.StatusCode), nil)
	}
	body, err := wire.ReadCapped(resp.Body, wire.MaxBodySize+1, resp.ContentLength)
	if err != nil {
		return fail(resp.StatusCode, false, "", &NetworkError{URL: target, Err: err})
	}
	if len(body) > wire.MaxBodySize {
		return fail(resp.StatusCode, false, fmt.Sprintf("document larger than %d bytes", wire.MaxBodySize), nil)
	}
	if t := bytes.TrimSpace(body); len(t) == 0 || t[0] != '{' {
		return fail(resp.StatusCode, true, "not a JSON object", nil)
	}
	md := &Metadata{}
	if err := json.Unmarshal(body, md); err != nil {
		return fail(resp.StatusCode, false, "malformed document", err)
	}
	if md.Issuer != issuer {
		return fail(resp.StatusCode, false, "document is for issuer "+strconv.Quote(redact.SafeText(md.Issuer, nil, 200))+
			", not an exact match (RFC 8414 §3.3)", nil)
	}
	return md, nil
}
