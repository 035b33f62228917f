package oauth2flows_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// A state the caller chose, as x/oauth2 users pass, builds the URL.
func TestAuthCodeURLAcceptsAnyNonEmptyCallerState(t *testing.T) {
	for _, state := range []string{"state-abc-123", "x", "a b/c"} {
		raw := oauth2flows.AuthCodeURL(urlConfig(), state)
		require.NotEmpty(t, raw, "state %q", state)
		u, err := url.Parse(raw)
		require.NoError(t, err)
		assert.Equal(t, state, u.Query().Get("state"))

		raw = oauth2flows.ImplicitURL(urlConfig(), state) //nolint:staticcheck // the deprecated grant is tested on purpose
		require.NotEmpty(t, raw, "state %q", state)
	}
}

// Every option a call does not define is refused with a *ConfigError that
// names the option and the call, before anything is sent.
func TestOptionsAreRefusedWhereTheirRFCDoesNotDefineThem(t *testing.T) {
	srv := grantServer(t)
	ctx := context.Background()
	verifier := oauth2flows.NewVerifier()
	calls := map[string]func(cfg *oauth2flows.Config, o oauth2flows.Option) error{
		"ClientCredentials": func(cfg *oauth2flows.Config, o oauth2flows.Option) error {
			_, err := oauth2flows.ClientCredentials(ctx, cfg, o)
			return err
		},
		"PasswordCredentials": func(cfg *oauth2flows.Config, o oauth2flows.Option) error {
			_, err := oauth2flows.PasswordCredentials(ctx, cfg, gUser, gPassword, o) //nolint:staticcheck // deprecated grant tested on purpose
			return err
		},
		"Refresh": func(cfg *oauth2flows.Config, o oauth2flows.Option) error {
			_, err := oauth2flows.Refresh(ctx, cfg, "some-refresh-token", o)
			return err
		},
		"ExchangeCode": func(cfg *oauth2flows.Config, o oauth2flows.Option) error {
			_, err := oauth2flows.ExchangeCode(ctx, cfg, "some-code", o)
			return err
		},
		"OnBehalfOf": func(cfg *oauth2flows.Config, o oauth2flows.Option) error {
			_, err := oauth2flows.OnBehalfOf(ctx, cfg, "some-assertion", o)
			return err
		},
		"TokenExchange": func(cfg *oauth2flows.Config, o oauth2flows.Option) error {
			_, err := oauth2flows.TokenExchange(ctx, cfg, "some-subject", o)
			return err
		},
		"Revoke": func(cfg *oauth2flows.Config, o oauth2flows.Option) error {
			return oauth2flows.Revoke(ctx, cfg, "some-token", o)
		},
		"Introspect": func(cfg *oauth2flows.Config, o oauth2flows.Option) error {
			_, err := oauth2flows.Introspect(ctx, cfg, "some-token", o)
			return err
		},
		"BuildAuthCodeURL": func(cfg *oauth2flows.Config, o oauth2flows.Option) error {
			_, err := oauth2flows.BuildAuthCodeURL(cfg, "st", o)
			return err
		},
	}
	tests := []struct {
		call   string
		option string
		opt    oauth2flows.Option
	}{
		{"ClientCredentials", "WithPKCE", oauth2flows.WithPKCE(verifier)},
		{"ClientCredentials", "WithTokenTypeHint", oauth2flows.WithTokenTypeHint("access_token")},
		{"ClientCredentials", "WithRequestedTokenType", oauth2flows.WithRequestedTokenType(oauth2flows.TokenTypeJWT)},
		{"ClientCredentials", "WithSubjectTokenType", oauth2flows.WithSubjectTokenType(oauth2flows.TokenTypeJWT)},
		{"ClientCredentials", "WithActorToken", oauth2flows.WithActorToken("actor", oauth2flows.TokenTypeAccessToken)},
		{"ClientCredentials", "WithClaims", oauth2flows.WithClaims(`{"access_token":{}}`)},
		{"PasswordCredentials", "WithPKCE", oauth2flows.WithPKCE(verifier)},
		{"Refresh", "WithPKCE", oauth2flows.WithPKCE(verifier)},
		{"Refresh", "WithTokenTypeHint", oauth2flows.WithTokenTypeHint("refresh_token")},
		{"ExchangeCode", "WithScopes", oauth2flows.WithScopes("read")},
		{"ExchangeCode", "WithTokenTypeHint", oauth2flows.WithTokenTypeHint("access_token")},
		{"ExchangeCode", "WithAudience", oauth2flows.WithAudience("api")},
		{"OnBehalfOf", "WithSubjectTokenType", oauth2flows.WithSubjectTokenType(oauth2flows.TokenTypeJWT)},
		{"OnBehalfOf", "WithAudience", oauth2flows.WithAudience("api")},
		{"OnBehalfOf", "WithActorToken", oauth2flows.WithActorToken("actor", oauth2flows.TokenTypeAccessToken)},
		{"OnBehalfOf", "WithPKCE", oauth2flows.WithPKCE(verifier)},
		{"TokenExchange", "WithPKCE", oauth2flows.WithPKCE(verifier)},
		{"TokenExchange", "WithTokenTypeHint", oauth2flows.WithTokenTypeHint("access_token")},
		{"TokenExchange", "WithClaims", oauth2flows.WithClaims("{}")},
		{"Revoke", "WithScopes", oauth2flows.WithScopes("read")},
		{"Revoke", "WithPKCE", oauth2flows.WithPKCE(verifier)},
		{"Revoke", "WithResource", oauth2flows.WithResource("https://api.example")},
		{"Revoke", "WithRequestedTokenType", oauth2flows.WithRequestedTokenType(oauth2flows.TokenTypeJWT)},
		{"Introspect", "WithAudience", oauth2flows.WithAudience("api")},
		{"Introspect", "WithClaims", oauth2flows.WithClaims("{}")},
		{"BuildAuthCodeURL", "WithTokenTypeHint", oauth2flows.WithTokenTypeHint("access_token")},
		{"BuildAuthCodeURL", "WithRequestedTokenType", oauth2flows.WithRequestedTokenType(oauth2flows.TokenTypeJWT)},
		{"BuildAuthCodeURL", "WithActorToken", oauth2flows.WithActorToken("actor", oauth2flows.TokenTypeAccessToken)},
	}
	for _, tt := range tests {
		t.Run(tt.call+"/"+tt.option, func(t *testing.T) {
			srv.ResetRequests()
			err := calls[tt.call](confidential(srv), tt.opt)
			var ce *oauth2flows.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.call, ce.Op)
			assert.Equal(t, tt.option, ce.Field)
			assert.Contains(t, err.Error(), tt.option)
			assert.Empty(t, srv.Requests(), "nothing is sent")
		})
	}
}

// The options a grant defines reach the wire.
func TestOptionsReachTheWireWhereDefined(t *testing.T) {
	srv := grantServer(t)
	ctx := context.Background()
	cfg := confidential(srv)

	_, err := oauth2flows.ClientCredentials(ctx, cfg, oauth2flows.WithAudience("https://api.example"),
		oauth2flows.WithResource("https://api.example"))
	require.NoError(t, err)
	form := lastTokenRequest(t, srv).Form
	assert.Equal(t, []string{"https://api.example"}, form["audience"], "Auth0 takes audience on client credentials")
	assert.Equal(t, []string{"https://api.example"}, form["resource"], "RFC 8707 §2")
	assert.NotContains(t, form, "code_verifier")

	code, verifier := codeFor(t, srv, cfg)
	_, err = oauth2flows.ExchangeCode(ctx, cfg, code, oauth2flows.WithPKCE(verifier))
	require.NoError(t, err)
	form = lastTokenRequest(t, srv).Form
	assert.Equal(t, verifier, form.Get("code_verifier"))
	assert.NotContains(t, form, "scope", "a code carries its scope (RFC 6749 §4.1.3)")
}

func lastTokenRequest(t *testing.T, srv *oauth2flowstest.Server) oauth2flowstest.Request {
	t.Helper()
	rs := srv.RequestsTo(oauth2flowstest.EndpointToken)
	require.NotEmpty(t, rs)
	return rs[len(rs)-1]
}

func TestAuthAutoRefusesAmbiguousCredentials(t *testing.T) {
	srv := grantServer(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	cert := selfSigned(t, key)
	tests := []struct {
		name  string
		set   func(*oauth2flows.Config)
		names []string
	}{
		{"SecretAndKey", func(c *oauth2flows.Config) { c.PrivateKey = key }, []string{"Config.ClientSecret", "Config.PrivateKey"}},
		{"SecretAndCertificate", func(c *oauth2flows.Config) { c.Certificate = cert }, []string{"Config.ClientSecret", "Config.Certificate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.ResetRequests()
			cfg := confidential(srv)
			tt.set(cfg)
			_, err := oauth2flows.ClientCredentials(context.Background(), cfg)
			var ce *oauth2flows.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "ClientCredentials", ce.Op)
			assert.Equal(t, "Config.AuthMethod", ce.Field)
			for _, n := range tt.names {
				assert.Contains(t, ce.Reason, n)
			}
			assert.Empty(t, srv.Requests(), "nothing is sent")

			cfg.AuthMethod = oauth2flows.ClientSecretBasic
			_, err = oauth2flows.ClientCredentials(context.Background(), cfg)
			require.NoError(t, err, "an explicit method resolves it")
		})
	}
}

// An option given an empty value is refused rather than dropped or sent
// empty.
func TestOptionsWithEmptyValuesAreRefused(t *testing.T) {
	srv := grantServer(t)
	ctx := context.Background()
	tests := []struct {
		field string
		call  func(cfg *oauth2flows.Config) error
	}{
		{"WithTokenTypeHint", func(cfg *oauth2flows.Config) error {
			return oauth2flows.Revoke(ctx, cfg, "some-token", oauth2flows.WithTokenTypeHint(""))
		}},
		{"WithClaims", func(cfg *oauth2flows.Config) error {
			_, err := oauth2flows.BuildAuthCodeURL(cfg, "st", oauth2flows.WithClaims(""))
			return err
		}},
		{"WithAudience", func(cfg *oauth2flows.Config) error {
			_, err := oauth2flows.ClientCredentials(ctx, cfg, oauth2flows.WithAudience(""))
			return err
		}},
		{"WithResource", func(cfg *oauth2flows.Config) error {
			_, err := oauth2flows.ClientCredentials(ctx, cfg, oauth2flows.WithResource(""))
			return err
		}},
		{"WithActorToken", func(cfg *oauth2flows.Config) error {
			_, err := oauth2flows.TokenExchange(ctx, cfg, "subject", oauth2flows.WithActorToken("", ""))
			return err
		}},
		{"WithSubjectTokenType", func(cfg *oauth2flows.Config) error {
			_, err := oauth2flows.TokenExchange(ctx, cfg, "subject", oauth2flows.WithSubjectTokenType(""))
			return err
		}},
		{"WithParam", func(cfg *oauth2flows.Config) error {
			_, err := oauth2flows.ClientCredentials(ctx, cfg, oauth2flows.WithParam("", "x"))
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			srv.ResetRequests()
			err := tt.call(confidential(srv))
			var ce *oauth2flows.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.field, ce.Field)
			assert.NotEmpty(t, ce.Op)
			assert.Empty(t, srv.Requests(), "nothing is sent")
		})
	}
}
