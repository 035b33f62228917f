package interop

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

// TestFositeJWTBearer runs the two-legged JWT bearer grant (RFC 7523 §2.1)
// against fosite's jwt-bearer handler: no requested_token_use, the client
// authenticated as configured; fosite requires client authentication.
func TestFositeJWTBearer(t *testing.T) {
	env := fositeServer(t)
	ctx := context.Background()
	for _, client := range []string{fositeBasicClient, fositePostClient, fositeECClient} {
		t.Run(client, func(t *testing.T) {
			cfg := env.sdkConfig(t, client)
			assertion := env.userAssertion(t)
			tok, err := oauth2flows.JWTBearer(ctx, cfg, assertion, oauth2flows.WithScopes("read"))
			require.NoError(t, err)

			got := env.Wire.lastTo(t, env.Endpoint.TokenURL)
			assert.Equal(t, oauth2flows.GrantTypeJWTBearer, got.Form.Get("grant_type"))
			assert.Equal(t, assertion, got.Form.Get("assertion"))
			assert.False(t, got.Form.Has("requested_token_use"))
			assert.Equal(t, "read", got.Form.Get("scope"))
			assertClientAuth(t, got, cfg)

			assert.True(t, tok.IsBearer())
			status, body := postForm(t, env.Endpoint.IntrospectionURL, url.Values{"token": {tok.AccessToken}}, fositeBasicClient, fositeSecret)
			require.Equal(t, http.StatusOK, status)
			assert.Equal(t, fositeUpstreamUser, body["sub"])
		})
	}

	t.Run("source mints a fresh assertion", func(t *testing.T) {
		cfg := env.sdkConfig(t, fositeBasicClient)
		var minted []string
		src := oauth2flows.JWTBearerSource(cfg, func(context.Context) (string, error) {
			a := env.userAssertion(t)
			minted = append(minted, a)
			return a, nil
		}, oauth2flows.WithScopes("read"))
		tok, err := src.Token(ctx)
		require.NoError(t, err)
		assert.NotEmpty(t, tok.AccessToken)
		require.Len(t, minted, 1)
		assert.Equal(t, minted[0], env.Wire.lastTo(t, env.Endpoint.TokenURL).Form.Get("assertion"))
	})
}
