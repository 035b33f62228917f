package interop

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2/clientcredentials"
)

// TestOIDCProviderHTTPClientCredentials proves the oidc-provider setup with
// plain net/http, independently of the SDK: client_secret_basic, a JWT
// access token (RFC 9068) for the configured resource.
func TestOIDCProviderHTTPClientCredentials(t *testing.T) {
	p := startOIDCProvider(t)
	status, body := postForm(t, p.TokenURL(), url.Values{"grant_type": {"client_credentials"}, "scope": {"read"}}, "conf", p.Secret)
	require.Equal(t, http.StatusOK, status, "%v", body)
	assert.Equal(t, "Bearer", body["token_type"])
	assert.Equal(t, "read", body["scope"])
	assert.EqualValues(t, 600, body["expires_in"])

	at, _ := body["access_token"].(string)
	claims := jwt.MapClaims{}
	tok, _, err := jwt.NewParser().ParseUnverified(at, claims)
	require.NoError(t, err)
	assert.Equal(t, "at+jwt", tok.Header["typ"])
	assert.Equal(t, p.Issuer, claims["iss"])
	assert.Equal(t, p.Resource, claims["aud"])
	assert.Equal(t, "conf", claims["client_id"])

	t.Run("WrongSecret", func(t *testing.T) {
		status, body := postForm(t, p.TokenURL(), url.Values{"grant_type": {"client_credentials"}}, "conf", "nope")
		assert.Equal(t, http.StatusUnauthorized, status)
		assert.Equal(t, "invalid_client", body["error"])
	})
	t.Run("XOAuth2", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cc := clientcredentials.Config{ClientID: "conf", ClientSecret: p.Secret, TokenURL: p.TokenURL(), Scopes: []string{"read"}}
		tok, err := cc.Token(ctx)
		require.NoError(t, err)
		assert.NotEmpty(t, tok.AccessToken)
	})
}
