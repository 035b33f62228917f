package resource_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
)

// Keys of the validator tests, generated once per test binary, never
// committed.
var (
	vRSAKey  = sync.OnceValue(func() *rsa.PrivateKey { return newRSAKey() })
	vRSAKey2 = sync.OnceValue(func() *rsa.PrivateKey { return newRSAKey() })
	vECKey   = sync.OnceValue(func() *ecdsa.PrivateKey {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		return k
	})
)

func newRSAKey() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

// Fixtures of the validator tests.
const (
	vAudience = "api://orders"
	vKidRSA   = "rsa-1"
	vKidRSA2  = "rsa-2"
	vKidEC    = "ec-1"
)

// vIssuer is an issuer on loopback that serves its metadata and a key set
// the test can change (rotation), counting the key set requests.
type vIssuer struct {
	srv       *httptest.Server
	mu        sync.Mutex
	keys      []map[string]string
	jwksHits  atomic.Int64
	jwksFault atomic.Int32 // status to answer the key set with; 0: serve it
}

func newVIssuer(t testing.TB) *vIssuer {
	t.Helper()
	iss := &vIssuer{}
	iss.setKeys(jwkOf(vKidRSA, &vRSAKey().PublicKey), jwkOf(vKidEC, &vECKey().PublicKey))
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": iss.URL(), "jwks_uri": iss.URL() + "/jwks"})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		iss.jwksHits.Add(1)
		if st := iss.jwksFault.Load(); st != 0 {
			http.Error(w, "fault", int(st))
			return
		}
		iss.mu.Lock()
		body, _ := json.Marshal(map[string]any{"keys": iss.keys})
		iss.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	iss.srv = httptest.NewServer(mux)
	t.Cleanup(iss.srv.Close)
	return iss
}

func (i *vIssuer) URL() string     { return i.srv.URL }
func (i *vIssuer) JWKSURL() string { return i.srv.URL + "/jwks" }

func (i *vIssuer) setKeys(keys ...map[string]string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.keys = keys
}

// jwkOf is the public JWK (RFC 7517) of an RSA or P-256 key.
func jwkOf(kid string, pub crypto.PublicKey) map[string]string {
	b64 := base64.RawURLEncoding.EncodeToString
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return map[string]string{"kty": "RSA", "kid": kid, "use": "sig",
			"n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
	case *ecdsa.PublicKey:
		b, _ := k.Bytes()
		return map[string]string{"kty": "EC", "kid": kid, "use": "sig", "crv": "P-256",
			"x": b64(b[1:33]), "y": b64(b[33:])}
	}
	panic("unsupported key")
}

// vClaims are the claims of a valid token of vIssuer, expiring in an hour.
func vClaims(iss string) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"iss": iss, "sub": "user-1", "aud": vAudience, "client_id": "web-app",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"jti": "id-1", "scp": "orders.read orders.write",
	}
}

// mint signs claims with key, with the given header values (nil deletes).
func mint(t testing.TB, method jwt.SigningMethod, key any, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["typ"] = "at+jwt"
	for k, v := range header {
		if v == nil {
			delete(tok.Header, k)
		} else {
			tok.Header[k] = v
		}
	}
	s, err := tok.SignedString(key)
	require.NoError(t, err)
	return s
}

// mintRS256 is a valid-signature RS256 token with kid vKidRSA.
func mintRS256(t testing.TB, claims jwt.MapClaims) string {
	return mint(t, jwt.SigningMethodRS256, vRSAKey(), map[string]any{"kid": vKidRSA}, claims)
}

// fakeClock is a settable clock for the Validator.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}
