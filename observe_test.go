package oauth2flows_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// recorder is an Observer that keeps every event.
type recorder struct {
	mu     sync.Mutex
	events []oauth2flows.Event
}

func (r *recorder) Observe(_ context.Context, e oauth2flows.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

// of returns the events of kind.
func (r *recorder) of(kind oauth2flows.EventKind) []oauth2flows.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []oauth2flows.Event
	for _, e := range r.events {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// lookups counts the cache's events by kind and level, e.g. "cache_hit l1".
func (r *recorder) lookups() map[string]int {
	out := map[string]int{}
	for _, k := range []oauth2flows.EventKind{oauth2flows.EventCacheHit, oauth2flows.EventCacheMiss} {
		for _, e := range r.of(k) {
			out[k.String()+" "+string(e.CacheLevel)]++
		}
	}
	return out
}

func TestObserverSeesEachAttemptOfATokenRequest(t *testing.T) {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "daemon", Secret: "s3cret"}))
	t.Cleanup(srv.Close)
	srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{Status: http.StatusServiceUnavailable})
	rec := &recorder{}
	cfg := &oauth2flows.Config{ClientID: "daemon", ClientSecret: "s3cret", Endpoint: srv.Endpoint(),
		Observer: rec, Retry: oauth2flows.RetryPolicy{BaseDelay: time.Millisecond}}

	_, err := oauth2flows.ClientCredentials(t.Context(), cfg)
	require.NoError(t, err)

	require.Len(t, srv.RequestsTo(oauth2flowstest.EndpointToken), 2, "a 503 and its retry went on the wire")
	got := rec.of(oauth2flows.EventTokenRequest)
	require.Len(t, got, 2, "one event per attempt the server saw")
	for i, want := range []int{http.StatusServiceUnavailable, http.StatusOK} {
		e := got[i]
		assert.Equal(t, i+1, e.Attempt)
		assert.Equal(t, want, e.Status)
		assert.Equal(t, "token", e.Endpoint)
		assert.Equal(t, cfg.Endpoint.TokenURL, e.URL)
		assert.Equal(t, oauth2flows.GrantTypeClientCredentials, e.Grant)
		assert.Positive(t, e.Duration)
		assert.NoError(t, e.Err)
	}
}

func TestObserverSeesANetworkFailureWithoutStatus(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	rec := &recorder{}
	cfg := &oauth2flows.Config{ClientID: "daemon", ClientSecret: "s3cret", Observer: rec,
		Endpoint: oauth2flows.Endpoint{TokenURL: dead.URL + "/token"}, Retry: oauth2flows.RetryPolicy{MaxAttempts: 1}}

	_, err := oauth2flows.ClientCredentials(t.Context(), cfg)
	require.Error(t, err)

	got := rec.of(oauth2flows.EventTokenRequest)
	require.Len(t, got, 1)
	assert.Zero(t, got[0].Status)
	var ne *oauth2flows.NetworkError
	assert.ErrorAs(t, got[0].Err, &ne, "the same type the call returns")
	assert.NotContains(t, got[0].Err.Error(), "s3cret")
}

func TestObserverSeesOBOCacheLevelsAcrossReplicas(t *testing.T) {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "api-a", Secret: "api-a-secret"}))
	t.Cleanup(srv.Close)
	store := newFakeStore()
	replica := func() (*oauth2flows.OBOCache, *recorder) {
		rec := &recorder{}
		cfg := &oauth2flows.Config{ClientID: "api-a", ClientSecret: "api-a-secret", Endpoint: srv.Endpoint(),
			Scopes: []string{"api://api-b/.default"}, Observer: rec}
		return oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(store)), rec
	}
	a, recA := replica()
	b, recB := replica()
	alice := srv.IssueAccessToken("alice", "api://api-a", "access_as_user")

	_, err := a.Token(t.Context(), alice) // exchanges
	require.NoError(t, err)
	_, err = b.Token(t.Context(), alice) // loads what a stored
	require.NoError(t, err)
	_, err = b.Token(t.Context(), alice) // from b's memory
	require.NoError(t, err)

	assert.Len(t, srv.RequestsTo(oauth2flowstest.EndpointToken), 1)
	// a: a miss in memory, a miss in the store, and another under its
	// lease before it exchanged.
	assert.Equal(t, map[string]int{"cache_miss l1": 1, "cache_miss l2": 2}, recA.lookups())
	assert.Len(t, recA.of(oauth2flows.EventTokenRequest), 1)
	assert.Equal(t, map[string]int{"cache_miss l1": 1, "cache_hit l2": 1, "cache_hit l1": 1}, recB.lookups())
	assert.Empty(t, recB.of(oauth2flows.EventTokenRequest))
	for _, e := range recB.of(oauth2flows.EventCacheHit) {
		assert.Equal(t, oauth2flows.GrantTypeJWTBearer, e.Grant)
	}
}

func TestObserverSeesStoreFailures(t *testing.T) {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "api-a", Secret: "api-a-secret"}))
	t.Cleanup(srv.Close)
	store := newFakeStore()
	store.fail.Store(true)
	rec := &recorder{}
	cfg := &oauth2flows.Config{ClientID: "api-a", ClientSecret: "api-a-secret", Endpoint: srv.Endpoint(),
		Scopes: []string{"api://api-b/.default"}, Observer: rec}
	cache := oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(store))

	_, err := cache.Token(t.Context(), srv.IssueAccessToken("alice", "api://api-a", "access_as_user"))
	require.NoError(t, err, "a store failure is a miss")

	var ops []string
	for _, e := range rec.of(oauth2flows.EventStoreError) {
		ops = append(ops, e.Op)
		var se *oauth2flows.StoreError
		assert.ErrorAs(t, e.Err, &se)
	}
	assert.Equal(t, []string{"Load", "Lock"}, ops)
}

func TestObserverSeesRenewalsByKind(t *testing.T) {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "daemon", Secret: "s3cret"}),
		oauth2flowstest.WithAccessTokenLifetime(4*time.Second))
	t.Cleanup(srv.Close)
	rejectOnce := true
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rejectOnce {
			rejectOnce = false
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	t.Cleanup(api.Close)
	rec := &recorder{}
	cfg := &oauth2flows.Config{ClientID: "daemon", ClientSecret: "s3cret", Endpoint: srv.Endpoint(), Observer: rec}
	client := &http.Client{Transport: oauth2flows.NewTransport(oauth2flows.ClientCredentialsSource(cfg))}
	get := func() {
		status, _, err := getBody(t, client, api.URL)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, status)
	}

	get()                       // on demand, then forced by the 401
	time.Sleep(2 * time.Second) // into the refresh window: the second half of the 4 s lifetime
	get()                       // proactive, in the background
	require.Eventually(t, func() bool { return len(rec.of(oauth2flows.EventRenewal)) == 3 }, 5*time.Second, 10*time.Millisecond)

	var kinds []oauth2flows.RenewalKind
	for _, e := range rec.of(oauth2flows.EventRenewal) {
		kinds = append(kinds, e.Renewal)
		assert.NoError(t, e.Err)
		assert.Positive(t, e.Duration)
	}
	assert.Equal(t, []oauth2flows.RenewalKind{oauth2flows.RenewalOnDemand, oauth2flows.RenewalForced, oauth2flows.RenewalProactive}, kinds)
	assert.Len(t, rec.of(oauth2flows.EventTokenRequest), 3)
}

func TestObserverSeesAFailedRenewal(t *testing.T) {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "daemon", Secret: "s3cret"}))
	t.Cleanup(srv.Close)
	rec := &recorder{}
	cfg := &oauth2flows.Config{ClientID: "daemon", ClientSecret: "wrong", Endpoint: srv.Endpoint(), Observer: rec}

	_, err := oauth2flows.ClientCredentialsSource(cfg).Token(t.Context())
	require.Error(t, err)

	got := rec.of(oauth2flows.EventRenewal)
	require.Len(t, got, 1)
	assert.Equal(t, oauth2flows.RenewalOnDemand, got[0].Renewal)
	var oe *oauth2flows.Error
	assert.ErrorAs(t, got[0].Err, &oe)
	assert.Equal(t, "invalid_client", oe.Code)
	assert.Equal(t, http.StatusUnauthorized, rec.of(oauth2flows.EventTokenRequest)[0].Status)
}

func TestEventKindNames(t *testing.T) {
	assert.Equal(t, "cache_hit", oauth2flows.EventCacheHit.String())
	assert.Equal(t, "validator_refusal", oauth2flows.EventValidatorRefusal.String())
	assert.Equal(t, "unknown", oauth2flows.EventKind(0).String())
	assert.Equal(t, "unknown", oauth2flows.EventKind(200).String())
}

func TestObserverSeesATransportOverAnOBOSource(t *testing.T) {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "api-a", Secret: "api-a-secret"}))
	t.Cleanup(srv.Close)
	api := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(api.Close)
	rec := &recorder{}
	cfg := &oauth2flows.Config{ClientID: "api-a", ClientSecret: "api-a-secret", Endpoint: srv.Endpoint(),
		Scopes: []string{"api://api-b/.default"}, Observer: rec}
	cache := oauth2flows.NewOBOCache(cfg)
	client := &http.Client{Transport: oauth2flows.NewTransport(cache.Source(srv.IssueAccessToken("alice", "api://api-a", "access_as_user")))}

	status, _, err := getBody(t, client, api.URL)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status)

	renewals := rec.of(oauth2flows.EventRenewal)
	require.Len(t, renewals, 1, "the cache's Config reaches the Transport over its Source")
	assert.Equal(t, oauth2flows.RenewalOnDemand, renewals[0].Renewal)
	assert.Equal(t, map[string]int{"cache_miss l1": 1}, rec.lookups())
}
