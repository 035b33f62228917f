package oauth2flows_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

func TestPushAuthCodeURLPushesTheRequestAndRedeems(t *testing.T) {
	tests := []struct {
		name       string
		cfg        func(*oauth2flowstest.Server) *oauth2flows.Config
		required   bool
		opts       []oauth2flows.Option
		wantMethod string
		wantPushed url.Values // beyond state and the PKCE challenge
	}{
		{
			name: "confidential client, PKCE, extras", cfg: confidential,
			opts:       []oauth2flows.Option{oauth2flows.WithParam("prompt", "login"), oauth2flows.WithScopes("read")},
			wantMethod: "client_secret_basic",
			wantPushed: url.Values{"response_type": {"code"}, "client_id": {gClientID}, "redirect_uri": {gRedirect},
				"scope": {"read"}, "code_challenge_method": {"S256"}, "prompt": {"login"}},
		},
		{
			name: "public client on a server that requires PAR", cfg: public, required: true,
			wantMethod: "none",
			wantPushed: url.Values{"response_type": {"code"}, "client_id": {gPublicID}, "redirect_uri": {gRedirect},
				"scope": {"read write"}, "code_challenge_method": {"S256"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []oauth2flowstest.Option
			if tt.required {
				opts = append(opts, oauth2flowstest.WithPARRequired())
			}
			srv := grantServer(t, opts...)
			leaks := watchLeaks(t, srv)
			cfg := tt.cfg(srv)
			state, verifier := oauth2flows.NewState(), oauth2flows.NewVerifier()
			leaks.secret(verifier)
			u, err := oauth2flows.PushAuthCodeURL(context.Background(), cfg, state, append(tt.opts, oauth2flows.WithPKCE(verifier))...)
			require.NoError(t, leaks.err(err))

			// On the wire: everything AuthCodeURL would have put in the URL, no verifier.
			pushes := srv.RequestsTo(oauth2flowstest.EndpointPAR)
			require.Len(t, pushes, 1)
			got := pushes[0].Form
			assert.Equal(t, tt.wantMethod, pushes[0].AuthMethod)
			assert.Equal(t, state, got.Get("state"))
			assert.Equal(t, oauth2flows.S256Challenge(verifier), got.Get("code_challenge"))
			assert.False(t, got.Has("code_verifier"))
			for k, v := range tt.wantPushed {
				assert.Equal(t, v, got[k], k)
			}

			// What came back: AuthURL with client_id and request_uri only.
			pu, err := url.Parse(u)
			require.NoError(t, err)
			assert.Equal(t, srv.Endpoint().AuthURL, pu.Scheme+"://"+pu.Host+pu.Path)
			q := pu.Query()
			assert.Len(t, q, 2, u)
			assert.Equal(t, cfg.ClientID, q.Get("client_id"))
			assert.True(t, strings.HasPrefix(q.Get("request_uri"), "urn:ietf:params:oauth:request_uri:"), u)

			// The server honours it: the user is redirected with a code that redeems.
			loc := authorize(t, srv, u)
			code, err := oauth2flows.ParseCallbackURL(cfg, loc, state)
			require.NoError(t, err)
			tok, err := oauth2flows.ExchangeCode(context.Background(), cfg, code, oauth2flows.WithPKCE(verifier))
			require.NoError(t, leaks.err(err))
			assert.NotEmpty(t, tok.AccessToken)
		})
	}
}

func TestAuthCodeURLRefusedWhenPARIsRequired(t *testing.T) {
	srv := grantServer(t, oauth2flowstest.WithPARRequired())
	cfg := confidential(srv)
	require.True(t, cfg.Endpoint.RequirePushedAuthRequests)
	assert.Empty(t, oauth2flows.AuthCodeURL(cfg, "state-1"))
	tests := []struct {
		name string
		call func() error
		op   string
	}{
		{"BuildAuthCodeURL", func() error { _, err := oauth2flows.BuildAuthCodeURL(cfg, "state-1"); return err }, "BuildAuthCodeURL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ce *oauth2flows.ConfigError
			require.ErrorAs(t, tt.call(), &ce)
			assert.Equal(t, tt.op, ce.Op)
			assert.Equal(t, "Config.Endpoint.RequirePushedAuthRequests", ce.Field)
			assert.Contains(t, ce.Reason, "PushAuthCodeURL")
		})
	}
	assert.Empty(t, srv.Requests())
}

func TestPushAuthCodeURLRefusals(t *testing.T) {
	srv := grantServer(t)
	tests := []struct {
		name      string
		cfg       func() *oauth2flows.Config
		state     string
		opts      []oauth2flows.Option
		wantField string // a *ConfigError before sending
		wantCode  string // an *Error from the server
	}{
		{"empty state", func() *oauth2flows.Config { return confidential(srv) }, "", nil, "state", ""},
		{"option of no authorization request", func() *oauth2flows.Config { return confidential(srv) }, "s",
			[]oauth2flows.Option{oauth2flows.WithTokenTypeHint("access_token")}, "WithTokenTypeHint", ""},
		{"no PushedAuthURL", func() *oauth2flows.Config {
			c := confidential(srv)
			c.Endpoint.PushedAuthURL = ""
			return c
		}, "s", nil, "Config.Endpoint.PushedAuthURL", ""},
		{"wrong secret", func() *oauth2flows.Config {
			c := confidential(srv)
			c.ClientSecret = "wr0ng-s3cret-value"
			return c
		}, "s", nil, "", "invalid_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.ResetRequests()
			u, err := oauth2flows.PushAuthCodeURL(context.Background(), tt.cfg(), tt.state, tt.opts...)
			assert.Empty(t, u)
			if tt.wantField != "" {
				var ce *oauth2flows.ConfigError
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, "PushAuthCodeURL", ce.Op)
				assert.Equal(t, tt.wantField, ce.Field)
				assert.Empty(t, srv.Requests())
				return
			}
			var e *oauth2flows.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tt.wantCode, e.Code)
			assert.NotContains(t, err.Error(), "wr0ng-s3cret-value")
			assert.Len(t, srv.RequestsTo(oauth2flowstest.EndpointPAR), 1)
		})
	}
}
