package interop

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

// The request side of FAPI 2.0 against oidc-provider's FAPI 2.0 profile with
// DPoP nonces required: PAR, PKCE, private_key_jwt (audience the issuer),
// DPoP-bound tokens, then JAR (a client that must sign its requests) and
// JARM. Every request meets use_dpop_nonce first, and oidc-provider refuses
// a client assertion it has seen ("client assertion tokens must only be
// used once"): before issue 22 the PAR retry failed with invalid_client.
func TestOIDCProviderFAPI2RequestSide(t *testing.T) {
	for _, tt := range []struct {
		name      string
		jar, jarm bool
	}{{"PAR+private_key_jwt+DPoP", false, false}, {"JAR", true, false}, {"JAR+JARM", true, true}} {
		t.Run(tt.name, func(t *testing.T) {
			key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			require.NoError(t, err)
			x, y := make([]byte, 32), make([]byte, 32)
			key.X.FillBytes(x)
			key.Y.FillBytes(y)
			enc := base64.RawURLEncoding.EncodeToString
			jwk, _ := json.Marshal(map[string]string{"kty": "EC", "crv": "P-256", "x": enc(x), "y": enc(y), "use": "sig", "alg": "ES256"})
			p := &oidcProvider{}
			env := []string{"FAPI_CLIENT_JWK=" + string(jwk)}
			if tt.jar {
				env = append(env, "FAPI_JAR=1")
			}
			if tt.jarm {
				env = append(env, "FAPI_JARM=1")
			}
			startNodeProvider(t, "fapi_request.mjs", p, env...)

			ctx := context.Background()
			md, err := oauth2flows.Discover(ctx, p.Issuer)
			require.NoError(t, err)
			dpopKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			require.NoError(t, err)
			cfg := &oauth2flows.Config{ClientID: "fapi", PrivateKey: key, AssertionAudience: oauth2flows.AudienceIssuer,
				DPoPKey: dpopKey, Endpoint: md.Endpoint(), RedirectURL: "https://app.example/cb",
				Scopes: []string{"openid", "offline_access"}}
			cfg.Endpoint.JWKSURL = p.Issuer + "/jwks" // until Discover fills it
			if tt.jar {
				cfg.RequestObjectKey = key
			}
			if tt.jarm {
				cfg.ResponseMode = "jwt"
			}
			state, verifier := oauth2flows.NewState(), oauth2flows.NewVerifier()
			authURL, err := oauth2flows.PushAuthCodeURL(ctx, cfg, state, oauth2flows.WithPKCE(verifier),
				oauth2flows.WithParam("prompt", "consent"))
			require.NoError(t, err)

			redirect := browse(t, authURL)
			if tt.jarm {
				assert.Contains(t, redirect, "?response=")
				assert.NotContains(t, redirect, "code=")
			}
			code, err := oauth2flows.ParseCallbackURL(cfg, redirect, state)
			require.NoError(t, err)
			tok, err := oauth2flows.ExchangeCode(ctx, cfg, code, oauth2flows.WithPKCE(verifier))
			require.NoError(t, err)
			assert.Equal(t, "DPoP", tok.TokenType)
			require.NotEmpty(t, tok.RefreshToken)
			next, err := oauth2flows.Refresh(ctx, cfg, tok.RefreshToken)
			require.NoError(t, err)
			assert.Equal(t, "DPoP", next.TokenType)
		})
	}
}

// browse follows the authorization URL as a browser does, cookies
// included, and returns the redirect to the client.
func browse(t *testing.T, authURL string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(r.URL.String(), "https://app.example/") {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := c.Get(authURL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	return resp.Header.Get("Location")
}
