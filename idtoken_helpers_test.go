package oauth2flows_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

// oidcIssuer is an OpenID Provider's signing side for the ID token tests:
// an RSA, a P-256 and an Ed25519 key, published at /jwks, and a signer of
// ID tokens with any header and claims, good or bad.
type oidcIssuer struct {
	srv     *httptest.Server
	rsa     *rsa.PrivateKey
	ec      *ecdsa.PrivateKey
	ed      ed25519.PrivateKey
	fetches atomic.Int64
}

const (
	oidcClientID = "rp-client"
	oidcNonce    = "n-0S6_WzA2Mj"
	oidcAccess   = "access-token-value-for-at-hash"
)

func newOIDCIssuer(t testing.TB) *oidcIssuer {
	t.Helper()
	i := &oidcIssuer{rsa: rsaKey(t), ec: ecKey(t)}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	i.ed = ed
	i.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/jwks" {
			http.NotFound(w, r)
			return
		}
		i.fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []any{
			jwkOfKey("rsa", &i.rsa.PublicKey), jwkOfKey("ec", &i.ec.PublicKey), jwkOfKey("ed", i.ed.Public()),
		}})
	}))
	t.Cleanup(i.srv.Close)
	return i
}

// jwkOfKey is the public JWK of a test key (RFC 7517, RFC 8037).
func jwkOfKey(kid string, pub crypto.PublicKey) map[string]string {
	b64 := base64.RawURLEncoding.EncodeToString
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return map[string]string{"kty": "RSA", "kid": kid, "n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
	case *ecdsa.PublicKey:
		pt, _ := k.Bytes() // 0x04 || X || Y
		return map[string]string{"kty": "EC", "kid": kid, "crv": "P-256", "x": b64(pt[1:33]), "y": b64(pt[33:])}
	case ed25519.PublicKey:
		return map[string]string{"kty": "OKP", "kid": kid, "crv": "Ed25519", "x": b64(k)}
	}
	panic("test key type")
}

// config is an RP's Config for the issuer.
func (i *oidcIssuer) config() *oauth2flows.Config {
	return &oauth2flows.Config{
		ClientID: oidcClientID,
		Endpoint: oauth2flows.Endpoint{Issuer: i.srv.URL, JWKSURL: i.srv.URL + "/jwks"},
	}
}

// claims are good ID token claims for the RP, with at_hash of oidcAccess.
func (i *oidcIssuer) claims() jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"iss": i.srv.URL, "sub": "user-1", "aud": oidcClientID,
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "auth_time": now.Add(-time.Minute).Unix(),
		"nonce": oidcNonce, "at_hash": leftHash(oidcAccess),
	}
}

// sign signs claims with the key of method's kind, under kid.
func (i *oidcIssuer) sign(t testing.TB, method jwt.SigningMethod, kid string, claims jwt.MapClaims) string {
	t.Helper()
	var key any
	switch method.Alg() {
	case "RS256", "PS256":
		key = i.rsa
	case "ES256":
		key = i.ec
	case "EdDSA":
		key = i.ed
	}
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	require.NoError(t, err)
	return s
}

// leftHash is an at_hash or c_hash for a SHA-256 algorithm.
func leftHash(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// unsigned builds a JWT with any header and claims and the given
// signature segment, as a forger would.
func unsigned(t testing.TB, header map[string]any, claims jwt.MapClaims, sig string) string {
	t.Helper()
	h, err := json.Marshal(header)
	require.NoError(t, err)
	c, err := json.Marshal(claims)
	require.NoError(t, err)
	enc := base64.RawURLEncoding.EncodeToString
	return enc(h) + "." + enc(c) + "." + sig
}

func tokenWith(idToken string) *oauth2flows.Token {
	tok := &oauth2flows.Token{IDToken: idToken}
	tok.AccessToken, tok.TokenType = oidcAccess, "Bearer"
	return tok
}

// pemOf is the PEM of an RSA public key: what an attacker uses as the
// HMAC secret in the algorithm-confusion attack (RFC 8725 §2.1).
func pemOf(t *testing.T, pub *rsa.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}
