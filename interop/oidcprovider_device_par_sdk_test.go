package interop

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

// oidcProviderConfig is a Config for one of server.mjs's clients, with the
// endpoints found by the SDK's own discovery.
func oidcProviderConfig(t *testing.T, p *oidcProvider, client string) *oauth2flows.Config {
	t.Helper()
	md, err := oauth2flows.Discover(context.Background(), p.Issuer)
	require.NoError(t, err)
	cfg := &oauth2flows.Config{ClientID: client, Endpoint: md.Endpoint(), RedirectURL: "http://127.0.0.1/cb",
		Scopes: []string{"openid"}, Retry: oauth2flows.RetryPolicy{MaxAttempts: 1}}
	if client == "conf" {
		cfg.ClientSecret = p.Secret
	}
	return cfg
}

// TestOIDCProviderPushAuthCodeURL pushes the SDK's authorization request
// (RFC 9126) to oidc-provider and follows the URL it returns: the
// authorization endpoint takes the request_uri and starts its login
// interaction instead of answering an error.
func TestOIDCProviderPushAuthCodeURL(t *testing.T) {
	p := startOIDCProvider(t)
	for _, client := range []string{"conf", "public"} {
		t.Run(client, func(t *testing.T) {
			cfg := oidcProviderConfig(t, p, client)
			require.NotEmpty(t, cfg.Endpoint.PushedAuthURL, "discovery fills PushedAuthURL")
			u, err := oauth2flows.PushAuthCodeURL(context.Background(), cfg, oauth2flows.NewState(),
				oauth2flows.WithPKCE(oauth2flows.NewVerifier()))
			require.NoError(t, err)
			pu, err := url.Parse(u)
			require.NoError(t, err)
			assert.Equal(t, cfg.Endpoint.AuthURL, pu.Scheme+"://"+pu.Host+pu.Path)
			assert.Len(t, pu.Query(), 2)
			assert.Equal(t, client, pu.Query().Get("client_id"))
			assert.True(t, strings.HasPrefix(pu.Query().Get("request_uri"), "urn:ietf:params:oauth:request_uri:"))

			noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := noFollow.Get(u)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
			assert.Contains(t, resp.Header.Get("Location"), "/interaction/", "accepted: the login starts")
		})
	}
}

// TestOIDCProviderDeviceFlow asks oidc-provider for a device code with the
// SDK, then polls with the real clock: oidc-provider sends no interval, so
// the SDK waits the RFC 8628 default of 5 s, gets authorization_pending,
// and goes on until its context ends.
func TestOIDCProviderDeviceFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("polls in real time (about 7 s)")
	}
	p := startOIDCProvider(t)
	cfg := oidcProviderConfig(t, p, "public")
	require.NotEmpty(t, cfg.Endpoint.DeviceAuthURL, "discovery fills DeviceAuthURL")
	da, err := oauth2flows.DeviceAuth(context.Background(), cfg)
	require.NoError(t, err)
	assert.NotEmpty(t, da.UserCode)
	assert.True(t, strings.HasPrefix(da.VerificationURI, p.Issuer), da.VerificationURI)
	assert.Contains(t, da.VerificationURIComplete, "user_code=")
	assert.Zero(t, da.Interval, "oidc-provider sends no interval")
	assert.False(t, da.Expiry.IsZero())

	ctx, cancel := context.WithTimeout(context.Background(), 7*time.Second)
	defer cancel()
	start := time.Now()
	tok, err := oauth2flows.DeviceAccessToken(ctx, cfg, da)
	assert.Nil(t, tok)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotContains(t, err.Error(), da.DeviceCode)
	assert.GreaterOrEqual(t, time.Since(start), 5*time.Second, "waited the default interval before polling")

	// The device code was polled once and is still pending: a direct poll says so.
	status, body := postForm(t, cfg.Endpoint.TokenURL, url.Values{"grant_type": {oauth2flows.GrantTypeDeviceCode},
		"device_code": {da.DeviceCode}, "client_id": {"public"}}, "", "")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "authorization_pending", body["error"])
}
