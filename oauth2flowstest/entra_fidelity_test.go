package oauth2flowstest_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// RFC 9207 §2: the iss of an authorization response is the issuer of the
// server's metadata, which for Entra is the tenant's v2 issuer, not the
// authority host. Strict clients (MSAL Python, requests-oauthlib with
// iss checks) refused codes carrying the base URL; this failed before the
// fix.
func TestEntraAuthorizationResponseIssIsTheTenantsIssuer(t *testing.T) {
	srv := newEntra(t, entraTID)
	meta := getJSON(t, srv, "/"+entraTID+"/v2.0/.well-known/openid-configuration")
	issuer := meta.str("issuer")
	require.Equal(t, srv.URL()+"/"+entraTID+"/v2.0", issuer)
	for _, q := range []url.Values{
		{"response_type": {"code"}, "client_id": {"conf"}, "redirect_uri": {redirect}, "state": {"s"}},
		// An error response carries it too (RFC 9207 §2).
		{"response_type": {"code"}, "client_id": {"conf"}, "redirect_uri": {redirect}, "code_challenge_method": {"plain"}, "code_challenge": {challenge}},
	} {
		resp, loc := authorize(t, srv, q)
		require.Equal(t, http.StatusFound, resp.StatusCode)
		assert.Equal(t, issuer, loc.Query().Get("iss"), loc.String())
		assert.Equal(t, srv.EntraEndpoint("").Issuer, loc.Query().Get("iss"))
	}
}

// Entra's v2 key set gives each key the issuer it signs for, with the
// literal "{tenantid}" of a multi-tenant key set; the generic and v1 key
// sets have none.
func TestEntraKeysCarryTheirIssuer(t *testing.T) {
	srv := newEntra(t, entraTID)
	keyIssuer := func(path string) any {
		keys := getJSON(t, srv, path)
		require.Equal(t, http.StatusOK, keys.Status, keys.Raw)
		list, _ := keys.Body["keys"].([]any)
		require.Len(t, list, 1)
		return list[0].(map[string]any)["issuer"]
	}
	for _, tenant := range []string{entraTID, "common", "organizations"} {
		assert.Equal(t, srv.URL()+"/{tenantid}/v2.0", keyIssuer("/"+tenant+"/discovery/v2.0/keys"), tenant)
	}
	assert.Nil(t, keyIssuer("/"+entraTID+"/discovery/keys"))
	assert.Nil(t, keyIssuer("/jwks"))
}
