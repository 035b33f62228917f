package oauth2flows_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

func oboPosts(srv *oauth2flowstest.Server) int {
	n := 0
	for _, r := range srv.RequestsTo(oauth2flowstest.EndpointToken) {
		if r.Form.Get("grant_type") == oauth2flows.GrantTypeJWTBearer {
			n++
		}
	}
	return n
}

func TestOBOCacheHitsMissesAndKeys(t *testing.T) {
	srv, cfg, assertion := oboServer(t)
	cfg.Scopes = []string{"api://b/.default"}
	cache := oauth2flows.NewOBOCache(cfg)
	ctx := context.Background()

	first, err := cache.Token(ctx, assertion)
	require.NoError(t, err)
	again, err := cache.Token(ctx, assertion)
	require.NoError(t, err)
	assert.Same(t, first, again, "a hit returns the cached token")
	assert.Equal(t, 1, oboPosts(srv))

	other, err := cache.Token(ctx, assertion, oauth2flows.WithScopes("api://c/.default"))
	require.NoError(t, err)
	assert.NotEqual(t, first.AccessToken, other.AccessToken)
	assert.Equal(t, 2, oboPosts(srv), "different scopes are a different key")

	// The same scopes in another order are the same key.
	_, err = cache.Token(ctx, assertion, oauth2flows.WithScopes("openid", "api://c/.default"))
	require.NoError(t, err)
	_, err = cache.Token(ctx, assertion, oauth2flows.WithScopes("api://c/.default", "openid"))
	require.NoError(t, err)
	assert.Equal(t, 3, oboPosts(srv))

	bob := srv.IssueAccessToken("bob", "api://"+middleID, "access_as_user")
	bobTok, err := cache.Token(ctx, bob)
	require.NoError(t, err)
	claims, err := srv.VerifyAccessToken(bobTok.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, "bob", claims.Subject, "another user's assertion never gets alice's token")
	assert.Equal(t, 4, oboPosts(srv))

	_, err = cache.Token(ctx, assertion, oauth2flows.WithClaims(`{"access_token":{"acrs":{"essential":true}}}`))
	require.NoError(t, err)
	assert.Equal(t, 5, oboPosts(srv), "a claims request always goes to the server")
}

// TestOBOCacheStopsServingATenthOfAShortLifetimeBeforeExpiry: a token of
// 2 s is served for 1.8 s. (One of an hour is served for 55 minutes.)
func TestOBOCacheStopsServingATenthOfAShortLifetimeBeforeExpiry(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"access_token":"short-%d","token_type":"Bearer","expires_in":2}`, n)
	}))
	defer srv.Close()
	cfg := &oauth2flows.Config{ClientID: "middle", ClientSecret: "middle-secret",
		Scopes: []string{"api://b/.default"}, Endpoint: oauth2flows.Endpoint{TokenURL: srv.URL + "/token"}}
	cache := oauth2flows.NewOBOCache(cfg)
	ctx := context.Background()
	start := time.Now()
	_, err := cache.Token(ctx, "opaque-assertion")
	require.NoError(t, err)
	time.Sleep(time.Second - time.Since(start))
	_, err = cache.Token(ctx, "opaque-assertion")
	require.NoError(t, err)
	assert.EqualValues(t, 1, hits.Load(), "served at 1 s")
	time.Sleep(1900*time.Millisecond - time.Since(start))
	tok, err := cache.Token(ctx, "opaque-assertion")
	require.NoError(t, err)
	assert.Equal(t, "short-2", tok.AccessToken, "not served within a tenth of its lifetime of its expiry")
}

func TestOBOCacheNeverServesPastTheAssertionsExpiry(t *testing.T) {
	var offset atomic.Int64
	srv, cfg, _ := oboServer(t, oauth2flowstest.WithClock(func() time.Time {
		return time.Now().Add(time.Duration(offset.Load()))
	}))
	cfg.Scopes = []string{"api://b/.default"}
	// The user's token expires 3s from now, rounded up to the second (room for a loaded machine); the downstream token would last an hour.
	offset.Store(int64(-(time.Hour - 3*time.Second)))
	assertion := srv.IssueAccessToken("alice", "api://"+middleID, "access_as_user")
	offset.Store(0)
	cache := oauth2flows.NewOBOCache(cfg)
	ctx := context.Background()

	tok, err := cache.Token(ctx, assertion)
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().Add(3*time.Second), tok.Expiry, 2*time.Second, "capped at the assertion's exp, not the token's own hour")
	_, err = cache.Token(ctx, assertion)
	require.NoError(t, err)
	assert.Equal(t, 1, oboPosts(srv))

	time.Sleep(time.Until(jwtExpiry(t, assertion)) + 100*time.Millisecond)
	_, err = cache.Token(ctx, assertion)
	assert.True(t, errors.Is(err, oauth2flows.ErrReauthRequired), "the assertion has expired: %v", err)
	assert.Equal(t, 1, oboPosts(srv), "the expired assertion is not sent")
}

func TestOBOCacheConcurrentMissesMakeOneRequest(t *testing.T) {
	srv, cfg, assertion := oboServer(t)
	cfg.Scopes = []string{"api://b/.default"}
	srv.InjectFault(oauth2flowstest.EndpointToken, 0, oauth2flowstest.Fault{}) // no-op: keep the record clean
	cache := oauth2flows.NewOBOCache(cfg)
	var wg sync.WaitGroup
	tokens := make([]*oauth2flows.Token, 100)
	for i := range tokens {
		wg.Go(func() {
			tok, err := cache.Token(context.Background(), assertion)
			assert.NoError(t, err)
			tokens[i] = tok
		})
	}
	wg.Wait()
	assert.Equal(t, 1, oboPosts(srv))
	for _, tok := range tokens {
		assert.Same(t, tokens[0], tok)
	}
}

// TestOBOCacheMissRacingTheEndOfAFlightMakesNoSecondRequest has callers
// arrive while the previous exchange for their key ends: one that missed the
// index just before the token was stored must not start a second exchange.
func TestOBOCacheMissRacingTheEndOfAFlightMakesNoSecondRequest(t *testing.T) {
	var mu sync.Mutex
	perAssertion := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		mu.Lock()
		perAssertion[r.PostForm.Get("assertion")]++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprint(w, `{"access_token":"downstream","token_type":"Bearer","expires_in":3600}`)
	}))
	defer srv.Close()
	cfg := &oauth2flows.Config{ClientID: "middle", ClientSecret: "middle-secret",
		Scopes: []string{"api://b/.default"}, Endpoint: oauth2flows.Endpoint{TokenURL: srv.URL + "/token"}}
	cache := oauth2flows.NewOBOCache(cfg)
	const rounds, callers = 300, 8
	for i := range rounds {
		assertion := fmt.Sprintf("user-assertion-%d", i)
		var wg sync.WaitGroup
		for range callers {
			wg.Go(func() {
				_, err := cache.Token(context.Background(), assertion)
				assert.NoError(t, err)
			})
		}
		wg.Wait()
	}
	mu.Lock()
	defer mu.Unlock()
	for a, n := range perAssertion {
		if n != 1 {
			t.Errorf("%s: %d token requests, want 1", a, n)
		}
	}
}

func TestOBOCacheSharedStoreSeesHashesOnlyAndServesOtherReplicas(t *testing.T) {
	srv, cfg, assertion := oboServer(t)
	cfg.Scopes = []string{"api://b/.default"}
	store := newFakeStore()
	replica1 := oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(store))
	replica2 := oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(store))

	a, err := replica1.Token(context.Background(), assertion)
	require.NoError(t, err)
	b, err := replica2.Token(context.Background(), assertion)
	require.NoError(t, err)
	assert.Equal(t, a.AccessToken, b.AccessToken)
	assert.True(t, a.Expiry.Equal(b.Expiry), "%v, %v", a.Expiry, b.Expiry)
	assert.Equal(t, 1, oboPosts(srv), "the second replica is served by the shared store")
	keys, values := store.snapshot()
	require.NotEmpty(t, keys)
	require.Len(t, values, 1)
	for _, k := range keys {
		assert.Regexp(t, `^oauth2flows/obo/v1:[0-9a-f]{64}$`, k, "a hash, naming nothing")
	}
	assert.NotContains(t, string(values[0]), assertion, "the assertion is not stored")
}

func TestOBOCacheIsBounded(t *testing.T) {
	srv, cfg, _ := oboServer(t)
	cfg.Scopes = []string{"api://b/.default"}
	cache := oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheSize(2))
	ctx := context.Background()
	users := []string{"u1", "u2", "u3"}
	assertions := map[string]string{}
	for _, u := range users {
		assertions[u] = srv.IssueAccessToken(u, "api://"+middleID)
		_, err := cache.Token(ctx, assertions[u])
		require.NoError(t, err)
	}
	assert.Equal(t, 3, oboPosts(srv))
	_, err := cache.Token(ctx, assertions["u3"])
	require.NoError(t, err)
	assert.Equal(t, 3, oboPosts(srv), "the newest is still cached")
	_, err = cache.Token(ctx, assertions["u1"])
	require.NoError(t, err)
	assert.Equal(t, 4, oboPosts(srv), "the least recently used was evicted")
}

func TestOBOMiddleware(t *testing.T) {
	srv, cfg, assertion := oboServer(t)
	cfg.Scopes = []string{"api://downstream/.default"}
	var seen atomic.Value
	downstream := httptest.NewServer(srv.Protect("api://downstream", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := oauth2flowstest.ClaimsFromContext(r.Context())
		seen.Store(c.Subject)
		w.WriteHeader(http.StatusNoContent)
	})))
	defer downstream.Close()
	cache := oauth2flows.NewOBOCache(cfg, oauth2flows.WithInsecureUnvalidatedTokens())
	api := httptest.NewServer(cache.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client, ok := oauth2flows.DownstreamClient(r.Context())
		if !ok {
			http.Error(w, "no client", http.StatusInternalServerError)
			return
		}
		resp, err := client.Get(downstream.URL)
		if err != nil {
			http.Error(w, "downstream", http.StatusBadGateway)
			return
		}
		resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
	})))
	defer api.Close()

	wrongAudience := srv.IssueAccessToken("alice", "api://someone-else")
	tests := []struct {
		name       string
		auth       []string
		fault      *oauth2flowstest.Fault
		wantStatus int
		wantChal   string
	}{
		{name: "Missing", wantStatus: 401, wantChal: "Bearer"},
		{name: "NotBearer", auth: []string{"Basic YWxhZGRpbjpvcGVuc2VzYW1l"}, wantStatus: 401, wantChal: `Bearer error="invalid_request"`},
		{name: "BadCharacters", auth: []string{"Bearer a b"}, wantStatus: 401, wantChal: `Bearer error="invalid_request"`},
		{name: "TwoHeaders", auth: []string{"Bearer " + assertion, "Bearer x"}, wantStatus: 401, wantChal: `Bearer error="invalid_request"`},
		{name: "WrongAudience", auth: []string{"Bearer " + wrongAudience}, wantStatus: 401, wantChal: `Bearer error="invalid_token"`},
		{name: "InteractionRequired", auth: []string{"Bearer " + srv.IssueAccessToken("carol", "api://"+middleID)},
			fault:      &oauth2flowstest.Fault{Status: 400, Body: oauth2flowstest.EntraError("interaction_required", "AADSTS50079: MFA.", `{"access_token":{"acrs":{"essential":true,"value":"c1"}}}`)},
			wantStatus: 401, wantChal: `Bearer error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsiYWNycyI6eyJlc3NlbnRpYWwiOnRydWUsInZhbHVlIjoiYzEifX19"`},
		{name: "ServerDown", auth: []string{"Bearer " + srv.IssueAccessToken("dave", "api://"+middleID)},
			fault: &oauth2flowstest.Fault{Status: 500, Body: "<html>oops</html>"}, wantStatus: 502},
		{name: "Valid", auth: []string{"Bearer " + assertion}, wantStatus: 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.fault != nil {
				srv.InjectFault(oauth2flowstest.EndpointToken, 1, *tt.fault)
			}
			req, _ := http.NewRequest(http.MethodGet, api.URL, nil)
			for _, a := range tt.auth {
				req.Header.Add("Authorization", a)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, tt.wantStatus, resp.StatusCode)
			if tt.wantChal != "" {
				assert.Equal(t, tt.wantChal, resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
	assert.Equal(t, "alice", seen.Load(), "the downstream API saw alice's OBO token")
}

func TestOBOMiddlewareSendsDownstreamThroughConfigHTTPClient(t *testing.T) {
	srv, cfg, assertion := oboServer(t)
	cfg.Scopes = []string{"api://downstream/.default"}
	downstream := httptest.NewServer(srv.Protect("api://downstream", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})))
	defer downstream.Close()
	var viaConfig atomic.Int32
	cfg.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.URL.Host == strings.TrimPrefix(downstream.URL, "http://") {
			viaConfig.Add(1)
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
	api := httptest.NewServer(oauth2flows.NewOBOCache(cfg, oauth2flows.WithInsecureUnvalidatedTokens()).Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client, _ := oauth2flows.DownstreamClient(r.Context())
		resp, err := client.Get(downstream.URL)
		if err != nil {
			http.Error(w, "downstream", http.StatusBadGateway)
			return
		}
		resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
	})))
	defer api.Close()

	req, _ := http.NewRequest(http.MethodGet, api.URL, nil)
	req.Header.Set("Authorization", "Bearer "+assertion)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.EqualValues(t, 1, viaConfig.Load(), "the downstream call used Config.HTTPClient's transport")
}

// namedTokenEndpoint is a token endpoint that issues the access token
// "<name>-<n>" for its n-th request, whatever the grant.
func namedTokenEndpoint(t *testing.T, name string) (tokenURL string, hits *atomic.Int32) {
	t.Helper()
	hits = &atomic.Int32{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"access_token":"%s-%d","token_type":"Bearer","expires_in":3600}`, name, n)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/token", hits
}

func TestOBOCacheKeyIncludesTheEndpointAndTheGrant(t *testing.T) {
	const assertion = "opaque-user-assertion"
	tests := []struct {
		name string
		// second returns the cache for the second call, given the first
		// call's cache and Config, and the URL of the other endpoint.
		second func(first *oauth2flows.OBOCache, cfg *oauth2flows.Config, store oauth2flows.TokenStore, otherURL string) *oauth2flows.OBOCache
		want   string // the access token the second call must get
	}{
		{name: "ReplicaOfAnotherTenantSharingTheStore", want: "other-1",
			second: func(_ *oauth2flows.OBOCache, cfg *oauth2flows.Config, store oauth2flows.TokenStore, otherURL string) *oauth2flows.OBOCache {
				c := *cfg
				c.Endpoint.TokenURL = otherURL
				return oauth2flows.NewOBOCache(&c, oauth2flows.WithCacheStore(store))
			}},
		{name: "ConfigEndpointChangedBetweenCalls", want: "other-1",
			second: func(first *oauth2flows.OBOCache, cfg *oauth2flows.Config, _ oauth2flows.TokenStore, otherURL string) *oauth2flows.OBOCache {
				cfg.Endpoint.TokenURL = otherURL
				return first
			}},
		{name: "TokenExchangeCacheSharingTheStore", want: "first-2",
			second: func(_ *oauth2flows.OBOCache, cfg *oauth2flows.Config, store oauth2flows.TokenStore, _ string) *oauth2flows.OBOCache {
				return oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(store), oauth2flows.WithTokenExchangeGrant())
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			firstURL, _ := namedTokenEndpoint(t, "first")
			otherURL, _ := namedTokenEndpoint(t, "other")
			cfg := &oauth2flows.Config{ClientID: "middle", ClientSecret: "middle-secret",
				Scopes: []string{"api://b/.default"}, Endpoint: oauth2flows.Endpoint{TokenURL: firstURL}}
			store := newFakeStore()
			first := oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(store))
			a, err := first.Token(context.Background(), assertion)
			require.NoError(t, err)
			require.Equal(t, "first-1", a.AccessToken)

			b, err := tt.second(first, cfg, store, otherURL).Token(context.Background(), assertion)
			require.NoError(t, err)
			assert.Equal(t, tt.want, b.AccessToken, "a token from another endpoint or grant is not served")
		})
	}
}

func TestOBOCacheClaimsCallDoesNotJoinAFlightWithoutClaims(t *testing.T) {
	const claims = `{"access_token":{"acrs":{"essential":true,"value":"c1"}}}`
	gotPlain, release := make(chan struct{}), make(chan struct{})
	var plainOnce sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		name := "plain"
		if r.PostForm.Get("claims") == claims {
			name = "claims"
		} else {
			plainOnce.Do(func() { close(gotPlain) })
			<-release // the request without claims is still in flight
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"access_token":"%s","token_type":"Bearer","expires_in":3600}`, name)
	}))
	defer srv.Close()
	defer close(release)
	cfg := &oauth2flows.Config{ClientID: "middle", ClientSecret: "middle-secret",
		Scopes: []string{"api://b/.default", "offline_access"}, Endpoint: oauth2flows.Endpoint{TokenURL: srv.URL + "/token"}}
	cache := oauth2flows.NewOBOCache(cfg)

	go func() { _, _ = cache.Token(context.Background(), "user-assertion") }()
	<-gotPlain
	done := make(chan *oauth2flows.Token, 1)
	go func() {
		tok, err := cache.Token(context.Background(), "user-assertion", oauth2flows.WithClaims(claims))
		assert.NoError(t, err)
		done <- tok
	}()
	select {
	case tok := <-done:
		require.NotNil(t, tok)
		assert.Equal(t, "claims", tok.AccessToken, "the claims reached the server")
	case <-time.After(5 * time.Second):
		t.Fatal("the claims call waited for the exchange without claims instead of sending its own")
	}
}

// TestOBOCacheKeySeparatesRequestsThatDiffer calls the cache twice with the
// same assertion: requests that differ on the wire must not share an entry,
// whatever separators their values hold, and requests that differ only in
// the order of a set must.
func TestOBOCacheKeySeparatesRequestsThatDiffer(t *testing.T) {
	const actor = "actor-token"
	tests := []struct {
		name          string
		first, second []oauth2flows.Option
		same          bool
	}{
		{name: "OneAudienceWithASpaceAgainstTwo",
			first:  []oauth2flows.Option{oauth2flows.WithAudience("billing orders")},
			second: []oauth2flows.Option{oauth2flows.WithAudience("billing"), oauth2flows.WithAudience("orders")}},
		{name: "NULInsideAScope",
			first:  []oauth2flows.Option{oauth2flows.WithScopes("x\x00y")},
			second: []oauth2flows.Option{oauth2flows.WithScopes("x"), oauth2flows.WithResource("y\x00")}},
		{name: "ResourceAgainstAudience",
			first:  []oauth2flows.Option{oauth2flows.WithResource("https://orders.example.com")},
			second: []oauth2flows.Option{oauth2flows.WithAudience("https://orders.example.com")}},
		{name: "ActorTokenType",
			first:  []oauth2flows.Option{oauth2flows.WithActorToken(actor, oauth2flows.TokenTypeAccessToken)},
			second: []oauth2flows.Option{oauth2flows.WithActorToken(actor, oauth2flows.TokenTypeJWT)}},
		{name: "ActorToken",
			first:  []oauth2flows.Option{oauth2flows.WithActorToken(actor, oauth2flows.TokenTypeJWT)},
			second: []oauth2flows.Option{oauth2flows.WithActorToken(actor+"2", oauth2flows.TokenTypeJWT)}},
		{name: "ParamValue",
			first:  []oauth2flows.Option{oauth2flows.WithParam("a", "b=c")},
			second: []oauth2flows.Option{oauth2flows.WithParam("a=b", "c")}},
		{name: "RequestedAgainstSubjectTokenType",
			first:  []oauth2flows.Option{oauth2flows.WithRequestedTokenType(oauth2flows.TokenTypeJWT)},
			second: []oauth2flows.Option{oauth2flows.WithSubjectTokenType(oauth2flows.TokenTypeJWT)}},
		{name: "ScopesInAnotherOrder", same: true,
			first:  []oauth2flows.Option{oauth2flows.WithScopes("openid", "api://c/.default")},
			second: []oauth2flows.Option{oauth2flows.WithScopes("api://c/.default", "openid")}},
		{name: "AudiencesInAnotherOrder", same: true,
			first:  []oauth2flows.Option{oauth2flows.WithAudience("b"), oauth2flows.WithAudience("a")},
			second: []oauth2flows.Option{oauth2flows.WithAudience("a"), oauth2flows.WithAudience("b")}},
		{name: "ConfigScopesAgainstTheSameWithScopes", same: true,
			second: []oauth2flows.Option{oauth2flows.WithScopes("api://b/.default")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tokenURL, hits := namedTokenEndpoint(t, "tok")
			cfg := &oauth2flows.Config{ClientID: "middle", ClientSecret: "middle-secret",
				Scopes: []string{"api://b/.default"}, Endpoint: oauth2flows.Endpoint{TokenURL: tokenURL}}
			cache := oauth2flows.NewOBOCache(cfg, oauth2flows.WithTokenExchangeGrant())
			a, err := cache.Token(context.Background(), "user-assertion", tt.first...)
			require.NoError(t, err)
			b, err := cache.Token(context.Background(), "user-assertion", tt.second...)
			require.NoError(t, err)
			if tt.same {
				assert.Equal(t, a.AccessToken, b.AccessToken)
				assert.EqualValues(t, 1, hits.Load(), "one entry")
			} else {
				assert.NotEqual(t, a.AccessToken, b.AccessToken, "another request's token is not served")
				assert.EqualValues(t, 2, hits.Load(), "two entries")
			}
		})
	}
}

// TestOBOCacheAssertionsAlikeButForTheirStartShareNothing: the index's key
// hashes a JWS's length and last bytes, not all of it (localKey); two
// assertions alike but for a byte near their start must still get their
// own tokens, whatever order they come in.
func TestOBOCacheAssertionsAlikeButForTheirStartShareNothing(t *testing.T) {
	tokenURL, hits := namedTokenEndpoint(t, "tok")
	cfg := &oauth2flows.Config{ClientID: "middle", ClientSecret: "middle-secret",
		Scopes: []string{"api://b/.default"}, Endpoint: oauth2flows.Endpoint{TokenURL: tokenURL}}
	cache := oauth2flows.NewOBOCache(cfg)
	tail := ".e30." + strings.Repeat("same-signature", 20)
	alice, mallory := "eyJA"+tail, "eyJM"+tail
	ctx := context.Background()

	for _, step := range []struct {
		assertion string
		want      string
	}{
		{alice, "tok-1"},
		{alice, "tok-1"},   // a hit
		{mallory, "tok-2"}, // same index key, another assertion: a miss
		{mallory, "tok-2"},
		{alice, "tok-3"}, // mallory's entry took the key: alice asks again
	} {
		tok, err := cache.Token(ctx, step.assertion)
		require.NoError(t, err)
		assert.Equal(t, step.want, tok.AccessToken, step.assertion[:4])
	}
	assert.EqualValues(t, 3, hits.Load())
}

// expiringUser returns a middle tier whose user's token (assertion)
// expires 3 s from now, rounded up to the second (room for a loaded
// machine), and a downstream API
// that counts the calls it served.
func expiringUser(t *testing.T) (srv *oauth2flowstest.Server, cfg *oauth2flows.Config, assertion string,
	downstream *httptest.Server, served *atomic.Int32) {
	t.Helper()
	var offset atomic.Int64
	srv, cfg, _ = oboServer(t, oauth2flowstest.WithClock(func() time.Time {
		return time.Now().Add(time.Duration(offset.Load()))
	}))
	cfg.Scopes = []string{"api://downstream/.default"}
	offset.Store(int64(-(time.Hour - 3*time.Second)))
	assertion = srv.IssueAccessToken("alice", "api://"+middleID, "access_as_user")
	offset.Store(0)
	served = &atomic.Int32{}
	downstream = httptest.NewServer(srv.Protect("api://downstream", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		w.WriteHeader(http.StatusNoContent)
	})))
	t.Cleanup(downstream.Close)
	return srv, cfg, assertion, downstream, served
}

// TestOBOCacheSourceNeverSendsPastTheAssertionsExpiry: a Transport over
// OBOCache.Source kept sending the downstream token until that token's own
// expiry, an hour after the user's token had expired.
func TestOBOCacheSourceNeverSendsPastTheAssertionsExpiry(t *testing.T) {
	_, cfg, assertion, downstream, served := expiringUser(t)
	cache := oauth2flows.NewOBOCache(cfg)
	client := &http.Client{Transport: oauth2flows.NewTransport(cache.Source(assertion))}

	resp, err := client.Get(downstream.URL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	tok, err := cache.Token(context.Background(), assertion)
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().Add(3*time.Second), tok.Expiry, 2*time.Second, "the token handed out expires with the assertion")

	time.Sleep(time.Until(jwtExpiry(t, assertion)) + 100*time.Millisecond)
	resp, err = client.Get(downstream.URL)
	if err == nil {
		resp.Body.Close()
	}
	assert.Error(t, err, "no downstream call after the user's token expired")
	assert.EqualValues(t, 1, served.Load())
}

// TestOBOMiddlewareClientNeverSendsPastTheAssertionsExpiry: a handler that
// calls the downstream API after the user's token expired gets an error,
// not a call made with the cached downstream token.
func TestOBOMiddlewareClientNeverSendsPastTheAssertionsExpiry(t *testing.T) {
	srv, cfg, assertion, downstream, served := expiringUser(t)
	var before, after error
	handler := oauth2flows.NewOBOCache(cfg, oauth2flows.WithInsecureUnvalidatedTokens()).Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client, _ := oauth2flows.DownstreamClient(r.Context())
		resp, err := client.Get(downstream.URL)
		if before = err; err == nil {
			resp.Body.Close()
		}
		time.Sleep(time.Until(jwtExpiry(t, assertion)) + 100*time.Millisecond) // a slow handler outlives the user's token
		resp, err = client.Get(downstream.URL)
		if after = err; err == nil {
			resp.Body.Close()
		}
	}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer "+assertion)
	handler.ServeHTTP(httptest.NewRecorder(), req)
	require.NoError(t, before)
	assert.ErrorIs(t, after, oauth2flows.ErrReauthRequired, "no downstream call after the user's token expired")
	assert.EqualValues(t, 1, served.Load())
	assert.Equal(t, 1, oboPosts(srv), "the expired assertion is not sent")
}
