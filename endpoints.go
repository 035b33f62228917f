package oauth2flows

import (
	"net/url"
	"strings"
)

// EntraEndpoint returns the Microsoft Entra ID v2.0 endpoints
// (https://login.microsoftonline.com/{tenant}/oauth2/v2.0/...) for a tenant
// ID, a verified domain, or "common", "organizations" or "consumers",
// including the RFC 8628 device authorization endpoint. The issuer is set
// only for a tenant ID: Entra names a tenant by its ID in its issuer
// (https://login.microsoftonline.com/{tenant ID}/v2.0), also when the
// endpoints are addressed by a domain, and multi-tenant aliases have no
// single issuer. Without it, [ParseCallback] still accepts only an issuer
// on the host of AuthURL.
// Entra has no RFC 7009 revocation endpoint. Any other provider: use
// [Discover] with its issuer.
//
// A tenant that is empty or not a tenant ID or domain name gives an
// Endpoint that every call refuses with a [*ConfigError]: no URL is built
// from it.
func EntraEndpoint(tenant string) Endpoint {
	if bad := checkHostLabel("EntraEndpoint", "tenant", tenant); bad != "" {
		return Endpoint{invalid: bad}
	}
	base := "https://login.microsoftonline.com/" + tenant
	e := Endpoint{
		AuthURL:       base + "/oauth2/v2.0/authorize",
		TokenURL:      base + "/oauth2/v2.0/token",
		DeviceAuthURL: base + "/oauth2/v2.0/devicecode",
	}
	if isGUID(tenant) {
		e.Issuer = base + "/v2.0"
	}
	return e
}

// EntraV1Endpoint returns the Microsoft Entra ID v1 endpoints
// (https://login.microsoftonline.com/{tenant}/oauth2/...), which take a
// resource ([WithResource]) instead of scopes and answer numbers as strings.
// As with [EntraEndpoint], the issuer (https://sts.windows.net/{tenant ID}/)
// is set only for a tenant ID, and a malformed tenant is refused.
func EntraV1Endpoint(tenant string) Endpoint {
	if bad := checkHostLabel("EntraV1Endpoint", "tenant", tenant); bad != "" {
		return Endpoint{invalid: bad}
	}
	base := "https://login.microsoftonline.com/" + tenant
	e := Endpoint{
		AuthURL:       base + "/oauth2/authorize",
		TokenURL:      base + "/oauth2/token",
		DeviceAuthURL: base + "/oauth2/devicecode",
	}
	if isGUID(tenant) {
		e.Issuer = "https://sts.windows.net/" + tenant + "/"
	}
	return e
}

// Auth0Endpoint returns the endpoints of an Auth0 tenant domain such as
// "example.us.auth0.com": /authorize, /oauth/token, /oauth/revoke and the
// RFC 8628 /oauth/device/code, with issuer https://{domain}/. Auth0's token
// exchange needs [WithAudience]. A domain that is empty or not a host name
// (a URL with a scheme or a path, for instance) gives an Endpoint that
// every call refuses with a [*ConfigError].
func Auth0Endpoint(domain string) Endpoint {
	if bad := checkHostLabel("Auth0Endpoint", "domain", domain); bad != "" {
		return Endpoint{invalid: bad}
	}
	base := "https://" + domain
	return Endpoint{
		Issuer:        base + "/",
		AuthURL:       base + "/authorize",
		TokenURL:      base + "/oauth/token",
		RevocationURL: base + "/oauth/revoke",
		DeviceAuthURL: base + "/oauth/device/code",
	}
}

// GoogleEndpoint returns Google's OAuth 2.0 endpoints, including its
// RFC 8628 device authorization endpoint.
func GoogleEndpoint() Endpoint {
	return Endpoint{
		Issuer:        "https://accounts.google.com",
		AuthURL:       "https://accounts.google.com/o/oauth2/v2/auth",
		TokenURL:      "https://oauth2.googleapis.com/token",
		RevocationURL: "https://oauth2.googleapis.com/revoke",
		DeviceAuthURL: "https://oauth2.googleapis.com/device/code",
	}
}

// checkHostLabel accepts a tenant ID, a domain name or an alias: letters,
// digits, '.', '-' and '_', not empty, and no longer than a DNS name. It
// refuses what would change the URL built from it: a scheme, a path, a
// query, a port or white space.
func checkHostLabel(op, field, v string) string {
	bad := func(reason string) string {
		return "built by " + op + " from a malformed " + field + ": " + reason
	}
	if v == "" {
		return bad("empty")
	}
	if len(v) > 253 {
		return bad("longer than a domain name")
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_') {
			if strings.Contains(v, "://") {
				return bad("pass the name alone, without scheme or path")
			}
			return bad("holds " + url.QueryEscape(string(c)) + ": only letters, digits, '.', '-' and '_' are allowed")
		}
	}
	if strings.HasPrefix(v, ".") || strings.HasSuffix(v, ".") || strings.Contains(v, "..") {
		return bad("not a domain name")
	}
	return ""
}

// check reports the constructor refusal an Endpoint carries.
func (e *Endpoint) check() error {
	if e.invalid != "" {
		return &ConfigError{Field: "Config.Endpoint", Reason: e.invalid}
	}
	return nil
}
