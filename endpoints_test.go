package oauth2flows_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

// tenantID is an Entra tenant ID: a GUID.
const tenantID = "72f988bf-86f1-41af-91ab-2d7cd011db47"

func TestEndpointPresets(t *testing.T) {
	tests := []struct {
		name string
		got  oauth2flows.Endpoint
		want oauth2flows.Endpoint
	}{
		// Entra's issuer names the tenant by its ID, never by a domain.
		{"EntraV2TenantID", oauth2flows.EntraEndpoint(tenantID), oauth2flows.Endpoint{
			Issuer:        "https://login.microsoftonline.com/" + tenantID + "/v2.0",
			AuthURL:       "https://login.microsoftonline.com/" + tenantID + "/oauth2/v2.0/authorize",
			TokenURL:      "https://login.microsoftonline.com/" + tenantID + "/oauth2/v2.0/token",
			DeviceAuthURL: "https://login.microsoftonline.com/" + tenantID + "/oauth2/v2.0/devicecode"}},
		{"EntraV2Domain", oauth2flows.EntraEndpoint("contoso.onmicrosoft.com"), oauth2flows.Endpoint{
			AuthURL:       "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize",
			TokenURL:      "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
			DeviceAuthURL: "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/devicecode"}},
		{"EntraV2Common", oauth2flows.EntraEndpoint("common"), oauth2flows.Endpoint{
			AuthURL:       "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
			TokenURL:      "https://login.microsoftonline.com/common/oauth2/v2.0/token",
			DeviceAuthURL: "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode"}},
		{"EntraV1TenantID", oauth2flows.EntraV1Endpoint(tenantID), oauth2flows.Endpoint{
			Issuer:        "https://sts.windows.net/" + tenantID + "/",
			AuthURL:       "https://login.microsoftonline.com/" + tenantID + "/oauth2/authorize",
			TokenURL:      "https://login.microsoftonline.com/" + tenantID + "/oauth2/token",
			DeviceAuthURL: "https://login.microsoftonline.com/" + tenantID + "/oauth2/devicecode"}},
		{"EntraV1Domain", oauth2flows.EntraV1Endpoint("contoso.com"), oauth2flows.Endpoint{
			AuthURL:       "https://login.microsoftonline.com/contoso.com/oauth2/authorize",
			TokenURL:      "https://login.microsoftonline.com/contoso.com/oauth2/token",
			DeviceAuthURL: "https://login.microsoftonline.com/contoso.com/oauth2/devicecode"}},
		{"EntraV1", oauth2flows.EntraV1Endpoint("organizations"), oauth2flows.Endpoint{
			AuthURL:       "https://login.microsoftonline.com/organizations/oauth2/authorize",
			TokenURL:      "https://login.microsoftonline.com/organizations/oauth2/token",
			DeviceAuthURL: "https://login.microsoftonline.com/organizations/oauth2/devicecode"}},
		{"Auth0", oauth2flows.Auth0Endpoint("example.us.auth0.com"), oauth2flows.Endpoint{
			Issuer:        "https://example.us.auth0.com/",
			AuthURL:       "https://example.us.auth0.com/authorize",
			TokenURL:      "https://example.us.auth0.com/oauth/token",
			RevocationURL: "https://example.us.auth0.com/oauth/revoke",
			DeviceAuthURL: "https://example.us.auth0.com/oauth/device/code"}},
		{"Google", oauth2flows.GoogleEndpoint(), oauth2flows.Endpoint{
			Issuer:        "https://accounts.google.com",
			AuthURL:       "https://accounts.google.com/o/oauth2/v2/auth",
			TokenURL:      "https://oauth2.googleapis.com/token",
			RevocationURL: "https://oauth2.googleapis.com/revoke",
			DeviceAuthURL: "https://oauth2.googleapis.com/device/code"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, tt.got) })
	}
}

// A preset built from malformed input builds no URL: the first call that
// needs one is refused with a *ConfigError, and nothing is sent.
func TestEndpointPresetsRefuseMalformedInput(t *testing.T) {
	tests := []struct {
		name string
		ep   oauth2flows.Endpoint
		want string
	}{
		{"EntraEmptyTenant", oauth2flows.EntraEndpoint(""), "EntraEndpoint"},
		{"EntraTenantWithSlash", oauth2flows.EntraEndpoint("contoso/../evil"), "EntraEndpoint"},
		{"EntraV1EmptyTenant", oauth2flows.EntraV1Endpoint(""), "EntraV1Endpoint"},
		{"EntraTenantWithQuery", oauth2flows.EntraEndpoint("common?x=y"), "EntraEndpoint"},
		{"Auth0Empty", oauth2flows.Auth0Endpoint(""), "Auth0Endpoint"},
		{"Auth0WithScheme", oauth2flows.Auth0Endpoint("https://example.auth0.com"), "Auth0Endpoint"},
		{"Auth0WithPath", oauth2flows.Auth0Endpoint("example.auth0.com/x"), "Auth0Endpoint"},
		{"Auth0WithUserinfo", oauth2flows.Auth0Endpoint("user@evil.example"), "Auth0Endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Empty(t, tt.ep.TokenURL, "no URL is built from malformed input")
			assert.Empty(t, tt.ep.AuthURL)
			cfg := &oauth2flows.Config{ClientID: "app", ClientSecret: "s3cret-value", Endpoint: tt.ep}

			_, err := oauth2flows.ClientCredentials(context.Background(), cfg)
			var ce *oauth2flows.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "ClientCredentials", ce.Op)
			assert.Equal(t, "Config.Endpoint", ce.Field)
			assert.Contains(t, ce.Reason, tt.want)

			_, err = oauth2flows.BuildAuthCodeURL(cfg, "st")
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "Config.Endpoint", ce.Field)
			assert.Empty(t, oauth2flows.AuthCodeURL(cfg, "st"))
		})
	}
}

func TestMetadataEndpointRecordsDevicePARAndIss(t *testing.T) {
	md := oauth2flows.Metadata{
		Issuer:                                     "https://as.example",
		AuthorizationEndpoint:                      "https://as.example/authorize",
		TokenEndpoint:                              "https://as.example/token",
		DeviceAuthorizationEndpoint:                "https://as.example/device",
		PushedAuthorizationRequestEndpoint:         "https://as.example/par",
		RequirePushedAuthorizationRequests:         true,
		AuthorizationResponseIssParameterSupported: true,
	}
	ep := md.Endpoint()
	assert.Equal(t, "https://as.example/device", ep.DeviceAuthURL)
	assert.Equal(t, "https://as.example/par", ep.PushedAuthURL)
	assert.True(t, ep.RequirePushedAuthRequests)
	assert.True(t, ep.AuthResponseIssParameterSupported)
}

// TestEntraDomainTenantAcceptsItsIssuer: with a domain, EntraEndpoint set
// the issuer https://login.microsoftonline.com/{domain}/v2.0, which Entra
// never sends (its issuer names the tenant ID), so an RFC 9207 iss in the
// authorization response was refused as a mix-up.
func TestEntraDomainTenantAcceptsItsIssuer(t *testing.T) {
	cfg := &oauth2flows.Config{ClientID: "app", Endpoint: oauth2flows.EntraEndpoint("contoso.onmicrosoft.com")}
	iss := "https://login.microsoftonline.com/" + tenantID + "/v2.0"
	code, err := oauth2flows.ParseCallbackURL(cfg, "https://app.example/cb?code=c0de&state=st&iss="+url.QueryEscape(iss), "st")
	require.NoError(t, err)
	assert.Equal(t, "c0de", code)

	_, err = oauth2flows.ParseCallbackURL(cfg, "https://app.example/cb?code=c0de&state=st&iss="+url.QueryEscape("https://evil.example/"+tenantID+"/v2.0"), "st")
	assert.ErrorIs(t, err, oauth2flows.ErrIssuerMismatch, "another host is still a mix-up")
}
