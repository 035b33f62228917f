package oauth2flowstest_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// dpopKey is a client's DPoP key pair, with its public JWK and RFC 7638
// thumbprint computed independently of the server's code.
type dpopKey struct {
	priv   any
	method jwt.SigningMethod
	jwk    map[string]any
	jkt    string
}

func newECDPoPKey(t *testing.T) dpopKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	b, err := k.PublicKey.Bytes()
	require.NoError(t, err)
	x, y := enc(b[1:33]), enc(b[33:65])
	sum := sha256.Sum256([]byte(`{"crv":"P-256","kty":"EC","x":"` + x + `","y":"` + y + `"}`))
	return dpopKey{k, jwt.SigningMethodES256, map[string]any{"kty": "EC", "crv": "P-256", "x": x, "y": y}, enc(sum[:])}
}

func rsaDPoPKey(k *rsa.PrivateKey, method jwt.SigningMethod) dpopKey {
	n, e := enc(k.N.Bytes()), enc(big.NewInt(int64(k.E)).Bytes())
	sum := sha256.Sum256([]byte(`{"e":"` + e + `","kty":"RSA","n":"` + n + `"}`))
	return dpopKey{k, method, map[string]any{"kty": "RSA", "n": n, "e": e}, enc(sum[:])}
}

func enc(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// proofEdit changes a proof's header or claims before it is signed.
type proofEdit func(h map[string]any, c jwt.MapClaims)

// proof signs a DPoP proof (RFC 9449 §4.2) for method and htu.
func (k dpopKey) proof(t *testing.T, method, htu string, edits ...proofEdit) string {
	t.Helper()
	c := jwt.MapClaims{"jti": randomID(t), "htm": method, "htu": htu, "iat": time.Now().Unix()}
	tok := jwt.NewWithClaims(k.method, c)
	tok.Header["typ"] = "dpop+jwt"
	jwk := map[string]any{}
	for name, v := range k.jwk {
		jwk[name] = v
	}
	tok.Header["jwk"] = jwk
	for _, e := range edits {
		e(tok.Header, c)
	}
	s, err := tok.SignedString(k.priv)
	require.NoError(t, err)
	return s
}

func withAccessToken(at string) proofEdit {
	sum := sha256.Sum256([]byte(at))
	return func(_ map[string]any, c jwt.MapClaims) { c["ath"] = enc(sum[:]) }
}

func withNonce(n string) proofEdit {
	return func(_ map[string]any, c jwt.MapClaims) { c["nonce"] = n }
}

func randomID(t *testing.T) string {
	var b [16]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	return enc(b[:])
}

// postWithProofs posts a form to path with the given DPoP headers.
func postWithProofs(t *testing.T, srv *oauth2flowstest.Server, path string, form url.Values, auth string, proofs ...string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL()+path, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	return do(t, srv, req)
}

// randReader is crypto/rand's reader, for key generation in tables.
var randReader = rand.Reader
