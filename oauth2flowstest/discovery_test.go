package oauth2flowstest_test

import (
	"net/http"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

func TestDiscovery(t *testing.T) {
	srv := newServer(t)
	ep := srv.Endpoint()
	for _, path := range []string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"} {
		t.Run(path, func(t *testing.T) {
			got := do(t, srv, mustGet(t, srv.URL()+path))
			require.Equal(t, http.StatusOK, got.Status)
			assert.Equal(t, ep.Issuer, got.Body["issuer"])
			assert.Equal(t, ep.AuthURL, got.Body["authorization_endpoint"])
			assert.Equal(t, ep.TokenURL, got.Body["token_endpoint"])
			assert.Equal(t, ep.RevocationURL, got.Body["revocation_endpoint"])
			assert.Equal(t, ep.IntrospectionURL, got.Body["introspection_endpoint"])
			assert.Equal(t, srv.URL()+"/jwks", got.Body["jwks_uri"])
			assert.Equal(t, []any{"S256"}, got.Body["code_challenge_methods_supported"])
			assert.Equal(t, true, got.Body["authorization_response_iss_parameter_supported"])
			assert.Contains(t, got.Body["token_endpoint_auth_methods_supported"], "private_key_jwt")
			assert.Contains(t, got.Body["grant_types_supported"], "urn:ietf:params:oauth:grant-type:token-exchange")
		})
	}
	assert.Len(t, srv.RequestsTo(oauth2flowstest.EndpointDiscovery), 2)
}

func TestJWKSVerifiesIssuedTokens(t *testing.T) {
	srv := newServer(t)
	got := do(t, srv, mustGet(t, srv.URL()+"/jwks"))
	require.Equal(t, http.StatusOK, got.Status)
	keys := got.Body["keys"].([]any)
	require.Len(t, keys, 1)
	k := keys[0].(map[string]any)
	assert.Equal(t, "EC", k["kty"])
	assert.Equal(t, "ES256", k["alg"])

	tok := srv.IssueAccessToken("alice", "api://x", "read")
	parsed, _, err := jwt.NewParser().ParseUnverified(tok, jwt.MapClaims{})
	require.NoError(t, err)
	assert.Equal(t, k["kid"], parsed.Header["kid"])
	assert.Equal(t, "at+jwt", parsed.Header["typ"])
}
