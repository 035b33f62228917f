//lint:file-ignore SA1019 the deprecated implicit and password grants are what these tests test

package interop

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

// TestFositeAuthCode runs AuthCodeURL, the browser step, ParseCallbackURL
// and ExchangeCode against fosite, with each client authentication method.
func TestFositeAuthCode(t *testing.T) {
	env := fositeServer(t)
	ctx := context.Background()
	tests := []struct {
		client string
		pkce   bool
	}{
		{fositePublicClient, true},
		{fositeBasicClient, true},
		{fositePostClient, false},
		{fositeRSAClient, true},
		{fositeECClient, true},
	}
	for _, tc := range tests {
		t.Run(tc.client, func(t *testing.T) {
			cfg := env.sdkConfig(t, tc.client)
			cfg.Scopes = []string{"openid", "offline", "read"}
			state, verifier := oauth2flows.NewState(), oauth2flows.NewVerifier()
			var opts []oauth2flows.Option
			if tc.pkce {
				opts = append(opts, oauth2flows.WithPKCE(verifier))
			}
			authURL, err := oauth2flows.BuildAuthCodeURL(cfg, state, append(opts, oauth2flows.WithParam("nonce", oauth2flows.NewState()))...)
			require.NoError(t, err)
			q := mustQuery(t, authURL)
			assert.Equal(t, "code", q.Get("response_type"))
			assert.Equal(t, tc.client, q.Get("client_id"))
			assert.Equal(t, fositeRedirectURL, q.Get("redirect_uri"))
			assert.Equal(t, "openid offline read", q.Get("scope"))
			if tc.pkce {
				assert.Equal(t, "S256", q.Get("code_challenge_method"))
				assert.NotEmpty(t, q.Get("code_challenge"))
			}

			loc := authorizeRedirect(t, authURL)
			code, err := oauth2flows.ParseCallbackURL(cfg, loc.String(), state)
			require.NoError(t, err, "redirect: %s", loc)

			tok, err := oauth2flows.ExchangeCode(ctx, cfg, code, opts...)
			require.NoError(t, err)
			got := env.Wire.lastTo(t, env.Endpoint.TokenURL)
			assert.Equal(t, "authorization_code", got.Form.Get("grant_type"))
			assert.Equal(t, code, got.Form.Get("code"))
			assert.Equal(t, fositeRedirectURL, got.Form.Get("redirect_uri"))
			assert.Empty(t, got.Form.Get("scope"))
			if tc.pkce {
				assert.Equal(t, verifier, got.Form.Get("code_verifier"))
			} else {
				assert.Empty(t, got.Form.Get("code_verifier"))
			}
			if tc.client == fositePublicClient {
				assert.Empty(t, got.Authorization)
				assert.Equal(t, tc.client, got.Form.Get("client_id"))
				assert.Empty(t, got.Form.Get("client_secret"))
			} else {
				assertClientAuth(t, got, cfg)
			}

			assert.NotEmpty(t, tok.AccessToken)
			assert.Equal(t, "Bearer", tok.TokenType)
			assert.NotEmpty(t, tok.RefreshToken)
			assert.NotEmpty(t, tok.IDToken)
			assert.ElementsMatch(t, []string{"openid", "offline", "read"}, tok.Scopes())

			// A code is single use.
			again, err := oauth2flows.ExchangeCode(ctx, cfg, code, opts...)
			assert.Nil(t, again)
			var oerr *oauth2flows.Error
			require.ErrorAs(t, err, &oerr)
			assert.Equal(t, "invalid_grant", oerr.Code)
			assert.True(t, errors.Is(err, oauth2flows.ErrReauthRequired))
			assert.NotContains(t, err.Error(), code)
		})
	}

	t.Run("wrong verifier", func(t *testing.T) {
		cfg := env.sdkConfig(t, fositePublicClient)
		cfg.Scopes = []string{"read"}
		state := oauth2flows.NewState()
		loc := authorizeRedirect(t, oauth2flows.AuthCodeURL(cfg, state, oauth2flows.WithPKCE(oauth2flows.NewVerifier())))
		code, err := oauth2flows.ParseCallbackURL(cfg, loc.String(), state)
		require.NoError(t, err)
		_, err = oauth2flows.ExchangeCode(ctx, cfg, code, oauth2flows.WithPKCE(oauth2flows.NewVerifier()))
		var oerr *oauth2flows.Error
		require.ErrorAs(t, err, &oerr)
		assert.Equal(t, "invalid_grant", oerr.Code)
	})

	t.Run("public client without PKCE is refused at the redirect", func(t *testing.T) {
		cfg := env.sdkConfig(t, fositePublicClient)
		cfg.Scopes = []string{"read"}
		state := oauth2flows.NewState()
		loc := authorizeRedirect(t, oauth2flows.AuthCodeURL(cfg, state))
		_, err := oauth2flows.ParseCallbackURL(cfg, loc.String(), state)
		var oerr *oauth2flows.Error
		require.ErrorAs(t, err, &oerr, "redirect: %s", loc)
		assert.Equal(t, 0, oerr.StatusCode)
		assert.Equal(t, "invalid_request", oerr.Code)
	})

	t.Run("forged state", func(t *testing.T) {
		cfg := env.sdkConfig(t, fositeBasicClient)
		cfg.Scopes = []string{"read"}
		loc := authorizeRedirect(t, oauth2flows.AuthCodeURL(cfg, oauth2flows.NewState()))
		_, err := oauth2flows.ParseCallbackURL(cfg, loc.String(), oauth2flows.NewState())
		assert.ErrorIs(t, err, oauth2flows.ErrStateMismatch)
	})
}

// TestFositeImplicit runs ImplicitURL and ParseImplicitResponse against
// fosite's implicit grant (deprecated by RFC 9700, still supported).
func TestFositeImplicit(t *testing.T) {
	env := fositeServer(t)
	tests := []struct {
		name   string
		scopes []string
	}{
		{"one scope", []string{"read"}},
		{"two scopes", []string{"read", "write"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := env.sdkConfig(t, fositeBasicClient)
			state := oauth2flows.NewState()
			authURL := oauth2flows.ImplicitURL(cfg, state, oauth2flows.WithScopes(tc.scopes...)) //nolint:staticcheck // the deprecated grant is what is tested
			require.NotEmpty(t, authURL)
			q := mustQuery(t, authURL)
			assert.Equal(t, "token", q.Get("response_type"))
			assert.Equal(t, fositeRedirectURL, q.Get("redirect_uri"))

			loc := authorizeRedirect(t, authURL)
			tok, err := oauth2flows.ParseImplicitResponse(loc.String(), state) //nolint:staticcheck
			require.NoError(t, err, "redirect: %s", loc)
			assert.NotEmpty(t, tok.AccessToken)
			assert.Equal(t, "Bearer", tok.TokenType, "fosite's fragment says bearer")
			assert.ElementsMatch(t, tc.scopes, tok.Scopes())
			assert.False(t, tok.Expiry.IsZero())
			assert.Empty(t, tok.RefreshToken)

			// The token is live at fosite.
			status, body := postForm(t, env.Endpoint.IntrospectionURL, url.Values{"token": {tok.AccessToken}}, fositeBasicClient, fositeSecret)
			require.Equal(t, http.StatusOK, status)
			assert.Equal(t, true, body["active"])
		})
	}

	t.Run("forged state", func(t *testing.T) {
		cfg := env.sdkConfig(t, fositeBasicClient)
		loc := authorizeRedirect(t, oauth2flows.ImplicitURL(cfg, oauth2flows.NewState(), oauth2flows.WithScopes("read"))) //nolint:staticcheck
		tok, err := oauth2flows.ParseImplicitResponse(loc.String(), oauth2flows.NewState())                               //nolint:staticcheck
		assert.Nil(t, tok)
		assert.ErrorIs(t, err, oauth2flows.ErrStateMismatch)
	})

	t.Run("scope the client may not have", func(t *testing.T) {
		cfg := env.sdkConfig(t, fositeBasicClient)
		state := oauth2flows.NewState()
		loc := authorizeRedirect(t, oauth2flows.ImplicitURL(cfg, state, oauth2flows.WithScopes("admin"))) //nolint:staticcheck
		_, err := oauth2flows.ParseImplicitResponse(loc.String(), state)                                  //nolint:staticcheck
		var oerr *oauth2flows.Error
		require.ErrorAs(t, err, &oerr, "redirect: %s", loc)
		assert.Equal(t, "invalid_scope", oerr.Code)
	})
}

// TestFositePassword runs PasswordCredentials (deprecated by RFC 9700,
// still supported) with each client authentication method.
func TestFositePassword(t *testing.T) {
	env := fositeServer(t)
	ctx := context.Background()
	for _, client := range []string{fositeBasicClient, fositePostClient, fositeRSAClient, fositeECClient} {
		t.Run(client, func(t *testing.T) {
			cfg := env.sdkConfig(t, client)
			cfg.Scopes = []string{"offline", "read"}
			tok, err := oauth2flows.PasswordCredentials(ctx, cfg, fositeUser, fositePassword) //nolint:staticcheck
			require.NoError(t, err)
			got := env.Wire.lastTo(t, env.Endpoint.TokenURL)
			assert.Equal(t, "password", got.Form.Get("grant_type"))
			assert.Equal(t, fositeUser, got.Form.Get("username"))
			assert.Equal(t, fositePassword, got.Form.Get("password"))
			assert.Equal(t, "offline read", got.Form.Get("scope"))
			assertClientAuth(t, got, cfg)

			assert.NotEmpty(t, tok.AccessToken)
			assert.NotEmpty(t, tok.RefreshToken, "offline was granted")
			assert.ElementsMatch(t, []string{"offline", "read"}, tok.Scopes())

			refreshed, err := oauth2flows.Refresh(ctx, cfg, tok.RefreshToken)
			require.NoError(t, err)
			assert.NotEqual(t, tok.RefreshToken, refreshed.RefreshToken)
		})
	}

	t.Run("wrong password", func(t *testing.T) {
		tok, err := oauth2flows.PasswordCredentials(ctx, env.sdkConfig(t, fositeBasicClient), fositeUser, "wrong-password-value") //nolint:staticcheck
		assert.Nil(t, tok)
		var oerr *oauth2flows.Error
		require.ErrorAs(t, err, &oerr)
		assert.Equal(t, http.StatusBadRequest, oerr.StatusCode)
		assert.Equal(t, "invalid_grant", oerr.Code)
		assert.NotContains(t, err.Error(), "wrong-password-value")
		assert.True(t, errors.Is(err, oauth2flows.ErrReauthRequired))
	})
}

// mustQuery returns the query of a URL.
func mustQuery(t testing.TB, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u.Query()
}
