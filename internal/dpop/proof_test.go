package dpop_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/internal/dpop"
	"github.com/oauth2flows/oauth2flows/internal/jws"
)

// kmsKey exposes only Public and Sign, as a cloud KMS or HSM signer does.
type kmsKey struct{ inner crypto.Signer }

func (k kmsKey) Public() crypto.PublicKey { return k.inner.Public() }
func (k kmsKey) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	return k.inner.Sign(r, d, o)
}

func ecKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return k
}

func rsaKey(t testing.TB) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	return k
}

func mustURL(t testing.TB, s string) *url.URL {
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}

// keyFromJWK is the verifier's side: the key comes from the proof's own
// "jwk" header (RFC 9449 §4.3 point 6), read independently of our code.
func keyFromJWK(t *testing.T, jwk map[string]any) crypto.PublicKey {
	t.Helper()
	b := func(k string) []byte {
		s, _ := jwk[k].(string)
		v, err := base64.RawURLEncoding.DecodeString(s)
		require.NoError(t, err, k)
		return v
	}
	switch jwk["kty"] {
	case "EC":
		require.Equal(t, "P-256", jwk["crv"])
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, b("x")...), b("y")...))
		require.NoError(t, err)
		return pub
	case "RSA":
		return &rsa.PublicKey{N: new(big.Int).SetBytes(b("n")), E: int(new(big.Int).SetBytes(b("e")).Int64())}
	}
	t.Fatalf("unexpected jwk %v", jwk)
	return nil
}

type proofClaims struct {
	JTI   string `json:"jti"`
	HTM   string `json:"htm"`
	HTU   string `json:"htu"`
	IAT   int64  `json:"iat"`
	Nonce string `json:"nonce"`
	ATH   string `json:"ath"`
	jwt.RegisteredClaims
}

// TestProofVerifiesWithGolangJWT checks proofs the way a server does: the
// signature verifies with the key of the embedded JWK, the header holds
// typ, alg and a public-only JWK, and the claims are those asked for.
func TestProofVerifiesWithGolangJWT(t *testing.T) {
	ec, rk := ecKey(t), rsaKey(t)
	tests := []struct {
		name    string
		key     crypto.Signer
		alg     string
		wantAlg string
		claims  dpop.Claims
		token   string // the access token whose ath the proof carries
	}{
		{"ES256 token request", ec, "", "ES256",
			dpop.Claims{Method: "POST", URL: mustURL(t, "https://AS.example.com:443/token?x=1#f")}, ""},
		{"ES256 via KMS with nonce and ath", kmsKey{ec}, "", "ES256",
			dpop.Claims{Method: "GET", URL: mustURL(t, "https://rs.example/api/v1"), Nonce: "eyJ7S_zG.eyJH0-Z.HX4w-7v"}, "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"},
		{"RS256", rk, "", "RS256",
			dpop.Claims{Method: "POST", URL: mustURL(t, "http://127.0.0.1:8080/token")}, ""},
		{"PS256 via KMS", kmsKey{rk}, "PS256", "PS256",
			dpop.Claims{Method: "PUT", URL: mustURL(t, "https://rs.example/x")}, "tok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := dpop.NewProver(tt.key, tt.alg)
			require.NoError(t, err)
			assert.Equal(t, tt.wantAlg, p.Alg())
			if tt.token != "" {
				tt.claims.ATH = dpop.ATH(tt.token)
			}
			before := time.Now().Unix()
			proof, err := p.Proof(tt.claims)
			require.NoError(t, err)

			var got proofClaims
			tok, err := jwt.ParseWithClaims(proof, &got, func(tok *jwt.Token) (any, error) {
				jwk, ok := tok.Header["jwk"].(map[string]any)
				require.True(t, ok)
				return keyFromJWK(t, jwk), nil
			}, jwt.WithValidMethods([]string{tt.wantAlg}))
			require.NoError(t, err)
			require.True(t, tok.Valid)

			// Header: exactly typ, alg and jwk; the jwk holds public members only.
			hdr, err := base64.RawURLEncoding.DecodeString(strings.Split(proof, ".")[0])
			require.NoError(t, err)
			var h map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(hdr, &h))
			assert.Len(t, h, 3)
			assert.JSONEq(t, `"dpop+jwt"`, string(h["typ"]))
			assert.JSONEq(t, `"`+tt.wantAlg+`"`, string(h["alg"]))
			var jwk map[string]string
			require.NoError(t, json.Unmarshal(h["jwk"], &jwk))
			for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"} {
				assert.NotContains(t, jwk, private)
			}
			wantJKT, err := jws.Thumbprint(tt.key.Public())
			require.NoError(t, err)
			assert.Equal(t, wantJKT, p.Thumbprint())

			u := *tt.claims.URL
			u.RawQuery, u.Fragment, u.Host, u.Scheme = "", "", strings.TrimSuffix(strings.ToLower(u.Host), ":443"), strings.ToLower(u.Scheme)
			assert.Equal(t, tt.claims.Method, got.HTM)
			assert.Equal(t, u.String(), got.HTU)
			assert.InDelta(t, before, got.IAT, 2)
			assert.Len(t, got.JTI, 22) // 128 bits
			assert.Equal(t, tt.claims.Nonce, got.Nonce)
			if tt.token != "" {
				sum := sha256.Sum256([]byte(tt.token))
				assert.Equal(t, base64.RawURLEncoding.EncodeToString(sum[:]), got.ATH)
			} else {
				assert.Empty(t, got.ATH)
				assert.NotContains(t, proof, "ath")
			}
		})
	}
}

// TestProofATHRFC9449 is the example of RFC 9449 §7.1.
func TestProofATHRFC9449(t *testing.T) {
	p, err := dpop.NewProver(ecKey(t), "")
	require.NoError(t, err)
	proof, err := p.Proof(dpop.Claims{Method: "GET", URL: mustURL(t, "https://resource.example.org/protectedresource"),
		ATH: dpop.ATH("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU")})
	require.NoError(t, err)
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(proof, ".")[1])
	require.NoError(t, err)
	var c proofClaims
	require.NoError(t, json.Unmarshal(payload, &c))
	assert.Equal(t, "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo", c.ATH)
	assert.Equal(t, "https://resource.example.org/protectedresource", c.HTU)
}

func TestProofHTUNormalisation(t *testing.T) {
	p, err := dpop.NewProver(ecKey(t), "")
	require.NoError(t, err)
	tests := []struct {
		in, want string
	}{
		{"https://server.example.com/token", "https://server.example.com/token"},
		{"HTTPS://Server.Example.COM/token", "https://server.example.com/token"},
		{"https://server.example.com:443/token", "https://server.example.com/token"},
		{"http://server.example.com:80/token", "http://server.example.com/token"},
		{"https://server.example.com:80/token", "https://server.example.com:80/token"},
		{"http://127.0.0.1:8080/token", "http://127.0.0.1:8080/token"},
		{"https://server.example.com:/token", "https://server.example.com/token"},
		{"https://server.example.com", "https://server.example.com/"},
		{"https://server.example.com?x=1", "https://server.example.com/"},
		{"https://server.example.com/token?code=secret&state=s#frag", "https://server.example.com/token"},
		{"https://user:pass@server.example.com/token", "https://server.example.com/token"},
		{"https://[::1]:443/token", "https://[::1]/token"},
		{"https://[::1]:8443/token", "https://[::1]:8443/token"},
		{"https://rs.example/a%2fb/%7euser", "https://rs.example/a%2Fb/%7Euser"},
		{"https://rs.example/a b", "https://rs.example/a%20b"},
		{"https://rs.example/Case/Kept", "https://rs.example/Case/Kept"},
		{"https://rs.example/%22quoted%22", "https://rs.example/%22quoted%22"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			proof, err := p.Proof(dpop.Claims{Method: "POST", URL: mustURL(t, tt.in)})
			require.NoError(t, err)
			payload, err := base64.RawURLEncoding.DecodeString(strings.Split(proof, ".")[1])
			require.NoError(t, err)
			var c proofClaims
			require.NoError(t, json.Unmarshal(payload, &c))
			assert.Equal(t, tt.want, c.HTU)
		})
	}
}

func TestProofRefusesBadInput(t *testing.T) {
	p, err := dpop.NewProver(ecKey(t), "")
	require.NoError(t, err)
	ok := mustURL(t, "https://as.example/token")
	tests := []struct {
		name    string
		claims  dpop.Claims
		wantErr error
	}{
		{"empty method", dpop.Claims{URL: ok}, dpop.ErrMethod},
		{"method with quote", dpop.Claims{Method: `PO"ST`, URL: ok}, dpop.ErrMethod},
		{"method with space", dpop.Claims{Method: "GET X", URL: ok}, dpop.ErrMethod},
		{"nil URL", dpop.Claims{Method: "GET"}, dpop.ErrURL},
		{"relative URL", dpop.Claims{Method: "GET", URL: mustURL(t, "/token")}, dpop.ErrURL},
		{"ftp", dpop.Claims{Method: "GET", URL: mustURL(t, "ftp://as.example/token")}, dpop.ErrURL},
		{"opaque", dpop.Claims{Method: "GET", URL: mustURL(t, "https:as.example")}, dpop.ErrURL},
		{"port only", dpop.Claims{Method: "GET", URL: &url.URL{Scheme: "https", Host: ":443"}}, dpop.ErrURL},
		{"host with quote", dpop.Claims{Method: "GET", URL: &url.URL{Scheme: "https", Host: `a"b`}}, dpop.ErrURL},
		{"non-ASCII host", dpop.Claims{Method: "GET", URL: &url.URL{Scheme: "https", Host: "bücher.example"}}, dpop.ErrURL},
		{"nonce with quote", dpop.Claims{Method: "GET", URL: ok, Nonce: `a"b`}, dpop.ErrNonce},
		{"nonce with space", dpop.Claims{Method: "GET", URL: ok, Nonce: "a b"}, dpop.ErrNonce},
		{"nonce too long", dpop.Claims{Method: "GET", URL: ok, Nonce: strings.Repeat("n", dpop.MaxNonceLen+1)}, dpop.ErrNonce},
		{"ath not a hash", dpop.Claims{Method: "GET", URL: ok, ATH: "the-access-token"}, dpop.ErrATH},
		{"ath with quote", dpop.Claims{Method: "GET", URL: ok, ATH: `"` + dpop.ATH("t")[1:]}, dpop.ErrATH},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proof, err := p.Proof(tt.claims)
			require.ErrorIs(t, err, tt.wantErr)
			assert.Empty(t, proof)
		})
	}
}

type failingSigner struct{ crypto.Signer }

func (f failingSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("kms: unavailable")
}

func TestProofSignerFailure(t *testing.T) {
	p, err := dpop.NewProver(failingSigner{ecKey(t)}, "")
	require.NoError(t, err)
	_, err = p.Proof(dpop.Claims{Method: "POST", URL: mustURL(t, "https://as.example/token")})
	require.ErrorIs(t, err, jws.ErrSign)
}

func TestNewProverRefusesKeys(t *testing.T) {
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	_, err = dpop.NewProver(p384, "")
	require.ErrorIs(t, err, jws.ErrCurve)
	_, err = dpop.NewProver(ecKey(t), "RS256")
	require.ErrorIs(t, err, jws.ErrAlgMismatch)
	_, err = dpop.NewProver(nil, "")
	require.ErrorIs(t, err, jws.ErrKeyType)
}

// TestProofJTIUnique: RFC 9449 §11.1 relies on jti for replay detection.
func TestProofJTIUnique(t *testing.T) {
	p, err := dpop.NewProver(ecKey(t), "")
	require.NoError(t, err)
	u := mustURL(t, "https://as.example/token")
	seen := make(map[string]bool, 10000)
	for range 10000 {
		proof, err := p.Proof(dpop.Claims{Method: "POST", URL: u})
		require.NoError(t, err)
		payload, err := base64.RawURLEncoding.DecodeString(strings.Split(proof, ".")[1])
		require.NoError(t, err)
		var c proofClaims
		require.NoError(t, json.Unmarshal(payload, &c))
		require.False(t, seen[c.JTI], "jti repeated")
		seen[c.JTI] = true
	}
}

// TestProverConcurrent: one Prover serves every request of a client.
func TestProverConcurrent(t *testing.T) {
	p, err := dpop.NewProver(ecKey(t), "")
	require.NoError(t, err)
	u := mustURL(t, "https://as.example/token")
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			var err error
			for range 50 {
				if _, err = p.Proof(dpop.Claims{Method: "POST", URL: u, ATH: dpop.ATH("t")}); err != nil {
					break
				}
			}
			errs <- err
		}()
	}
	for range 8 {
		require.NoError(t, <-errs)
	}
}

// TestProofLongURL: claims beyond the stack buffers still make a valid proof.
func TestProofLongURL(t *testing.T) {
	p, err := dpop.NewProver(ecKey(t), "")
	require.NoError(t, err)
	long := "https://rs.example/" + strings.Repeat("segment/", 300)
	proof, err := p.Proof(dpop.Claims{Method: "GET", URL: mustURL(t, long), Nonce: strings.Repeat("n", dpop.MaxNonceLen), ATH: dpop.ATH("t")})
	require.NoError(t, err)
	var c proofClaims
	_, err = jwt.ParseWithClaims(proof, &c, func(tok *jwt.Token) (any, error) {
		return keyFromJWK(t, tok.Header["jwk"].(map[string]any)), nil
	})
	require.NoError(t, err)
	assert.Equal(t, long, c.HTU)
}

// FuzzProofURL: whatever URL a caller passes, Proof either refuses it with
// ErrURL or makes claims that are valid JSON with an htu free of query and
// fragment.
func FuzzProofURL(f *testing.F) {
	for _, s := range []string{"https://as.example/token?x#y", "HTTP://[::1]:80/a%2fb", "https://a/\"", "https://u:p@h:/", "http://h/%zz"} {
		f.Add(s)
	}
	p, err := dpop.NewProver(ecKey(f), "")
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		proof, err := p.Proof(dpop.Claims{Method: "GET", URL: u})
		if err != nil {
			if !errors.Is(err, dpop.ErrURL) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		payload, err := base64.RawURLEncoding.DecodeString(strings.Split(proof, ".")[1])
		require.NoError(t, err)
		var c proofClaims
		if err := json.Unmarshal(payload, &c); err != nil {
			t.Fatalf("claims are not JSON: %s", payload)
		}
		if strings.ContainsAny(c.HTU, "?#") {
			t.Fatalf("htu %q keeps a query or fragment", c.HTU)
		}
		if !strings.HasPrefix(c.HTU, "https://") && !strings.HasPrefix(c.HTU, "http://") {
			t.Fatalf("htu %q", c.HTU)
		}
	})
}
