package oauth2flows_test

import (
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

// TestStoreRestartedEmptyGetsTheNewestTokenBack: the store restarts empty
// while replica B holds an older token than replica A. B's token expires
// first; B must not redeem its refresh token, which A already rotated (the
// server would revoke the family): its requests fail with a
// *StoreUnavailableError until A writes its newer token back, then use it.
func TestStoreRestartedEmptyGetsTheNewestTokenBack(t *testing.T) {
	srv, api, store, replica := sharedUser(t, 3*time.Second)
	a, b := replica(), replica()
	call := func(c *http.Client) {
		status, body, err := getBody(t, c, api.URL)
		if assert.NoError(t, err) {
			assert.Equal(t, http.StatusOK, status)
			assert.Equal(t, "alice", body)
		}
	}
	call(a) // the seed T1 becomes the shared token
	call(b)
	t1 := store.current("user:alice").AccessToken
	time.Sleep(1600 * time.Millisecond) // T1 in its refresh window
	call(a)                             // renews T2 in the background
	require.Eventually(t, func() bool { return store.current("user:alice").AccessToken != t1 }, 5*time.Second, 10*time.Millisecond)
	store.wipe()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { // A's traffic goes on
		for {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
				call(a)
			}
		}
	})
	time.Sleep(1200 * time.Millisecond) // T1 has expired, T2 not yet
	// B fails fast while the replicas write back, then uses A's token.
	servedEventually(t, b, api.URL, 8*time.Second)
	close(stop)
	wg.Wait()

	stats := srv.RefreshStats()
	assert.Zero(t, stats.Reused, "no refresh token presented twice")
	assert.Zero(t, stats.RevokedFamilies)
	_, sent := refreshRequests(srv)
	assert.Len(t, unique(sent), len(sent), "each refresh token sent once; B waited for A's T2")
}

// TestExpiredSeedWaitsForARenewalInFlight: a replica starts from an
// expired token on an empty store, while another replica, whose lease died
// with the store, has just redeemed that token and stores the result a
// second later. The seed is not redeemed: it polls the store for its grace
// and takes the new token. With a store failure seen meanwhile, it waits
// past the grace too.
func TestExpiredSeedWaitsForARenewalInFlight(t *testing.T) {
	for _, tc := range []struct {
		name    string
		outage  bool
		landsIn time.Duration
	}{
		{name: "within the seed's grace", landsIn: time.Second},
		{name: "after a store failure, past the grace", outage: true, landsIn: 4 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, cfg, seed := signedIn(t)
			api := protectedAPI(t, srv)
			next, err := oauth2flows.Refresh(t.Context(), cfg, seed.RefreshToken) // the other replica's renewal
			require.NoError(t, err)
			seed.Expiry = time.Now().Add(-time.Minute)
			store := newFakeStore()
			store.fail.Store(tc.outage)
			client := oauth2flows.NewClient(cfg, seed, oauth2flows.WithTokenStore(store, "user:alice"))
			if tc.outage {
				time.AfterFunc(200*time.Millisecond, func() { store.fail.Store(false) })
			}
			time.AfterFunc(tc.landsIn, func() { store.put("user:alice", next) })
			servedEventually(t, client, api.URL, 10*time.Second)
			stats := srv.RefreshStats()
			assert.Zero(t, stats.Reused, "the seed was not redeemed")
			assert.Equal(t, 1, stats.Redeemed)
		})
	}
}

// sharedUser is a signed-in user of an oauth2flowstest server issuing
// tokens for lifetime, a protected API, a fake store, and replica, which
// makes one more replica's client for the user: a Transport seeded with
// the user's first token, sharing it through the store under one key.
func sharedUser(t *testing.T, lifetime time.Duration) (*oauth2flowstest.Server, *httptest.Server, *fakeStore, func() *http.Client) {
	t.Helper()
	srv, cfg, tok := signedIn(t, oauth2flowstest.WithAccessTokenLifetime(lifetime))
	store := newFakeStore()
	return srv, protectedAPI(t, srv), store, func() *http.Client {
		seed := *tok
		return oauth2flows.NewClient(cfg, &seed, oauth2flows.WithTokenStore(store, "user:alice"))
	}
}
