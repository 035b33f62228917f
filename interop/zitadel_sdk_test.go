package interop

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

// sdkConfig is the SDK Config of zitadel's web client.
func (env *zitadelEnv) sdkConfig() *oauth2flows.Config {
	return &oauth2flows.Config{
		ClientID: zitadelClient, ClientSecret: zitadelSecret,
		Endpoint: env.Endpoint, RedirectURL: zitadelRedirectURL,
	}
}

// TestZitadelTokenExchange runs RFC 8693 token exchange against zitadel's
// op package: a delegation, with audience and actor token.
func TestZitadelTokenExchange(t *testing.T) {
	env := zitadelServer(t)
	ctx := context.Background()
	user := zitadelLogin(t, env)
	actor := zitadelActorToken(t, env)

	tests := []struct {
		name          string
		opts          []oauth2flows.Option
		wantIssued    string
		wantAudiences []string
		wantActor     string
		wantRefresh   bool
	}{
		{
			name: "access token, audience and actor",
			opts: []oauth2flows.Option{
				oauth2flows.WithAudience("https://api.example"),
				oauth2flows.WithActorToken(actor, oauth2flows.TokenTypeAccessToken),
				oauth2flows.WithRequestedTokenType(oauth2flows.TokenTypeAccessToken),
			},
			wantIssued:    oauth2flows.TokenTypeAccessToken,
			wantAudiences: []string{"https://api.example"},
			wantActor:     zitadelService,
		},
		{
			name: "two audiences and a scope",
			opts: []oauth2flows.Option{
				oauth2flows.WithAudience("https://api.example"),
				oauth2flows.WithAudience("https://other.example"),
				oauth2flows.WithScopes("openid", "profile"),
				oauth2flows.WithActorToken(actor, oauth2flows.TokenTypeAccessToken),
				oauth2flows.WithRequestedTokenType(oauth2flows.TokenTypeAccessToken),
			},
			wantIssued:    oauth2flows.TokenTypeAccessToken,
			wantAudiences: []string{"https://api.example", "https://other.example"},
			wantActor:     zitadelService,
		},
		{
			// Without requested_token_type the example storage issues a
			// refresh token type, with an access token beside it.
			name: "default requested token type",
			opts: []oauth2flows.Option{
				oauth2flows.WithAudience("https://api.example"),
				oauth2flows.WithActorToken(actor, oauth2flows.TokenTypeAccessToken),
			},
			wantIssued:    oauth2flows.TokenTypeRefreshToken,
			wantAudiences: []string{"https://api.example"},
			wantActor:     zitadelService,
			wantRefresh:   true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := oauth2flows.TokenExchange(ctx, env.sdkConfig(), user.AccessToken, tc.opts...)
			require.NoError(t, err)

			got := env.Wire.lastTo(t, env.Endpoint.TokenURL)
			assert.Equal(t, oauth2flows.GrantTypeTokenExchange, got.Form.Get("grant_type"))
			assert.Equal(t, user.AccessToken, got.Form.Get("subject_token"))
			assert.Equal(t, oauth2flows.TokenTypeAccessToken, got.Form.Get("subject_token_type"))
			assert.Equal(t, tc.wantAudiences, got.Form["audience"])
			assert.Equal(t, actor, got.Form.Get("actor_token"))
			assert.Equal(t, oauth2flows.TokenTypeAccessToken, got.Form.Get("actor_token_type"))
			assert.True(t, strings.HasPrefix(got.Authorization, "Basic "), "zitadel reads token exchange client credentials from HTTP Basic only")

			parsed := env.Storage.lastExchange(t)
			assert.Equal(t, tc.wantAudiences, parsed.GetAudience())
			assert.Equal(t, tc.wantActor, parsed.GetExchangeActor())
			assert.Equal(t, zitadelUserID, parsed.GetExchangeSubject())
			assert.Equal(t, zitadelClient, parsed.GetClientID())

			assert.NotEmpty(t, tok.AccessToken)
			assert.NotEqual(t, user.AccessToken, tok.AccessToken)
			assert.Equal(t, tc.wantIssued, tok.IssuedTokenType)
			assert.Equal(t, "Bearer", tok.TokenType)
			assert.True(t, tok.IsBearer())
			assert.False(t, tok.Expiry.IsZero())
			assert.Equal(t, tc.wantRefresh, tok.RefreshToken != "")
		})
	}

	t.Run("refresh token as subject", func(t *testing.T) {
		tok, err := oauth2flows.TokenExchange(ctx, env.sdkConfig(), user.RefreshToken,
			oauth2flows.WithSubjectTokenType(oauth2flows.TokenTypeRefreshToken),
			oauth2flows.WithActorToken(actor, oauth2flows.TokenTypeAccessToken),
			oauth2flows.WithRequestedTokenType(oauth2flows.TokenTypeAccessToken))
		require.NoError(t, err)
		assert.Equal(t, oauth2flows.TokenTypeRefreshToken, env.Wire.lastTo(t, env.Endpoint.TokenURL).Form.Get("subject_token_type"))
		assert.Equal(t, zitadelUserID, env.Storage.lastExchange(t).GetExchangeSubject())
		assert.NotEmpty(t, tok.AccessToken)
	})

	errTests := []struct {
		name     string
		subject  string
		opts     []oauth2flows.Option
		cfg      func(*oauth2flows.Config)
		status   int
		code     string
		notInErr string
	}{
		// The example storage refuses impersonation of a non-admin user
		// without an actor, and reports it as a 500 server_error.
		{"no actor", user.AccessToken, []oauth2flows.Option{oauth2flows.WithAudience("https://api.example")}, nil,
			http.StatusInternalServerError, "server_error", user.AccessToken},
		{"subject token not issued by zitadel", "forged-token", []oauth2flows.Option{
			oauth2flows.WithActorToken(actor, oauth2flows.TokenTypeAccessToken)}, nil,
			http.StatusBadRequest, "invalid_request", "forged-token"},
		{"unsupported requested token type", user.AccessToken, []oauth2flows.Option{
			oauth2flows.WithActorToken(actor, oauth2flows.TokenTypeAccessToken),
			oauth2flows.WithRequestedTokenType(oauth2flows.TokenTypeSAML2)}, nil,
			http.StatusBadRequest, "invalid_request", actor},
		// zitadel reads token exchange client credentials from HTTP Basic
		// only, so client_secret_post is an unknown client there.
		{"client_secret_post", user.AccessToken, []oauth2flows.Option{
			oauth2flows.WithActorToken(actor, oauth2flows.TokenTypeAccessToken)},
			func(c *oauth2flows.Config) { c.AuthMethod = oauth2flows.ClientSecretPost },
			http.StatusUnauthorized, "invalid_client", zitadelSecret},
		{"wrong secret", user.AccessToken, nil, func(c *oauth2flows.Config) { c.ClientSecret = "wrong" },
			http.StatusUnauthorized, "invalid_client", "wrong"},
	}
	for _, tc := range errTests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := env.sdkConfig()
			if tc.cfg != nil {
				tc.cfg(cfg)
			}
			tok, err := oauth2flows.TokenExchange(ctx, cfg, tc.subject, tc.opts...)
			require.Error(t, err)
			assert.Nil(t, tok)
			var oerr *oauth2flows.Error
			require.ErrorAs(t, err, &oerr)
			assert.Equal(t, tc.status, oerr.StatusCode)
			assert.Equal(t, tc.code, oerr.Code)
			assert.NotContains(t, err.Error(), tc.notInErr)
		})
	}
}

// TestZitadelRefresh redeems the code flow's refresh token; zitadel's
// example storage rotates it and refuses the spent one.
func TestZitadelRefresh(t *testing.T) {
	env := zitadelServer(t)
	ctx := context.Background()
	cfg := env.sdkConfig()
	user := zitadelLogin(t, env)

	tok, err := oauth2flows.Refresh(ctx, cfg, user.RefreshToken)
	require.NoError(t, err)
	got := env.Wire.lastTo(t, env.Endpoint.TokenURL)
	assert.Equal(t, "refresh_token", got.Form.Get("grant_type"))
	assert.Equal(t, user.RefreshToken, got.Form.Get("refresh_token"))
	assert.True(t, strings.HasPrefix(got.Authorization, "Basic "))

	assert.NotEmpty(t, tok.AccessToken)
	assert.NotEmpty(t, tok.IDToken, "zitadel re-issues an id_token on refresh of an openid grant")
	require.NotEmpty(t, tok.RefreshToken)
	assert.NotEqual(t, user.RefreshToken, tok.RefreshToken)

	_, err = oauth2flows.Refresh(ctx, cfg, user.RefreshToken)
	var oerr *oauth2flows.Error
	require.ErrorAs(t, err, &oerr)
	assert.Equal(t, "invalid_grant", oerr.Code)
	assert.True(t, errors.Is(err, oauth2flows.ErrReauthRequired))
}

// TestZitadelRevoke revokes a refresh token, which can then no longer be
// redeemed.
func TestZitadelRevoke(t *testing.T) {
	env := zitadelServer(t)
	ctx := context.Background()
	cfg := env.sdkConfig()
	user := zitadelLogin(t, env)

	require.NoError(t, oauth2flows.Revoke(ctx, cfg, user.RefreshToken, oauth2flows.WithTokenTypeHint("refresh_token")))
	got := env.Wire.lastTo(t, env.Endpoint.RevocationURL)
	assert.Equal(t, user.RefreshToken, got.Form.Get("token"))
	assert.Equal(t, "refresh_token", got.Form.Get("token_type_hint"))

	_, err := oauth2flows.Refresh(ctx, cfg, user.RefreshToken)
	assert.True(t, errors.Is(err, oauth2flows.ErrReauthRequired), "%v", err)
}

// TestZitadelPrivateKeyJWT authenticates with private_key_jwt on zitadel's
// refresh grant: zitadel wants the issuer as the client assertion's aud,
// which Config.AssertionAudience = AudienceIssuer selects.
func TestZitadelPrivateKeyJWT(t *testing.T) {
	env := zitadelServer(t)
	ctx := context.Background()
	cfg := func(aud oauth2flows.AssertionAudience) *oauth2flows.Config {
		return &oauth2flows.Config{
			ClientID: zitadelJWTClient, Endpoint: env.Endpoint,
			PrivateKey: clientRSAKey(t), KeyID: zitadelJWTKeyID, AssertionAudience: aud,
		}
	}

	t.Run("token URL as aud is refused", func(t *testing.T) {
		user := zitadelLoginAs(t, env, zitadelJWTClient)
		_, err := oauth2flows.Refresh(ctx, cfg(oauth2flows.AudienceTokenURL), user.RefreshToken)
		var oerr *oauth2flows.Error
		require.ErrorAs(t, err, &oerr)
		// zitadel reports a client assertion with the wrong aud as
		// invalid_grant, not invalid_client: errors.Is(err, ErrReauthRequired) is then true
		// although signing in again cannot help.
		assert.Equal(t, http.StatusBadRequest, oerr.StatusCode)
		assert.Equal(t, "invalid_grant", oerr.Code)
		assert.Contains(t, oerr.Description, "audience is not valid")
		assert.True(t, errors.Is(err, oauth2flows.ErrReauthRequired))
		assert.Equal(t, env.Endpoint.TokenURL, assertionAud(t, env.Wire.lastTo(t, env.Endpoint.TokenURL)))
	})

	t.Run("issuer as aud", func(t *testing.T) {
		user := zitadelLoginAs(t, env, zitadelJWTClient)
		tok, err := oauth2flows.Refresh(ctx, cfg(oauth2flows.AudienceIssuer), user.RefreshToken)
		require.NoError(t, err)
		got := env.Wire.lastTo(t, env.Endpoint.TokenURL)
		assert.Empty(t, got.Authorization)
		assert.Equal(t, zitadelJWTClient, got.Form.Get("client_id"))
		assert.Equal(t, env.Endpoint.Issuer, assertionAud(t, got))
		assert.NotEmpty(t, tok.AccessToken)
		assert.NotEqual(t, user.RefreshToken, tok.RefreshToken)
	})
}

// assertionAud reads the aud of the client assertion a request carried.
func assertionAud(t testing.TB, got wireRequest) string {
	t.Helper()
	var claims jwt.MapClaims
	_, _, err := jwt.NewParser().ParseUnverified(got.Form.Get("client_assertion"), &claims)
	require.NoError(t, err)
	aud, err := claims.GetAudience()
	require.NoError(t, err)
	require.Len(t, aud, 1)
	return aud[0]
}

// TestZitadelAuthCode runs AuthCodeURL with PKCE, the browser step through
// the login shortcut, ParseCallbackURL and ExchangeCode against zitadel,
// with client_secret_basic and with private_key_jwt.
func TestZitadelAuthCode(t *testing.T) {
	env := zitadelServer(t)
	ctx := context.Background()
	tests := []struct {
		name string
		cfg  *oauth2flows.Config
	}{
		{"client_secret_basic", env.sdkConfig()},
		{"private_key_jwt", &oauth2flows.Config{
			ClientID: zitadelJWTClient, Endpoint: env.Endpoint, RedirectURL: zitadelRedirectURL,
			PrivateKey: clientRSAKey(t), KeyID: zitadelJWTKeyID, AssertionAudience: oauth2flows.AudienceIssuer,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Scopes = []string{"openid", "offline_access"}
			state, verifier := oauth2flows.NewState(), oauth2flows.NewVerifier()
			authURL, err := oauth2flows.BuildAuthCodeURL(cfg, state, oauth2flows.WithPKCE(verifier))
			require.NoError(t, err)

			loc := authorizeRedirect(t, authURL)
			code, err := oauth2flows.ParseCallbackURL(cfg, loc.String(), state)
			require.NoError(t, err, "redirect: %s", loc)

			tok, err := oauth2flows.ExchangeCode(ctx, cfg, code, oauth2flows.WithPKCE(verifier))
			require.NoError(t, err)
			got := env.Wire.lastTo(t, env.Endpoint.TokenURL)
			assert.Equal(t, "authorization_code", got.Form.Get("grant_type"))
			assert.Equal(t, code, got.Form.Get("code"))
			assert.Equal(t, verifier, got.Form.Get("code_verifier"))
			assert.Equal(t, zitadelRedirectURL, got.Form.Get("redirect_uri"))
			if cfg.PrivateKey != nil {
				assert.Empty(t, got.Authorization)
				assert.Equal(t, env.Endpoint.Issuer, assertionAud(t, got))
			} else {
				assert.True(t, strings.HasPrefix(got.Authorization, "Basic "))
			}

			assert.NotEmpty(t, tok.AccessToken)
			assert.Equal(t, "Bearer", tok.TokenType)
			assert.NotEmpty(t, tok.RefreshToken)
			assert.NotEmpty(t, tok.IDToken)

			// The SDK's token is a valid subject token for token exchange.
			if cfg.PrivateKey == nil {
				ex, err := oauth2flows.TokenExchange(ctx, cfg, tok.AccessToken,
					oauth2flows.WithActorToken(zitadelActorToken(t, env), oauth2flows.TokenTypeAccessToken),
					oauth2flows.WithRequestedTokenType(oauth2flows.TokenTypeAccessToken),
					oauth2flows.WithScopes())
				require.NoError(t, err)
				assert.NotEmpty(t, ex.AccessToken)
			}

			// A code is single use.
			_, err = oauth2flows.ExchangeCode(ctx, cfg, code, oauth2flows.WithPKCE(verifier))
			var oerr *oauth2flows.Error
			require.ErrorAs(t, err, &oerr)
			assert.Equal(t, "invalid_grant", oerr.Code)
		})
	}

	t.Run("wrong verifier", func(t *testing.T) {
		cfg := env.sdkConfig()
		cfg.Scopes = []string{"openid"}
		state := oauth2flows.NewState()
		loc := authorizeRedirect(t, oauth2flows.AuthCodeURL(cfg, state, oauth2flows.WithPKCE(oauth2flows.NewVerifier())))
		code, err := oauth2flows.ParseCallbackURL(cfg, loc.String(), state)
		require.NoError(t, err)
		_, err = oauth2flows.ExchangeCode(ctx, cfg, code, oauth2flows.WithPKCE(oauth2flows.NewVerifier()))
		var oerr *oauth2flows.Error
		require.ErrorAs(t, err, &oerr)
		assert.Equal(t, "invalid_grant", oerr.Code)
	})
}
