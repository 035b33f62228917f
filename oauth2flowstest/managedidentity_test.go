package oauth2flowstest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
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

func TestManagedIdentityEndpointsRefuseWhatAzureRefuses(t *testing.T) {
	uami := oauth2flowstest.ManagedIdentity{ClientID: "c1", UserAssigned: true}
	srv := newServer(t, oauth2flowstest.WithManagedIdentity(uami),
		oauth2flowstest.WithManagedIdentity(oauth2flowstest.ManagedIdentity{ClientID: "c2", UserAssigned: true}))
	ep, secret := srv.AppServiceEnv()
	imds := "http://169.254.169.254/metadata/identity/oauth2/token"
	tests := []struct {
		name   string
		url    string
		header map[string]string
		query  url.Values
		status int
		desc   string
	}{
		{"IMDSWithoutMetadataHeader", imds, nil, url.Values{"api-version": {"2018-02-01"}, "resource": {"r"}, "client_id": {"c1"}},
			400, "Required metadata header not specified"},
		{"IMDSThroughAProxy", imds, map[string]string{"Metadata": "true", "X-Forwarded-For": "10.0.0.1"},
			url.Values{"api-version": {"2018-02-01"}, "resource": {"r"}, "client_id": {"c1"}}, 400, "Request contains X-Forwarded-For header"},
		{"IMDSWithoutAPIVersion", imds, map[string]string{"Metadata": "true"}, url.Values{"resource": {"r"}}, 400,
			"Required query variable 'api-version' is missing"},
		{"IMDSWithoutResource", imds, map[string]string{"Metadata": "true"}, url.Values{"api-version": {"2018-02-01"}}, 400,
			"Required audience parameter not specified"},
		{"IMDSTwoUserAssignedNoneNamed", imds, map[string]string{"Metadata": "true"}, url.Values{"api-version": {"2018-02-01"}, "resource": {"r"}}, 400,
			"Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request"},
		{"IMDSUnknownIdentity", imds, map[string]string{"Metadata": "true"}, url.Values{"api-version": {"2018-02-01"}, "resource": {"r"}, "client_id": {"c3"}}, 400,
			"Identity not found"},
		{"IMDSAppServiceSpelling", imds, map[string]string{"Metadata": "true"}, url.Values{"api-version": {"2018-02-01"}, "resource": {"r"}, "mi_res_id": {"x"}}, 400,
			"Unknown query parameter mi_res_id"},
		{"IMDSByClientID", imds, map[string]string{"Metadata": "true"}, url.Values{"api-version": {"2018-02-01"}, "resource": {"r"}, "client_id": {"c1"}}, 200, ""},
		{"AppServiceWrongSecret", ep, map[string]string{"X-IDENTITY-HEADER": "nope"}, url.Values{"api-version": {"2019-08-01"}, "resource": {"r"}}, 401, ""},
		{"AppServiceOldVersion", ep, map[string]string{"X-IDENTITY-HEADER": secret}, url.Values{"api-version": {"2017-09-01"}, "resource": {"r"}, "client_id": {"c1"}}, 400,
			"Invalid version: 2017-09-01"},
		{"AppServiceByClientID", ep, map[string]string{"X-IDENTITY-HEADER": secret}, url.Values{"api-version": {"2019-08-01"}, "resource": {"r"}, "client_id": {"c2"}}, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, tt.url+"?"+tt.query.Encode(), nil)
			require.NoError(t, err)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			assert.Equal(t, tt.status, resp.StatusCode, string(body))
			var m map[string]any
			require.NoError(t, json.Unmarshal(body, &m))
			if tt.desc != "" {
				assert.Equal(t, "invalid_request", m["error"])
				assert.Equal(t, tt.desc, m["error_description"])
			}
			if tt.status == 200 {
				claims, err := srv.VerifyAccessToken(m["access_token"].(string))
				require.NoError(t, err)
				assert.Equal(t, []string{"r"}, []string(claims.Audience))
				assert.Equal(t, m["client_id"], claims.ClientID)
			}
		})
	}
}

func TestManagedIdentityHandsOutTheSameTokenUntilNearExpiry(t *testing.T) {
	srv := newServer(t, oauth2flowstest.WithManagedIdentity(oauth2flowstest.ManagedIdentity{}))
	get := func(resource string) map[string]any {
		req, _ := http.NewRequest(http.MethodGet, "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource="+resource, nil)
		req.Header.Set("Metadata", "true")
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var m map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
		return m
	}
	a, b, c := get("r1"), get("r1"), get("r2")
	assert.Equal(t, a["access_token"], b["access_token"])
	assert.NotEqual(t, a["access_token"], c["access_token"])
	for _, k := range []string{"expires_in", "expires_on", "ext_expires_in", "not_before"} {
		assert.IsType(t, "", a[k], "IMDS sends %s as a string", k)
	}
}

func TestRevokeUserChallengesOnlyCAETokensIssuedBefore(t *testing.T) {
	srv := newServer(t)
	api := srv.Protect("api://downstream", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	cp1 := token(t, srv, url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"alice-pw"},
		"scope": {"api://downstream/read"}, "claims": {`{"access_token":{"xms_cc":{"values":["cp1"]}}}`}}, confAuth)
	require.Equal(t, http.StatusOK, cp1.Status, cp1.Raw)
	plain := token(t, srv, url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"alice-pw"},
		"scope": {"api://downstream/read"}}, confAuth)
	require.Equal(t, http.StatusOK, plain.Status, plain.Raw)
	call := func(tok string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		return rec.Result()
	}
	assert.Equal(t, []any{"cp1"}, parseJWT(t, cp1.str("access_token"))["xms_cc"])
	srv.RevokeUser(parseJWT(t, cp1.str("access_token"))["sub"].(string))
	resp := call(cp1.str("access_token"))
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("WWW-Authenticate"), `error="insufficient_claims", claims="`)
	assert.Equal(t, http.StatusOK, call(plain.str("access_token")).StatusCode, "a token without cp1 lives to its expiry")

	bad := token(t, srv, url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"alice-pw"},
		"scope": {"api://downstream/read"}, "claims": {`not json`}}, confAuth)
	assert.Equal(t, http.StatusBadRequest, bad.Status)
	assert.Equal(t, "invalid_request", bad.str("error"))
}

// A CAE test: the resource challenges a revoked user's cp1 token, and the
// client's new token passes.
func ExampleServer_RevokeUser() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "api-a", Secret: "api-a-secret"}))
	defer srv.Close()
	api := httptest.NewServer(srv.Protect("api://graph", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	defer api.Close()
	cfg := &oauth2flows.Config{ClientID: "api-a", ClientSecret: "api-a-secret", Endpoint: srv.Endpoint(),
		Scopes: []string{"api://graph/.default"}, ClientCapabilities: []string{"cp1"}}
	user := srv.IssueAccessToken("alice", "api://api-a", "access_as_user")
	call := func(tok *oauth2flows.Token) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, api.URL, nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, _ := http.DefaultClient.Do(req)
		resp.Body.Close()
		return resp
	}

	tok, _ := oauth2flows.OnBehalfOf(context.Background(), cfg, user)
	srv.RevokeUser("alice")
	resp := call(tok)
	claims, _ := oauth2flows.ParseClaimsChallenge(resp.Header.Get("WWW-Authenticate"))
	fmt.Println("revoked:", resp.StatusCode, strings.HasPrefix(claims, `{"access_token":{"nbf"`))
	tok, _ = oauth2flows.OnBehalfOf(context.Background(), cfg, user, oauth2flows.WithClaims(claims))
	fmt.Println("after the challenge:", call(tok).StatusCode)
	// Output:
	// revoked: 401 true
	// after the challenge: 200
}
