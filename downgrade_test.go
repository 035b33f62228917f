package oauth2flows_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

func jsonServer(t *testing.T, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/par" {
			w.WriteHeader(http.StatusCreated)
		}
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// With a DPoP key, an answer that is not a DPoP token is a downgrade
// (a proxy stripping DPoP, a server ignoring it) and is refused, naming
// what came. Failed before: the Bearer token was accepted and sent as one.
func TestDPoPDowngradeIsRefused(t *testing.T) {
	for name, tt := range map[string]struct{ body, want string }{
		"Bearer":  {`{"access_token":"at","token_type":"Bearer","expires_in":60}`, `token_type is "Bearer", not DPoP`},
		"bearer":  {`{"access_token":"at","token_type":"bearer","expires_in":60}`, `token_type is "Bearer", not DPoP`},
		"missing": {`{"access_token":"at","expires_in":60}`, `token_type is missing, not DPoP`},
	} {
		t.Run(name, func(t *testing.T) {
			srv := jsonServer(t, tt.body)
			cfg := &oauth2flows.Config{ClientID: "c", ClientSecret: "s", DPoPKey: ecKey(t),
				Endpoint: oauth2flows.Endpoint{TokenURL: srv.URL + "/token"}}
			tok, err := oauth2flows.ClientCredentials(context.Background(), cfg)
			assert.Nil(t, tok)
			var ie *oauth2flows.InvalidResponseError
			require.ErrorAs(t, err, &ie)
			assert.Contains(t, ie.Reason, tt.want)
			assert.NotContains(t, err.Error(), `"at"`)
		})
	}
	t.Run("DPoP accepted", func(t *testing.T) {
		srv := jsonServer(t, `{"access_token":"at","token_type":"dpop","expires_in":60}`)
		cfg := &oauth2flows.Config{ClientID: "c", ClientSecret: "s", DPoPKey: ecKey(t),
			Endpoint: oauth2flows.Endpoint{TokenURL: srv.URL + "/token"}}
		_, err := oauth2flows.ClientCredentials(context.Background(), cfg)
		require.NoError(t, err)
	})
	t.Run("N_A, no access token to bind, accepted", func(t *testing.T) {
		srv := jsonServer(t, `{"access_token":"assertion","token_type":"N_A","issued_token_type":"urn:ietf:params:oauth:token-type:saml2"}`)
		cfg := &oauth2flows.Config{ClientID: "c", ClientSecret: "s", DPoPKey: ecKey(t),
			Endpoint: oauth2flows.Endpoint{TokenURL: srv.URL + "/token"}}
		_, err := oauth2flows.TokenExchange(context.Background(), cfg, "subject",
			oauth2flows.WithRequestedTokenType(oauth2flows.TokenTypeSAML2))
		require.NoError(t, err)
	})
}

// RFC 9126 §2.2: expires_in is REQUIRED in a pushed authorization response.
// Failed before: a response without it was accepted.
func TestPARResponseWithoutExpiresInIsRefused(t *testing.T) {
	for name, body := range map[string]string{
		"missing":  `{"request_uri":"urn:ietf:params:oauth:request_uri:x"}`,
		"string":   `{"request_uri":"urn:ietf:params:oauth:request_uri:x","expires_in":"60"}`,
		"zero":     `{"request_uri":"urn:ietf:params:oauth:request_uri:x","expires_in":0}`,
		"fraction": `{"request_uri":"urn:ietf:params:oauth:request_uri:x","expires_in":1.5}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := jsonServer(t, body)
			cfg := &oauth2flows.Config{ClientID: "c", ClientSecret: "s",
				Endpoint: oauth2flows.Endpoint{AuthURL: srv.URL + "/auth", PushedAuthURL: srv.URL + "/par"}}
			u, err := oauth2flows.PushAuthCodeURL(context.Background(), cfg, oauth2flows.NewState())
			assert.Empty(t, u)
			var ie *oauth2flows.InvalidResponseError
			require.ErrorAs(t, err, &ie)
			assert.Contains(t, ie.Reason, "expires_in")
		})
	}
	srv := jsonServer(t, `{"request_uri":"urn:ietf:params:oauth:request_uri:x","expires_in":60}`)
	cfg := &oauth2flows.Config{ClientID: "c", ClientSecret: "s",
		Endpoint: oauth2flows.Endpoint{AuthURL: srv.URL + "/auth", PushedAuthURL: srv.URL + "/par"}}
	_, err := oauth2flows.PushAuthCodeURL(context.Background(), cfg, oauth2flows.NewState())
	require.NoError(t, err)
}
