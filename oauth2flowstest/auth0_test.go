package oauth2flowstest_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// Auth0's layout: /oauth/token, token exchange with a required audience,
// and a refused exchange as 403 access_denied in the plain RFC 6749 shape.
func TestAuth0TokenExchange(t *testing.T) {
	srv := newServer(t, oauth2flowstest.WithAuth0())
	require.Equal(t, srv.URL()+"/oauth/token", srv.Endpoint().TokenURL)
	subject := srv.IssueAccessToken("auth0|alice", "api://mid", "read")
	tests := []struct {
		name    string
		form    url.Values
		status  int
		wantErr string
	}{
		{"WithAudience", exchangeForm(subject, url.Values{"audience": {"https://orders.example.com"}}), http.StatusOK, ""},
		{"WithoutAudience", exchangeForm(subject, nil), http.StatusBadRequest, "invalid_request"},
		{"SubjectForAnotherAPI", exchangeForm(srv.IssueAccessToken("auth0|alice", "https://billing.example.com"),
			url.Values{"audience": {"https://orders.example.com"}}), http.StatusForbidden, "access_denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := post(t, srv, "/oauth/token", tt.form, midAuth)
			require.Equal(t, tt.status, got.Status, got.Raw)
			if tt.wantErr == "" {
				assert.Equal(t, "https://orders.example.com", parseJWT(t, got.str("access_token"))["aud"])
				return
			}
			assert.Equal(t, tt.wantErr, got.str("error"))
			assert.NotEmpty(t, got.str("error_description"))
			assert.Len(t, got.Body, 2, `{"error","error_description"} only`)
		})
	}
	assert.Len(t, srv.RequestsTo(oauth2flowstest.EndpointToken), len(tests))
	meta := getJSON(t, srv, "/.well-known/openid-configuration")
	assert.Equal(t, srv.URL()+"/oauth/token", meta.str("token_endpoint"))

	// Without WithAuth0 there is no /oauth/token, and audience is optional.
	generic := newServer(t)
	assert.Equal(t, http.StatusNotFound, post(t, generic, "/oauth/token", exchangeForm(subject, nil), midAuth).Status)
}
