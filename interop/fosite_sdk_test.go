package interop

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/oauth2flows/oauth2flows"
)

// sdkConfig is the SDK Config of one of the fosite clients.
func (env *fositeEnv) sdkConfig(t testing.TB, client string) *oauth2flows.Config {
	t.Helper()
	cfg := &oauth2flows.Config{ClientID: client, Endpoint: env.Endpoint, RedirectURL: fositeRedirectURL}
	switch client {
	case fositeBasicClient:
		cfg.ClientSecret, cfg.AuthMethod = fositeSecret, oauth2flows.ClientSecretBasic
	case fositePostClient:
		cfg.ClientSecret, cfg.AuthMethod = fositeSecret, oauth2flows.ClientSecretPost
	case fositeRSAClient:
		cfg.PrivateKey, cfg.KeyID = clientRSAKey(t), fositeRSAKeyID
	case fositeECClient:
		cfg.PrivateKey, cfg.KeyID = clientECKey(t), fositeECKeyID
	case fositePublicClient:
		cfg.AuthMethod = oauth2flows.NoClientAuth
	}
	return cfg
}

// assertClientAuth checks how the request authenticated the client.
func assertClientAuth(t testing.TB, got wireRequest, cfg *oauth2flows.Config) {
	t.Helper()
	switch {
	case cfg.PrivateKey != nil:
		assert.Empty(t, got.Authorization)
		assert.Equal(t, "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", got.Form.Get("client_assertion_type"))
		assert.NotEmpty(t, got.Form.Get("client_assertion"))
		assert.Empty(t, got.Form.Get("client_secret"))
	case cfg.AuthMethod == oauth2flows.ClientSecretPost:
		assert.Empty(t, got.Authorization)
		assert.Equal(t, cfg.ClientID, got.Form.Get("client_id"))
		assert.Equal(t, cfg.ClientSecret, got.Form.Get("client_secret"))
	default:
		assert.True(t, strings.HasPrefix(got.Authorization, "Basic "), "Authorization: %q", got.Authorization)
		assert.Empty(t, got.Form.Get("client_secret"))
	}
}

// TestFositeClientCredentials runs ClientCredentials with every client
// authentication method fosite supports.
func TestFositeClientCredentials(t *testing.T) {
	env := fositeServer(t)
	ctx := context.Background()
	for _, client := range []string{fositeBasicClient, fositePostClient, fositeRSAClient, fositeECClient} {
		t.Run(client, func(t *testing.T) {
			cfg := env.sdkConfig(t, client)
			tok, err := oauth2flows.ClientCredentials(ctx, cfg, oauth2flows.WithScopes("read", "write"))
			require.NoError(t, err)

			got := env.Wire.lastTo(t, env.Endpoint.TokenURL)
			assert.Equal(t, "client_credentials", got.Form.Get("grant_type"))
			assert.Equal(t, "read write", got.Form.Get("scope"))
			assert.Equal(t, "application/x-www-form-urlencoded", got.ContentType)
			assertClientAuth(t, got, cfg)

			assert.NotEmpty(t, tok.AccessToken)
			// fosite sends token_type "bearer"; the SDK canonicalises it
			// (RFC 6749 §5.1: case-insensitive).
			assert.Equal(t, "Bearer", tok.TokenType)
			assert.True(t, tok.IsBearer())
			assert.ElementsMatch(t, []string{"read", "write"}, tok.Scopes())
			assert.False(t, tok.Expiry.IsZero())
			assert.Empty(t, tok.RefreshToken)
		})
	}
}

// TestFositeClientAuthErrors checks that fosite's refusals of client
// authentication come back as *oauth2flows.Error.
func TestFositeClientAuthErrors(t *testing.T) {
	env := fositeServer(t)
	ctx := context.Background()
	tests := []struct {
		name   string
		cfg    func(*oauth2flows.Config)
		client string
	}{
		{"wrong secret, basic", func(c *oauth2flows.Config) { c.ClientSecret = "wrong" }, fositeBasicClient},
		{"basic client posting its secret", func(c *oauth2flows.Config) { c.AuthMethod = oauth2flows.ClientSecretPost }, fositeBasicClient},
		// fosite checks the client assertion's aud against its token URL only.
		{"private_key_jwt with the issuer as aud", func(c *oauth2flows.Config) { c.AssertionAudience = oauth2flows.AudienceIssuer }, fositeRSAClient},
		{"private_key_jwt with another key id", func(c *oauth2flows.Config) { c.KeyID = "unknown" }, fositeECClient},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := env.sdkConfig(t, tc.client)
			tc.cfg(cfg)
			tok, err := oauth2flows.ClientCredentials(ctx, cfg, oauth2flows.WithScopes("read"))
			require.Error(t, err)
			assert.Nil(t, tok)
			var oerr *oauth2flows.Error
			require.ErrorAs(t, err, &oerr)
			assert.Contains(t, []int{http.StatusBadRequest, http.StatusUnauthorized}, oerr.StatusCode)
			assert.Contains(t, []string{"invalid_client", "invalid_request"}, oerr.Code)
			assert.NotContains(t, err.Error(), fositeSecret)
		})
	}
}

// fositeUserToken gets a user token with a refresh token through
// golang.org/x/oauth2's password grant, so that the Refresh and Revoke tests
// do not depend on the SDK's PasswordCredentials (tested on its own).
func fositeUserToken(t testing.TB, env *fositeEnv, client string) *oauth2.Token {
	t.Helper()
	style := oauth2.AuthStyleInHeader
	if client == fositePostClient {
		style = oauth2.AuthStyleInParams
	}
	c := &oauth2.Config{
		ClientID: client, ClientSecret: fositeSecret, Scopes: []string{"offline", "read"},
		Endpoint: oauth2.Endpoint{TokenURL: env.Endpoint.TokenURL, AuthStyle: style},
	}
	tok, err := c.PasswordCredentialsToken(context.Background(), fositeUser, fositePassword)
	require.NoError(t, err)
	require.NotEmpty(t, tok.RefreshToken)
	return tok
}

// TestFositeRefresh redeems a refresh token under fosite's rotation, then
// replays the spent one: fosite's reuse detection revokes the whole family.
func TestFositeRefresh(t *testing.T) {
	env := fositeServer(t)
	ctx := context.Background()
	for _, client := range []string{fositeBasicClient, fositePostClient} {
		t.Run(client, func(t *testing.T) {
			cfg := env.sdkConfig(t, client)
			first := fositeUserToken(t, env, client)

			tok, err := oauth2flows.Refresh(ctx, cfg, first.RefreshToken)
			require.NoError(t, err)
			got := env.Wire.lastTo(t, env.Endpoint.TokenURL)
			assert.Equal(t, "refresh_token", got.Form.Get("grant_type"))
			assert.Equal(t, first.RefreshToken, got.Form.Get("refresh_token"))
			assert.Empty(t, got.Form.Get("scope"), "Refresh sends no scope unless asked")
			assertClientAuth(t, got, cfg)

			assert.NotEmpty(t, tok.AccessToken)
			assert.NotEqual(t, first.AccessToken, tok.AccessToken)
			require.NotEmpty(t, tok.RefreshToken)
			assert.NotEqual(t, first.RefreshToken, tok.RefreshToken, "fosite rotates refresh tokens")

			// Replaying the spent token is refused, and reuse detection
			// revokes the rotated one too.
			for _, rt := range []string{first.RefreshToken, tok.RefreshToken} {
				again, err := oauth2flows.Refresh(ctx, cfg, rt)
				require.Error(t, err)
				assert.Nil(t, again)
				var oerr *oauth2flows.Error
				require.ErrorAs(t, err, &oerr)
				assert.Equal(t, http.StatusBadRequest, oerr.StatusCode)
				assert.Equal(t, "invalid_grant", oerr.Code)
				assert.True(t, errors.Is(err, oauth2flows.ErrReauthRequired))
				assert.True(t, errors.Is(err, oauth2flows.ErrReauthRequired))
				assert.NotContains(t, err.Error(), rt)
			}
		})
	}
}

// TestFositeRefreshWithScopes asks for a narrower scope on refresh
// (RFC 6749 §6). fosite ignores the scope parameter of a refresh and
// re-issues the original grant: the SDK sends it and reports what came back.
func TestFositeRefreshWithScopes(t *testing.T) {
	env := fositeServer(t)
	cfg := env.sdkConfig(t, fositeBasicClient)
	first := fositeUserToken(t, env, fositeBasicClient)
	tok, err := oauth2flows.Refresh(context.Background(), cfg, first.RefreshToken, oauth2flows.WithScopes("offline"))
	require.NoError(t, err)
	assert.Equal(t, "offline", env.Wire.lastTo(t, env.Endpoint.TokenURL).Form.Get("scope"))
	assert.ElementsMatch(t, []string{"offline", "read"}, tok.Scopes(), "fosite keeps the original scope")
}

// TestFositeOnBehalfOf sends the jwt-bearer grant (RFC 7523 §2.1) as
// Entra's On-Behalf-Of does; fosite ignores requested_token_use.
func TestFositeOnBehalfOf(t *testing.T) {
	env := fositeServer(t)
	ctx := context.Background()
	for _, client := range []string{fositeBasicClient, fositePostClient, fositeRSAClient, fositeECClient} {
		t.Run(client, func(t *testing.T) {
			cfg := env.sdkConfig(t, client)
			assertion := env.userAssertion(t)
			tok, err := oauth2flows.OnBehalfOf(ctx, cfg, assertion, oauth2flows.WithScopes("read"))
			require.NoError(t, err)

			got := env.Wire.lastTo(t, env.Endpoint.TokenURL)
			assert.Equal(t, oauth2flows.GrantTypeJWTBearer, got.Form.Get("grant_type"))
			assert.Equal(t, assertion, got.Form.Get("assertion"))
			assert.Equal(t, "on_behalf_of", got.Form.Get("requested_token_use"))
			assert.Equal(t, "read", got.Form.Get("scope"))
			assertClientAuth(t, got, cfg)

			assert.NotEmpty(t, tok.AccessToken)
			assert.True(t, tok.IsBearer())
			assert.Equal(t, []string{"read"}, tok.Scopes())

			// The token is the upstream user's.
			status, body := postForm(t, env.Endpoint.IntrospectionURL, url.Values{"token": {tok.AccessToken}}, fositeBasicClient, fositeSecret)
			require.Equal(t, http.StatusOK, status)
			assert.Equal(t, true, body["active"])
			assert.Equal(t, fositeUpstreamUser, body["sub"])
		})
	}

	t.Run("replayed assertion", func(t *testing.T) {
		cfg := env.sdkConfig(t, fositeBasicClient)
		assertion := env.userAssertion(t)
		_, err := oauth2flows.OnBehalfOf(ctx, cfg, assertion, oauth2flows.WithScopes("read"))
		require.NoError(t, err)
		_, err = oauth2flows.OnBehalfOf(ctx, cfg, assertion, oauth2flows.WithScopes("read"))
		var oerr *oauth2flows.Error
		require.ErrorAs(t, err, &oerr)
		// fosite's own, unregistered error code for a replayed jti.
		assert.Equal(t, http.StatusBadRequest, oerr.StatusCode)
		assert.Equal(t, "jti_known", oerr.Code)
		assert.False(t, errors.Is(err, oauth2flows.ErrReauthRequired))
		assert.NotContains(t, err.Error(), assertion)
	})

	t.Run("scope the upstream key may not ask for", func(t *testing.T) {
		cfg := env.sdkConfig(t, fositeBasicClient)
		_, err := oauth2flows.OnBehalfOf(ctx, cfg, env.userAssertion(t), oauth2flows.WithScopes("admin"))
		var oerr *oauth2flows.Error
		require.ErrorAs(t, err, &oerr)
		assert.Equal(t, "invalid_scope", oerr.Code)
	})
}

// TestFositeRevoke revokes access and refresh tokens (RFC 7009) and checks
// with fosite's introspection endpoint that they are gone.
func TestFositeRevoke(t *testing.T) {
	env := fositeServer(t)
	ctx := context.Background()
	active := func(t *testing.T, token string) bool {
		status, body := postForm(t, env.Endpoint.IntrospectionURL, url.Values{"token": {token}}, fositeBasicClient, fositeSecret)
		require.Equal(t, http.StatusOK, status, "%v", body)
		return body["active"] == true
	}
	tests := []struct {
		name   string
		client string
		token  func(t *testing.T) string
		hint   string
	}{
		{"access token, basic", fositeBasicClient, func(t *testing.T) string { return fositeUserToken(t, env, fositeBasicClient).AccessToken }, "access_token"},
		{"refresh token, basic", fositeBasicClient, func(t *testing.T) string { return fositeUserToken(t, env, fositeBasicClient).RefreshToken }, "refresh_token"},
		{"access token, no hint", fositeBasicClient, func(t *testing.T) string { return fositeUserToken(t, env, fositeBasicClient).AccessToken }, ""},
		{"client token, private_key_jwt", fositeRSAClient, func(t *testing.T) string {
			tok, err := oauth2flows.ClientCredentials(ctx, env.sdkConfig(t, fositeRSAClient), oauth2flows.WithScopes("read"))
			require.NoError(t, err)
			return tok.AccessToken
		}, "access_token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			token := tc.token(t)
			require.True(t, active(t, token))
			var opts []oauth2flows.Option
			if tc.hint != "" {
				opts = append(opts, oauth2flows.WithTokenTypeHint(tc.hint))
			}
			cfg := env.sdkConfig(t, tc.client)
			require.NoError(t, oauth2flows.Revoke(ctx, cfg, token, opts...))

			got := env.Wire.lastTo(t, env.Endpoint.RevocationURL)
			assert.Equal(t, token, got.Form.Get("token"))
			assert.Equal(t, tc.hint, got.Form.Get("token_type_hint"))
			assert.Empty(t, got.Form.Get("grant_type"))
			assertClientAuth(t, got, cfg)
			assert.False(t, active(t, token))
		})
	}

	t.Run("unknown token is success", func(t *testing.T) {
		assert.NoError(t, oauth2flows.Revoke(ctx, env.sdkConfig(t, fositeBasicClient), "not-a-token-fosite-issued"))
	})
	t.Run("wrong secret", func(t *testing.T) {
		cfg := env.sdkConfig(t, fositeBasicClient)
		cfg.ClientSecret = "wrong"
		err := oauth2flows.Revoke(ctx, cfg, fositeUserToken(t, env, fositeBasicClient).AccessToken)
		var oerr *oauth2flows.Error
		require.ErrorAs(t, err, &oerr)
		assert.Equal(t, "invalid_client", oerr.Code)
	})
}
