package interop

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

// The conformance suite's FAPI 2.0 client tests (plans
// fapi2-security-profile-final-client-test-plan and
// fapi2-message-signing-final-client-test-plan) play a misbehaving
// authorization server. Here oidc-provider in its FAPI 2.0 profile answers,
// and the tampering proxy or the test changes its answer as each module
// does, signed with the server's own key where the module signs. Each case
// is named after its module; interop/README.md lists the results.

// TestOIDCProviderFAPI2BadIDTokens: the ID token of the token response,
// changed by the proxy. The SDK must refuse each in VerifyIDToken (OpenID
// Connect Core §3.1.3.7), or accept it where the module expects that.
func TestOIDCProviderFAPI2BadIDTokens(t *testing.T) {
	f := startFAPIProvider(t, true)
	sign := func(method jwt.SigningMethod, kid string) func(*testing.T, jwt.MapClaims) string {
		return func(t *testing.T, c jwt.MapClaims) string { return f.forge(t, c, method, kid) }
	}
	es256 := sign(jwt.SigningMethodES256, "ec")
	tests := []struct {
		module string
		edit   func(jwt.MapClaims)
		sign   func(*testing.T, jwt.MapClaims) string
		want   oauth2flows.IDTokenReason // "" : accepted
	}{
		{"fapi2-security-profile-final-client-test-invalid-iss", func(c jwt.MapClaims) { c["iss"] = f.Issuer + "/other" }, es256, oauth2flows.IDTokenIssuer},
		{"fapi2-security-profile-final-client-test-invalid-missing-iss", func(c jwt.MapClaims) { delete(c, "iss") }, es256, oauth2flows.IDTokenIssuer},
		{"fapi2-security-profile-final-client-test-invalid-aud", func(c jwt.MapClaims) { c["aud"] = "invalid-client-id" }, es256, oauth2flows.IDTokenAudience},
		{"fapi2-security-profile-final-client-test-invalid-missing-aud", func(c jwt.MapClaims) { delete(c, "aud") }, es256, oauth2flows.IDTokenAudience},
		{"fapi2-security-profile-final-client-test-invalid-secondary-aud", func(c jwt.MapClaims) { c["aud"] = []any{c["aud"], "untrusted-client"} }, es256, oauth2flows.IDTokenAudience},
		{"fapi2-security-profile-final-client-test-valid-aud-as-array", func(c jwt.MapClaims) { c["aud"] = []any{c["aud"]} }, es256, ""},
		{"fapi2-security-profile-final-client-test-invalid-null-alg", nil, sign(jwt.SigningMethodNone, ""), oauth2flows.IDTokenAlgorithm},
		{"fapi2-security-profile-final-client-test-invalid-alternate-alg", nil, sign(jwt.SigningMethodRS256, "rsa"), oauth2flows.IDTokenAlgorithm},
		{"fapi2-security-profile-final-client-test-invalid-expired-exp", func(c jwt.MapClaims) {
			c["iat"], c["exp"] = time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-time.Hour).Unix()
		}, es256, oauth2flows.IDTokenExpired},
		{"fapi2-security-profile-final-client-test-invalid-missing-exp", func(c jwt.MapClaims) { delete(c, "exp") }, es256, oauth2flows.IDTokenExpired},
		{"fapi2-security-profile-final-client-test-invalid-nonce", func(c jwt.MapClaims) { c["nonce"] = "not-the-nonce-sent" }, es256, oauth2flows.IDTokenNonce},
		{"fapi2-security-profile-final-client-test-invalid-missing-nonce", func(c jwt.MapClaims) { delete(c, "nonce") }, es256, oauth2flows.IDTokenNonce},
		{"oidcc-client-test-invalid-sig-es256 (a key the issuer never published)", nil, signedByOther(t), oauth2flows.IDTokenSignature},
		{"azp of another client (Core §3.1.3.7 step 5)", func(c jwt.MapClaims) { c["azp"] = "another-client" }, es256, oauth2flows.IDTokenAuthorizedParty},
		{"at_hash of another access token", func(c jwt.MapClaims) { c["at_hash"] = "AAAAAAAAAAAAAAAAAAAAAA" }, es256, oauth2flows.IDTokenAccessTokenHash},
	}
	for _, tc := range tests {
		t.Run(tc.module, func(t *testing.T) {
			cfg := f.config(t, "fapi-pkjwt")
			callback, s := fapiAuthorize(t, cfg)
			var forged string
			f.proxy.set(func(m map[string]any) {
				c := claimsOf(t, m["id_token"].(string))
				if tc.edit != nil {
					tc.edit(c)
				}
				forged = tc.sign(t, c)
				m["id_token"] = forged
			})
			tok, claims, err := fapiRedeem(t, cfg, callback, s)
			require.NotNil(t, tok, "the code is redeemed; the ID token is what is refused")
			require.Equal(t, forged, tok.IDToken, "the proxy forged this response")
			if tc.want == "" {
				require.NoError(t, err)
				assert.Equal(t, "alice", claims.Subject)
				return
			}
			var ie *oauth2flows.IDTokenError
			require.ErrorAs(t, err, &ie)
			assert.Equal(t, tc.want, ie.Reason, "%v", err)
			assert.Nil(t, claims)
			for _, seg := range strings.Split(forged, ".") {
				if len(seg) > 8 {
					assert.NotContains(t, err.Error(), seg)
				}
			}
		})
	}
}

// TestOIDCProviderFAPI2BadAuthorizationResponses: oidc-provider's
// authorization response, changed on its way to the client.
func TestOIDCProviderFAPI2BadAuthorizationResponses(t *testing.T) {
	f := startFAPIProvider(t, true)
	tests := []struct {
		module string
		edit   func(q url.Values)
		param  string
	}{
		{"fapi2-security-profile-final-client-test-invalid-authorization-response-iss", func(q url.Values) { q.Set("iss", "https://attacker.example") }, "iss"},
		{"fapi2-security-profile-final-client-test-remove-authorization-response-iss", func(q url.Values) { q.Del("iss") }, "iss"},
		{"fapi2-security-profile-final-client-test-ensure-authorization-response-with-invalid-state-fails", func(q url.Values) { q.Set("state", "not-the-state") }, "state"},
		{"fapi2-security-profile-final-client-test-ensure-authorization-response-with-invalid-missing-state-fails", func(q url.Values) { q.Del("state") }, "state"},
	}
	for _, tc := range tests {
		t.Run(tc.module, func(t *testing.T) {
			assert.Equal(t, tc.param, tamperedCallback(t, f.config(t, "fapi-pkjwt"), tc.edit).Param)
		})
	}
}

// TestOIDCProviderFAPI2BadJARMResponses: the JARM "response" JWT of
// oidc-provider (client fapi-ms), re-signed with the server's key after a
// change, or signed otherwise. ParseCallbackURL must refuse each (JARM
// §2.4).
func TestOIDCProviderFAPI2BadJARMResponses(t *testing.T) {
	f := startFAPIProvider(t, true)
	es256 := func(t *testing.T, c jwt.MapClaims) string { return f.forge(t, c, jwt.SigningMethodES256, "ec") }
	tests := []struct {
		module string
		edit   func(jwt.MapClaims)
		sign   func(*testing.T, jwt.MapClaims) string
	}{
		{"fapi2-security-profile-final-client-test-ensure-jarm-without-iss-fails", func(c jwt.MapClaims) { delete(c, "iss") }, es256},
		{"fapi2-security-profile-final-client-test-ensure-jarm-with-invalid-iss-fails", func(c jwt.MapClaims) { c["iss"] = "https://attacker.example" }, es256},
		{"fapi2-security-profile-final-client-test-ensure-jarm-without-aud-fails", func(c jwt.MapClaims) { delete(c, "aud") }, es256},
		{"fapi2-security-profile-final-client-test-ensure-jarm-with-invalid-aud-fails", func(c jwt.MapClaims) { c["aud"] = "another-client" }, es256},
		{"fapi2-security-profile-final-client-test-ensure-jarm-without-exp-fails", func(c jwt.MapClaims) { delete(c, "exp") }, es256},
		{"fapi2-security-profile-final-client-test-ensure-jarm-with-expired-exp-fails", func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() }, es256},
		{"fapi2-security-profile-final-client-test-ensure-jarm-with-invalid-sig-fails", nil, signedByOther(t)},
		{"fapi2-security-profile-final-client-test-ensure-jarm-signature-is-not-none", nil, func(t *testing.T, c jwt.MapClaims) string {
			return f.forge(t, c, jwt.SigningMethodNone, "")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.module, func(t *testing.T) {
			ce := tamperedCallback(t, f.config(t, "fapi-ms"), func(q url.Values) {
				c := claimsOf(t, q.Get("response"))
				if tc.edit != nil {
					tc.edit(c)
				}
				q.Set("response", tc.sign(t, c))
			})
			assert.Equal(t, "response", ce.Param)
		})
	}
}

// TestOIDCProviderFAPI2TokenResponses: token responses a client must
// accept (the suite's -token-endpoint-response-without-expires-in and
// -token-type-case-insensitivity) and the DPoP downgrade it must refuse.
func TestOIDCProviderFAPI2TokenResponses(t *testing.T) {
	f := startFAPIProvider(t, true)
	tests := []struct {
		module string
		edit   func(map[string]any)
		ok     bool
	}{
		{"fapi2-security-profile-final-client-test-token-endpoint-response-without-expires-in", func(m map[string]any) { delete(m, "expires_in") }, true},
		{"fapi2-security-profile-final-client-test-token-type-case-insensitivity", func(m map[string]any) { m["token_type"] = "dPoP" }, true},
		{"DPoP downgrade: token_type Bearer after a proof", func(m map[string]any) { m["token_type"] = "Bearer" }, false},
	}
	for _, tc := range tests {
		t.Run(tc.module, func(t *testing.T) {
			cfg := f.config(t, "fapi-pkjwt")
			callback, s := fapiAuthorize(t, cfg)
			f.proxy.set(tc.edit)
			tok, _, err := fapiRedeem(t, cfg, callback, s)
			if !tc.ok {
				require.Error(t, err)
				assert.Nil(t, tok)
				return
			}
			require.NoError(t, err)
			assert.True(t, strings.EqualFold("DPoP", tok.TokenType), tok.TokenType)
			_, err = oauth2flows.UserInfo(t.Context(), cfg, tok, "alice")
			require.NoError(t, err, "and the token is used as a DPoP token")
		})
	}
}

// TestOIDCProviderFAPI2DiscoveryIssuerMismatch is
// fapi2-security-profile-final-client-test-discovery-issuer-mismatch: the
// metadata at one URL names another issuer, and Discover refuses it
// (RFC 8414 §3.3).
func TestOIDCProviderFAPI2DiscoveryIssuerMismatch(t *testing.T) {
	f := startFAPIProvider(t, true)
	md, err := oauth2flows.Discover(t.Context(), f.proxy.srv.URL)
	assert.Nil(t, md)
	var de *oauth2flows.DiscoveryError
	require.ErrorAs(t, err, &de)
	assert.Contains(t, de.Reason, "not an exact match")
}

// signedByOther signs with a P-256 key the server never published, under
// the server's kid "ec": a bad signature.
func signedByOther(t *testing.T) func(*testing.T, jwt.MapClaims) string {
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return func(t *testing.T, c jwt.MapClaims) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, c)
		tok.Header["kid"] = "ec"
		s, err := tok.SignedString(other)
		require.NoError(t, err)
		return s
	}
}

// tamperedCallback signs in with cfg, changes the authorization response's
// query with edit on its way to the client, and returns ParseCallbackURL's
// refusal.
func tamperedCallback(t *testing.T, cfg *oauth2flows.Config, edit func(url.Values)) *oauth2flows.CallbackError {
	t.Helper()
	callback, s := fapiAuthorize(t, cfg)
	u, err := url.Parse(callback)
	require.NoError(t, err)
	q := u.Query()
	edit(q)
	u.RawQuery = q.Encode()
	code, err := oauth2flows.ParseCallbackURL(cfg, u.String(), s.state)
	assert.Empty(t, code)
	var ce *oauth2flows.CallbackError
	require.ErrorAs(t, err, &ce, "%v", err)
	return ce
}
