package oauth2flows_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
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
	srv, cfg, tok := signedIn(t, oauth2flowstest.WithAccessTokenLifetime(2*time.Second))
	api := protectedAPI(t, srv)
	store := newFakeStore()
	replica := func(tok *oauth2flows.Token) *http.Client {
		seed := *tok
		return oauth2flows.NewClient(cfg, &seed, oauth2flows.WithTokenStore(store, "user:alice"))
	}
	a, b := replica(tok), replica(tok)
	for _, c := range []*http.Client{a, b} {
		_, body, err := getBody(t, c, api.URL)
		require.NoError(t, err)
		require.Equal(t, "alice", body)
	}
	require.NoError(t, oauth2flows.Revoke(t.Context(), cfg, tok.RefreshToken, oauth2flows.WithTokenTypeHint("refresh_token")))
	time.Sleep(2 * time.Second) // the access token expires
	for _, c := range []*http.Client{a, b, a, b} {
		_, _, err := getBody(t, c, api.URL)
		require.ErrorIs(t, err, oauth2flows.ErrReauthRequired)
	}
	n, _ := refreshRequests(srv)
	assert.Equal(t, 1, n, "one replica sent it, once")
	_, values := store.snapshot()
	require.Len(t, values, 1)
	assert.NotContains(t, string(values[0]), tok.RefreshToken, "the refusal holds a hash of it")
	assert.NotContains(t, string(values[0]), `"token_type":"Bearer"`)

	again, err := oauth2flows.PasswordCredentials(t.Context(), cfg, "alice", "pw") // a new sign-in
	require.NoError(t, err)
	signedInAgain := replica(again)
	for _, c := range []*http.Client{signedInAgain, b} {
		status, body, err := getBody(t, c, api.URL)
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, status)
		assert.Equal(t, "alice", body)
	}
	assert.Equal(t, again.AccessToken, store.current("user:alice").AccessToken, "the new sign-in replaced the refusal")
	n, _ = refreshRequests(srv)
	assert.Equal(t, 1, n)
}
