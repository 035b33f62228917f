package oauth2flows_test

import (
	"context"
	"errors"
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

// TestRefreshTokenIsNeverRedeemedOutsideTheLease: with WithTokenStore, a
// store that fails never leads to a refresh outside its lease. An expired
// token fails the request with a *StoreUnavailableError, in about the
// lease wait, without a token request; once the store answers, one refresh
// serves. WithInsecureRenewalOutsideLease renews without it, as before.
func TestRefreshTokenIsNeverRedeemedOutsideTheLease(t *testing.T) {
	for _, tc := range []struct {
		name        string
		opts        []oauth2flows.TransportOption
		wantRefresh int // while the store is down
	}{
		{name: "default: fail the request"},
		{name: "insecure opt-out: renew without the lease", opts: []oauth2flows.TransportOption{oauth2flows.WithInsecureRenewalOutsideLease()}, wantRefresh: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, cfg, tok, api, store := sharedExpired(t)
			store.fail.Store(true)
			client := oauth2flows.NewClient(cfg, tok, append([]oauth2flows.TransportOption{
				oauth2flows.WithTokenStore(store, "user:alice"),
				oauth2flows.WithTokenStoreTimeouts(50*time.Millisecond, 300*time.Millisecond),
			}, tc.opts...)...)

			start := time.Now()
			status, body, err := getBody(t, client, api.URL)
			n, _ := refreshRequests(srv)
			assert.Equal(t, tc.wantRefresh, n)
			if tc.wantRefresh == 0 {
				var unavailable *oauth2flows.StoreUnavailableError
				require.ErrorAs(t, err, &unavailable)
				var serr *oauth2flows.StoreError
				require.ErrorAs(t, err, &serr, "it wraps the store's failure")
				assert.ErrorIs(t, err, errStoreDown)
				assert.NotContains(t, err.Error(), tok.RefreshToken)
				assert.GreaterOrEqual(t, store.loads.Load(), int32(2), "retried")
				assert.Less(t, time.Since(start), 3*time.Second, "bounded by the lease wait")
			} else {
				require.NoError(t, err)
				assert.Equal(t, http.StatusOK, status)
				assert.Equal(t, "alice", body)
			}

			store.fail.Store(false)
			status, body, err = getBody(t, client, api.URL)
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, status)
			assert.Equal(t, "alice", body)
			n, _ = refreshRequests(srv)
			assert.Equal(t, 1, n, "one refresh in all")
			assert.Zero(t, srv.RefreshStats().Reused)
		})
	}
}

// TestValidTokenServesWhileTheStoreFails: a token that is still valid keeps
// serving while the store fails; its renewal is postponed, not run outside
// the lease.
func TestValidTokenServesWhileTheStoreFails(t *testing.T) {
	srv, cfg, tok := signedIn(t)
	api := protectedAPI(t, srv)
	tok.Expiry = time.Now().Add(-time.Minute)
	store := newFakeStore()
	// Every token is in its refresh window: each request past it renews.
	client := oauth2flows.NewClient(cfg, tok, oauth2flows.WithTokenStore(store, "user:alice"),
		oauth2flows.WithRefreshSkew(24*time.Hour))
	_, body, err := getBody(t, client, api.URL)
	require.NoError(t, err)
	require.Equal(t, "alice", body)

	store.fail.Store(true)
	for range 5 {
		status, body, err := getBody(t, client, api.URL)
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, status)
		assert.Equal(t, "alice", body)
	}
	n, _ := refreshRequests(srv)
	assert.Equal(t, 1, n, "no refresh while the store is down")
}

// TestRenewalRidesOutAStoreOutage: replicas whose token expires while the
// store is down wait for it, within the lease wait, and then renew once
// under the lease: one refresh, no reuse, every request served.
func TestRenewalRidesOutAStoreOutage(t *testing.T) {
	srv, cfg, tok, api, store := sharedExpired(t)
	store.fail.Store(true)
	const replicas, callers = 4, 10
	clients := make([]*http.Client, replicas)
	for i := range clients {
		seed := *tok
		clients[i] = oauth2flows.NewClient(cfg, &seed, oauth2flows.WithTokenStore(store, "user:alice"))
	}
	time.AfterFunc(300*time.Millisecond, func() { store.fail.Store(false) })
	var wg sync.WaitGroup
	for _, c := range clients {
		for range callers {
			wg.Go(func() { assertServesAlice(t, c, api.URL) })
		}
	}
	wg.Wait()
	assertOneRefresh(t, srv)
}

// sharedExpired signs alice in on a server whose refresh tokens rotate
// and whose reuse of one revokes the family, and puts her token in a new
// fakeStore, expired, as the replicas' shared token.
func sharedExpired(t *testing.T) (*oauth2flowstest.Server, *oauth2flows.Config, *oauth2flows.Token, *httptest.Server, *fakeStore) {
	srv, cfg, tok := signedIn(t)
	api := protectedAPI(t, srv)
	tok.Expiry = time.Now().Add(-time.Minute)
	store := newFakeStore()
	store.put("user:alice", tok)
	return srv, cfg, tok, api, store
}

// assertServesAlice asserts that a request through c to url gets alice's
// answer.
func assertServesAlice(t *testing.T, c *http.Client, url string) {
	status, body, err := getBody(t, c, url)
	if assert.NoError(t, err) {
		assert.Equal(t, http.StatusOK, status)
		assert.Equal(t, "alice", body)
	}
}

// assertOneRefresh asserts that the server redeemed one refresh token, and
// saw no reuse.
func assertOneRefresh(t *testing.T, srv *oauth2flowstest.Server) {
	stats := srv.RefreshStats()
	assert.Equal(t, 1, stats.Redeemed, "one refresh for every replica")
	assert.Zero(t, stats.Reused)
	assert.Zero(t, stats.RevokedFamilies)
}

// TestRequestThatGivesUpWaitingForTheStoreSaysWhy: a request whose deadline
// passes while the renewal waits for the store gets a
// *StoreUnavailableError, not a bare deadline.
func TestRequestThatGivesUpWaitingForTheStoreSaysWhy(t *testing.T) {
	_, cfg, tok := signedIn(t)
	tok.Expiry = time.Now().Add(-time.Minute)
	store := newFakeStore()
	store.fail.Store(true)
	src := oauth2flows.NewTransport(oauth2flows.RefreshTokenSource(cfg, tok), oauth2flows.WithTokenStore(store, "k"))
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_, err := src.Token(ctx)
	var unavailable *oauth2flows.StoreUnavailableError
	require.ErrorAs(t, err, &unavailable)
	store.fail.Store(false)
}

// TestGrantsThatSpendNothingGoOnWithoutTheStore: client credentials can
// simply be run again, so a failing store does not fail the request.
func TestGrantsThatSpendNothingGoOnWithoutTheStore(t *testing.T) {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "job", Secret: "job-secret"}))
	t.Cleanup(srv.Close)
	cfg := &oauth2flows.Config{ClientID: "job", ClientSecret: "job-secret", Endpoint: srv.Endpoint()}
	store := newFakeStore()
	store.fail.Store(true)
	src := oauth2flows.NewTransport(oauth2flows.ClientCredentialsSource(cfg), oauth2flows.WithTokenStore(store, "app:job"))
	tok, err := src.Token(t.Context())
	require.NoError(t, err)
	assert.NotEmpty(t, tok.AccessToken)
	assert.Len(t, srv.RequestsTo(oauth2flowstest.EndpointToken), 1)
	assert.False(t, errors.Is(err, errStoreDown))
}

// TestRenewalPublishesItsTokenThroughAStoreOutage: a replica that redeemed
// the refresh token and cannot store the new one (Redis failing over for
// longer than one call's bound) tries again while it holds the lease,
// rather than give the lease up with the redeemed refresh token still in
// the store for the next holder to redeem again. Here the store refuses
// writes for 6 of its call bounds after the redemption: one refresh in
// all, no reuse, and the other replica gets the new token.
func TestRenewalPublishesItsTokenThroughAStoreOutage(t *testing.T) {
	srv, cfg, tok, api, store := sharedExpired(t)
	var outage sync.Once
	var writable atomic.Bool
	store.failOp = func(_ context.Context, op string) error {
		if op != "Store" {
			return nil
		}
		outage.Do(func() { time.AfterFunc(300*time.Millisecond, func() { writable.Store(true) }) })
		if !writable.Load() {
			return errStoreDown
		}
		return nil
	}
	var clients [2]*http.Client
	for i := range clients {
		seed := *tok
		clients[i] = oauth2flows.NewClient(cfg, &seed, oauth2flows.WithTokenStore(store, "user:alice"),
			oauth2flows.WithTokenStoreTimeouts(50*time.Millisecond, 2*time.Second))
	}
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			time.Sleep(time.Duration(i) * 100 * time.Millisecond) // the second asks during the outage
			assertServesAlice(t, c, api.URL)
		})
	}
	wg.Wait()
	assertOneRefresh(t, srv)
	stored := store.current("user:alice")
	require.NotNil(t, stored)
	assert.NotEqual(t, tok.RefreshToken, stored.RefreshToken, "the new token is in the store")
	_, err := oauth2flows.Refresh(t.Context(), cfg, stored.RefreshToken)
	require.NoError(t, err, "and its refresh token is the family's live one")
}
