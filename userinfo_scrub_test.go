package oauth2flows_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/oauth2flows/oauth2flows"
)

// TestUserInfoNeverRepeatsTheToken: a userinfo endpoint that echoes the
// access token, in a status line net/http cannot parse (and quotes in its
// error) or in its challenge's error_description, never gets it into the
// error UserInfo returns.
func TestUserInfoNeverRepeatsTheToken(t *testing.T) {
	const token = "at-userinfo-secret-0123456789"
	for name, answer := range map[string]func(w http.ResponseWriter){
		"malformed status line": func(w http.ResponseWriter) {
			conn, rw, err := w.(http.Hijacker).Hijack()
			require.NoError(t, err)
			defer conn.Close()
			rw.WriteString("HTTP/1.1 " + token + " OK\r\n\r\n")
			rw.Flush()
		},
		"challenge description": func(w http.ResponseWriter) {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="token `+token+` expired"`)
			w.WriteHeader(http.StatusUnauthorized)
		},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				assert.Equal(t, "Bearer "+token, r.Header.Get("Authorization"), "the token went out")
				answer(w)
			}))
			t.Cleanup(srv.Close)
			cfg := &oauth2flows.Config{ClientID: "app", Endpoint: oauth2flows.Endpoint{UserInfoURL: srv.URL}}
			tok := &oauth2flows.Token{Token: oauth2.Token{AccessToken: token, TokenType: "Bearer"}}
			_, err := oauth2flows.UserInfo(t.Context(), cfg, tok, "alice")
			require.Error(t, err)
			assert.NotContains(t, err.Error(), token)
			if e := (*oauth2flows.Error)(nil); errors.As(err, &e) {
				assert.Equal(t, "invalid_token", e.Code)
				assert.Equal(t, "token [redacted] expired", e.Description)
			}
		})
	}
}

// TestTransportNeverRepeatsTheTokenInAnError: the resource server answers
// with a status line that echoes the token, which net/http quotes in its
// error; the Transport's error does not hold it, and stays an error
// about the request.
func TestTransportNeverRepeatsTheTokenInAnError(t *testing.T) {
	const token = "at-transport-secret-0123456789"
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "Bearer "+token, r.Header.Get("Authorization"), "the token went out")
		conn, rw, err := w.(http.Hijacker).Hijack()
		require.NoError(t, err)
		defer conn.Close()
		rw.WriteString("HTTP/1.1 " + token + " OK\r\n\r\n")
		rw.Flush()
	}))
	t.Cleanup(api.Close)
	src := oauth2flows.FromOAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token, TokenType: "Bearer"}))
	client := &http.Client{Transport: oauth2flows.NewTransport(src)}
	_, err := client.Get(api.URL)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), token)
	assert.Contains(t, err.Error(), "malformed HTTP status code", "what went wrong is still said")
}
