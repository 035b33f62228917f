package oauth2flows_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

func TestDPoPProofOnEveryRequestToTheAuthorizationServer(t *testing.T) {
	tests := []struct {
		name string
		key  func(testing.TB) crypto.Signer
		alg  string // Config.DPoPAlg
		want string // the proof's alg
	}{
		{"ES256", func(t testing.TB) crypto.Signer { return ecKey(t) }, "", "ES256"},
		{"RS256", func(t testing.TB) crypto.Signer { return rsaKey(t) }, "", "RS256"},
		{"PS256", func(t testing.TB) crypto.Signer { return rsaKey(t) }, "PS256", "PS256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := grantServer(t, oauth2flowstest.WithDPoPRequired())
			cfg := confidential(srv)
			cfg.DPoPKey, cfg.DPoPAlg = tt.key(t), tt.alg
			ctx := context.Background()

			tok, err := oauth2flows.ClientCredentials(ctx, cfg, oauth2flows.WithResource(dpopAPI))
			require.NoError(t, err)
			assert.True(t, strings.EqualFold(tok.TokenType, "DPoP"), "token_type %q", tok.TokenType)
			require.NoError(t, oauth2flows.Revoke(ctx, cfg, tok.AccessToken))
			_, err = oauth2flows.Introspect(ctx, cfg, tok.AccessToken)
			require.NoError(t, err)

			e := srv.Endpoint()
			seen := map[string]bool{}
			for _, c := range []struct{ endpoint, url string }{
				{oauth2flowstest.EndpointToken, e.TokenURL},
				{oauth2flowstest.EndpointRevoke, e.RevocationURL},
				{oauth2flowstest.EndpointIntrospect, e.IntrospectionURL},
			} {
				proofs := proofsTo(srv, c.endpoint)
				require.Len(t, proofs, 1, c.endpoint)
				p := parseProof(t, proofs[0], cfg.DPoPKey.Public())
				assert.Equal(t, "dpop+jwt", p.header["typ"])
				assert.Equal(t, tt.want, p.header["alg"])
				assert.Len(t, p.header, 3, "typ, alg, jwk only")
				jwk := p.header["jwk"].(map[string]any)
				for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"} {
					assert.NotContains(t, jwk, private)
				}
				assert.Equal(t, "POST", p.claims["htm"])
				assert.Equal(t, c.url, p.claims["htu"])
				assert.InDelta(t, float64(time.Now().Unix()), p.claims["iat"], 5)
				jti, _ := p.claims["jti"].(string)
				assert.GreaterOrEqual(t, len(jti), 16)
				assert.False(t, seen[jti], "jti reused")
				seen[jti] = true
				assert.NotContains(t, p.claims, "ath", "no ath at the authorization server")
			}
		})
	}
}

func TestDPoPFreshProofForEachRetryAttempt(t *testing.T) {
	srv := grantServer(t, oauth2flowstest.WithDPoPRequired())
	srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{Status: http.StatusServiceUnavailable})
	cfg := confidential(srv)
	cfg.DPoPKey = ecKey(t)
	cfg.Retry = oauth2flows.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond}

	tok, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	require.NoError(t, err)
	assert.Equal(t, "DPoP", tok.TokenType)
	proofs := proofsTo(srv, oauth2flowstest.EndpointToken)
	require.Len(t, proofs, 2)
	a, b := parseProof(t, proofs[0], cfg.DPoPKey.Public()), parseProof(t, proofs[1], cfg.DPoPKey.Public())
	assert.NotEqual(t, a.claims["jti"], b.claims["jti"], "a retry must not replay the proof (RFC 9449 §11.1)")
}

func TestDPoPUseNonceAtTheTokenEndpoint(t *testing.T) {
	srv := grantServer(t, oauth2flowstest.WithDPoPRequired(), oauth2flowstest.WithDPoPNonce(),
		oauth2flowstest.WithAccessTokenLifetime(time.Second))
	cfg := confidential(srv)
	cfg.DPoPKey = ecKey(t)
	ctx := context.Background()

	// A one-shot call: refused for want of a nonce, then sent once more with it.
	_, err := oauth2flows.ClientCredentials(ctx, cfg)
	require.NoError(t, err)
	reqs := srv.RequestsTo(oauth2flowstest.EndpointToken)
	require.Len(t, reqs, 2)
	assert.Equal(t, http.StatusBadRequest, reqs[0].Status)
	assert.Equal(t, http.StatusOK, reqs[1].Status)
	first := parseProof(t, reqs[0].Header.Get("DPoP"), cfg.DPoPKey.Public())
	second := parseProof(t, reqs[1].Header.Get("DPoP"), cfg.DPoPKey.Public())
	assert.NotContains(t, first.claims, "nonce")
	assert.NotEmpty(t, second.claims["nonce"])
	assert.NotEqual(t, first.claims["jti"], second.claims["jti"])

	// A source remembers the server's nonce: its next request needs no retry.
	srv.ResetRequests()
	src := oauth2flows.ClientCredentialsSource(cfg)
	_, err = src.Token(ctx)
	require.NoError(t, err)
	require.Len(t, srv.RequestsTo(oauth2flowstest.EndpointToken), 2, "first request of the source learns the nonce")
	time.Sleep(time.Second) // the token expires
	_, err = src.Token(ctx)
	require.NoError(t, err)
	reqs = srv.RequestsTo(oauth2flowstest.EndpointToken)
	require.Len(t, reqs, 3, "the remembered nonce is used at once")
	assert.Equal(t, http.StatusOK, reqs[2].Status)
	assert.NotEmpty(t, parseProof(t, reqs[2].Header.Get("DPoP"), cfg.DPoPKey.Public()).claims["nonce"])
}

// A server that asks for a new nonce every time gets exactly one retry,
// and the proofs it echoes never reach the error string.
func TestDPoPUseNonceRetriedOnceAndProofsNotInErrors(t *testing.T) {
	var n atomic.Int32
	var mu sync.Mutex
	var proofs []string
	as := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		mu.Lock()
		proofs = append(proofs, r.Header.Get("DPoP"))
		mu.Unlock()
		w.Header().Set("DPoP-Nonce", fmt.Sprintf("nonce-%d", i))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":"use_dpop_nonce","error_description":"proof %s was stale"}`, r.Header.Get("DPoP"))
	}))
	defer as.Close()
	cfg := &oauth2flows.Config{ClientID: "c", ClientSecret: "s3cret-value", DPoPKey: ecKey(t),
		Endpoint: oauth2flows.Endpoint{TokenURL: as.URL + "/token"}}

	_, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	var oe *oauth2flows.Error
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "use_dpop_nonce", oe.Code)
	require.EqualValues(t, 2, n.Load(), "exactly one retry")
	second := parseProof(t, proofs[1], cfg.DPoPKey.Public())
	assert.Equal(t, "nonce-1", second.claims["nonce"])
	for _, p := range proofs {
		assert.NotContains(t, err.Error(), p)
		assert.NotContains(t, fmt.Sprintf("%+v", oe), p)
	}
}

func TestDPoPAuthCodeBindsCodeAndRefreshToken(t *testing.T) {
	srv := grantServer(t, oauth2flowstest.WithDPoPRequired(), oauth2flowstest.WithDPoPNonce())
	rs, _ := dpopResource(t, srv)
	cfg := public(srv)
	key := ecKey(t)
	cfg.DPoPKey = key
	ctx := context.Background()

	// RFC 9449 §10: the authorization URL names the key.
	state, verifier := oauth2flows.NewState(), oauth2flows.NewVerifier()
	authURL := oauth2flows.AuthCodeURL(cfg, state, oauth2flows.WithPKCE(verifier), oauth2flows.WithResource(dpopAPI))
	u, err := url.Parse(authURL)
	require.NoError(t, err)
	assert.Equal(t, ecThumbprint(t, key), u.Query().Get("dpop_jkt"))
	code, err := oauth2flows.ParseCallbackURL(cfg, authorize(t, srv, authURL), state)
	require.NoError(t, err)

	tok, err := oauth2flows.ExchangeCode(ctx, cfg, code, oauth2flows.WithPKCE(verifier))
	require.NoError(t, err, "the code's nonce retry must not count as a second redemption")
	require.Equal(t, "DPoP", tok.TokenType)
	require.NotEmpty(t, tok.RefreshToken)

	// The public client's refresh token is bound to the key.
	other := *cfg
	other.DPoPKey = ecKey(t)
	_, err = oauth2flows.Refresh(ctx, &other, tok.RefreshToken)
	var oe *oauth2flows.Error
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "invalid_grant", oe.Code)

	// The same key refreshes, and the Transport sends the new DPoP token.
	src := oauth2flows.RefreshTokenSource(cfg, &oauth2flows.Token{Token: oauth2.Token{RefreshToken: tok.RefreshToken}})
	client := &http.Client{Transport: oauth2flows.NewTransport(src)}
	resp, err := client.Get(rs.URL + "/me")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, "hello "+gUser, string(body))
	got, err := src.Token(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, tok.AccessToken, got.AccessToken, "refreshed")
	assert.Equal(t, "DPoP", got.TokenType)
}

func TestDPoPTransport(t *testing.T) {
	srv := grantServer(t, oauth2flowstest.WithDPoPRequired(), oauth2flowstest.WithDPoPNonce())
	rs, log := dpopResource(t, srv)
	cfg := confidential(srv)
	cfg.DPoPKey = ecKey(t)
	src := oauth2flows.ClientCredentialsSource(cfg, oauth2flows.WithResource(dpopAPI))
	client := &http.Client{Transport: oauth2flows.NewTransport(src)}
	tok, err := src.Token(context.Background())
	require.NoError(t, err)

	get := func(t *testing.T, req *http.Request) (int, string, http.Header) {
		t.Helper()
		resp, err := client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	newReq := func(method, u string, body io.Reader) *http.Request {
		req, err := http.NewRequest(method, u, body)
		require.NoError(t, err)
		return req
	}
	proofOf := func(r *http.Request) proofParts { return parseProof(t, r.Header.Get("DPoP"), cfg.DPoPKey.Public()) }
	sum := sha256.Sum256([]byte(tok.AccessToken))
	ath := base64.RawURLEncoding.EncodeToString(sum[:])

	t.Run("a fresh proof with ath per request, and one nonce retry", func(t *testing.T) {
		status, body, _ := get(t, newReq("GET", rs.URL+"/orders?id=7#top", nil))
		require.Equal(t, http.StatusOK, status, body)
		reqs := log.all()
		require.Len(t, reqs, 2, "use_dpop_nonce, then the retry")
		for _, r := range reqs {
			assert.Equal(t, "DPoP "+tok.AccessToken, r.Header.Get("Authorization"))
			p := proofOf(r)
			assert.Equal(t, "GET", p.claims["htm"])
			assert.Equal(t, rs.URL+"/orders", p.claims["htu"], "no query or fragment")
			assert.Equal(t, ath, p.claims["ath"])
		}
		assert.NotContains(t, proofOf(reqs[0]).claims, "nonce")
		assert.NotEmpty(t, proofOf(reqs[1]).claims["nonce"])
		assert.NotEqual(t, proofOf(reqs[0]).claims["jti"], proofOf(reqs[1]).claims["jti"])

		// The resource's nonce is remembered: no retry now.
		status, _, _ = get(t, newReq("GET", rs.URL+"/orders", nil))
		require.Equal(t, http.StatusOK, status)
		require.Len(t, log.all(), 3)
	})
	t.Run("a replayable body is sent again after use_dpop_nonce", func(t *testing.T) {
		srv.RotateDPoPNonces()
		n := len(log.all())
		status, body, _ := get(t, newReq("POST", rs.URL+"/orders", strings.NewReader(`{"n":1}`)))
		require.Equal(t, http.StatusOK, status, body)
		require.Len(t, log.all(), n+2)
		assert.Equal(t, "POST", proofOf(log.all()[n+1]).claims["htm"])
	})
	t.Run("a body that cannot be replayed gets the challenge back", func(t *testing.T) {
		srv.RotateDPoPNonces()
		n := len(log.all())
		status, _, h := get(t, newReq("POST", rs.URL+"/orders", io.NopCloser(strings.NewReader(`{"n":1}`))))
		assert.Equal(t, http.StatusUnauthorized, status)
		assert.Contains(t, strings.Join(h.Values("WWW-Authenticate"), " "), "use_dpop_nonce")
		assert.Len(t, log.all(), n+1)
		// The nonce of that answer is remembered for the next request.
		status, _, _ = get(t, newReq("GET", rs.URL+"/orders", nil))
		assert.Equal(t, http.StatusOK, status)
		assert.Len(t, log.all(), n+2)
	})
	t.Run("htu follows req.Host", func(t *testing.T) {
		u, _ := url.Parse(rs.URL)
		req := newReq("GET", rs.URL+"/vhost", nil)
		req.Host = "localhost:" + u.Port()
		status, body, _ := get(t, req)
		require.Equal(t, http.StatusOK, status, body)
		all := log.all()
		assert.Equal(t, "http://localhost:"+u.Port()+"/vhost", proofOf(all[len(all)-1]).claims["htu"])
	})
	t.Run("concurrent requests", func(t *testing.T) {
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 5 {
					resp, err := client.Get(rs.URL + "/orders")
					if assert.NoError(t, err) {
						assert.Equal(t, http.StatusOK, resp.StatusCode)
						resp.Body.Close()
					}
				}
			})
		}
		wg.Wait()
	})
}

// staticSource is a source not of this package.
type staticSource struct{ tok *oauth2flows.Token }

func (s staticSource) Token(context.Context) (*oauth2flows.Token, error) { return s.tok, nil }

func TestDPoPTokenNeverSentAsBearer(t *testing.T) {
	var hits atomic.Int32
	rs := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer rs.Close()
	for _, typ := range []string{"DPoP", "dpop"} {
		tok := &oauth2flows.Token{Token: oauth2.Token{AccessToken: "bound-access-token", TokenType: typ, Expiry: time.Now().Add(time.Hour)}}
		client := &http.Client{Transport: oauth2flows.NewTransport(staticSource{tok})}
		_, err := client.Get(rs.URL)
		var tte *oauth2flows.TokenTypeError
		require.ErrorAs(t, err, &tte, typ)
		assert.Equal(t, typ, tte.TokenType)
		assert.NotContains(t, err.Error(), tok.AccessToken)
	}
	assert.Zero(t, hits.Load(), "nothing was sent")
}

func TestDPoPKeyRefusedBeforeAnythingIsSent(t *testing.T) {
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	tests := []struct {
		name  string
		key   crypto.Signer
		alg   string
		field string
	}{
		{"P-384", p384, "", "Config.DPoPKey"},
		{"PS256 for EC", ecKey(t), "PS256", "Config.DPoPAlg"},
		{"unknown alg", ecKey(t), "HS256", "Config.DPoPAlg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := grantServer(t)
			cfg := confidential(srv)
			cfg.DPoPKey, cfg.DPoPAlg = tt.key, tt.alg
			_, err := oauth2flows.ClientCredentials(context.Background(), cfg)
			var ce *oauth2flows.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "ClientCredentials", ce.Op)
			assert.Equal(t, tt.field, ce.Field)
			_, err = oauth2flows.BuildAuthCodeURL(cfg, "state")
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.field, ce.Field)
			assert.Empty(t, oauth2flows.AuthCodeURL(cfg, "state"))
			assert.Empty(t, srv.Requests())
		})
	}
}

// failingSigner is a KMS key that is throttled.
type failingSigner struct{ crypto.Signer }

var errThrottled = errors.New("kms: throttled")

func (failingSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errThrottled
}

func TestDPoPSignerFailureIsReturned(t *testing.T) {
	srv := grantServer(t)
	cfg := confidential(srv)
	cfg.DPoPKey = failingSigner{ecKey(t)}
	_, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	var ce *oauth2flows.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "Config.DPoPKey", ce.Field)
	assert.ErrorIs(t, err, errThrottled)
	assert.Empty(t, srv.Requests())
}

// ecThumbprint is the RFC 7638 thumbprint of k, computed here by hand.
func ecThumbprint(t *testing.T, k *ecdsa.PrivateKey) string {
	t.Helper()
	b, err := k.PublicKey.Bytes()
	require.NoError(t, err)
	enc := base64.RawURLEncoding.EncodeToString
	sum := sha256.Sum256([]byte(`{"crv":"P-256","kty":"EC","x":"` + enc(b[1:33]) + `","y":"` + enc(b[33:65]) + `"}`))
	return enc(sum[:])
}

// The OBO cache's sources share its DPoP key and nonces: a Transport over
// one sends the DPoP-bound token (Middleware's DownstreamClient does too:
// see obocache_dpop_test.go).
func TestDPoPOBOCacheSourceThroughTransport(t *testing.T) {
	srv, cfg, assertion := oboServer(t, oauth2flowstest.WithDPoPRequired(), oauth2flowstest.WithDPoPNonce())
	cfg.Scopes = []string{"api://downstream/.default"}
	cfg.DPoPKey = ecKey(t)
	downstream := httptest.NewServer(srv.Protect("api://downstream", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := oauth2flowstest.ClaimsFromContext(r.Context())
		_, _ = io.WriteString(w, c.Subject)
	})))
	defer downstream.Close()
	cache := oauth2flows.NewOBOCache(cfg)
	client := &http.Client{Transport: oauth2flows.NewTransport(cache.Source(assertion))}
	resp, err := client.Get(downstream.URL)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, "alice", string(body))
	reqs := srv.RequestsTo(oauth2flowstest.EndpointToken)
	require.Len(t, reqs, 2, "use_dpop_nonce, then the grant")
	assert.NotEmpty(t, reqs[1].Header.Get("DPoP"))
}

// Some servers refuse for want of a nonce with a 401 DPoP challenge at the
// token endpoint instead of a 400: the same one retry.
func TestDPoPUseNonceChallengeAtTheTokenEndpoint(t *testing.T) {
	var n atomic.Int32
	var proofs []string
	var mu sync.Mutex
	as := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		proofs = append(proofs, r.Header.Get("DPoP"))
		mu.Unlock()
		if n.Add(1) == 1 {
			w.Header().Set("DPoP-Nonce", "n-1")
			w.Header().Set("WWW-Authenticate", `DPoP error="use_dpop_nonce", algs="ES256"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"at","token_type":"DPoP","expires_in":60}`)
	}))
	defer as.Close()
	cfg := &oauth2flows.Config{ClientID: "c", ClientSecret: "s", DPoPKey: ecKey(t),
		Endpoint: oauth2flows.Endpoint{TokenURL: as.URL + "/token"}}
	tok, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	require.NoError(t, err)
	assert.Equal(t, "DPoP", tok.TokenType)
	require.EqualValues(t, 2, n.Load())
	assert.Equal(t, "n-1", parseProof(t, proofs[1], cfg.DPoPKey.Public()).claims["nonce"])
}
