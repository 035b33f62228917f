package oauth2flows_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// Garbage and forged tokens stop at the Validator: the whole chain answers
// 401 invalid_token and the token endpoint hears nothing, so junk cannot
// get the middle tier throttled.
func TestChainForgedTokensMakeNoTokenRequest(t *testing.T) {
	ct := newChainTier(t, true)
	valid := ct.srv.IssueAccessToken("alice", "api://api-a", "access_as_user")
	header, claims := unverifiedParts(t, valid)
	pub := serverPublicKey(t, ct.srv)
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})

	otherKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ct.skew.Store(int64(-3 * time.Hour))
	expired := ct.srv.IssueAccessToken("alice", "api://api-a", "access_as_user")
	ct.skew.Store(0)
	other := oauth2flowstest.NewServer()
	defer other.Close()

	for _, tc := range []struct {
		name  string
		token string
	}{
		{"garbage", "garbage"},
		{"three dots", "a.b.c"},
		{"a megabyte of dots", strings.Repeat(".", 1<<20)},
		{"too large", strings.Repeat("a", 20<<10) + ".b.c"},
		{"signature cut", valid[:len(valid)-10]},
		{"wrong signature: another key under the server's kid", sign(t, jwt.SigningMethodES256, header, claims, otherKey)},
		{"wrong audience", ct.srv.IssueAccessToken("alice", "api://other", "access_as_user")},
		{"another issuer", other.IssueAccessToken("alice", "api://api-a", "access_as_user")},
		{"expired", expired},
		{"alg none", sign(t, jwt.SigningMethodNone, header, claims, jwt.UnsafeAllowNoneSignatureType)},
		{"HS256 keyed with the public key (DER)", sign(t, jwt.SigningMethodHS256, header, claims, pubDER)},
		{"HS256 keyed with the public key (PEM)", sign(t, jwt.SigningMethodHS256, header, claims, pubPEM)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := ct.call(t, tc.token)
			assert.Equal(t, http.StatusUnauthorized, status)
			assert.Contains(t, h.Get("WWW-Authenticate"), `error="invalid_token"`)
			if len(tc.token) > 8 {
				assert.NotContains(t, body, tc.token)
			}
			assert.Zero(t, ct.tokenRequests(), "no token request for a token that does not validate")
		})
	}

	t.Run("insufficient scope", func(t *testing.T) {
		status, h, _ := ct.call(t, ct.srv.IssueAccessToken("alice", "api://api-a", "orders.write"))
		assert.Equal(t, http.StatusForbidden, status)
		assert.Contains(t, h.Get("WWW-Authenticate"), `error="insufficient_scope"`)
		assert.Contains(t, h.Get("WWW-Authenticate"), `scope="access_as_user"`)
		assert.Zero(t, ct.tokenRequests())
	})
	t.Run("no token", func(t *testing.T) {
		status, h, _ := ct.call(t, "")
		assert.Equal(t, http.StatusUnauthorized, status)
		assert.Equal(t, `Bearer realm="api://api-a"`, h.Get("WWW-Authenticate"))
		assert.Zero(t, ct.tokenRequests())
	})
	t.Run("the valid token", func(t *testing.T) {
		for range 3 {
			status, _, body := ct.call(t, valid)
			require.Equal(t, http.StatusOK, status)
			assert.Equal(t, "orders of alice", body)
		}
		assert.Equal(t, 1, ct.tokenRequests(), "one exchange, then the cache")
	})
}

// unverifiedParts returns a JWT's header and claims, to forge others from.
func unverifiedParts(t *testing.T, token string) (map[string]any, jwt.MapClaims) {
	t.Helper()
	claims := jwt.MapClaims{}
	parsed, _, err := jwt.NewParser().ParseUnverified(token, claims)
	require.NoError(t, err)
	return parsed.Header, claims
}

// sign makes a JWT of header (its alg replaced by method's) and claims.
func sign(t *testing.T, method jwt.SigningMethod, header map[string]any, claims jwt.MapClaims, key any) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		if k != "alg" {
			tok.Header[k] = v
		}
	}
	s, err := tok.SignedString(key)
	require.NoError(t, err)
	return s
}

// serverPublicKey fetches the test server's signing key from its key set,
// as an attacker could.
func serverPublicKey(t testing.TB, srv *oauth2flowstest.Server) *ecdsa.PublicKey {
	t.Helper()
	resp, err := http.Get(srv.URL() + "/jwks")
	require.NoError(t, err)
	defer resp.Body.Close()
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&set))
	require.NotEmpty(t, set.Keys)
	var jwk struct{ Crv, X, Y string }
	require.NoError(t, json.Unmarshal(set.Keys[0], &jwk))
	require.Equal(t, "P-256", jwk.Crv)
	x, err := base64.RawURLEncoding.DecodeString(jwk.X)
	require.NoError(t, err)
	y, err := base64.RawURLEncoding.DecodeString(jwk.Y)
	require.NoError(t, err)
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	require.NoError(t, err)
	return pub
}
