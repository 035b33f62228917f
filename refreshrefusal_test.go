package oauth2flows_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

// TestRefusedRefreshTokenIsNeverSentAgain: after invalid_grant, the
// Transport answers every later request with the refusal at once, without
// sending the dead refresh token again.
func TestRefusedRefreshTokenIsNeverSentAgain(t *testing.T) {
	srv, cfg, _ := signedIn(t)
	api := protectedAPI(t, srv)
	client := oauth2flows.NewClient(cfg, token("expired", "unknown-refresh-token", time.Now().Add(-time.Minute)))
	for range 3 {
		_, _, err := getBody(t, client, api.URL)
		require.ErrorIs(t, err, oauth2flows.ErrReauthRequired)
	}
	n, _ := refreshRequests(srv)
	assert.Equal(t, 1, n, "sent once")
}

// TestRefusalIsSharedThroughTheStore: a replica whose refresh token was
// refused stores the refusal under the key, so that no other replica sends
// the token again; a new sign-in (a seed with another refresh token)
// replaces it, and every replica uses the new token.
func TestRefusalIsSharedThroughTheStore(t *testing.T) {
	srv, cfg, fresh := signedIn(t)
	api := protectedAPI(t, srv)
	store := newFakeStore()
	dead := func() *http.Client {
		return oauth2flows.NewClient(cfg, token("expired", "unknown-refresh-token", time.Now().Add(-time.Minute)),
			oauth2flows.WithTokenStore(store, "user:alice"))
	}
	a, b := dead(), dead()
	for _, c := range []*http.Client{a, b, a, b} {
		_, _, err := getBody(t, c, api.URL)
		require.ErrorIs(t, err, oauth2flows.ErrReauthRequired)
	}
	n, _ := refreshRequests(srv)
	assert.Equal(t, 1, n, "one replica sent it, once")
	_, values := store.snapshot()
	require.Len(t, values, 1)
	assert.NotContains(t, string(values[0]), "unknown-refresh-token", "the refusal holds a hash of it")
	assert.NotContains(t, string(values[0]), `"token_type":"Bearer"`)

	signedInAgain := oauth2flows.NewClient(cfg, fresh, oauth2flows.WithTokenStore(store, "user:alice"))
	for _, c := range []*http.Client{signedInAgain, b} {
		status, body, err := getBody(t, c, api.URL)
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, status)
		assert.Equal(t, "alice", body)
	}
	assert.Equal(t, fresh.AccessToken, store.current("user:alice").AccessToken, "the new sign-in replaced the refusal")
	n, _ = refreshRequests(srv)
	assert.Equal(t, 1, n)
}
