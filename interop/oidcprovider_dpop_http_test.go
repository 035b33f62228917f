package interop

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// proofKey is a DPoP key with its public JWK.
type proofKey struct {
	priv   any
	method jwt.SigningMethod
	jwk    map[string]any
}

func ecProofKey(t *testing.T) proofKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	b, err := k.PublicKey.Bytes()
	require.NoError(t, err)
	e := base64.RawURLEncoding.EncodeToString
	return proofKey{k, jwt.SigningMethodES256, map[string]any{"kty": "EC", "crv": "P-256", "x": e(b[1:33]), "y": e(b[33:65])}}
}

func rsaProofKey(k *rsa.PrivateKey, m jwt.SigningMethod) proofKey {
	e := base64.RawURLEncoding.EncodeToString
	return proofKey{k, m, map[string]any{"kty": "RSA", "n": e(k.N.Bytes()), "e": e(big.NewInt(int64(k.E)).Bytes())}}
}

type proofEdit func(h map[string]any, c jwt.MapClaims)

func (k proofKey) proof(t *testing.T, htm, htu string, edits ...proofEdit) string {
	t.Helper()
	var id [12]byte
	_, _ = rand.Read(id[:])
	c := jwt.MapClaims{"jti": base64.RawURLEncoding.EncodeToString(id[:]), "htm": htm, "htu": htu, "iat": time.Now().Unix()}
	tok := jwt.NewWithClaims(k.method, c)
	jwk := map[string]any{}
	for n, v := range k.jwk {
		jwk[n] = v
	}
	tok.Header["typ"], tok.Header["jwk"] = "dpop+jwt", jwk
	for _, e := range edits {
		e(tok.Header, c)
	}
	s, err := tok.SignedString(k.priv)
	require.NoError(t, err)
	return s
}

// dpopTarget is one server's token endpoint and confidential client.
type dpopTarget struct {
	tokenURL, secret, scope string
}

// outcome is "ok" (token_type DPoP) or the error code.
func (d dpopTarget) outcome(t *testing.T, proofs ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {d.scope}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.tokenURL, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("conf", d.secret)
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var body map[string]any
	require.NoError(t, json.Unmarshal(raw, &body), string(raw))
	if resp.StatusCode == http.StatusOK {
		require.Equal(t, "DPoP", body["token_type"], string(raw))
		return "ok"
	}
	code, _ := body["error"].(string)
	return code
}

// TestDPoPProofsAgainstOIDCProvider sends the same DPoP proofs, good and
// bad, to oidc-provider (certified) and to oauth2flowstest, and checks
// the test server never accepts a proof oidc-provider refuses. Where the
// test server is stricter the row says so; see README.md.
func TestDPoPProofsAgainstOIDCProvider(t *testing.T) {
	p := startOIDCProvider(t)
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "conf", Secret: p.Secret}))
	defer srv.Close()
	targets := map[string]dpopTarget{
		"oidc-provider":   {p.TokenURL(), p.Secret, "read"},
		"oauth2flowstest": {srv.URL() + "/token", p.Secret, "api://res/read"},
	}
	ec, other := ecProofKey(t), ecProofKey(t)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	rk := clientRSAKey(t)
	claim := func(name string, v any) proofEdit {
		return func(_ map[string]any, c jwt.MapClaims) {
			if v == nil {
				delete(c, name)
			} else {
				c[name] = v
			}
		}
	}
	tests := []struct {
		name      string
		proofs    func(t *testing.T, htu string) []string
		oidc, our string // expected outcomes
	}{
		{"ES256", func(t *testing.T, u string) []string { return []string{ec.proof(t, "POST", u)} }, "ok", "ok"},
		{"PS256", func(t *testing.T, u string) []string {
			return []string{rsaProofKey(rk, jwt.SigningMethodPS256).proof(t, "POST", u)}
		}, "ok", "ok"},
		{"RS256", func(t *testing.T, u string) []string {
			return []string{rsaProofKey(rk, jwt.SigningMethodRS256).proof(t, "POST", u)}
		}, "ok", "ok"},
		{"UpperCaseScheme", func(t *testing.T, u string) []string {
			return []string{ec.proof(t, "POST", strings.Replace(u, "http:", "HTTP:", 1))}
		}, "ok", "ok"},
		{"TypJWT", func(t *testing.T, u string) []string {
			return []string{ec.proof(t, "POST", u, func(h map[string]any, _ jwt.MapClaims) { h["typ"] = "JWT" })}
		}, "invalid_dpop_proof", "invalid_dpop_proof"},
		{"SignedByAnotherKey", func(t *testing.T, u string) []string {
			return []string{other.proof(t, "POST", u, func(h map[string]any, _ jwt.MapClaims) { h["jwk"] = ec.jwk })}
		}, "invalid_dpop_proof", "invalid_dpop_proof"},
		{"PrivateKeyInJWK", func(t *testing.T, u string) []string {
			d, _ := ec.priv.(*ecdsa.PrivateKey).Bytes()
			return []string{ec.proof(t, "POST", u, func(h map[string]any, _ jwt.MapClaims) {
				h["jwk"].(map[string]any)["d"] = base64.RawURLEncoding.EncodeToString(d)
			})}
		}, "invalid_dpop_proof", "invalid_dpop_proof"},
		{"RSA1024", func(t *testing.T, u string) []string {
			return []string{rsaProofKey(small, jwt.SigningMethodRS256).proof(t, "POST", u)}
		}, "invalid_dpop_proof", "invalid_dpop_proof"},
		{"WrongMethod", func(t *testing.T, u string) []string { return []string{ec.proof(t, "GET", u)} }, "invalid_dpop_proof", "invalid_dpop_proof"},
		{"OtherPath", func(t *testing.T, u string) []string { return []string{ec.proof(t, "POST", u+"x")} }, "invalid_dpop_proof", "invalid_dpop_proof"},
		{"NoJTI", func(t *testing.T, u string) []string { return []string{ec.proof(t, "POST", u, claim("jti", nil))} }, "invalid_dpop_proof", "invalid_dpop_proof"},
		{"NoIAT", func(t *testing.T, u string) []string { return []string{ec.proof(t, "POST", u, claim("iat", nil))} }, "invalid_dpop_proof", "invalid_dpop_proof"},
		{"IATTenMinutesOld", func(t *testing.T, u string) []string {
			return []string{ec.proof(t, "POST", u, claim("iat", time.Now().Add(-10*time.Minute).Unix()))}
		}, "use_dpop_nonce", "invalid_dpop_proof"},
		{"UnknownNonce", func(t *testing.T, u string) []string {
			return []string{ec.proof(t, "POST", u, claim("nonce", "made-up"))}
		}, "use_dpop_nonce", "use_dpop_nonce"},
		{"TwoHeaders", func(t *testing.T, u string) []string { return []string{ec.proof(t, "POST", u), ec.proof(t, "POST", u)} }, "invalid_dpop_proof", "invalid_dpop_proof"},
		// Where the test server is stricter than oidc-provider:
		// RFC 9449 §4.2 says htu is "without query and fragment parts";
		// oidc-provider strips them before comparing.
		{"HTUWithQuery", func(t *testing.T, u string) []string { return []string{ec.proof(t, "POST", u+"?a=b")} }, "ok", "invalid_dpop_proof"},
		// oidc-provider accepts an iat up to 5 minutes either way; the test
		// server 60 s back and 5 s ahead (Keycloak is stricter still).
		{"IATTwoMinutesOld", func(t *testing.T, u string) []string {
			return []string{ec.proof(t, "POST", u, claim("iat", time.Now().Add(-2*time.Minute).Unix()))}
		}, "ok", "invalid_dpop_proof"},
		{"IATOneMinuteAhead", func(t *testing.T, u string) []string {
			return []string{ec.proof(t, "POST", u, claim("iat", time.Now().Add(time.Minute).Unix()))}
		}, "ok", "invalid_dpop_proof"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			oidc := targets["oidc-provider"]
			ours := targets["oauth2flowstest"]
			gotOIDC := oidc.outcome(t, tt.proofs(t, oidc.tokenURL)...)
			gotOurs := ours.outcome(t, tt.proofs(t, ours.tokenURL)...)
			assert.Equal(t, tt.oidc, gotOIDC, "oidc-provider")
			assert.Equal(t, tt.our, gotOurs, "oauth2flowstest")
			if gotOIDC != "ok" {
				assert.NotEqual(t, "ok", gotOurs, "the test server accepted a proof oidc-provider refuses")
			}
		})
	}
	t.Run("Replay", func(t *testing.T) {
		for name, target := range targets {
			proof := ec.proof(t, "POST", target.tokenURL)
			require.Equal(t, "ok", target.outcome(t, proof), name)
			// oidc-provider answers invalid_grant (its replay check runs in
			// the grant), the test server invalid_dpop_proof.
			assert.NotEqual(t, "ok", target.outcome(t, proof), name)
		}
	})
}
