package oauth2flows_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

func TestAuthCodeFlowEndToEnd(t *testing.T) {
	tests := []struct {
		name       string
		cfg        func(*oauth2flowstest.Server) *oauth2flows.Config
		wantMethod string
		wantAuthz  bool // Authorization header on the token request
	}{
		{name: "ConfidentialClientSecretBasic", cfg: confidential, wantMethod: oauth2flowstest.AuthClientSecretBasic, wantAuthz: true},
		{name: "ConfidentialClientSecretPost", cfg: func(s *oauth2flowstest.Server) *oauth2flows.Config {
			c := confidential(s)
			c.AuthMethod = oauth2flows.ClientSecretPost
			return c
		}, wantMethod: oauth2flowstest.AuthClientSecretPost},
		{name: "PublicClient", cfg: public, wantMethod: oauth2flowstest.AuthNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := grantServer(t)
			lw := watchLeaks(t, srv)
			cfg := tt.cfg(srv)
			state, verifier := oauth2flows.NewState(), oauth2flows.NewVerifier()

			// The user agent goes to the authorization endpoint and back.
			loc := authorize(t, srv, oauth2flows.AuthCodeURL(cfg, state, oauth2flows.WithPKCE(verifier), oauth2flows.WithParam("prompt", "consent")))
			authz := srv.RequestsTo(oauth2flowstest.EndpointAuthorize)
			require.Len(t, authz, 1)
			assert.Equal(t, "code", authz[0].Form.Get("response_type"))
			assert.Equal(t, cfg.ClientID, authz[0].Form.Get("client_id"))
			assert.Equal(t, gRedirect, authz[0].Form.Get("redirect_uri"))
			assert.Equal(t, "read write", authz[0].Form.Get("scope"))
			assert.Equal(t, state, authz[0].Form.Get("state"))
			assert.Equal(t, "consent", authz[0].Form.Get("prompt"))
			assert.Equal(t, oauth2flows.S256Challenge(verifier), authz[0].Form.Get("code_challenge"))
			assert.Equal(t, "S256", authz[0].Form.Get("code_challenge_method"))
			assert.False(t, authz[0].Form.Has("code_verifier"))

			// The callback checks state and RFC 9207 iss, and yields the code.
			r := httptest.NewRequest(http.MethodGet, loc, nil)
			code, err := oauth2flows.ParseCallback(cfg, r, state)
			require.NoError(t, lw.err(err))
			lw.secret(code)
			assert.Contains(t, loc, "iss=", "the server sends RFC 9207 iss, checked against Endpoint.Issuer")

			tok, err := oauth2flows.ExchangeCode(context.Background(), cfg, code, oauth2flows.WithPKCE(verifier))
			require.NoError(t, lw.err(err))
			lw.secret(tok.AccessToken, tok.RefreshToken)

			reqs := srv.RequestsTo(oauth2flowstest.EndpointToken)
			require.Len(t, reqs, 1)
			got := reqs[0]
			assert.Equal(t, http.StatusOK, got.Status)
			assert.Equal(t, tt.wantMethod, got.AuthMethod)
			assert.Equal(t, cfg.ClientID, got.ClientID)
			assert.Equal(t, tt.wantAuthz, got.Header.Get("Authorization") != "")
			assert.Equal(t, "authorization_code", got.Form.Get("grant_type"))
			assert.Equal(t, code, got.Form.Get("code"))
			assert.Equal(t, gRedirect, got.Form.Get("redirect_uri"))
			assert.Equal(t, verifier, got.Form.Get("code_verifier"))
			assert.False(t, got.Form.Has("scope"), "the code carries the scope")
			if tt.wantMethod != oauth2flowstest.AuthClientSecretPost {
				assert.False(t, got.Form.Has("client_secret"))
			}

			assert.NotEmpty(t, tok.AccessToken)
			assert.NotEmpty(t, tok.RefreshToken)
			assert.Equal(t, "Bearer", tok.TokenType)
			assert.Equal(t, []string{"read", "write"}, tok.Scopes())
			claims, err := srv.VerifyAccessToken(tok.AccessToken)
			require.NoError(t, err)
			assert.Equal(t, gUser, claims.Subject)
		})
	}
}

func TestAuthCodeFlowRefusals(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T, srv *oauth2flowstest.Server, lw *leakWatch) error
		// wantTokenRequests is how many requests the token endpoint saw.
		wantTokenRequests int
		check             func(t *testing.T, err error)
	}{
		{
			name: "WrongState",
			run: func(t *testing.T, srv *oauth2flowstest.Server, lw *leakWatch) error {
				cfg := confidential(srv)
				loc := authorize(t, srv, oauth2flows.AuthCodeURL(cfg, oauth2flows.NewState()))
				_, err := oauth2flows.ParseCallbackURL(cfg, loc, oauth2flows.NewState())
				return err
			},
			check: func(t *testing.T, err error) {
				assert.ErrorIs(t, err, oauth2flows.ErrStateMismatch)
				var ce *oauth2flows.CallbackError
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, "state", ce.Param)
			},
		},
		{
			name: "ErrorRedirect",
			run: func(t *testing.T, srv *oauth2flowstest.Server, lw *leakWatch) error {
				// A public client without PKCE is refused by the server (RFC 9700
				// §2.1.1), which redirects back with an error.
				cfg := public(srv)
				state := oauth2flows.NewState()
				loc := authorize(t, srv, oauth2flows.AuthCodeURL(cfg, state))
				_, err := oauth2flows.ParseCallbackURL(cfg, loc, state)
				return err
			},
			check: func(t *testing.T, err error) {
				var e *oauth2flows.Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, 0, e.StatusCode, "read from a redirect, not an HTTP response")
				assert.Equal(t, "invalid_request", e.Code)
				assert.Contains(t, e.Description, "PKCE")
			},
		},
		{
			name: "LoginRequiredRedirectMeansReauth",
			run: func(t *testing.T, srv *oauth2flowstest.Server, lw *leakWatch) error {
				cfg := confidential(srv)
				state := oauth2flows.NewState()
				loc := authorize(t, srv, oauth2flows.AuthCodeURL(cfg, state, oauth2flows.WithParam("login_hint", "mallory")))
				_, err := oauth2flows.ParseCallbackURL(cfg, loc, state)
				return err
			},
			check: func(t *testing.T, err error) {
				assert.ErrorIs(t, err, oauth2flows.ErrReauthRequired)
			},
		},
		{
			name: "IssuerMismatch",
			run: func(t *testing.T, srv *oauth2flowstest.Server, lw *leakWatch) error {
				cfg := confidential(srv)
				state := oauth2flows.NewState()
				loc := authorize(t, srv, oauth2flows.AuthCodeURL(cfg, state))
				cfg.Endpoint.Issuer = "https://other-issuer.example"
				_, err := oauth2flows.ParseCallbackURL(cfg, loc, state)
				return err
			},
			check: func(t *testing.T, err error) { assert.ErrorIs(t, err, oauth2flows.ErrIssuerMismatch) },
		},
		{
			name: "CodeRedeemedTwice",
			run: func(t *testing.T, srv *oauth2flowstest.Server, lw *leakWatch) error {
				cfg := confidential(srv)
				code, verifier := codeFor(t, srv, cfg)
				lw.secret(code, verifier)
				_, err := oauth2flows.ExchangeCode(ctx, cfg, code, oauth2flows.WithPKCE(verifier))
				require.NoError(t, lw.err(err))
				_, err = oauth2flows.ExchangeCode(ctx, cfg, code, oauth2flows.WithPKCE(verifier))
				return err
			},
			wantTokenRequests: 2,
			check: func(t *testing.T, err error) {
				var e *oauth2flows.Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, http.StatusBadRequest, e.StatusCode)
				assert.Equal(t, "invalid_grant", e.Code)
				assert.ErrorIs(t, err, oauth2flows.ErrReauthRequired)
			},
		},
		{
			name: "WrongPKCEVerifier",
			run: func(t *testing.T, srv *oauth2flowstest.Server, lw *leakWatch) error {
				cfg := confidential(srv)
				code, verifier := codeFor(t, srv, cfg)
				lw.secret(code, verifier)
				_, err := oauth2flows.ExchangeCode(ctx, cfg, code, oauth2flows.WithPKCE(oauth2flows.NewVerifier()))
				return err
			},
			wantTokenRequests: 1,
			check: func(t *testing.T, err error) {
				var e *oauth2flows.Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, "invalid_grant", e.Code)
				assert.Contains(t, e.Description, "code_verifier")
			},
		},
		{
			name: "MissingPKCEVerifier",
			run: func(t *testing.T, srv *oauth2flowstest.Server, lw *leakWatch) error {
				cfg := confidential(srv)
				code, _ := codeFor(t, srv, cfg)
				lw.secret(code)
				_, err := oauth2flows.ExchangeCode(ctx, cfg, code)
				return err
			},
			wantTokenRequests: 1,
			check: func(t *testing.T, err error) {
				var e *oauth2flows.Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, "invalid_grant", e.Code)
			},
		},
		{
			name: "MalformedVerifierRefusedBeforeSending",
			run: func(t *testing.T, srv *oauth2flowstest.Server, lw *leakWatch) error {
				_, err := oauth2flows.ExchangeCode(ctx, confidential(srv), "some-code-value", oauth2flows.WithPKCE("short"))
				return err
			},
			check: func(t *testing.T, err error) {
				var ce *oauth2flows.ConfigError
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, "WithPKCE", ce.Field)
			},
		},
		{
			name: "EmptyCodeRefusedBeforeSending",
			run: func(t *testing.T, srv *oauth2flowstest.Server, lw *leakWatch) error {
				_, err := oauth2flows.ExchangeCode(ctx, confidential(srv), "")
				return err
			},
			check: func(t *testing.T, err error) {
				var ce *oauth2flows.ConfigError
				require.ErrorAs(t, err, &ce)
			},
		},
		{
			name: "PublicClientAgainstSecretOnlyServer",
			run: func(t *testing.T, srv *oauth2flowstest.Server, lw *leakWatch) error {
				// The confidential client, registered with a secret, is used as
				// if it were public: PKCE gets a code, but the token endpoint
				// insists on the secret.
				cfg := confidential(srv)
				code, verifier := codeFor(t, srv, cfg)
				lw.secret(code, verifier)
				cfg.ClientSecret = ""
				_, err := oauth2flows.ExchangeCode(ctx, cfg, code, oauth2flows.WithPKCE(verifier))
				reqs := srv.RequestsTo(oauth2flowstest.EndpointToken)
				require.Len(t, reqs, 1)
				assert.Equal(t, gClientID, reqs[0].Form.Get("client_id"), "a public client names itself in the body")
				assert.Empty(t, reqs[0].Header.Get("Authorization"))
				assert.False(t, reqs[0].Form.Has("client_secret"))
				return err
			},
			wantTokenRequests: 1,
			check: func(t *testing.T, err error) {
				var e *oauth2flows.Error
				require.ErrorAs(t, err, &e)
				// RFC 6749 §5.2: 401 is required only when the client tried
				// the Authorization header.
				assert.Contains(t, []int{http.StatusBadRequest, http.StatusUnauthorized}, e.StatusCode)
				assert.Equal(t, "invalid_client", e.Code)
			},
		},
		{
			name: "RedirectURIMismatch",
			run: func(t *testing.T, srv *oauth2flowstest.Server, lw *leakWatch) error {
				cfg := confidential(srv)
				code, verifier := codeFor(t, srv, cfg)
				lw.secret(code, verifier)
				cfg.RedirectURL = "http://127.0.0.1/other"
				_, err := oauth2flows.ExchangeCode(ctx, cfg, code, oauth2flows.WithPKCE(verifier))
				return err
			},
			wantTokenRequests: 1,
			check: func(t *testing.T, err error) {
				var e *oauth2flows.Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, "invalid_grant", e.Code)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := grantServer(t)
			lw := watchLeaks(t, srv)
			err := lw.err(tt.run(t, srv, lw))
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), "oauth2flows: "), err.Error())
			tt.check(t, err)
			assert.Len(t, srv.RequestsTo(oauth2flowstest.EndpointToken), tt.wantTokenRequests)
		})
	}
}

func TestExchangeCodeIsNeverRetriedAfterAnAmbiguousFailure(t *testing.T) {
	srv := grantServer(t)
	lw := watchLeaks(t, srv)
	cfg := confidential(srv)
	cfg.Retry = oauth2flows.RetryPolicy{MaxAttempts: 3}
	code, verifier := codeFor(t, srv, cfg)
	lw.secret(code, verifier)
	srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{Status: http.StatusInternalServerError, Body: "boom"})

	_, err := oauth2flows.ExchangeCode(context.Background(), cfg, code, oauth2flows.WithPKCE(verifier))
	var e *oauth2flows.Error
	require.ErrorAs(t, lw.err(err), &e)
	assert.Equal(t, http.StatusInternalServerError, e.StatusCode)
	assert.Len(t, srv.RequestsTo(oauth2flowstest.EndpointToken), 1, "a code may already be spent: no retry")
}

func TestAuthCodeURLKeepsRedirectQueryAndCallbackReadsIt(t *testing.T) {
	// A redirect URI with its own query (RFC 6749 §3.1.2) still yields the code.
	srv := grantServer(t, oauth2flowstest.WithClient(oauth2flowstest.Client{
		ID: "q-app", Secret: gSecret, RedirectURIs: []string{gRedirect + "?tenant=t1"},
	}))
	cfg := confidential(srv)
	cfg.ClientID, cfg.RedirectURL = "q-app", gRedirect+"?tenant=t1"
	state := oauth2flows.NewState()
	loc := authorize(t, srv, oauth2flows.AuthCodeURL(cfg, state))
	u, err := url.Parse(loc)
	require.NoError(t, err)
	assert.Equal(t, "t1", u.Query().Get("tenant"))
	code, err := oauth2flows.ParseCallbackURL(cfg, loc, state)
	require.NoError(t, err)
	tok, err := oauth2flows.ExchangeCode(context.Background(), cfg, code)
	require.NoError(t, err)
	assert.NotEmpty(t, tok.AccessToken)
	assert.False(t, errors.Is(err, oauth2flows.ErrReauthRequired))
}
