package oauth2flows_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// passwordToken gets a token with a refresh token for the user, through the
// password grant, as a starting point for refresh and revoke tests.
//
//nolint:staticcheck // the deprecated password grant is a convenient fixture
func passwordToken(t *testing.T, cfg *oauth2flows.Config, lw *leakWatch) *oauth2flows.Token {
	t.Helper()
	tok, err := oauth2flows.PasswordCredentials(context.Background(), cfg, gUser, gPassword)
	require.NoError(t, lw.err(err))
	require.NotEmpty(t, tok.RefreshToken)
	lw.secret(tok.AccessToken, tok.RefreshToken)
	return tok
}

//nolint:staticcheck // the deprecated password grant is tested on purpose
func TestPasswordCredentials(t *testing.T) {
	tests := []struct {
		name     string
		password string
		opts     []oauth2flows.Option
		wantCode string
		check    func(t *testing.T, tok *oauth2flows.Token, got oauth2flowstest.Request)
	}{
		{
			name: "Granted", password: gPassword,
			check: func(t *testing.T, tok *oauth2flows.Token, got oauth2flowstest.Request) {
				assert.Equal(t, "read write", got.Form.Get("scope"))
				assert.NotEmpty(t, tok.AccessToken)
				assert.NotEmpty(t, tok.RefreshToken)
				assert.Equal(t, []string{"read", "write"}, tok.Scopes())
			},
		},
		{
			name: "WithScopes", password: gPassword, opts: []oauth2flows.Option{oauth2flows.WithScopes("read")},
			check: func(t *testing.T, tok *oauth2flows.Token, got oauth2flowstest.Request) {
				assert.Equal(t, "read", got.Form.Get("scope"))
				assert.Equal(t, "read", tok.Scope)
			},
		},
		{name: "WrongPassword", password: "not-" + gPassword, wantCode: "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := grantServer(t)
			lw := watchLeaks(t, srv)
			lw.secret(tt.password)
			tok, err := oauth2flows.PasswordCredentials(context.Background(), confidential(srv), gUser, tt.password, tt.opts...)
			lw.err(err)

			reqs := srv.RequestsTo(oauth2flowstest.EndpointToken)
			require.Len(t, reqs, 1)
			got := reqs[0]
			assert.Equal(t, "password", got.Form.Get("grant_type"))
			assert.Equal(t, gUser, got.Form.Get("username"))
			assert.Equal(t, tt.password, got.Form.Get("password"))
			assert.Equal(t, oauth2flowstest.AuthClientSecretBasic, got.AuthMethod)
			assert.Equal(t, gClientID, got.ClientID)

			if tt.wantCode != "" {
				var e *oauth2flows.Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, tt.wantCode, e.Code)
				assert.Nil(t, tok)
				return
			}
			require.NoError(t, err)
			lw.secret(tok.AccessToken, tok.RefreshToken)
			tt.check(t, tok, got)
		})
	}
}

//nolint:staticcheck // the deprecated password grant is tested on purpose
func TestPasswordCredentialsRefusesEmptyUsernameBeforeSending(t *testing.T) {
	srv := grantServer(t)
	_, err := oauth2flows.PasswordCredentials(context.Background(), confidential(srv), "", gPassword)
	var ce *oauth2flows.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "username", ce.Field)
	assert.Empty(t, srv.Requests())
}

func TestClientCredentials(t *testing.T) {
	tests := []struct {
		name       string
		cfg        func(*oauth2flowstest.Server) *oauth2flows.Config
		opts       []oauth2flows.Option
		wantMethod string
		wantScope  string
		wantCode   string
	}{
		{name: "SecretBasicWithConfigScopes", cfg: confidential, wantMethod: oauth2flowstest.AuthClientSecretBasic, wantScope: "read write"},
		{name: "SecretPostWithScopesOption", cfg: func(s *oauth2flowstest.Server) *oauth2flows.Config {
			c := confidential(s)
			c.AuthMethod = oauth2flows.ClientSecretPost
			return c
		}, opts: []oauth2flows.Option{oauth2flows.WithScopes("read")}, wantMethod: oauth2flowstest.AuthClientSecretPost, wantScope: "read"},
		{name: "PublicClientRefused", cfg: public, wantMethod: oauth2flowstest.AuthNone, wantScope: "read write", wantCode: "unauthorized_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := grantServer(t)
			lw := watchLeaks(t, srv)
			cfg := tt.cfg(srv)
			tok, err := oauth2flows.ClientCredentials(context.Background(), cfg, tt.opts...)
			lw.err(err)

			reqs := srv.RequestsTo(oauth2flowstest.EndpointToken)
			require.Len(t, reqs, 1)
			got := reqs[0]
			assert.Equal(t, "client_credentials", got.Form.Get("grant_type"))
			assert.Equal(t, tt.wantScope, got.Form.Get("scope"))
			assert.Equal(t, tt.wantMethod, got.AuthMethod)
			if tt.wantCode != "" {
				var e *oauth2flows.Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, tt.wantCode, e.Code)
				return
			}
			require.NoError(t, err)
			lw.secret(tok.AccessToken)
			assert.Empty(t, tok.RefreshToken, "RFC 6749 §4.4.3: no refresh token")
			claims, err := srv.VerifyAccessToken(tok.AccessToken)
			require.NoError(t, err)
			assert.Equal(t, gClientID, claims.Subject)
		})
	}
}

func TestRefresh(t *testing.T) {
	ctx := context.Background()
	t.Run("ReturnsTheNewRefreshTokenUnderRotation", func(t *testing.T) {
		srv := grantServer(t)
		lw := watchLeaks(t, srv)
		cfg := confidential(srv)
		old := passwordToken(t, cfg, lw)
		srv.ResetRequests()

		tok, err := oauth2flows.Refresh(ctx, cfg, old.RefreshToken)
		require.NoError(t, lw.err(err))
		lw.secret(tok.AccessToken, tok.RefreshToken)
		reqs := srv.RequestsTo(oauth2flowstest.EndpointToken)
		require.Len(t, reqs, 1)
		assert.Equal(t, "refresh_token", reqs[0].Form.Get("grant_type"))
		assert.Equal(t, old.RefreshToken, reqs[0].Form.Get("refresh_token"))
		assert.False(t, reqs[0].Form.Has("scope"), "by default the originally granted scope is re-issued")
		assert.Equal(t, oauth2flowstest.AuthClientSecretBasic, reqs[0].AuthMethod)

		assert.NotEmpty(t, tok.RefreshToken)
		assert.NotEqual(t, old.RefreshToken, tok.RefreshToken, "rotated")
		assert.NotEqual(t, old.AccessToken, tok.AccessToken)
		assert.Equal(t, "read write", tok.Scope)
	})
	t.Run("KeepsOldRefreshTokenWhenNoneIssued", func(t *testing.T) {
		srv := grantServer(t, oauth2flowstest.WithRefreshTokenPolicy(oauth2flowstest.NoRotation))
		lw := watchLeaks(t, srv)
		cfg := confidential(srv)
		old := passwordToken(t, cfg, lw)

		tok, err := oauth2flows.Refresh(ctx, cfg, old.RefreshToken, oauth2flows.WithScopes("read"))
		require.NoError(t, lw.err(err))
		reqs := srv.RequestsTo(oauth2flowstest.EndpointToken)
		require.Len(t, reqs, 2)
		assert.Equal(t, "read", reqs[1].Form.Get("scope"))
		assert.Equal(t, old.RefreshToken, tok.RefreshToken)
		assert.Equal(t, "read", tok.Scope)
	})
	t.Run("ReusedRotatedRefreshTokenIsRefused", func(t *testing.T) {
		srv := grantServer(t)
		lw := watchLeaks(t, srv)
		cfg := confidential(srv)
		old := passwordToken(t, cfg, lw)
		newer, err := oauth2flows.Refresh(ctx, cfg, old.RefreshToken)
		require.NoError(t, lw.err(err))
		lw.secret(newer.AccessToken, newer.RefreshToken)

		_, err = oauth2flows.Refresh(ctx, cfg, old.RefreshToken)
		var e *oauth2flows.Error
		require.ErrorAs(t, lw.err(err), &e)
		assert.Equal(t, http.StatusBadRequest, e.StatusCode)
		assert.Equal(t, "invalid_grant", e.Code)
		assert.True(t, errors.Is(err, oauth2flows.ErrReauthRequired))
		assert.True(t, errors.Is(err, oauth2flows.ErrReauthRequired))

		// RFC 9700 §4.14.2: reuse revokes the family, the newer token included.
		_, err = oauth2flows.Refresh(ctx, cfg, newer.RefreshToken)
		assert.ErrorIs(t, lw.err(err), oauth2flows.ErrReauthRequired)
		assert.Len(t, srv.RequestsTo(oauth2flowstest.EndpointToken), 4, "no retries of a refused refresh")
	})
	t.Run("RevokedRefreshTokenIsRefused", func(t *testing.T) {
		srv := grantServer(t)
		lw := watchLeaks(t, srv)
		cfg := confidential(srv)
		old := passwordToken(t, cfg, lw)
		require.NoError(t, lw.err(oauth2flows.Revoke(ctx, cfg, old.RefreshToken, oauth2flows.WithTokenTypeHint("refresh_token"))))

		_, err := oauth2flows.Refresh(ctx, cfg, old.RefreshToken)
		var e *oauth2flows.Error
		require.ErrorAs(t, lw.err(err), &e)
		assert.Equal(t, "invalid_grant", e.Code)
		assert.ErrorIs(t, err, oauth2flows.ErrReauthRequired)
		_, verr := srv.VerifyAccessToken(old.AccessToken)
		assert.Error(t, verr, "revoking the refresh token revokes its access tokens")
	})
	t.Run("EmptyRefreshTokenRefusedBeforeSending", func(t *testing.T) {
		srv := grantServer(t)
		_, err := oauth2flows.Refresh(ctx, confidential(srv), "")
		var ce *oauth2flows.ConfigError
		require.ErrorAs(t, err, &ce)
		assert.Empty(t, srv.Requests())
	})
}

func TestRevoke(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		setup func(t *testing.T, srv *oauth2flowstest.Server, cfg *oauth2flows.Config, lw *leakWatch) (token string, opts []oauth2flows.Option)
		// wantRequests is how many requests the revocation endpoint saw.
		wantRequests int
		check        func(t *testing.T, srv *oauth2flowstest.Server, err error, token string, got []oauth2flowstest.Request)
	}{
		{
			name: "AccessTokenWithHint",
			setup: func(t *testing.T, srv *oauth2flowstest.Server, cfg *oauth2flows.Config, lw *leakWatch) (string, []oauth2flows.Option) {
				return passwordToken(t, cfg, lw).AccessToken, []oauth2flows.Option{oauth2flows.WithTokenTypeHint("access_token")}
			},
			wantRequests: 1,
			check: func(t *testing.T, srv *oauth2flowstest.Server, err error, token string, got []oauth2flowstest.Request) {
				require.NoError(t, err)
				assert.Equal(t, token, got[0].Form.Get("token"))
				assert.Equal(t, "access_token", got[0].Form.Get("token_type_hint"))
				assert.Equal(t, oauth2flowstest.AuthClientSecretBasic, got[0].AuthMethod, "same client authentication as the token endpoint")
				assert.Equal(t, gClientID, got[0].ClientID)
				assert.False(t, got[0].Form.Has("grant_type"))
				_, verr := srv.VerifyAccessToken(token)
				assert.Error(t, verr, "the token is revoked")
			},
		},
		{
			name: "UnknownTokenIsSuccess",
			setup: func(t *testing.T, srv *oauth2flowstest.Server, cfg *oauth2flows.Config, lw *leakWatch) (string, []oauth2flows.Option) {
				return "never-issued-token-value", nil
			},
			wantRequests: 1,
			check: func(t *testing.T, srv *oauth2flowstest.Server, err error, token string, got []oauth2flowstest.Request) {
				require.NoError(t, err, "RFC 7009 §2.2: an unknown token is not an error")
				assert.Equal(t, http.StatusOK, got[0].Status)
				assert.False(t, got[0].Form.Has("token_type_hint"))
			},
		},
		{
			name: "MissingRevocationURLSendsNothing",
			setup: func(t *testing.T, srv *oauth2flowstest.Server, cfg *oauth2flows.Config, lw *leakWatch) (string, []oauth2flows.Option) {
				cfg.Endpoint.RevocationURL = ""
				return "some-token-value", nil
			},
			check: func(t *testing.T, srv *oauth2flowstest.Server, err error, token string, got []oauth2flowstest.Request) {
				var ce *oauth2flows.ConfigError
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, "Config.Endpoint.RevocationURL", ce.Field)
				assert.Empty(t, srv.Requests(), "no request at all")
			},
		},
		{
			name: "ServiceUnavailableCarriesRetryAfter",
			setup: func(t *testing.T, srv *oauth2flowstest.Server, cfg *oauth2flows.Config, lw *leakWatch) (string, []oauth2flows.Option) {
				srv.InjectFault(oauth2flowstest.EndpointRevoke, 1, oauth2flowstest.Fault{
					Status: http.StatusServiceUnavailable, RetryAfter: "7",
					Body: `{"error":"temporarily_unavailable"}`,
				})
				return "some-token-value", nil
			},
			wantRequests: 1,
			check: func(t *testing.T, srv *oauth2flowstest.Server, err error, token string, got []oauth2flowstest.Request) {
				var e *oauth2flows.Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, http.StatusServiceUnavailable, e.StatusCode)
				assert.Equal(t, "temporarily_unavailable", e.Code)
				assert.Equal(t, 7*time.Second, e.RetryAfter)
			},
		},
		{
			name: "OtherClientsTokenIsAnError",
			setup: func(t *testing.T, srv *oauth2flowstest.Server, cfg *oauth2flows.Config, lw *leakWatch) (string, []oauth2flows.Option) {
				tok := passwordToken(t, cfg, lw)
				cfg.ClientID, cfg.ClientSecret = "other-app", "other-s3cret-value"
				return tok.RefreshToken, nil
			},
			wantRequests: 1,
			check: func(t *testing.T, srv *oauth2flowstest.Server, err error, token string, got []oauth2flowstest.Request) {
				var e *oauth2flows.Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, "unauthorized_client", e.Code)
			},
		},
		{
			name: "WrongSecretIsInvalidClient",
			setup: func(t *testing.T, srv *oauth2flowstest.Server, cfg *oauth2flows.Config, lw *leakWatch) (string, []oauth2flows.Option) {
				cfg.ClientSecret = "wrong-s3cret-value"
				lw.secret(cfg.ClientSecret)
				return "some-token-value", nil
			},
			wantRequests: 1,
			check: func(t *testing.T, srv *oauth2flowstest.Server, err error, token string, got []oauth2flowstest.Request) {
				var e *oauth2flows.Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, http.StatusUnauthorized, e.StatusCode)
				assert.Equal(t, "invalid_client", e.Code)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := grantServer(t, oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "other-app", Secret: "other-s3cret-value"}))
			lw := watchLeaks(t, srv)
			lw.secret("other-s3cret-value", "some-token-value", "never-issued-token-value")
			cfg := confidential(srv)
			token, opts := tt.setup(t, srv, cfg, lw)
			err := lw.err(oauth2flows.Revoke(ctx, cfg, token, opts...))
			got := srv.RequestsTo(oauth2flowstest.EndpointRevoke)
			assert.Len(t, got, tt.wantRequests)
			tt.check(t, srv, err, token, got)
		})
	}
}

func TestLeakWatchFindsACredentialInAnErrorString(t *testing.T) {
	srv := grantServer(t)
	_, _ = oauth2flows.ClientCredentials(context.Background(), confidential(srv))
	w := &leakWatch{secrets: []string{gPassword}}
	w.err(errors.New("oauth2flows: clean"))
	w.err(errors.New("oauth2flows: echoed " + gPassword))
	w.err(errors.New("oauth2flows: server said Basic " + srv.RequestsTo(oauth2flowstest.EndpointToken)[0].Header.Get("Authorization")))
	assert.Len(t, w.leaks(srv), 2)
}
