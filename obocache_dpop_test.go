package oauth2flows_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
	"github.com/oauth2flows/oauth2flows/resource"
)

// wireLog records what a resource server received and what it answered.
type wireLog struct {
	mu    sync.Mutex
	calls []wireCall
}

type wireCall struct {
	method, path string
	header       http.Header // as received
	body         string
	status       int
	nonce        string // the DPoP-Nonce header of the answer
}

func (l *wireLog) all() []wireCall {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]wireCall(nil), l.calls...)
}

// statusRecorder keeps the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// logged serves h and records every call in a log.
func logged(t *testing.T, h http.Handler) (*httptest.Server, *wireLog) {
	t.Helper()
	log := &wireLog{}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		rec := &statusRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		log.mu.Lock()
		log.calls = append(log.calls, wireCall{method: r.Method, path: r.URL.Path, header: r.Header.Clone(),
			body: string(body), status: rec.status, nonce: w.Header().Get("DPoP-Nonce")})
		log.mu.Unlock()
	}))
	t.Cleanup(s.Close)
	return s, log
}

// oboDPoPTier is a middle tier over real HTTP: Validator.Middleware (or
// WithInsecureUnvalidatedTokens) -> OBOCache.Middleware -> handler, which
// calls the resource server rs with DownstreamClient as call says, and
// writes each answer's status and body.
func oboDPoPTier(t *testing.T, srv *oauth2flowstest.Server, cfg *oauth2flows.Config, validate bool,
	call func(ctx context.Context, c *http.Client) (*http.Response, error)) *httptest.Server {
	t.Helper()
	var opts []oauth2flows.CacheOption
	if !validate {
		opts = append(opts, oauth2flows.WithInsecureUnvalidatedTokens())
	}
	cache := oauth2flows.NewOBOCache(cfg, opts...)
	var h http.Handler = cache.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client, ok := oauth2flows.DownstreamClient(r.Context())
		if !ok {
			http.Error(w, "no client", http.StatusInternalServerError)
			return
		}
		resp, err := call(r.Context(), client)
		if err != nil {
			var tte *oauth2flows.TokenTypeError
			if errors.As(err, &tte) {
				http.Error(w, "token type "+tte.TokenType, http.StatusBadGateway)
				return
			}
			http.Error(w, "downstream: "+err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(body)
	}))
	if validate {
		v, err := resource.NewValidator(context.Background(), resource.Config{Issuer: srv.URL(),
			Audiences: []string{"api://" + middleID}, RequiredScopes: []string{"access_as_user"}})
		require.NoError(t, err)
		h = v.Middleware(h)
	}
	tier := httptest.NewServer(h)
	t.Cleanup(tier.Close)
	return tier
}

// callTier calls the middle tier as the user with assertion.
func callTier(t *testing.T, tier *httptest.Server, assertion string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, tier.URL, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+assertion)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// athOf is RFC 9449 §4.2's ath, computed here by hand.
func athOf(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// dpopOBOServer is oboServer with DPoP nonces required, scopes for the
// DPoP API, and, when withKey is set, a DPoP key in the middle tier's
// Config (key is nil otherwise).
func dpopOBOServer(t *testing.T, withKey bool) (srv *oauth2flowstest.Server, cfg *oauth2flows.Config, assertion string, key *ecdsa.PrivateKey) {
	t.Helper()
	srv, cfg, assertion = oboServer(t, oauth2flowstest.WithDPoPNonce())
	cfg.Scopes = []string{dpopAPI + "/.default"}
	if withKey {
		key = ecKey(t)
		cfg.DPoPKey = key
	}
	return srv, cfg, assertion, key
}

// Middleware's downstream client sends the DPoP-bound token it gets when
// the cache's Config has a DPoPKey, as a Transport does: the DPoP scheme, a
// fresh proof per request with htm, htu, ath and the resource's nonce, one
// retry after use_dpop_nonce. Without a key nothing changes: a bearer.
func TestOBOMiddlewareSendsDPoPBoundTokens(t *testing.T) {
	tests := []struct {
		name     string
		validate bool
		key      bool
	}{
		{name: "validated/DPoPKey", validate: true, key: true},
		{name: "unvalidated/DPoPKey", validate: false, key: true},
		{name: "validated/no key", validate: true, key: false},
		{name: "unvalidated/no key", validate: false, key: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, cfg, assertion, key := dpopOBOServer(t, tt.key)
			rs, log := logged(t, srv.Protect(dpopAPI, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				c, _ := oauth2flowstest.ClaimsFromContext(r.Context())
				body, _ := io.ReadAll(r.Body)
				_, _ = io.WriteString(w, r.Method+" "+string(body)+" for "+c.Subject+";")
			})))
			tier := oboDPoPTier(t, srv, cfg, tt.validate, func(ctx context.Context, c *http.Client) (*http.Response, error) {
				// A GET, then a POST whose body must go again on the nonce retry.
				resp, err := c.Get(rs.URL + "/orders")
				if err != nil {
					return nil, err
				}
				first, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, rs.URL+"/orders?x=1", strings.NewReader("order-1"))
				if resp, err = c.Do(req); err != nil {
					return nil, err
				}
				second, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				resp.Body = io.NopCloser(strings.NewReader(string(first) + string(second)))
				return resp, nil
			})

			// Twice: the second call of the tier uses the cached token and the
			// remembered nonce.
			for range 2 {
				status, body := callTier(t, tier, assertion)
				require.Equal(t, http.StatusOK, status, body)
				assert.Equal(t, "GET  for alice;POST order-1 for alice;", body)
			}

			grants := srv.RequestsTo(oauth2flowstest.EndpointToken)
			calls := log.all()
			if !tt.key {
				require.Len(t, grants, 1, "one exchange")
				assert.Empty(t, grants[0].Header.Get("DPoP"))
				require.Len(t, calls, 4, "no retry for a bearer")
				for _, c := range calls {
					assert.Equal(t, http.StatusOK, c.status)
					scheme, tok, _ := strings.Cut(c.header.Get("Authorization"), " ")
					assert.Equal(t, "Bearer", scheme)
					claims, err := srv.VerifyAccessToken(tok)
					require.NoError(t, err)
					assert.Equal(t, "alice", claims.Subject)
					assert.Empty(t, claims.Cnf["jkt"])
					assert.Empty(t, c.header.Values("DPoP"), "no proof with a bearer")
				}
				return
			}

			require.Len(t, grants, 2, "the exchange: use_dpop_nonce, then the grant with a proof")
			assert.NotEmpty(t, grants[1].Header.Get("DPoP"))
			// GET: use_dpop_nonce, then once more with the nonce; POST: at once
			// with the remembered nonce; then both again from the cache.
			require.Len(t, calls, 5)
			wantStatus := []int{http.StatusUnauthorized, http.StatusOK, http.StatusOK, http.StatusOK, http.StatusOK}
			wantMethod := []string{http.MethodGet, http.MethodGet, http.MethodPost, http.MethodGet, http.MethodPost}
			jtis := map[any]bool{}
			var token string
			for i, c := range calls {
				assert.Equal(t, wantStatus[i], c.status, "call %d", i)
				assert.Equal(t, wantMethod[i], c.method, "call %d", i)
				scheme, tok, _ := strings.Cut(c.header.Get("Authorization"), " ")
				require.Equal(t, "DPoP", scheme, "call %d: never as a bearer", i)
				if token == "" {
					token = tok
				}
				assert.Equal(t, token, tok, "call %d: the cached token", i)
				require.Len(t, c.header.Values("DPoP"), 1, "call %d: one proof", i)
				p := parseProof(t, c.header.Get("DPoP"), key.Public())
				assert.Equal(t, "dpop+jwt", p.header["typ"])
				assert.Equal(t, c.method, p.claims["htm"])
				assert.Equal(t, rs.URL+"/orders", p.claims["htu"], "htu has no query")
				assert.Equal(t, athOf(tok), p.claims["ath"], "call %d", i)
				assert.False(t, jtis[p.claims["jti"]], "call %d: a fresh jti", i)
				jtis[p.claims["jti"]] = true
				if i == 0 {
					assert.NotContains(t, p.claims, "nonce", "the first proof knows no nonce")
					assert.NotEmpty(t, c.nonce, "use_dpop_nonce comes with the nonce")
				} else {
					assert.Equal(t, calls[0].nonce, p.claims["nonce"], "call %d: the resource's nonce", i)
				}
				if c.method == http.MethodPost {
					assert.Equal(t, "order-1", c.body)
				}
			}
			claims, err := srv.VerifyAccessToken(token)
			require.NoError(t, err)
			assert.Equal(t, "alice", claims.Subject)
			assert.Equal(t, ecThumbprint(t, key), claims.Cnf["jkt"], "bound to the cache's key")
		})
	}
}

// The downstream client's checks hold for a DPoP token as for a bearer: a
// redirect to another origin carries neither token nor proof, one within
// the origin gets a proof for its own URL; plain http to a host not
// loopback is refused before anything is sent; a body that cannot be sent
// again gets no nonce retry; and a 401 invalid_token goes to the handler
// as it is, without a new exchange, as it does for a bearer.
func TestOBOMiddlewareDPoPDownstreamChecks(t *testing.T) {
	type env struct {
		rs, other string // the resource server's URL, another origin's
		key       *ecdsa.PrivateKey
	}
	type result struct {
		status int
		err    error
		calls  []wireCall // at the resource server
		away   []wireCall // at the other origin
		grants int        // requests to the token endpoint
	}
	tests := []struct {
		name  string
		key   bool
		call  func(ctx context.Context, c *http.Client, e env) (*http.Response, error)
		check func(t *testing.T, e env, r result)
	}{
		{name: "redirect within the origin", key: true,
			call: func(ctx context.Context, c *http.Client, e env) (*http.Response, error) {
				return c.Get(e.rs + "/go-here")
			},
			check: func(t *testing.T, e env, r result) {
				require.Len(t, r.calls, 3, "/go-here, /orders use_dpop_nonce, /orders")
				assert.Equal(t, http.StatusOK, r.status)
				for i, want := range []string{"/go-here", "/orders", "/orders"} {
					assert.Equal(t, want, r.calls[i].path)
					assert.True(t, strings.HasPrefix(r.calls[i].header.Get("Authorization"), "DPoP "))
				}
				assert.Equal(t, []int{http.StatusTemporaryRedirect, http.StatusUnauthorized, http.StatusOK},
					[]int{r.calls[0].status, r.calls[1].status, r.calls[2].status})
				jtis := map[any]bool{}
				for _, c := range r.calls {
					p := parseProof(t, c.header.Get("DPoP"), e.key.Public())
					assert.Equal(t, e.rs+c.path, p.claims["htu"], "a proof for the URL of each hop")
					assert.False(t, jtis[p.claims["jti"]])
					jtis[p.claims["jti"]] = true
				}
			}},
		{name: "redirect to another origin", key: true,
			call: func(ctx context.Context, c *http.Client, e env) (*http.Response, error) {
				return c.Get(e.rs + "/go-away")
			},
			check: func(t *testing.T, e env, r result) {
				require.Len(t, r.calls, 1)
				assert.True(t, strings.HasPrefix(r.calls[0].header.Get("Authorization"), "DPoP "))
				require.Len(t, r.away, 1, "the redirect was followed")
				assert.Empty(t, r.away[0].header.Values("Authorization"), "no token to another origin")
				assert.Empty(t, r.away[0].header.Values("DPoP"), "no proof to another origin")
			}},
		{name: "plain http", key: true,
			call: func(ctx context.Context, c *http.Client, e env) (*http.Response, error) {
				return c.Get("http://api.example.invalid/orders")
			},
			check: func(t *testing.T, e env, r result) {
				var ce *oauth2flows.ConfigError
				require.ErrorAs(t, r.err, &ce)
				assert.Equal(t, "request URL", ce.Field)
				assert.Equal(t, http.StatusBadGateway, r.status)
			}},
		{name: "body not sent again", key: true,
			call: func(ctx context.Context, c *http.Client, e env) (*http.Response, error) {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.rs+"/orders", io.MultiReader(strings.NewReader("order-1")))
				require.Nil(t, req.GetBody)
				return c.Do(req)
			},
			check: func(t *testing.T, e env, r result) {
				require.Len(t, r.calls, 1, "no retry without GetBody")
				assert.Equal(t, http.StatusUnauthorized, r.status, "the use_dpop_nonce answer, as it is")
				assert.Equal(t, "order-1", r.calls[0].body)
			}},
		{name: "invalid_token/DPoP", key: true,
			call: func(ctx context.Context, c *http.Client, e env) (*http.Response, error) {
				return c.Get(e.rs + "/refuse")
			},
			check: func(t *testing.T, e env, r result) {
				require.Len(t, r.calls, 1, "no retry")
				assert.Equal(t, http.StatusUnauthorized, r.status)
				assert.Equal(t, 2, r.grants, "no new exchange (use_dpop_nonce, then the grant)")
			}},
		{name: "invalid_token/Bearer", key: false,
			call: func(ctx context.Context, c *http.Client, e env) (*http.Response, error) {
				return c.Get(e.rs + "/refuse")
			},
			check: func(t *testing.T, e env, r result) {
				require.Len(t, r.calls, 1, "no retry")
				assert.Equal(t, http.StatusUnauthorized, r.status)
				assert.Equal(t, 1, r.grants, "no new exchange")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, cfg, assertion, key := dpopOBOServer(t, tt.key)
			other, away := logged(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusNoContent)
			}))
			protected := srv.Protect(dpopAPI, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusOK)
			}))
			rs, log := logged(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/go-here":
					http.Redirect(w, r, "/orders", http.StatusTemporaryRedirect)
				case "/go-away":
					http.Redirect(w, r, other.URL+"/orders", http.StatusTemporaryRedirect)
				case "/refuse":
					scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
					w.Header().Set("WWW-Authenticate", scheme+` error="invalid_token"`)
					w.WriteHeader(http.StatusUnauthorized)
				default:
					protected.ServeHTTP(w, r)
				}
			}))
			e := env{rs: rs.URL, other: other.URL, key: key}
			errs := make(chan error, 1)
			tier := oboDPoPTier(t, srv, cfg, false, func(ctx context.Context, c *http.Client) (*http.Response, error) {
				resp, err := tt.call(ctx, c, e)
				errs <- err
				return resp, err
			})
			status, _ := callTier(t, tier, assertion)
			r := result{status: status, err: <-errs, calls: log.all(), away: away.all(),
				grants: len(srv.RequestsTo(oauth2flowstest.EndpointToken))}
			tt.check(t, e, r)
		})
	}
}
