package oauth2flows_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// dpopAPI is the resource audience of the DPoP tests.
const dpopAPI = "api://dpop-res"

func ecKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return k
}

func rsaKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	return k
}

// proofParts is a DPoP proof as a server reads it, its signature verified
// with the client's own public key (never the jwk the proof carries).
type proofParts struct {
	header map[string]any
	claims jwt.MapClaims
}

func parseProof(t *testing.T, proof string, pub crypto.PublicKey) proofParts {
	t.Helper()
	tok, err := jwt.Parse(proof, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{"ES256", "RS256", "PS256"}), jwt.WithoutClaimsValidation())
	require.NoError(t, err, "proof must verify with the client's key")
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(proof, ".")[0])
	require.NoError(t, err)
	var h map[string]any
	require.NoError(t, json.Unmarshal(raw, &h))
	return proofParts{header: h, claims: tok.Claims.(jwt.MapClaims)}
}

// proofsTo returns the DPoP headers the server received at endpoint.
func proofsTo(srv *oauth2flowstest.Server, endpoint string) []string {
	var out []string
	for _, r := range srv.RequestsTo(endpoint) {
		out = append(out, r.Header.Get("DPoP"))
	}
	return out
}

// rsLog records what a resource server received before Protect judged it.
type rsLog struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (l *rsLog) all() []*http.Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*http.Request(nil), l.reqs...)
}

// dpopResource starts a resource server behind srv.Protect for dpopAPI that
// answers with the subject, and logs the requests it received.
func dpopResource(t *testing.T, srv *oauth2flowstest.Server) (*httptest.Server, *rsLog) {
	t.Helper()
	log := &rsLog{}
	protected := srv.Protect(dpopAPI, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := oauth2flowstest.ClaimsFromContext(r.Context())
		_, _ = w.Write([]byte("hello " + c.Subject))
	}))
	rs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.mu.Lock()
		log.reqs = append(log.reqs, r.Clone(r.Context()))
		log.mu.Unlock()
		protected.ServeHTTP(w, r)
	}))
	t.Cleanup(rs.Close)
	return rs, log
}
