package oauth2flows_test

import (
	"net/http"
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
	srv, cfg, tok := signedIn(t, oauth2flowstest.WithAccessTokenLifetime(3*time.Second))
	api := protectedAPI(t, srv)
	store := newFakeStore()
	replica := func() *http.Client {
		seed := *tok
		return oauth2flows.NewClient(cfg, &seed, oauth2flows.WithTokenStore(store, "user:alice"))
	}
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
	require.Eventually(t, func() bool {
		status, body, err := getBody(t, b, api.URL)
		if err != nil {
			var unavailable *oauth2flows.StoreUnavailableError
			require.ErrorAs(t, err, &unavailable)
			return false
		}
		return status == http.StatusOK && body == "alice"
	}, 8*time.Second, 100*time.Millisecond)
	close(stop)
	wg.Wait()

	stats := srv.RefreshStats()
	assert.Zero(t, stats.Reused, "no refresh token presented twice")
	assert.Zero(t, stats.RevokedFamilies)
	_, sent := refreshRequests(srv)
	assert.Len(t, unique(sent), len(sent), "each refresh token sent once; B waited for A's T2")
}
