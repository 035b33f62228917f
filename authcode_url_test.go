package oauth2flows_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

const goodState = "st-0123456789abcdef"

func urlConfig() *oauth2flows.Config {
	return &oauth2flows.Config{
		ClientID:    "web-app",
		RedirectURL: "https://app.example/callback",
		Scopes:      []string{"openid", "profile"},
		Endpoint: oauth2flows.Endpoint{
			AuthURL:  "https://login.example/authorize?p=b2c_signin",
			TokenURL: "https://login.example/token",
		},
	}
}

func TestAuthCodeURLCarriesTheAuthorizationRequest(t *testing.T) {
	verifier := oauth2flows.NewVerifier()
	tests := []struct {
		name string
		opts []oauth2flows.Option
		want url.Values // exact query
	}{
		{
			name: "PlainRequest",
			want: url.Values{
				"p": {"b2c_signin"}, "response_type": {"code"}, "client_id": {"web-app"},
				"redirect_uri": {"https://app.example/callback"}, "scope": {"openid profile"}, "state": {goodState},
			},
		},
		{
			name: "PKCEIsS256",
			opts: []oauth2flows.Option{oauth2flows.WithPKCE(verifier)},
			want: url.Values{
				"p": {"b2c_signin"}, "response_type": {"code"}, "client_id": {"web-app"},
				"redirect_uri": {"https://app.example/callback"}, "scope": {"openid profile"}, "state": {goodState},
				"code_challenge": {oauth2flows.S256Challenge(verifier)}, "code_challenge_method": {"S256"},
			},
		},
		{
			name: "ExtrasAndScopesOverride",
			opts: []oauth2flows.Option{
				oauth2flows.WithScopes("email"),
				oauth2flows.WithParam("prompt", "consent"),
				oauth2flows.WithParam("login_hint", "alice@example.com"),
				oauth2flows.WithParam("nonce", "n-0S6_WzA2Mj"),
				oauth2flows.WithResource("https://api.example"),
			},
			want: url.Values{
				"p": {"b2c_signin"}, "response_type": {"code"}, "client_id": {"web-app"},
				"redirect_uri": {"https://app.example/callback"}, "scope": {"email"}, "state": {goodState},
				"prompt": {"consent"}, "login_hint": {"alice@example.com"}, "nonce": {"n-0S6_WzA2Mj"},
				"resource": {"https://api.example"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := oauth2flows.AuthCodeURL(urlConfig(), goodState, tt.opts...)
			require.NotEmpty(t, raw)
			u, err := url.Parse(raw)
			require.NoError(t, err)
			assert.Equal(t, "https", u.Scheme)
			assert.Equal(t, "login.example", u.Host)
			assert.Equal(t, "/authorize", u.Path)
			assert.Equal(t, tt.want, u.Query())
			assert.NotContains(t, raw, verifier, "the verifier itself never leaves the client")
		})
	}
}

func TestAuthCodeURLRefusesUnsafeRequests(t *testing.T) {
	tests := []struct {
		name  string
		cfg   func(*oauth2flows.Config)
		state string
		opts  []oauth2flows.Option
		field string
	}{
		{name: "EmptyState", state: "", field: "state"},
		{name: "EmptyStateViaWithParam", state: goodState, opts: []oauth2flows.Option{oauth2flows.WithParam("state", "")}, field: "state"},
		{name: "PlainChallengeMethod", state: goodState, opts: []oauth2flows.Option{
			oauth2flows.WithPKCE(oauth2flows.NewVerifier()), oauth2flows.WithParam("code_challenge_method", "plain"),
		}, field: "code_challenge_method"},
		// RFC 7636 §4.3: a code_challenge without a method is plain.
		{name: "ChallengeWithoutMethodViaWithParam", state: goodState, opts: []oauth2flows.Option{
			oauth2flows.WithParam("code_challenge", oauth2flows.NewVerifier()),
		}, field: "code_challenge_method"},
		{name: "ShortVerifier", state: goodState, opts: []oauth2flows.Option{oauth2flows.WithPKCE("too-short")}, field: "WithPKCE"},
		{name: "VerifierWithReservedChars", state: goodState, opts: []oauth2flows.Option{oauth2flows.WithPKCE(strings.Repeat("a/", 30))}, field: "WithPKCE"},
		{name: "NoClientID", state: goodState, cfg: func(c *oauth2flows.Config) { c.ClientID = "" }, field: "Config.ClientID"},
		{name: "NoAuthURL", state: goodState, cfg: func(c *oauth2flows.Config) { c.Endpoint.AuthURL = "" }, field: "Config.Endpoint.AuthURL"},
		{name: "PlainHTTPAuthURL", state: goodState, cfg: func(c *oauth2flows.Config) { c.Endpoint.AuthURL = "http://login.example/authorize" }, field: "Config.Endpoint.AuthURL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := urlConfig()
			if tt.cfg != nil {
				tt.cfg(cfg)
			}
			assert.Empty(t, oauth2flows.AuthCodeURL(cfg, tt.state, tt.opts...), "refusal is an empty URL")
			u, err := oauth2flows.BuildAuthCodeURL(cfg, tt.state, tt.opts...)
			assert.Empty(t, u)
			var ce *oauth2flows.ConfigError
			require.True(t, errors.As(err, &ce), "got %v", err)
			assert.Equal(t, tt.field, ce.Field)
			assert.Equal(t, "BuildAuthCodeURL", ce.Op)
		})
	}
	_, err := oauth2flows.BuildAuthCodeURL(nil, goodState)
	var ce *oauth2flows.ConfigError
	assert.ErrorAs(t, err, &ce, "a nil Config is an error, not a panic")
}

func TestAuthCodeURLAllowsHTTPOnLoopback(t *testing.T) {
	cfg := urlConfig()
	cfg.Endpoint.AuthURL = "http://127.0.0.1:8080/authorize"
	assert.True(t, strings.HasPrefix(oauth2flows.AuthCodeURL(cfg, goodState), "http://127.0.0.1:8080/authorize?"))
}

//nolint:staticcheck // the deprecated implicit grant is tested on purpose
func TestImplicitURLUsesResponseTypeToken(t *testing.T) {
	raw := oauth2flows.ImplicitURL(urlConfig(), goodState, oauth2flows.WithParam("nonce", "n1"))
	u, err := url.Parse(raw)
	require.NoError(t, err)
	assert.Equal(t, url.Values{
		"p": {"b2c_signin"}, "response_type": {"token"}, "client_id": {"web-app"},
		"redirect_uri": {"https://app.example/callback"}, "scope": {"openid profile"}, "state": {goodState}, "nonce": {"n1"},
	}, u.Query())

	assert.Empty(t, oauth2flows.ImplicitURL(urlConfig(), ""))
	assert.Empty(t, oauth2flows.ImplicitURL(urlConfig(), goodState, oauth2flows.WithPKCE(oauth2flows.NewVerifier())),
		"PKCE is for the authorization code grant (RFC 7636 §1)")
}
