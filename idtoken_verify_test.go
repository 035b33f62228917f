package oauth2flows_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

func TestVerifyIDTokenAcceptsEachAllowedAlgorithm(t *testing.T) {
	iss := newOIDCIssuer(t)
	for _, tc := range []struct {
		method jwt.SigningMethod
		kid    string
	}{
		{jwt.SigningMethodRS256, "rsa"},
		{jwt.SigningMethodPS256, "rsa"},
		{jwt.SigningMethodES256, "ec"},
		{jwt.SigningMethodEdDSA, "ed"},
	} {
		t.Run(tc.method.Alg(), func(t *testing.T) {
			c := iss.claims()
			if tc.method.Alg() == "EdDSA" {
				delete(c, "at_hash") // a SHA-256 hash; EdDSA's is SHA-512
			}
			got, err := tokenWith(iss.sign(t, tc.method, tc.kid, c)).VerifyIDToken(context.Background(), iss.config(), oidcNonce)
			require.NoError(t, err)
			assert.Equal(t, "user-1", got.Subject)
			assert.Equal(t, iss.srv.URL, got.Issuer)
			assert.Equal(t, []string{oidcClientID}, got.Audience)
			assert.Equal(t, oidcNonce, got.Nonce)
			assert.WithinDuration(t, time.Now().Add(-time.Minute), got.AuthTime, 2*time.Second)
			var all map[string]any
			require.NoError(t, got.Claims(&all))
			assert.Equal(t, "user-1", all["sub"])
		})
	}
}

// TestVerifyIDTokenRefusals is every refusal of OpenID Connect Core
// §3.1.3.7 that the OpenID Foundation's RP tests (oidcc-client-test-*,
// fapi2-security-profile-final-client-test-*) check, each with its reason.
func TestVerifyIDTokenRefusals(t *testing.T) {
	iss := newOIDCIssuer(t)
	other := newOIDCIssuer(t) // a key the issuer never published
	with := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := iss.claims()
		edit(c)
		return c
	}
	es := func(c jwt.MapClaims) string { return iss.sign(t, jwt.SigningMethodES256, "ec", c) }
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, iss.claims())
	hs.Header["kid"] = "rsa"
	confused, err := hs.SignedString(pemOf(t, &iss.rsa.PublicKey))
	require.NoError(t, err)
	good := es(iss.claims())
	parts := strings.Split(good, ".")

	tests := []struct {
		name   string
		token  string
		cfg    func(*oauth2flows.Config)
		nonce  string
		reason oauth2flows.IDTokenReason
	}{
		{name: "invalid-signature", token: parts[0] + "." + parts[1] + "." + strings.Split(other.sign(t, jwt.SigningMethodES256, "ec", iss.claims()), ".")[2], reason: oauth2flows.IDTokenSignature},
		{name: "signed-by-unpublished-key", token: other.sign(t, jwt.SigningMethodES256, "ec-2", iss.claims()), reason: oauth2flows.IDTokenUnknownKey},
		{name: "invalid-null-alg", token: unsigned(t, map[string]any{"alg": "none", "typ": "JWT"}, iss.claims(), ""), reason: oauth2flows.IDTokenAlgorithm},
		{name: "alg-none-with-signature", token: unsigned(t, map[string]any{"alg": "none"}, iss.claims(), parts[2]), reason: oauth2flows.IDTokenAlgorithm},
		{name: "hs256-keyed-with-the-public-key", token: confused, reason: oauth2flows.IDTokenAlgorithm},
		{name: "invalid-alternate-alg (RS256 under FAPI 2.0)", token: iss.sign(t, jwt.SigningMethodRS256, "rsa", iss.claims()),
			cfg: func(c *oauth2flows.Config) { c.IDTokenAlgs = oauth2flows.FAPI2Algs() }, reason: oauth2flows.IDTokenAlgorithm},
		{name: "unknown-alg", token: unsigned(t, map[string]any{"alg": "XS999", "kid": "ec"}, iss.claims(), parts[2]), reason: oauth2flows.IDTokenAlgorithm},
		{name: "crit-header", token: func() string {
			tk := jwt.NewWithClaims(jwt.SigningMethodES256, iss.claims())
			tk.Header["kid"], tk.Header["crit"] = "ec", []string{"exp"}
			s, _ := tk.SignedString(iss.ec)
			return s
		}(), reason: oauth2flows.IDTokenMalformed},
		{name: "invalid-iss", token: es(with(func(c jwt.MapClaims) { c["iss"] = iss.srv.URL + "/other" })), reason: oauth2flows.IDTokenIssuer},
		{name: "invalid-missing-iss", token: es(with(func(c jwt.MapClaims) { delete(c, "iss") })), reason: oauth2flows.IDTokenIssuer},
		{name: "invalid-aud", token: es(with(func(c jwt.MapClaims) { c["aud"] = "another-client" })), reason: oauth2flows.IDTokenAudience},
		{name: "invalid-missing-aud", token: es(with(func(c jwt.MapClaims) { delete(c, "aud") })), reason: oauth2flows.IDTokenAudience},
		{name: "invalid-secondary-aud", token: es(with(func(c jwt.MapClaims) { c["aud"] = []string{oidcClientID, "untrusted"}; c["azp"] = oidcClientID })), reason: oauth2flows.IDTokenAudience},
		{name: "several-audiences-without-azp", token: es(with(func(c jwt.MapClaims) { c["aud"] = []string{oidcClientID, oidcClientID} })), reason: oauth2flows.IDTokenAuthorizedParty},
		{name: "azp-another-client", token: es(with(func(c jwt.MapClaims) { c["azp"] = "another-client" })), reason: oauth2flows.IDTokenAuthorizedParty},
		{name: "invalid-expired-exp", token: es(with(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-5 * time.Minute).Unix() })), reason: oauth2flows.IDTokenExpired},
		{name: "invalid-missing-exp", token: es(with(func(c jwt.MapClaims) { delete(c, "exp") })), reason: oauth2flows.IDTokenExpired},
		{name: "missing-iat", token: es(with(func(c jwt.MapClaims) { delete(c, "iat") })), reason: oauth2flows.IDTokenIssuedAt},
		{name: "iat-in-the-future", token: es(with(func(c jwt.MapClaims) { c["iat"] = time.Now().Add(time.Hour).Unix() })), reason: oauth2flows.IDTokenIssuedAt},
		{name: "missing-sub", token: es(with(func(c jwt.MapClaims) { delete(c, "sub") })), reason: oauth2flows.IDTokenSubject},
		{name: "invalid-nonce", token: es(with(func(c jwt.MapClaims) { c["nonce"] = "another-nonce" })), nonce: oidcNonce, reason: oauth2flows.IDTokenNonce},
		{name: "invalid-missing-nonce", token: es(with(func(c jwt.MapClaims) { delete(c, "nonce") })), nonce: oidcNonce, reason: oauth2flows.IDTokenNonce},
		{name: "invalid-at-hash", token: es(with(func(c jwt.MapClaims) { c["at_hash"] = leftHash("another access token") })), reason: oauth2flows.IDTokenAccessTokenHash},
		{name: "nonce-of-the-wrong-type", token: es(with(func(c jwt.MapClaims) { c["nonce"] = 42 })), reason: oauth2flows.IDTokenMalformed},
		{name: "not-a-jwt", token: "not.a-jwt", reason: oauth2flows.IDTokenMalformed},
		{name: "too-large", token: strings.Repeat("a", 70<<10) + "..", reason: oauth2flows.IDTokenMalformed},
		{name: "no-id-token", token: "", reason: oauth2flows.IDTokenMissing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := iss.config()
			if tc.cfg != nil {
				tc.cfg(cfg)
			}
			got, err := tokenWith(tc.token).VerifyIDToken(context.Background(), cfg, tc.nonce)
			require.Error(t, err)
			assert.Nil(t, got)
			var ie *oauth2flows.IDTokenError
			require.True(t, errors.As(err, &ie), "want an *IDTokenError, got %T: %v", err, err)
			assert.Equal(t, tc.reason, ie.Reason, "%v", err)
			assert.True(t, strings.HasPrefix(err.Error(), "oauth2flows: "), err.Error())
			if tc.token != "" {
				for _, seg := range strings.Split(tc.token, ".") {
					if len(seg) > 8 {
						assert.NotContains(t, err.Error(), seg, "the token is never in an error string")
					}
				}
			}
			assert.NotContains(t, err.Error(), oidcAccess)
		})
	}
}

func TestVerifyIDTokenValidAudAsArray(t *testing.T) {
	// fapi2-security-profile-final-client-test-valid-aud-as-array
	iss := newOIDCIssuer(t)
	c := iss.claims()
	c["aud"] = []string{oidcClientID}
	_, err := tokenWith(iss.sign(t, jwt.SigningMethodPS256, "rsa", c)).VerifyIDToken(context.Background(), iss.config(), oidcNonce)
	require.NoError(t, err)
}

func TestVerifyIDTokenWithoutNonceSentAcceptsAnyNonce(t *testing.T) {
	// A refreshed ID token carries the sign-in's nonce (OpenID Connect Core
	// §12.2); with no nonce sent there is nothing to compare.
	iss := newOIDCIssuer(t)
	_, err := tokenWith(iss.sign(t, jwt.SigningMethodES256, "ec", iss.claims())).VerifyIDToken(context.Background(), iss.config(), "")
	require.NoError(t, err)
}

func TestIDTokenCodeHashAndAuthTime(t *testing.T) {
	iss := newOIDCIssuer(t)
	c := iss.claims()
	c["c_hash"] = leftHash("the-code")
	got, err := tokenWith(iss.sign(t, jwt.SigningMethodES256, "ec", c)).VerifyIDToken(context.Background(), iss.config(), oidcNonce)
	require.NoError(t, err)
	require.NoError(t, got.VerifyCodeHash("the-code"))
	reason := func(err error) oauth2flows.IDTokenReason {
		var ie *oauth2flows.IDTokenError
		require.ErrorAs(t, err, &ie)
		return ie.Reason
	}
	assert.Equal(t, oauth2flows.IDTokenCodeHash, reason(got.VerifyCodeHash("another-code")))
	require.NoError(t, got.VerifyAuthTime(10*time.Minute))
	assert.Equal(t, oauth2flows.IDTokenAuthTime, reason(got.VerifyAuthTime(10*time.Second)), "authenticated a minute ago, max_age 10s")

	delete(c, "c_hash")
	delete(c, "auth_time")
	got, err = tokenWith(iss.sign(t, jwt.SigningMethodES256, "ec", c)).VerifyIDToken(context.Background(), iss.config(), oidcNonce)
	require.NoError(t, err)
	assert.Equal(t, oauth2flows.IDTokenCodeHash, reason(got.VerifyCodeHash("the-code")), "c_hash missing")
	assert.Equal(t, oauth2flows.IDTokenAuthTime, reason(got.VerifyAuthTime(time.Hour)), "auth_time missing with max_age")
}

func TestVerifyIDTokenKeySetIsFetchedOnceAcrossVerifications(t *testing.T) {
	iss := newOIDCIssuer(t)
	cfg := iss.config()
	cfg.KeySet = oauth2flows.NewKeySet(cfg.Endpoint.JWKSURL, nil)
	for range 20 {
		_, err := tokenWith(iss.sign(t, jwt.SigningMethodES256, "ec", iss.claims())).VerifyIDToken(context.Background(), cfg, oidcNonce)
		require.NoError(t, err)
	}
	require.EqualValues(t, 1, iss.fetches.Load(), "one fetch for twenty verifications")
	// Forged kids cost at most one refetch per minute, however many.
	for range 5 {
		_, err := tokenWith(iss.sign(t, jwt.SigningMethodES256, "forged", iss.claims())).VerifyIDToken(context.Background(), cfg, oidcNonce)
		require.Error(t, err)
	}
	assert.LessOrEqual(t, iss.fetches.Load(), int64(2))

	// Without a KeySet every verification fetches.
	cfg.KeySet = nil
	before := iss.fetches.Load()
	_, err := tokenWith(iss.sign(t, jwt.SigningMethodES256, "ec", iss.claims())).VerifyIDToken(context.Background(), cfg, oidcNonce)
	require.NoError(t, err)
	assert.EqualValues(t, before+1, iss.fetches.Load())
}

func TestVerifyIDTokenConfigErrors(t *testing.T) {
	iss := newOIDCIssuer(t)
	tok := tokenWith(iss.sign(t, jwt.SigningMethodES256, "ec", iss.claims()))
	for name, edit := range map[string]func(*oauth2flows.Config){
		"Config.ClientID":              func(c *oauth2flows.Config) { c.ClientID = "" },
		"Config.Endpoint.Issuer":       func(c *oauth2flows.Config) { c.Endpoint.Issuer = "" },
		"Config.Endpoint.JWKSURL":      func(c *oauth2flows.Config) { c.Endpoint.JWKSURL = "" },
		"Config.IDTokenAlgs":           func(c *oauth2flows.Config) { c.IDTokenAlgs = []string{"none", "HS256"} },
		"Config.KeySet":                func(c *oauth2flows.Config) { c.KeySet = oauth2flows.NewKeySet("https://elsewhere.example/jwks", nil) },
		"Config.Endpoint.JWKSURL http": func(c *oauth2flows.Config) { c.Endpoint.JWKSURL = "http://keys.example/jwks" },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := iss.config()
			edit(cfg)
			_, err := tok.VerifyIDToken(context.Background(), cfg, oidcNonce)
			var ce *oauth2flows.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "VerifyIDToken", ce.Op)
			assert.Equal(t, strings.TrimSuffix(name, " http"), ce.Field)
		})
	}
}
