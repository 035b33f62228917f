package oauth2flowstest_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

func introspect(t *testing.T, srv *oauth2flowstest.Server, tok string) response {
	t.Helper()
	got := post(t, srv, "/introspect", url.Values{"token": {tok}}, midAuth)
	require.Equal(t, http.StatusOK, got.Status, got.Raw)
	return got
}

func TestIntrospectDescribesActiveTokens(t *testing.T) {
	srv := newServer(t)
	tokens := passwordTokens(t, srv, "read write")

	at := introspect(t, srv, tokens.str("access_token"))
	assert.Equal(t, true, at.Body["active"])
	assert.Equal(t, "read write", at.Body["scope"])
	assert.Equal(t, "conf", at.Body["client_id"])
	assert.Equal(t, "alice-sub", at.Body["sub"])
	assert.Equal(t, "conf", at.Body["aud"])
	assert.Equal(t, srv.URL(), at.Body["iss"])
	assert.Equal(t, "Bearer", at.Body["token_type"])
	assert.NotZero(t, at.Body["exp"])
	assert.NotZero(t, at.Body["iat"])

	rt := introspect(t, srv, tokens.str("refresh_token"))
	assert.Equal(t, true, rt.Body["active"])
	assert.Equal(t, "refresh_token", rt.Body["token_type"])

	assert.Equal(t, map[string]any{"active": false}, introspect(t, srv, "garbage").Body)
}

func TestIntrospectRequiresClientAuthentication(t *testing.T) {
	srv := newServer(t)
	got := post(t, srv, "/introspect", url.Values{"token": {"x"}}, "")
	assert.Equal(t, "invalid_client", got.str("error"))
	got = post(t, srv, "/introspect", url.Values{"token": {"x"}}, basic("mid", "wrong"))
	assert.Equal(t, http.StatusUnauthorized, got.Status)
}

// RFC 7662 §2.1: the endpoint requires client authentication; a public
// client naming itself with client_id authenticates nobody, and §2.3 answers
// 401. Otherwise anyone could probe which tokens are live.
func TestIntrospectRefusesPublicClients(t *testing.T) {
	srv := newServer(t)
	tok := srv.IssueAccessToken("alice", "api://x", "read")
	got := post(t, srv, "/introspect", url.Values{"token": {tok}, "client_id": {"public"}}, "")
	assert.Equal(t, http.StatusUnauthorized, got.Status, got.Raw)
	assert.Equal(t, "invalid_client", got.str("error"))
	assert.Nil(t, got.Body["active"], "nothing about the token is disclosed")
	assert.Equal(t, "no-store", got.Header.Get("Cache-Control"))

	meta := do(t, srv, mustGet(t, srv.URL()+"/.well-known/oauth-authorization-server"))
	assert.NotContains(t, meta.Body["introspection_endpoint_auth_methods_supported"], "none")
	assert.Contains(t, meta.Body["revocation_endpoint_auth_methods_supported"], "none", "RFC 7009 §2.1 lets public clients revoke")
}

func TestRevoke(t *testing.T) {
	tests := []struct {
		name       string
		token      func(r response) string
		hint       string
		auth       string
		wantStatus int
		wantErr    string
		// after revocation
		wantAccessActive  bool
		wantRefreshActive bool
	}{
		{"RefreshTokenRevokesFamily", func(r response) string { return r.str("refresh_token") }, "refresh_token", confAuth, 200, "", false, false},
		{"AccessTokenOnly", func(r response) string { return r.str("access_token") }, "", confAuth, 200, "", false, true},
		{"WrongHintStillWorks", func(r response) string { return r.str("refresh_token") }, "access_token", confAuth, 200, "", false, false},
		{"UnknownTokenIsFine", func(response) string { return "unknown" }, "", confAuth, 200, "", true, true},
		{"AnotherClientsToken", func(r response) string { return r.str("refresh_token") }, "", midAuth, 400, "unauthorized_client", true, true},
		{"WrongSecret", func(r response) string { return r.str("refresh_token") }, "", basic("conf", "x"), 401, "invalid_client", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			tokens := passwordTokens(t, srv, "read")
			form := url.Values{"token": {tt.token(tokens)}}
			if tt.hint != "" {
				form.Set("token_type_hint", tt.hint)
			}
			got := post(t, srv, "/revoke", form, tt.auth)
			assert.Equal(t, tt.wantStatus, got.Status, got.Raw)
			assert.Equal(t, tt.wantErr, got.str("error"))

			_, err := srv.VerifyAccessToken(tokens.str("access_token"))
			assert.Equal(t, tt.wantAccessActive, err == nil)
			assert.Equal(t, tt.wantAccessActive, introspect(t, srv, tokens.str("access_token")).Body["active"])
			assert.Equal(t, tt.wantRefreshActive, introspect(t, srv, tokens.str("refresh_token")).Body["active"])
			refreshed := token(t, srv, refreshForm(tokens.str("refresh_token"), nil), confAuth)
			assert.Equal(t, tt.wantRefreshActive, refreshed.Status == http.StatusOK, refreshed.Raw)

			rec := srv.RequestsTo(oauth2flowstest.EndpointRevoke)
			require.Len(t, rec, 1)
			assert.Equal(t, tt.hint, rec[0].Form.Get("token_type_hint"))
		})
	}
}
