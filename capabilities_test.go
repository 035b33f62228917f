package oauth2flows_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

func TestClientCapabilitiesMergeIntoClaims(t *testing.T) {
	const cp1 = `{"access_token":{"xms_cc":{"values":["cp1"]}}}`
	tests := []struct {
		name, challenge, want string
	}{
		{"CapabilitiesAlone", "", cp1},
		{"WithCAEChallenge", `{"access_token":{"nbf":{"essential":true, "value":"1604106651"}}}`,
			`{"access_token":{"nbf":{"essential":true,"value":"1604106651"},"xms_cc":{"values":["cp1"]}}}`},
		{"ChallengeForTheIDTokenKept", `{"id_token":{"acrs":{"essential":true,"value":"c1"}}}`,
			`{"access_token":{"xms_cc":{"values":["cp1"]}},"id_token":{"acrs":{"essential":true,"value":"c1"}}}`},
		{"ChallengeNamingXmsCCKeepsIt", `{"access_token":{"xms_cc":{"values":["cp2"]}}}`,
			`{"access_token":{"xms_cc":{"values":["cp2"]}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, cfg, assertion := oboServer(t)
			cfg.Scopes = []string{"api://downstream/.default"}
			cfg.ClientCapabilities = []string{"cp1"}
			var opts []oauth2flows.Option
			if tt.challenge != "" {
				opts = append(opts, oauth2flows.WithClaims(tt.challenge))
			}
			tok, err := oauth2flows.OnBehalfOf(context.Background(), cfg, assertion, opts...)
			require.NoError(t, err)
			reqs := srv.RequestsTo(oauth2flowstest.EndpointToken)
			require.Len(t, reqs, 1)
			assert.JSONEq(t, tt.want, reqs[0].Form.Get("claims"))
			claims, err := srv.VerifyAccessToken(tok.AccessToken)
			require.NoError(t, err)
			assert.NotEmpty(t, claims.Capabilities)
		})
	}
}

func TestClientCapabilitiesOnEveryGrant(t *testing.T) {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "svc", Secret: "s3cret-svc-value"}))
	defer srv.Close()
	cfg := &oauth2flows.Config{ClientID: "svc", ClientSecret: "s3cret-svc-value", Endpoint: srv.Endpoint(),
		ClientCapabilities: []string{"cp1"}}
	tok, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	require.NoError(t, err)
	assert.Equal(t, `{"access_token":{"xms_cc":{"values":["cp1"]}}}`, srv.RequestsTo(oauth2flowstest.EndpointToken)[0].Form.Get("claims"))
	claims, err := srv.VerifyAccessToken(tok.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, []string{"cp1"}, claims.Capabilities)

	// Not on revocation: claims mean nothing there.
	require.NoError(t, oauth2flows.Revoke(context.Background(), cfg, tok.AccessToken))
	assert.False(t, srv.RequestsTo(oauth2flowstest.EndpointRevoke)[0].Form.Has("claims"))
}

func TestClientCapabilitiesRefuseBadInput(t *testing.T) {
	_, cfg, assertion := oboServer(t)
	cfg.Scopes = []string{"api://downstream/.default"}
	cfg.ClientCapabilities = []string{"cp1"}
	_, err := oauth2flows.OnBehalfOf(context.Background(), cfg, assertion, oauth2flows.WithClaims("not json"))
	var ce *oauth2flows.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "WithClaims", ce.Field)

	cfg.ClientCapabilities = []string{""}
	_, err = oauth2flows.OnBehalfOf(context.Background(), cfg, assertion)
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "Config.ClientCapabilities", ce.Field)
}

// A CAE middle tier: ordinary calls are served from the OBO cache; a
// revocation makes the resource challenge one user's token, and that
// user's challenge makes one exchange that replaces the cached token.
// The other user is not affected.
func TestOBOCacheCAERevocationReplacesOneUsersToken(t *testing.T) {
	srv, cfg, alice := oboServer(t)
	bob := srv.IssueAccessToken("bob", "api://"+middleID, "access_as_user")
	cfg.Scopes = []string{"api://downstream/.default"}
	cfg.ClientCapabilities = []string{"cp1"}
	api := httptest.NewServer(srv.Protect("api://downstream", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	defer api.Close()
	call := func(tok *oauth2flows.Token) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, api.URL, nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	exchanges := func() int { return len(srv.RequestsTo(oauth2flowstest.EndpointToken)) }
	cache := oauth2flows.NewOBOCache(cfg)
	ctx := context.Background()

	var aliceTok, bobTok *oauth2flows.Token
	for range 5 {
		var err error
		aliceTok, err = cache.Token(ctx, alice)
		require.NoError(t, err)
		bobTok, err = cache.Token(ctx, bob)
		require.NoError(t, err)
	}
	assert.Equal(t, 2, exchanges(), "capabilities alone carry no challenge: the cache serves")
	assert.Equal(t, http.StatusOK, call(aliceTok).StatusCode)

	srv.RevokeUser("alice")
	resp := call(aliceTok)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	challenge, ok := oauth2flows.ParseClaimsChallenge(resp.Header.Get("WWW-Authenticate"))
	require.True(t, ok)
	assert.Equal(t, http.StatusOK, call(bobTok).StatusCode, "bob is not revoked")

	fresh, err := cache.Token(ctx, alice, oauth2flows.WithClaims(challenge))
	require.NoError(t, err)
	assert.Equal(t, 3, exchanges(), "one exchange answers the challenge")
	assert.NotEqual(t, aliceTok.AccessToken, fresh.AccessToken)
	reqs := srv.RequestsTo(oauth2flowstest.EndpointToken)
	assert.Contains(t, reqs[2].Form.Get("claims"), `"xms_cc":{"values":["cp1"]}`)
	assert.Contains(t, reqs[2].Form.Get("claims"), `"nbf":{"essential":true`)
	assert.Equal(t, http.StatusOK, call(fresh).StatusCode)

	again, err := cache.Token(ctx, alice)
	require.NoError(t, err)
	assert.Equal(t, fresh.AccessToken, again.AccessToken, "the fresh token replaced the cached one")
	bobAgain, err := cache.Token(ctx, bob)
	require.NoError(t, err)
	assert.Equal(t, bobTok.AccessToken, bobAgain.AccessToken)
	assert.Equal(t, 3, exchanges())
}

// slowTransport holds every request back, so that concurrent callers all
// arrive while the first is in flight.
type slowTransport struct{ base http.RoundTripper }

func (s slowTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	time.Sleep(300 * time.Millisecond)
	return s.base.RoundTrip(r)
}

func TestOBOCacheOneExchangeForConcurrentIdenticalChallenges(t *testing.T) {
	srv, cfg, alice := oboServer(t)
	cfg.Scopes = []string{"api://downstream/.default"}
	cfg.ClientCapabilities = []string{"cp1"}
	cfg.HTTPClient = &http.Client{Transport: slowTransport{http.DefaultTransport}}
	cache := oauth2flows.NewOBOCache(cfg)
	const challenge = `{"access_token":{"nbf":{"essential":true,"value":"1604106651"}}}`
	var wg sync.WaitGroup
	toks := make([]string, 16)
	for i := range toks {
		wg.Go(func() {
			tok, err := cache.Token(context.Background(), alice, oauth2flows.WithClaims(challenge))
			if assert.NoError(t, err) {
				toks[i] = tok.AccessToken
			}
		})
	}
	wg.Wait()
	assert.Len(t, srv.RequestsTo(oauth2flowstest.EndpointToken), 1)
	for _, tok := range toks {
		assert.Equal(t, toks[0], tok)
	}
}

// TestClientCapabilitiesInTheAuthorizationRequest: the capabilities go in
// the claims of the authorization request too, in the URL and in a pushed
// request, merged with WithClaims's. Before, only token requests had them.
func TestClientCapabilitiesInTheAuthorizationRequest(t *testing.T) {
	const cp1 = `{"access_token":{"xms_cc":{"values":["cp1"]}}}`
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "web", Secret: "s3cret-web-value",
		RedirectURIs: []string{"https://app.example/cb"}}))
	defer srv.Close()
	cfg := &oauth2flows.Config{ClientID: "web", ClientSecret: "s3cret-web-value", Endpoint: srv.Endpoint(),
		RedirectURL: "https://app.example/cb", ClientCapabilities: []string{"cp1"}}
	acr := oauth2flows.WithClaims(`{"id_token":{"acrs":{"essential":true,"value":"c1"}}}`)
	for _, tc := range []struct {
		name string
		opts []oauth2flows.Option
		want string
	}{
		{"CapabilitiesAlone", nil, cp1},
		{"WithClaims", []oauth2flows.Option{acr}, `{"access_token":{"xms_cc":{"values":["cp1"]}},"id_token":{"acrs":{"essential":true,"value":"c1"}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := oauth2flows.BuildAuthCodeURL(cfg, oauth2flows.NewState(), tc.opts...)
			require.NoError(t, err)
			parsed, err := url.Parse(u)
			require.NoError(t, err)
			assert.JSONEq(t, tc.want, parsed.Query().Get("claims"))

			srv.ResetRequests()
			_, err = oauth2flows.PushAuthCodeURL(context.Background(), cfg, oauth2flows.NewState(), tc.opts...)
			require.NoError(t, err)
			reqs := srv.RequestsTo(oauth2flowstest.EndpointPAR)
			require.Len(t, reqs, 1)
			assert.JSONEq(t, tc.want, reqs[0].Form.Get("claims"))
		})
	}
}
