package interop

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

// fapiSession is one sign-in's secrets, kept by the client between the
// authorization request and the callback.
type fapiSession struct {
	state, verifier, nonce string
}

// fapiAuthorize pushes the authorization request (PAR, PKCE, nonce; JAR for
// fapi-ms) and follows it through the browser to the callback URL.
func fapiAuthorize(t *testing.T, cfg *oauth2flows.Config) (callback string, s fapiSession) {
	t.Helper()
	s = fapiSession{oauth2flows.NewState(), oauth2flows.NewVerifier(), oauth2flows.NewNonce()}
	authURL, err := oauth2flows.PushAuthCodeURL(t.Context(), cfg, s.state, oauth2flows.WithPKCE(s.verifier), oauth2flows.WithNonce(s.nonce))
	require.NoError(t, err)
	return browse(t, authURL), s
}

// fapiRedeem parses the callback, redeems the code with DPoP and
// verifies the ID token: what an RP does with a callback.
func fapiRedeem(t *testing.T, cfg *oauth2flows.Config, callback string, s fapiSession) (*oauth2flows.Token, *oauth2flows.IDTokenClaims, error) {
	t.Helper()
	code, err := oauth2flows.ParseCallbackURL(cfg, callback, s.state)
	if err != nil {
		return nil, nil, err
	}
	tok, err := oauth2flows.ExchangeCode(t.Context(), cfg, code, oauth2flows.WithPKCE(s.verifier))
	if err != nil {
		return nil, nil, err
	}
	claims, err := tok.VerifyIDToken(t.Context(), cfg, s.nonce)
	return tok, claims, err
}

// TestOIDCProviderFAPI2HappyPaths is the conformance suite's
// fapi2-security-profile-final-client-test-happy-path (with DPoP server
// nonces), -happy-path-no-dpop-nonce, and the Message Signing plan's happy
// path (JAR and JARM), against oidc-provider's FAPI 2.0 profile: sign-in,
// ID token, userinfo, refresh, logout URL.
func TestOIDCProviderFAPI2HappyPaths(t *testing.T) {
	for _, tc := range []struct {
		name   string
		client string
		nonces bool
	}{
		{"fapi2-security-profile-final-client-test-happy-path", "fapi-pkjwt", true},
		{"fapi2-security-profile-final-client-test-happy-path-no-dpop-nonce", "fapi-pkjwt", false},
		{"fapi2-message-signing-final-client-test-happy-path (JAR, JARM)", "fapi-ms", true},
		{"fapi2-message-signing-final-client-test-happy-path (JAR, plain response)", "fapi-ms-jar", true},
		{"fapi2-security-profile-final-client-test-happy-path (tls_client_auth, certificate-bound tokens)", "fapi-mtls", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startFAPIProvider(t, tc.nonces)
			cfg := f.config(t, strings.TrimSuffix(tc.client, "-jar"))
			if tc.client == "fapi-ms-jar" {
				cfg.ResponseMode = "" // a signed request, a plain response with iss
			}
			callback, s := fapiAuthorize(t, cfg)
			cb, err := url.Parse(callback)
			require.NoError(t, err)
			if cfg.ResponseMode == "jwt" {
				assert.NotEmpty(t, cb.Query().Get("response"), "a JARM response")
				assert.False(t, cb.Query().Has("code"), "nothing outside the JWT")
			} else {
				assert.Equal(t, f.Issuer, cb.Query().Get("iss"), "RFC 9207 iss")
			}
			tok, claims, err := fapiRedeem(t, cfg, callback, s)
			require.NoError(t, err)
			if tc.client == "fapi-mtls" {
				assert.True(t, strings.EqualFold("Bearer", tok.TokenType), "bound to the certificate, not to a DPoP key")
			} else {
				assert.Equal(t, "DPoP", tok.TokenType)
			}
			assert.Equal(t, "alice", claims.Subject)
			assert.Equal(t, s.nonce, claims.Nonce)
			assert.Equal(t, f.Issuer, claims.Issuer)

			info, err := oauth2flows.UserInfo(t.Context(), cfg, tok, claims.Subject)
			require.NoError(t, err, "userinfo with the DPoP-bound token")
			assert.Equal(t, "alice", info.Subject)
			if tc.client == "fapi-mtls" {
				// RFC 8705 §3: without the certificate the bound token is refused.
				bare := *cfg
				bare.Certificate, bare.HTTPClient = nil, nil // to the plain userinfo_endpoint
				_, err := oauth2flows.UserInfo(t.Context(), &bare, tok, claims.Subject)
				var oe *oauth2flows.Error
				require.ErrorAs(t, err, &oe, "the token is certificate-bound")
				assert.Equal(t, 401, oe.StatusCode)
			}

			require.NotEmpty(t, tok.RefreshToken)
			next, err := oauth2flows.Refresh(t.Context(), cfg, tok.RefreshToken)
			require.NoError(t, err, "refresh with DPoP and a new client assertion, or with the certificate")
			assert.Equal(t, tok.TokenType, next.TokenType)
			if next.IDToken != "" {
				_, err = next.VerifyIDToken(t.Context(), cfg, "")
				require.NoError(t, err, "the refreshed ID token")
			}

			logout, err := oauth2flows.LogoutURL(cfg, tok.IDToken, fapiPostLogout, oauth2flows.NewState())
			require.NoError(t, err)
			resp, err := noRedirectClient().Get(logout)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, 200, resp.StatusCode, "oidc-provider accepts the logout request and asks the user to confirm")
		})
	}
}
