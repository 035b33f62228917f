package jwks

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var enc = base64.RawURLEncoding.EncodeToString

func rsaJWK(t testing.TB, bits int, extra map[string]string) map[string]string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	require.NoError(t, err)
	m := map[string]string{"kty": "RSA", "kid": "r", "n": enc(k.N.Bytes()), "e": enc(big.NewInt(int64(k.E)).Bytes())}
	for a, b := range extra {
		m[a] = b
	}
	return m
}

func ecJWK(t testing.TB, curve elliptic.Curve, crv string) map[string]string {
	t.Helper()
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	require.NoError(t, err)
	b, err := k.PublicKey.Bytes()
	require.NoError(t, err)
	n := (len(b) - 1) / 2
	return map[string]string{"kty": "EC", "kid": "e", "crv": crv, "x": enc(b[1 : 1+n]), "y": enc(b[1+n:])}
}

func doc(keys ...map[string]string) []byte {
	b, _ := json.Marshal(map[string]any{"keys": keys})
	return b
}

func TestParseKeepsOnlyUsableSignatureKeys(t *testing.T) {
	rsaOK := rsaJWK(t, 2048, nil)
	p256 := ecJWK(t, elliptic.P256(), "P-256")
	p384 := ecJWK(t, elliptic.P384(), "P-384")
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	ed := map[string]string{"kty": "OKP", "crv": "Ed25519", "kid": "d", "x": enc(pub)}
	offCurve := map[string]string{"kty": "EC", "crv": "P-256", "x": p256["x"], "y": p256["x"]}
	tests := []struct {
		name string
		key  map[string]string
		ok   bool
	}{
		{"RSA 2048", rsaOK, true},
		{"P-256", p256, true},
		{"P-384", p384, true},
		{"Ed25519", ed, true},
		{"RSA 1024 is too weak", rsaJWK(t, 1024, nil), false},
		{"encryption key", rsaJWK(t, 2048, map[string]string{"use": "enc"}), false},
		{"private key published", rsaJWK(t, 2048, map[string]string{"d": "AQAB"}), false},
		{"symmetric key", map[string]string{"kty": "oct", "k": "c2VjcmV0"}, false},
		{"EC point off the curve", offCurve, false},
		{"EC coordinate too short", map[string]string{"kty": "EC", "crv": "P-256", "x": "AQAB", "y": "AQAB"}, false},
		{"unknown curve", map[string]string{"kty": "EC", "crv": "secp256k1", "x": p256["x"], "y": p256["y"]}, false},
		{"RSA key claiming ES256", rsaJWK(t, 2048, map[string]string{"alg": "ES256"}), false},
		{"RSA key claiming HS256", rsaJWK(t, 2048, map[string]string{"alg": "HS256"}), false},
		{"even exponent", map[string]string{"kty": "RSA", "n": rsaOK["n"], "e": enc([]byte{2})}, false},
		{"huge exponent", map[string]string{"kty": "RSA", "n": rsaOK["n"], "e": enc([]byte{1, 0, 0, 0, 1})}, false},
		{"bad base64", map[string]string{"kty": "RSA", "n": "!!", "e": "AQAB"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := Parse(doc(tt.key))
			if tt.ok {
				require.NoError(t, err)
				assert.Equal(t, 1, set.Len())
			} else {
				assert.Error(t, err)
			}
		})
	}
	// Unusable keys are skipped, not fatal.
	set, err := Parse(doc(offCurve, rsaOK, map[string]string{"kty": "oct", "k": "c2VjcmV0"}))
	require.NoError(t, err)
	assert.Equal(t, 1, set.Len())
}

func TestParseRefusesNonSets(t *testing.T) {
	for _, d := range []string{``, `[]`, `{}`, `{"keys":{}}`, `{"keys":[]}`, `null`, `{"keys":[1,"a",null]}`} {
		_, err := Parse([]byte(d))
		assert.Error(t, err, d)
	}
}

func TestParseBoundsTheNumberOfKeys(t *testing.T) {
	k := ecJWK(t, elliptic.P256(), "P-256")
	keys := make([]map[string]string, 500)
	for i := range keys {
		keys[i] = map[string]string{"kty": "EC", "crv": "P-256", "x": k["x"], "y": k["y"], "kid": fmt.Sprint(i)}
	}
	set, err := Parse(doc(keys...))
	require.NoError(t, err)
	assert.Equal(t, MaxKeys, set.Len())
}

// The key type is pinned to the algorithm: a key is found only for the
// algorithms of its type, and a kid-less token only when one key fits.
func TestFindPinsKeyTypeToAlgorithm(t *testing.T) {
	r := rsaJWK(t, 2048, map[string]string{"kid": "k1"})
	e := ecJWK(t, elliptic.P256(), "P-256")
	e["kid"] = "k2"
	ps := rsaJWK(t, 2048, map[string]string{"kid": "k3", "alg": "PS256"})
	set, err := Parse(doc(r, e, ps))
	require.NoError(t, err)
	tests := []struct {
		kid, alg string
		found    string
	}{
		{"k1", "RS256", "k1"},
		{"k1", "PS256", "k1"},
		{"k1", "ES256", ""},
		{"k1", "HS256", ""},
		{"k1", "none", ""},
		{"k2", "ES256", "k2"},
		{"k2", "ES384", ""},
		{"k2", "RS256", ""},
		{"k3", "PS256", "k3"},
		{"k3", "RS256", ""}, // the JWK says PS256 only
		{"", "ES256", "k2"}, // the only key that fits
		{"", "RS256", "k1"}, // k3 is PS256 only
		{"", "PS256", ""},   // k1 and k3 fit: never guess
		{"k9", "RS256", ""},
	}
	for _, tt := range tests {
		k, ok := set.Find(tt.kid, tt.alg)
		if tt.found == "" {
			assert.False(t, ok, "%s %s", tt.kid, tt.alg)
			continue
		}
		require.True(t, ok, "%s %s", tt.kid, tt.alg)
		assert.Equal(t, tt.found, k.ID)
	}
}

func FuzzParseKeySet(f *testing.F) {
	f.Add(doc(ecJWK(f, elliptic.P256(), "P-256")))
	f.Add(doc(rsaJWK(f, 2048, nil)))
	f.Add([]byte(`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"},{"kty":"EC","crv":"P-521","x":"","y":""}]}`))
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + strings.Repeat("A", 43) + `"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := Parse(data)
		if err != nil {
			return
		}
		require.Positive(t, set.Len())
		require.LessOrEqual(t, set.Len(), MaxKeys)
		for _, alg := range []string{"RS256", "PS256", "ES256", "ES384", "ES512", "EdDSA", "HS256", "none"} {
			if k, ok := set.Find("", alg); ok {
				require.True(t, k.Fits(alg))
				require.NotEqual(t, "HS256", alg)
				require.NotEqual(t, "none", alg)
			}
		}
	})
}

// A key's "issuer" (Entra's multi-tenant key sets) is kept for the caller
// to check; a key without one has none.
func TestParseKeepsTheKeysIssuer(t *testing.T) {
	withIssuer := ecJWK(t, elliptic.P256(), "P-256")
	withIssuer["issuer"] = "https://login.microsoftonline.com/{tenantid}/v2.0"
	without := ecJWK(t, elliptic.P256(), "P-256")
	without["kid"] = "f"
	set, err := Parse(doc(withIssuer, without))
	require.NoError(t, err)
	k, ok := set.Find("e", "ES256")
	require.True(t, ok)
	assert.Equal(t, "https://login.microsoftonline.com/{tenantid}/v2.0", k.Issuer)
	k, ok = set.Find("f", "ES256")
	require.True(t, ok)
	assert.Empty(t, k.Issuer)
}
