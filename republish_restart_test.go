package oauth2flows_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// servedNow calls api through c once and reports whether it answered 200
// with the user's name; a failure must be a *StoreUnavailableError (the
// replicas writing back what they hold).
func servedNow(t *testing.T, c *http.Client, url string) bool {
	status, body, err := getBody(t, c, url)
	if err != nil {
		var unavailable *oauth2flows.StoreUnavailableError
		require.ErrorAs(t, err, &unavailable)
		return false
	}
	return status == http.StatusOK && body == "alice"
}

// servedEventually calls api through c until servedNow.
func servedEventually(t *testing.T, c *http.Client, url string, within time.Duration) {
	t.Helper()
	require.Eventually(t, func() bool { return servedNow(t, c, url) }, within, 100*time.Millisecond)
}

// keepCalling calls api through c every 200 ms until the test ends, as a
// replica with traffic for the user.
func keepCalling(t *testing.T, c *http.Client, url string) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
				_, _, _ = getBody(t, c, url) // traffic only: the outcome is not the test's
			}
		}
	})
	t.Cleanup(func() { close(stop); wg.Wait() })
}

// TestExpiredTokenOnAStoreRestartedDuringItsGrace: two replicas start from
// the same expired token on an empty store. The first redeems it after its
// grace and stores the new one; the store restarts empty before the
// second's grace is over. The second must not redeem the token the first
// already did: the store says it restarted, so the second waits for the
// replicas to write back what they hold, and takes the first's token.
func TestExpiredTokenOnAStoreRestartedDuringItsGrace(t *testing.T) {
	srv, cfg, tok := signedIn(t, oauth2flowstest.WithAccessTokenLifetime(3*time.Second))
	api := protectedAPI(t, srv)
	tok.Expiry = time.Now().Add(-time.Minute) // as the replicas' database has it
	store := newRestartingStore()
	replica := func() *http.Client {
		seed := *tok
		return oauth2flows.NewClient(cfg, &seed, oauth2flows.WithTokenStore(store, "user:alice"))
	}
	first := replica()
	go func() { _, _, _ = getBody(t, first, api.URL) }() // waits out its grace, then renews
	time.Sleep(time.Second)
	second := replica()
	go func() { _, _, _ = getBody(t, second, api.URL) }() // its grace ends a second later
	require.Eventually(t, func() bool { return store.current("user:alice") != nil }, 10*time.Second, 5*time.Millisecond)
	store.restart() // the first's new token is lost with the store
	keepCalling(t, first, api.URL)

	servedEventually(t, second, api.URL, 40*time.Second)
	stats := srv.RefreshStats()
	assert.Zero(t, stats.Reused, "the expired token was redeemed once")
	assert.Zero(t, stats.RevokedFamilies)
}

// TestValidTokenOnARestartedStoreWhileARenewalIsInFlight: replica A renews
// the shared token, its request held up on the network; the store restarts
// empty, losing A's lease. Replica B starts from the same token, still
// valid, finds the store empty and writes it back. Neither B nor any
// replica may redeem it: A's renewal already did. The store says it
// restarted, so B's token is written back as one that may be older than
// another replica's, and A's new token replaces it when it lands.
func TestValidTokenOnARestartedStoreWhileARenewalIsInFlight(t *testing.T) {
	srv, cfg, tok := signedIn(t, oauth2flowstest.WithAccessTokenLifetime(4*time.Second))
	api := protectedAPI(t, srv)
	store := newRestartingStore()
	gate := &tokenGate{next: srv.Client().Transport, opened: make(chan struct{})}
	t.Cleanup(gate.open)
	slow := *cfg
	slow.HTTPClient = &http.Client{Transport: tokenRequestsTo(gate, srv.Client().Transport, cfg.Endpoint.TokenURL)}
	seedA, seedB := *tok, *tok
	a := oauth2flows.NewClient(&slow, &seedA, oauth2flows.WithTokenStore(store, "user:alice"))
	b := oauth2flows.NewClient(cfg, &seedB, oauth2flows.WithTokenStore(store, "user:alice"))

	servedEventually(t, a, api.URL, 5*time.Second) // the shared token is A's first
	time.Sleep(time.Until(tok.Expiry.Add(-1900 * time.Millisecond)))
	servedEventually(t, a, api.URL, 5*time.Second) // in its refresh window: A renews, held up
	require.Eventually(t, func() bool { return gate.held.Load() == 1 }, 5*time.Second, 5*time.Millisecond)
	store.restart()
	servedEventually(t, b, api.URL, 5*time.Second) // B's token, written back; B would renew it now
	time.Sleep(300 * time.Millisecond)
	gate.open() // A's renewal lands: its lease is gone with the store

	servedEventually(t, b, api.URL, 40*time.Second)
	time.Sleep(time.Until(tok.Expiry)) // past the first token's life: B uses A's
	servedEventually(t, b, api.URL, 40*time.Second)
	stats := srv.RefreshStats()
	assert.Zero(t, stats.Reused, "the first refresh token was redeemed once")
	assert.Zero(t, stats.RevokedFamilies)
}

// tokenRequestsTo sends the requests to tokenURL through gate and the
// others (the API's) through next.
func tokenRequestsTo(gate, next http.RoundTripper, tokenURL string) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if req.URL.String() == tokenURL {
			return gate.RoundTrip(req)
		}
		return next.RoundTrip(req)
	})
}

// TestReplicaHoldingTheNewestTokenChecksInAfterARestart: with tokens that
// live long, replica A renews the shared token and serves the new one from
// memory for minutes, never reading the store; the store restarts empty
// before replica B took the new token. When B's old token expires, B must
// not redeem its refresh token, which A already did: B waits for the
// replicas to write back what they hold, and A, asking the store on a
// request whether it restarted (checkin.go), writes its token back within
// that wait.
func TestReplicaHoldingTheNewestTokenChecksInAfterARestart(t *testing.T) {
	srv, cfg, tok := signedIn(t, oauth2flowstest.WithAccessTokenLifetime(2*time.Minute))
	api := protectedAPI(t, srv)
	tok.Expiry, tok.ExpiresIn = time.Now().Add(3*time.Second), 3 // the shared token, near its end
	store := newRestartingStore()
	replica := func() *http.Client {
		seed := *tok
		return oauth2flows.NewClient(cfg, &seed, oauth2flows.WithTokenStore(store, "user:alice"))
	}
	a, b := replica(), replica()
	servedEventually(t, a, api.URL, 5*time.Second)
	servedEventually(t, b, api.URL, 5*time.Second)
	time.Sleep(time.Until(tok.Expiry.Add(-1400 * time.Millisecond)))
	servedEventually(t, a, api.URL, 5*time.Second) // in its refresh window: A renews
	require.Eventually(t, func() bool { return store.current("user:alice").AccessToken != tok.AccessToken }, 5*time.Second, 5*time.Millisecond)
	time.Sleep(100 * time.Millisecond)
	store.restart()
	keepCalling(t, a, api.URL) // A's new token lives two minutes: A renews nothing

	time.Sleep(time.Until(tok.Expiry))
	servedEventually(t, b, api.URL, 40*time.Second)
	stats := srv.RefreshStats()
	assert.Zero(t, stats.Reused, "the old refresh token was redeemed once")
	assert.Zero(t, stats.RevokedFamilies)
	assert.Equal(t, 1, stats.Redeemed)
}

// TestForcedRenewalAfterACheckIn: a resource server rejects the token with
// 401 invalid_token while a check-in is running. The check-in keeps the
// token; the forced renewal then runs after it, and the request is retried
// with the new token instead of failing with the 401 (and every later 401
// of that token going unanswered).
func TestForcedRenewalAfterACheckIn(t *testing.T) {
	srv, cfg, tok := signedIn(t)
	var refuse atomic.Bool
	protected := srv.Protect("app", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "alice") }))
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if refuse.CompareAndSwap(true, false) {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		protected.ServeHTTP(w, r)
	}))
	t.Cleanup(api.Close)
	store := newRestartingStore()
	var hold atomic.Pointer[chan struct{}]
	store.failOp = func(ctx context.Context, op string) error {
		if c := hold.Load(); c != nil && op == "RestartedAt" {
			<-*c
		}
		return nil
	}
	tr := oauth2flows.NewTransport(oauth2flows.RefreshTokenSource(cfg, tok), oauth2flows.WithTokenStore(store, "user:alice"))
	client := &http.Client{Transport: tr}
	servedEventually(t, client, api.URL, 5*time.Second)

	held := make(chan struct{})
	hold.Store(&held)
	time.AfterFunc(300*time.Millisecond, func() { close(held) })
	oauth2flows.DueCheckIn(tr)
	refuse.Store(true)
	status, body, err := getBody(t, client, api.URL) // starts the check-in, then gets the 401
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, status, "retried with a renewed token")
	assert.Equal(t, "alice", body)
	n, _ := refreshRequests(srv)
	assert.Equal(t, 1, n, "one forced renewal")
}
