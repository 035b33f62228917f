package interop

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

// wireLog records the requests an http.Client sent and the statuses they got.
type wireLog struct {
	mu   sync.Mutex
	base http.RoundTripper
	reqs []wireEntry
}

type wireEntry struct {
	url, proof string
	status     int
	nonce      string // DPoP-Nonce of the response
}

func (l *wireLog) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.base.RoundTrip(r)
	e := wireEntry{url: r.URL.String(), proof: r.Header.Get("DPoP")}
	if err == nil {
		e.status, e.nonce = resp.StatusCode, resp.Header.Get("DPoP-Nonce")
	}
	l.mu.Lock()
	l.reqs = append(l.reqs, e)
	l.mu.Unlock()
	return resp, err
}

func (l *wireLog) to(target string) []wireEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []wireEntry
	for _, e := range l.reqs {
		if e.url == target {
			out = append(out, e)
		}
	}
	return out
}

// claimsOf decodes a JWT's claims without verifying it.
func claimsOf(t *testing.T, token string) jwt.MapClaims {
	t.Helper()
	c := jwt.MapClaims{}
	_, _, err := jwt.NewParser().ParseUnverified(token, c)
	require.NoError(t, err)
	return c
}

// thumbprint is the RFC 7638 SHA-256 thumbprint of pub, computed here.
func thumbprint(t *testing.T, pub crypto.PublicKey) string {
	t.Helper()
	e := base64.RawURLEncoding.EncodeToString
	var canon string
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		b, err := k.Bytes()
		require.NoError(t, err)
		canon = `{"crv":"P-256","kty":"EC","x":"` + e(b[1:33]) + `","y":"` + e(b[33:65]) + `"}`
	case *rsa.PublicKey:
		canon = `{"e":"` + e(big.NewInt(int64(k.E)).Bytes()) + `","kty":"RSA","n":"` + e(k.N.Bytes()) + `"}`
	}
	sum := sha256.Sum256([]byte(canon))
	return e(sum[:])
}

// TestOIDCProviderDPoPThroughTheSDK runs the SDK's DPoP against
// oidc-provider, which requires server nonces here: client credentials
// with DPoPKey (the use_dpop_nonce retry at its token endpoint, the nonce
// remembered by a source), the DPoP-bound JWT it issues (cnf.jkt is the
// key's thumbprint), Introspect and Revoke carrying proofs, and the Transport
// sending the token to a resource that checks proof, ath and binding.
func TestOIDCProviderDPoPThroughTheSDK(t *testing.T) {
	t.Setenv("OIDC_DPOP_REQUIRE_NONCE", "1") // read by server.mjs
	p := startOIDCProvider(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	md, err := oauth2flows.Discover(ctx, p.Issuer)
	require.NoError(t, err)

	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	for _, tt := range []struct {
		name string
		key  crypto.Signer
		alg  string
	}{{"ES256", ec, ""}, {"PS256", rk, "PS256"}, {"RS256", rk, ""}} {
		t.Run(tt.name, func(t *testing.T) {
			log := &wireLog{base: http.DefaultTransport}
			cfg := &oauth2flows.Config{
				ClientID: "conf", ClientSecret: p.Secret, Endpoint: md.Endpoint(),
				DPoPKey: tt.key, DPoPAlg: tt.alg,
				HTTPClient: &http.Client{Transport: log, Timeout: 10 * time.Second},
				Retry:      oauth2flows.RetryPolicy{MaxAttempts: 1},
			}
			jkt := thumbprint(t, tt.key.Public())

			src := oauth2flows.ClientCredentialsSource(cfg, oauth2flows.WithScopes("read"), oauth2flows.WithResource(p.Resource))
			tok, err := src.Token(ctx)
			require.NoError(t, err)
			assert.Equal(t, "DPoP", tok.TokenType)
			token := log.to(cfg.Endpoint.TokenURL)
			require.Len(t, token, 2, "use_dpop_nonce, then one retry")
			assert.Equal(t, http.StatusBadRequest, token[0].status)
			assert.Equal(t, http.StatusOK, token[1].status)
			cnf, _ := claimsOf(t, tok.AccessToken)["cnf"].(map[string]any)
			assert.Equal(t, jkt, cnf["jkt"], "bound to the SDK's key")

			// oidc-provider refuses to introspect or revoke its JWT access
			// tokens (a quirk, see README.md); the requests still go out with
			// proofs, checked at the end.
			_, err = oauth2flows.Introspect(ctx, cfg, tok.AccessToken)
			var oe *oauth2flows.Error
			require.ErrorAs(t, err, &oe)
			assert.Equal(t, "unsupported_token_type", oe.Code)

			// The Transport: a resource that wants DPoP, a nonce, ath and the
			// key the token is bound to.
			const rsNonce = "rs-nonce-1"
			var rsCalls int
			var mu sync.Mutex
			rs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				rsCalls++
				mu.Unlock()
				at, ok := strings.CutPrefix(r.Header.Get("Authorization"), "DPoP ")
				if !ok || at != tok.AccessToken {
					http.Error(w, "want the DPoP scheme", http.StatusUnauthorized)
					return
				}
				pt, err := jwt.Parse(r.Header.Get("DPoP"), func(*jwt.Token) (any, error) { return tt.key.Public(), nil },
					jwt.WithValidMethods([]string{"ES256", "RS256", "PS256"}), jwt.WithoutClaimsValidation())
				if err != nil {
					http.Error(w, "bad proof", http.StatusBadRequest)
					return
				}
				c := pt.Claims.(jwt.MapClaims)
				raw, _ := json.Marshal(pt.Header["jwk"])
				var jwk map[string]string
				_ = json.Unmarshal(raw, &jwk)
				sum := sha256.Sum256([]byte(at))
				if c["nonce"] != rsNonce {
					w.Header().Set("DPoP-Nonce", rsNonce)
					w.Header().Set("WWW-Authenticate", `DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"`)
					http.Error(w, "nonce", http.StatusUnauthorized)
					return
				}
				if c["ath"] != base64.RawURLEncoding.EncodeToString(sum[:]) || c["htm"] != "GET" ||
					c["htu"] != "http://"+r.Host+"/data" || jwk["d"] != "" {
					http.Error(w, "bad claims", http.StatusBadRequest)
					return
				}
				_, _ = io.WriteString(w, "ok")
			}))
			defer rs.Close()
			client := &http.Client{Transport: oauth2flows.NewTransport(src)}
			for i := range 2 {
				resp, err := client.Get(rs.URL + "/data?x=1")
				require.NoError(t, err)
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				require.Equal(t, http.StatusOK, resp.StatusCode, "call %d: %s", i, body)
			}
			assert.Equal(t, 3, rsCalls, "one nonce retry, then the remembered nonce")

			err = oauth2flows.Revoke(ctx, cfg, tok.AccessToken)
			t.Logf("revoking oidc-provider's JWT access token: %v", err)
			for _, e := range log.reqs {
				assert.NotEmpty(t, e.proof, "every request to the authorization server has a proof: %s", e.url)
			}
			// After the first refusal, every request carried the server's
			// latest nonce: no other use_dpop_nonce round.
			assert.Len(t, log.to(cfg.Endpoint.TokenURL), 2)
		})
	}
}
