package oauth2flowstest_test

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

const signedOut = "https://app.example/signed-out"

// codeTokens redeems a fresh code of "conf" with a nonce.
func codeTokens(t *testing.T, srv *oauth2flowstest.Server) (code string, r response) {
	t.Helper()
	code = getCode(t, srv, "conf", url.Values{"nonce": {"n-1"}})
	r = token(t, srv, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {redirect}, "code_verifier": {verifier}}, confAuth)
	require.Equal(t, http.StatusOK, r.Status, r.Raw)
	return code, r
}

func leftHalf(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

func TestIDTokenCarriesNonceHashesAndAuthTime(t *testing.T) {
	srv := newServer(t)
	code, r := codeTokens(t, srv)
	c := parseJWT(t, r.str("id_token"))
	assert.Equal(t, "n-1", c["nonce"])
	assert.Equal(t, leftHalf(r.str("access_token")), c["at_hash"])
	assert.Equal(t, leftHalf(code), c["c_hash"])
	assert.NotZero(t, c["auth_time"])
}

func TestUserInfoEndpoint(t *testing.T) {
	srv := newServer(t)
	_, r := codeTokens(t, srv)
	get := func(bearer string) response {
		req, err := http.NewRequest(http.MethodGet, srv.URL()+"/userinfo", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+bearer)
		return do(t, srv, req)
	}
	got := get(r.str("access_token"))
	require.Equal(t, http.StatusOK, got.Status, got.Raw)
	assert.Equal(t, "alice-sub", got.str("sub"))
	assert.Equal(t, "alice", got.str("preferred_username"))

	cc := token(t, srv, url.Values{"grant_type": {"client_credentials"}}, confAuth)
	got = get(cc.str("access_token"))
	assert.Equal(t, http.StatusUnauthorized, got.Status, "an app-only token has no user")

	noOpenID := token(t, srv, url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"alice-pw"},
		"scope": {"api://res/read"}}, confAuth)
	got = get(noOpenID.str("access_token"))
	assert.Equal(t, http.StatusForbidden, got.Status, "no openid scope granted")
	assert.Contains(t, got.Header.Get("WWW-Authenticate"), "insufficient_scope")
	assert.Equal(t, http.StatusUnauthorized, get("not-a-token").Status)
}

func TestEndSessionEndpoint(t *testing.T) {
	srv := newServer(t, oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "conf", Secret: awkwardSecret,
		RedirectURIs: []string{redirect}, PostLogoutRedirectURIs: []string{signedOut}}))
	_, r := codeTokens(t, srv)
	idToken := r.str("id_token")
	end := func(q url.Values) *http.Response {
		c := *srv.Client()
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := c.Get(srv.URL() + "/session/end?" + q.Encode())
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	tests := []struct {
		name   string
		q      url.Values
		status int
	}{
		{"unregistered post-logout URI", url.Values{"client_id": {"conf"}, "post_logout_redirect_uri": {redirect}}, http.StatusBadRequest},
		{"hint for another client", url.Values{"client_id": {"public"}, "id_token_hint": {idToken}}, http.StatusBadRequest},
		{"forged hint", url.Values{"id_token_hint": {idToken + "x"}}, http.StatusBadRequest},
		{"no redirect: a signed-out page", url.Values{"client_id": {"conf"}}, http.StatusOK},
		{"hint and registered URI", url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {signedOut}, "state": {"s1"}}, http.StatusFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := end(tc.q)
			assert.Equal(t, tc.status, resp.StatusCode)
			if tc.status == http.StatusFound {
				assert.Equal(t, signedOut+"?state=s1", resp.Header.Get("Location"))
				refreshed := token(t, srv, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r.str("refresh_token")}}, confAuth)
				assert.Equal(t, http.StatusBadRequest, refreshed.Status, "the session's refresh token ended with it")
			}
		})
	}
}
