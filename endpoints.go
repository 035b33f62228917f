package oauth2flows

import "net/url"

// EntraEndpoint returns the Microsoft Entra ID v2.0 endpoints
// (https://login.microsoftonline.com/{tenant}/oauth2/v2.0/...) for a tenant
// ID, a verified domain, or "common", "organizations" or "consumers".
// The issuer is set only for a specific tenant: multi-tenant aliases have
// no single issuer. Entra has no RFC 7009 revocation endpoint.
// Any other provider: use [Discover] with its issuer.
func EntraEndpoint(tenant string) Endpoint {
	base := "https://login.microsoftonline.com/" + url.PathEscape(tenant)
	e := Endpoint{
		AuthURL:  base + "/oauth2/v2.0/authorize",
		TokenURL: base + "/oauth2/v2.0/token",
	}
	if !multiTenant(tenant) {
		e.Issuer = base + "/v2.0"
	}
	return e
}

// EntraV1Endpoint returns the Microsoft Entra ID v1 endpoints
// (https://login.microsoftonline.com/{tenant}/oauth2/...), which take a
// resource ([WithResource]) instead of scopes and answer numbers as strings.
func EntraV1Endpoint(tenant string) Endpoint {
	base := "https://login.microsoftonline.com/" + url.PathEscape(tenant)
	e := Endpoint{
		AuthURL:  base + "/oauth2/authorize",
		TokenURL: base + "/oauth2/token",
	}
	if !multiTenant(tenant) {
		e.Issuer = "https://sts.windows.net/" + url.PathEscape(tenant) + "/"
	}
	return e
}

func multiTenant(tenant string) bool {
	switch tenant {
	case "common", "organizations", "consumers":
		return true
	}
	return false
}

// Auth0Endpoint returns the endpoints of an Auth0 tenant domain such as
// "example.us.auth0.com": /authorize, /oauth/token and /oauth/revoke, with
// issuer https://{domain}/. Auth0's token exchange needs [WithAudience].
func Auth0Endpoint(domain string) Endpoint {
	base := "https://" + domain
	return Endpoint{
		Issuer:        base + "/",
		AuthURL:       base + "/authorize",
		TokenURL:      base + "/oauth/token",
		RevocationURL: base + "/oauth/revoke",
	}
}

// GoogleEndpoint returns Google's OAuth 2.0 endpoints.
func GoogleEndpoint() Endpoint {
	return Endpoint{
		Issuer:        "https://accounts.google.com",
		AuthURL:       "https://accounts.google.com/o/oauth2/v2/auth",
		TokenURL:      "https://oauth2.googleapis.com/token",
		RevocationURL: "https://oauth2.googleapis.com/revoke",
	}
}
