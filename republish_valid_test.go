package oauth2flows_test

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// TestStoreRestartedEmptyValidOlderTokenNotRenewed: the store restarts
// empty just after replica A rotated T1 into T2. B and C still hold T1,
// valid and in its refresh window. B writes T1 back; C, finding it, must
// not redeem it (A rotated it: the server would revoke the family) before
// the replicas had the time to write back what they hold; A does, and B
// and C take T2. Failed before the fix: a valid token written back was
// stored as any other, and C renewed it at once.
func TestStoreRestartedEmptyValidOlderTokenNotRenewed(t *testing.T) {
	srv, api, store, replica := sharedUser(t, 4*time.Second)
	a, b, c := replica(), replica(), replica()
	// A request may fail while the replicas write back.
	call := func(cl *http.Client) bool { return servedNow(t, cl, api.URL) }
	require.True(t, call(a)) // the seed T1 becomes the shared token
	require.True(t, call(b))
	require.True(t, call(c))
	t1 := store.current("user:alice").AccessToken
	time.Sleep(2200 * time.Millisecond) // T1 in its refresh window
	call(a)                             // renews T2 in the background
	require.Eventually(t, func() bool { return store.current("user:alice").AccessToken != t1 }, time.Second, 5*time.Millisecond)
	store.wipe()

	call(b) // writes T1 back
	require.Eventually(t, func() bool { return store.current("user:alice") != nil }, time.Second, 5*time.Millisecond)
	call(c) // finds T1 written back
	time.Sleep(200 * time.Millisecond)
	// A checks in on its traffic, with T2 in its refresh window; B and C,
	// whose T1 expires meanwhile, take T2.
	for range 25 {
		call(a)
		call(b)
		call(c)
		time.Sleep(100 * time.Millisecond)
	}
	assert.True(t, store.current("user:alice").AccessToken != t1, "A's T2 written back")
	for name, cl := range map[string]*http.Client{"B": b, "C": c} {
		assert.True(t, call(cl), "%s serves T2", name)
	}

	stats := srv.RefreshStats()
	assert.Zero(t, stats.Reused, "no refresh token presented twice")
	assert.Zero(t, stats.RevokedFamilies)
	_, sent := refreshRequests(srv)
	assert.Len(t, unique(sent), len(sent), "each refresh token sent once")
}

// TestRenewalWhoseLeaseTheStoreLostWritesBack: replica A redeems T1 under
// the lease when the store restarts empty; B, holding T1 still valid,
// writes it back before A's write lands, which finds its lease gone. A's
// T2, the child of the refresh token the server just accepted, is the
// newest token: A writes it back under a new lease at once, rather than
// keep it to itself until its next renewal while the others wait to renew
// T1 (a reuse once their wait is over). Failed before the fix: the store
// held B's T1 until A renewed again.
func TestRenewalWhoseLeaseTheStoreLostWritesBack(t *testing.T) {
	srv, api, store, replica := sharedUser(t, 4*time.Second)
	a, b := replica(), replica()
	call := func(cl *http.Client) { // also from A's renewal: no require
		status, body, err := getBody(t, cl, api.URL)
		if assert.NoError(t, err) {
			assert.Equal(t, http.StatusOK, status)
			assert.Equal(t, "alice", body)
		}
	}
	call(a) // the seed T1 becomes the shared token
	call(b)
	t1 := store.current("user:alice").AccessToken
	time.Sleep(2200 * time.Millisecond) // T1 in its refresh window

	var restarted atomic.Bool
	store.beforeStore = func(string) { // A's write of T2: the store restarts empty, B writes T1 back
		if !restarted.CompareAndSwap(false, true) {
			return
		}
		store.wipe()
		call(b)
		assert.Eventually(t, func() bool { return store.current("user:alice") != nil }, time.Second, 5*time.Millisecond)
	}
	call(a) // renews in the background
	require.Eventually(t, func() bool {
		cur := store.current("user:alice")
		return cur != nil && cur.AccessToken != t1 && cur.IssuedTokenType == ""
	}, time.Second, 5*time.Millisecond, "A's T2 written back as the current token")
	call(b) // T1 still valid: B renews in the background, and takes T2
	stats := srv.RefreshStats()
	assert.Equal(t, 1, stats.Redeemed)
	assert.Zero(t, stats.Reused)
}

// TestSeedThatSawTheStoreIsNotTrustedAfterALoss: replica B starts from T1,
// finds T1 expired in the store and fails to renew it (the server answers
// 400); A then renews T1 into T2, and the store restarts empty. B, still
// holding its seed T1, must not take it for the newest token, as a seed on
// a new store is: it saw the store hold T1, so others may have renewed
// since. It writes T1 back and waits, instead of redeeming T1 after the
// seed's grace. Failed before the fix: B redeemed T1, a reuse.
func TestSeedThatSawTheStoreIsNotTrustedAfterALoss(t *testing.T) {
	srv, api, store, replica := sharedUser(t, 2*time.Second)
	a, b := replica(), replica()
	status, _, err := getBody(t, a, api.URL) // the seed T1 becomes the shared token
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status)
	time.Sleep(2100 * time.Millisecond) // T1 expired

	srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{Status: http.StatusBadRequest, Body: `{"error":"invalid_request"}`})
	_, _, err = getBody(t, b, api.URL)
	require.Error(t, err, "B's renewal of T1 fails")
	status, _, err = getBody(t, a, api.URL) // A renews T1 into T2
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status)
	store.wipe()

	_, _, err = getBody(t, b, api.URL)
	var unavailable *oauth2flows.StoreUnavailableError
	assert.ErrorAs(t, err, &unavailable, "B waits for the replicas to write back")
	stats := srv.RefreshStats()
	assert.Zero(t, stats.Reused, "T1 not redeemed again")
	assert.Equal(t, 1, stats.Redeemed)
}
