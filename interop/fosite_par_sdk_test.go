package interop

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

// TestFositePushAuthCodeURL pushes the authorization request (RFC 9126)
// to fosite's PAR handler, follows the returned URL through fosite's
// authorize endpoint and redeems the code.
func TestFositePushAuthCodeURL(t *testing.T) {
	env := fositeServer(t)
	ctx := context.Background()
	for _, client := range []string{fositeBasicClient, fositePostClient, fositePublicClient, fositeECClient} {
		t.Run(client, func(t *testing.T) {
			cfg := env.sdkConfig(t, client)
			cfg.Scopes = []string{"openid", "read"}
			state, verifier := oauth2flows.NewState(), oauth2flows.NewVerifier()
			authURL, err := oauth2flows.PushAuthCodeURL(ctx, cfg, state, oauth2flows.WithPKCE(verifier),
				oauth2flows.WithParam("nonce", oauth2flows.NewState()))
			require.NoError(t, err)

			pushed := env.Wire.lastTo(t, env.Endpoint.PushedAuthURL)
			assert.Equal(t, client, pushed.Form.Get("client_id"), "RFC 9126 §2.1: client_id in the body")
			assert.Equal(t, state, pushed.Form.Get("state"))
			assert.Equal(t, "openid read", pushed.Form.Get("scope"))
			assert.Equal(t, "S256", pushed.Form.Get("code_challenge_method"))
			assert.False(t, pushed.Form.Has("code_verifier"))
			if client == fositePublicClient {
				assert.Empty(t, pushed.Authorization)
			} else {
				assertClientAuth(t, pushed, cfg)
			}
			q := mustQuery(t, authURL)
			assert.Len(t, q, 2)
			assert.True(t, strings.HasPrefix(q.Get("request_uri"), "urn:ietf:params:oauth:request_uri:"))

			loc := authorizeRedirect(t, authURL)
			code, err := oauth2flows.ParseCallbackURL(cfg, loc.String(), state)
			require.NoError(t, err, "redirect: %s", loc)
			tok, err := oauth2flows.ExchangeCode(ctx, cfg, code, oauth2flows.WithPKCE(verifier))
			require.NoError(t, err)
			assert.NotEmpty(t, tok.AccessToken)
			assert.ElementsMatch(t, []string{"openid", "read"}, tok.Scopes())
		})
	}
}
