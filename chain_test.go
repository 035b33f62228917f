package oauth2flows_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
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
	"github.com/oauth2flows/oauth2flows/resource"
)

// chainTier is a whole middle tier over real HTTP: API A is
// Validator.Middleware -> OBOCache.Middleware -> a handler calling API B
// with DownstreamClient; API B is protected by the test server.
type chainTier struct {
	srv   *oauth2flowstest.Server
	apiA  *httptest.Server
	apiB  *httptest.Server
	cache *oauth2flows.OBOCache
	logs  *syncBuffer
	skew  atomic.Int64 // of the authorization server's clock, in ns
}

// newChainTier builds the tier; validate false leaves the Validator out
// (a misconfigured chain). The cache exchanges for api://api-b.
func newChainTier(t *testing.T, validate bool, opts ...oauth2flows.CacheOption) *chainTier {
	return newChainTierOf(t, chainSetup{validate: validate, cacheOpts: opts})
}

// chainSetup says how newChainTierOf builds a tier.
type chainSetup struct {
	validate  bool
	entra     string // the test server's Entra tenant; "": a generic server
	cacheOpts []oauth2flows.CacheOption
}

func newChainTierOf(t *testing.T, setup chainSetup) *chainTier {
	t.Helper()
	ct := &chainTier{logs: &syncBuffer{}}
	srvOpts := []oauth2flowstest.Option{oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "api-a", Secret: "api-a-secret"}),
		oauth2flowstest.WithClock(func() time.Time { return time.Now().Add(time.Duration(ct.skew.Load())) })}
	if setup.entra != "" {
		srvOpts = append(srvOpts, oauth2flowstest.WithEntra(setup.entra))
	}
	srv := oauth2flowstest.NewServer(srvOpts...)
	t.Cleanup(srv.Close)
	ct.srv = srv
	vcfg := resource.Config{Issuer: srv.URL(), Audiences: []string{"api://api-a"}, RequiredScopes: []string{"access_as_user"}}
	endpoint := srv.Endpoint()
	if setup.entra != "" {
		// A multi-tenant Entra API: the issuer's {tenantid} is each token's tid.
		vcfg.Issuer, vcfg.JWKSURL = srv.URL()+"/{tenantid}/v2.0", srv.URL()+"/common/discovery/v2.0/keys"
		endpoint = srv.EntraEndpoint("")
		vcfg.HTTPClient = srv.Client() // the Entra profile serves https
	}
	ct.apiB = httptest.NewServer(srv.Protect("api://api-b", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := oauth2flowstest.ClaimsFromContext(r.Context())
		_, _ = io.WriteString(w, "orders of "+c.Subject)
	})))
	t.Cleanup(ct.apiB.Close)
	cfg := &oauth2flows.Config{ClientID: "api-a", ClientSecret: "api-a-secret", Endpoint: endpoint,
		Scopes: []string{"api://api-b/orders.read"}, Logger: slog.New(slog.NewTextHandler(ct.logs, nil))}
	if setup.entra != "" {
		cfg.HTTPClient = srv.Client()
	}
	ct.cache = oauth2flows.NewOBOCache(cfg, setup.cacheOpts...)
	var h http.Handler = ct.cache.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client, ok := oauth2flows.DownstreamClient(r.Context())
		if !ok {
			http.Error(w, "no downstream client", http.StatusInternalServerError)
			return
		}
		resp, err := client.Get(ct.apiB.URL + "/orders")
		if err != nil {
			http.Error(w, "API B unreachable", http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	if setup.validate {
		v, err := resource.NewValidator(context.Background(), vcfg)
		require.NoError(t, err)
		h = v.Middleware(h)
	}
	ct.apiA = httptest.NewServer(h)
	t.Cleanup(ct.apiA.Close)
	return ct
}

// call sends token (none when empty) to API A.
func (ct *chainTier) call(t *testing.T, token string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, ct.apiA.URL+"/orders", nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, strings.TrimSpace(string(body))
}

// tokenRequests counts the requests the token endpoint received.
func (ct *chainTier) tokenRequests() int {
	return len(ct.srv.RequestsTo(oauth2flowstest.EndpointToken))
}

func TestOBOMiddlewareWithoutValidatorExchangesNothing(t *testing.T) {
	ct := newChainTier(t, false)
	valid := ct.srv.IssueAccessToken("alice", "api://api-a", "access_as_user")
	for _, token := range []string{valid, "garbage", ""} {
		status, header, body := ct.call(t, token)
		assert.Equal(t, http.StatusInternalServerError, status)
		assert.Empty(t, header.Get("WWW-Authenticate"), "a server fault, not a reason for the client to sign in again")
		assert.Equal(t, "on-behalf-of is misconfigured", body)
	}
	assert.Zero(t, ct.tokenRequests())
	logs := ct.logs.String()
	assert.Contains(t, logs, "level=ERROR")
	assert.Contains(t, logs, "Validator.Middleware")
	assert.Contains(t, logs, "WithInsecureUnvalidatedTokens")
	assert.NotContains(t, logs, valid)
}

func TestOBOMiddlewareInsecureUnvalidatedTokensExchangesTheBearer(t *testing.T) {
	ct := newChainTier(t, false, oauth2flows.WithInsecureUnvalidatedTokens())
	status, _, body := ct.call(t, ct.srv.IssueAccessToken("alice", "api://api-a", "access_as_user"))
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "orders of alice", body)
	assert.Equal(t, 1, ct.tokenRequests())
	status, header, _ := ct.call(t, "")
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, "Bearer", header.Get("WWW-Authenticate"))
	assert.Equal(t, 1, ct.tokenRequests())
}

func TestOBOMiddlewareBehindValidatorExchangesThePrincipalsToken(t *testing.T) {
	ct := newChainTier(t, true)
	token := ct.srv.IssueAccessToken("alice", "api://api-a", "access_as_user")
	for range 3 {
		status, _, body := ct.call(t, token)
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, "orders of alice", body)
	}
	reqs := ct.srv.RequestsTo(oauth2flowstest.EndpointToken)
	require.Len(t, reqs, 1, "one exchange, then cache hits")
	assert.Equal(t, token, reqs[0].Form.Get("assertion"), "the validated token is the assertion")
	assert.Equal(t, oauth2flows.GrantTypeJWTBearer, reqs[0].Form.Get("grant_type"))
}

func TestOBOMiddlewareRefusedAssertionCostsOneTokenRequest(t *testing.T) {
	ct := newChainTier(t, true)
	oauth2flows.SetRefusalTTL(ct.cache, 300*time.Millisecond)
	revoked := ct.srv.IssueAccessToken("mallory", "api://api-a", "access_as_user")
	ct.srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{Status: http.StatusBadRequest,
		Body: oauth2flowstest.EntraError("invalid_grant", "AADSTS50013: Assertion failed signature validation.", "")})
	for range 5 {
		status, header, body := ct.call(t, revoked)
		assert.Equal(t, http.StatusUnauthorized, status)
		assert.Equal(t, `Bearer error="invalid_token"`, header.Get("WWW-Authenticate"))
		assert.NotContains(t, body, revoked)
	}
	assert.Equal(t, 1, ct.tokenRequests(), "retries of a refused assertion are answered from the cache")

	// Another user's token is not affected.
	status, _, _ := ct.call(t, ct.srv.IssueAccessToken("alice", "api://api-a", "access_as_user"))
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, 2, ct.tokenRequests())

	// Once the refusal's time is over, the token is tried again (the
	// server, its fault spent, now accepts it).
	time.Sleep(400 * time.Millisecond)
	status, _, body := ct.call(t, revoked)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "orders of mallory", body)
	assert.Equal(t, 3, ct.tokenRequests())
}

func TestOBOMiddlewareConcurrentRetriesOfARefusedAssertion(t *testing.T) {
	ct := newChainTier(t, true)
	bad := ct.srv.IssueAccessToken("mallory", "api://api-a", "access_as_user")
	ct.srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{Status: http.StatusBadRequest,
		Body:  oauth2flowstest.EntraError("invalid_grant", "AADSTS500133: Assertion is not within its valid time range.", ""),
		Delay: 50 * time.Millisecond})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 5 {
				status, _, _ := ct.call(t, bad)
				assert.Equal(t, http.StatusUnauthorized, status)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 1, ct.tokenRequests())
}

// A claims challenge is the caller's to answer: it reaches every caller,
// and is never answered from the cache.
func TestOBOMiddlewareClaimsChallengeReachesTheCallerEveryTime(t *testing.T) {
	ct := newChainTier(t, true)
	const claims = `{"access_token":{"capolids":{"essential":true,"values":["mfa-policy"]}}}`
	bob := ct.srv.IssueAccessToken("bob", "api://api-a", "access_as_user")
	for _, code := range []string{"interaction_required", "invalid_grant"} {
		t.Run(code, func(t *testing.T) {
			ct.srv.ResetRequests()
			ct.srv.InjectFault(oauth2flowstest.EndpointToken, 2, oauth2flowstest.Fault{Status: http.StatusBadRequest,
				Body: oauth2flowstest.EntraError(code, "AADSTS50079: you must enroll in multi-factor authentication.", claims)})
			for range 2 {
				status, header, body := ct.call(t, bob)
				require.Equal(t, http.StatusUnauthorized, status)
				got, ok := oauth2flows.ParseClaimsChallenge(header.Get("WWW-Authenticate"))
				require.True(t, ok, header.Get("WWW-Authenticate"))
				assert.JSONEq(t, claims, got)
				assert.NotContains(t, body, bob)
			}
			assert.Equal(t, 2, ct.tokenRequests(), "each call asked the server")
		})
	}
	// The user signed in again with the claims: the same token now passes.
	status, _, body := ct.call(t, bob)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "orders of bob", body)
}

// Which refusals OBOCache.Token remembers, for each grant, over real HTTP.
func TestOBOCacheRemembersOnlyRefusalsOfTheAssertion(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     []oauth2flows.CacheOption
		code     string
		claims   string
		requests int // for three calls; the fault answers the first only
	}{
		{"invalid_grant", nil, "invalid_grant", "", 1},
		{"invalid_grant, token exchange", []oauth2flows.CacheOption{oauth2flows.WithTokenExchangeGrant()}, "invalid_grant", "", 1},
		{"invalid_request, token exchange (RFC 8693 §2.2.2)", []oauth2flows.CacheOption{oauth2flows.WithTokenExchangeGrant()}, "invalid_request", "", 1},
		{"invalid_request, OBO", nil, "invalid_request", "", 2},
		{"interaction_required", nil, "interaction_required", `{"access_token":{"acrs":{"essential":true,"value":"c1"}}}`, 2},
		{"invalid_client", nil, "invalid_client", "", 2},
		{"temporarily_unavailable", nil, "temporarily_unavailable", "", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "api-a", Secret: "api-a-secret"}))
			defer srv.Close()
			cache := oauth2flows.NewOBOCache(&oauth2flows.Config{ClientID: "api-a", ClientSecret: "api-a-secret",
				Endpoint: srv.Endpoint(), Scopes: []string{"api://api-b/.default"}}, tc.opts...)
			assertion := srv.IssueAccessToken("alice", "api://api-a", "access_as_user")
			srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{Status: http.StatusBadRequest,
				Body: oauth2flowstest.EntraError(tc.code, "refused", tc.claims)})
			_, first := cache.Token(context.Background(), assertion)
			var oe *oauth2flows.Error
			require.ErrorAs(t, first, &oe)
			assert.Equal(t, tc.code, oe.Code)
			_, second := cache.Token(context.Background(), assertion)
			_, _ = cache.Token(context.Background(), assertion)
			assert.Len(t, srv.RequestsTo(oauth2flowstest.EndpointToken), tc.requests)
			if tc.requests == 1 {
				assert.Same(t, first, second, "the remembered refusal is the server's error")
			} else {
				assert.NoError(t, second, "asked again, and the server accepted")
			}
		})
	}
}

// The hit of a good token allocates nothing, and the refusals do not change
// that: they are looked up only after a miss.
func TestOBOCacheHitAllocatesNothingWhileRefusalsAreHeld(t *testing.T) {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "api-a", Secret: "api-a-secret"}))
	defer srv.Close()
	cache := oauth2flows.NewOBOCache(&oauth2flows.Config{ClientID: "api-a", ClientSecret: "api-a-secret",
		Endpoint: srv.Endpoint(), Scopes: []string{"api://api-b/.default"}})
	srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{Status: http.StatusBadRequest,
		Body: oauth2flowstest.EntraError("invalid_grant", "refused", "")})
	_, err := cache.Token(context.Background(), srv.IssueAccessToken("mallory", "api://api-a"))
	require.Error(t, err)
	good := srv.IssueAccessToken("alice", "api://api-a")
	_, err = cache.Token(context.Background(), good)
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := cache.Token(context.Background(), good); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
}

// The chain against an Entra-shaped server: a multi-tenant validator
// ({tenantid} bound to tid), then the exchange at the tenant's endpoint.
func TestChainEntraMultiTenant(t *testing.T) {
	ct := newChainTierOf(t, chainSetup{validate: true, entra: "contoso"})
	alice := ct.srv.IssueAccessToken("alice", "api://api-a", "access_as_user")
	_, claims := unverifiedParts(t, alice)
	require.NotEmpty(t, claims["tid"])
	require.Equal(t, ct.srv.URL()+"/"+claims["tid"].(string)+"/v2.0", claims["iss"])
	for range 2 {
		status, _, body := ct.call(t, alice)
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, "orders of alice", body)
	}
	assert.Equal(t, 1, ct.tokenRequests())

	// Another tenant's server, another key: refused before any exchange.
	fabrikam := oauth2flowstest.NewServer(oauth2flowstest.WithEntra("fabrikam"))
	defer fabrikam.Close()
	status, h, _ := ct.call(t, fabrikam.IssueAccessToken("alice", "api://api-a", "access_as_user"))
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Contains(t, h.Get("WWW-Authenticate"), `error="invalid_token"`)
	assert.Equal(t, 1, ct.tokenRequests())
}

// What the Validator saves: without it, every distinct junk token is a token
// request (the issue's measure: 20 garbage tokens, 20 calls); with it, none.
// A replayed junk token costs one request even without it.
func TestChainJunkTokensWithAndWithoutValidation(t *testing.T) {
	for _, tc := range []struct {
		name              string
		setup             chainSetup
		distinct, replays int // token requests for 20 distinct junk tokens, then one replayed 20 times
	}{
		{"validated", chainSetup{validate: true}, 0, 0},
		{"unvalidated", chainSetup{cacheOpts: []oauth2flows.CacheOption{oauth2flows.WithInsecureUnvalidatedTokens()}}, 20, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct := newChainTierOf(t, tc.setup)
			for i := range 20 {
				status, _, _ := ct.call(t, fmt.Sprintf("junk-%d.eyJzdWIiOiJ4In0.c2ln", i))
				assert.Equal(t, http.StatusUnauthorized, status)
			}
			assert.Equal(t, tc.distinct, ct.tokenRequests())
			ct.srv.ResetRequests()
			for range 20 {
				status, _, _ := ct.call(t, "replayed.eyJzdWIiOiJ4In0.c2ln")
				assert.Equal(t, http.StatusUnauthorized, status)
			}
			assert.Equal(t, tc.replays, ct.tokenRequests())
		})
	}
}

// RFC 8693 §2.2.2 answers an invalid subject token with invalid_request:
// through the token exchange grant, the middle tier tells its caller the
// token is invalid, as it does for invalid_grant, and asks only once.
func TestOBOMiddlewareTokenExchangeRefusalIsInvalidToken(t *testing.T) {
	ct := newChainTierOf(t, chainSetup{validate: true, cacheOpts: []oauth2flows.CacheOption{oauth2flows.WithTokenExchangeGrant()}})
	token := ct.srv.IssueAccessToken("mallory", "api://api-a", "access_as_user")
	ct.srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{Status: http.StatusBadRequest,
		Body: `{"error":"invalid_request","error_description":"subject_token is invalid"}`})
	for range 3 {
		status, header, _ := ct.call(t, token)
		assert.Equal(t, http.StatusUnauthorized, status)
		assert.Equal(t, `Bearer error="invalid_token"`, header.Get("WWW-Authenticate"))
	}
	reqs := ct.srv.RequestsTo(oauth2flowstest.EndpointToken)
	require.Len(t, reqs, 1)
	assert.Equal(t, oauth2flows.GrantTypeTokenExchange, reqs[0].Form.Get("grant_type"))
	assert.Equal(t, token, reqs[0].Form.Get("subject_token"))
}
