package oauth2flows_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime/debug"
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

// getBody sends one GET through c and returns the status and body.
func getBody(t *testing.T, c *http.Client, u string) (int, string, error) {
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	require.NoError(t, err)
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

func TestReplicasSharingAStoreRefreshOnceInAStorm(t *testing.T) {
	srv, cfg, tok := signedIn(t) // rotation and reuse detection on
	api := protectedAPI(t, srv)
	tok.Expiry = time.Now().Add(-time.Minute) // as every replica loads it, expired
	store := newFakeStore()

	const replicas, callers = 4, 50
	var saves atomic.Int32
	clients := make([]*http.Client, replicas)
	for i := range clients {
		seed := *tok
		clients[i] = oauth2flows.NewClient(cfg, &seed, oauth2flows.WithTokenStore(store, "user:alice"),
			oauth2flows.WithTokenSaver(func(context.Context, *oauth2flows.Token) error { saves.Add(1); return nil }))
	}
	var wg sync.WaitGroup
	for _, c := range clients {
		for range callers {
			wg.Go(func() {
				status, body, err := getBody(t, c, api.URL)
				if assert.NoError(t, err) {
					assert.Equal(t, http.StatusOK, status)
					assert.Equal(t, "alice", body)
				}
			})
		}
	}
	wg.Wait()

	n, sent := refreshRequests(srv)
	assert.Equal(t, 1, n, "one refresh for %d replicas × %d callers", replicas, callers)
	assert.Equal(t, []string{tok.RefreshToken}, sent)
	assert.Equal(t, int32(1), saves.Load(), "saved once, by the replica that got it")
	stored := store.current("user:alice")
	require.NotNil(t, stored)
	assert.NotEqual(t, tok.RefreshToken, stored.RefreshToken, "the rotated refresh token is shared")
	_, err := oauth2flows.Refresh(t.Context(), cfg, stored.RefreshToken)
	assert.NoError(t, err, "the token family survived: no refresh token was redeemed twice")
}

func TestReplicaUsesTheStoredTokenOverItsSeed(t *testing.T) {
	srv, cfg, tok := signedIn(t)
	api := protectedAPI(t, srv)
	store := newFakeStore()
	shared := *tok
	shared.AccessToken = srv.IssueAccessToken("bob", "app")
	store.put("k", &shared)

	client := oauth2flows.NewClient(cfg, tok, oauth2flows.WithTokenStore(store, "k"))
	_, body, err := getBody(t, client, api.URL)
	require.NoError(t, err)
	assert.Equal(t, "bob", body, "the store's token is the current one")
	assert.Equal(t, shared.AccessToken, store.current("k").AccessToken, "the seed does not replace it")

	empty := newFakeStore()
	client = oauth2flows.NewClient(cfg, tok, oauth2flows.WithTokenStore(empty, "k"))
	_, body, err = getBody(t, client, api.URL)
	require.NoError(t, err)
	assert.Equal(t, "alice", body)
	require.NotNil(t, empty.current("k"), "the seed seeds an empty store")
	assert.Equal(t, tok.AccessToken, empty.current("k").AccessToken)
	n, _ := refreshRequests(srv)
	assert.Zero(t, n)
}

func TestReplicaWhoseLeaseLapsedDoesNotOverwriteANewerToken(t *testing.T) {
	srv, cfg, tok := signedIn(t)
	api := protectedAPI(t, srv)
	tok.Expiry = time.Now().Add(-time.Minute)
	store := newFakeStore()
	newer := *tok
	newer.AccessToken, newer.Expiry = srv.IssueAccessToken("carol", "app"), time.Now().Add(time.Hour)
	var once sync.Once
	store.beforeStore = func(key string) {
		once.Do(func() {
			// This replica stalled past its lease: another one took a newer
			// lease and stored its token first.
			store.lapse(key)
			store.put(key, &newer)
		})
	}
	var saved []string
	client := oauth2flows.NewClient(cfg, tok, oauth2flows.WithTokenStore(store, "k"),
		oauth2flows.WithTokenSaver(func(_ context.Context, tok *oauth2flows.Token) error {
			saved = append(saved, tok.AccessToken)
			return nil
		}))

	_, body, err := getBody(t, client, api.URL)
	require.NoError(t, err)
	assert.Equal(t, newer.AccessToken, store.current("k").AccessToken, "the fenced write did not overwrite it")
	assert.Equal(t, "carol", body, "the replica reloaded and uses the winner's token")
	assert.Empty(t, saved, "the token it did not keep is not saved; the winner saved its own")
}

func TestClientCredentialsReplicasShareOneTokenThroughTheStore(t *testing.T) {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "job", Secret: "job-secret"}))
	t.Cleanup(srv.Close)
	cfg := &oauth2flows.Config{ClientID: "job", ClientSecret: "job-secret", Endpoint: srv.Endpoint()}
	store := newFakeStore()
	var sources []oauth2flows.TokenSource
	for range 3 {
		sources = append(sources, oauth2flows.NewTransport(oauth2flows.ClientCredentialsSource(cfg),
			oauth2flows.WithTokenStore(store, "app:job")))
	}
	var wg sync.WaitGroup
	tokens := make(chan string, 30)
	for _, src := range sources {
		for range 10 {
			wg.Go(func() {
				tok, err := src.Token(t.Context())
				if assert.NoError(t, err) {
					tokens <- tok.AccessToken
				}
			})
		}
	}
	wg.Wait()
	close(tokens)
	first := ""
	for tok := range tokens {
		if first == "" {
			first = tok
		}
		assert.Equal(t, first, tok, "every replica uses the one token")
	}
	assert.Len(t, srv.RequestsTo(oauth2flowstest.EndpointToken), 1, "one client_credentials request for three replicas")
	assert.False(t, store.current("app:job").Expiry.IsZero())
}

func TestReplicaForcedToRenewUsesAnotherReplicasRenewalOfATokenWithoutExpiry(t *testing.T) {
	srv, cfg, seed := signedIn(t) // rotation: a spent refresh token gets invalid_grant
	// The replicas hold the token without expiry: only a 401 renews it.
	var revoked atomic.Bool
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if revoked.Load() && r.Header.Get("Authorization") == "Bearer "+seed.AccessToken {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	t.Cleanup(api.Close)
	store := newFakeStore()
	a := oauth2flows.NewClient(cfg, token(seed.AccessToken, seed.RefreshToken, time.Time{}), oauth2flows.WithTokenStore(store, "k"))
	b := oauth2flows.NewClient(cfg, token(seed.AccessToken, seed.RefreshToken, time.Time{}), oauth2flows.WithTokenStore(store, "k"))

	for _, c := range []*http.Client{a, b, a, b} { // both use the seed, then the API revokes it
		status, _, err := getBody(t, c, api.URL)
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, status)
		if c == b {
			revoked.Store(true)
		}
	}
	_, sent := refreshRequests(srv)
	assert.Equal(t, []string{seed.RefreshToken}, sent, "the second replica took the first one's token")
}

// TestReplicaCallsAStoreHonouringItsContextWithoutAHandOff: a Transport
// calls a store that honours its deadlines (ContextHonoringStore) on the
// goroutine that needs it, and any other store on a goroutine of its own,
// which bounds a store that ignores its context.
func TestReplicaCallsAStoreHonouringItsContextWithoutAHandOff(t *testing.T) {
	const aside = "oauth2flows.callAside["
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			srv, cfg, tok := signedIn(t)
			api := protectedAPI(t, srv)
			store := newFakeStore()
			var mu sync.Mutex
			var onOwnGoroutine []bool
			store.failOp = func(_ context.Context, op string) error {
				if op == "Load" {
					mu.Lock()
					onOwnGoroutine = append(onOwnGoroutine, strings.Contains(string(debug.Stack()), aside))
					mu.Unlock()
				}
				return nil
			}
			client := oauth2flows.NewClient(cfg, tok, oauth2flows.WithTokenStore(kind.wrap(store), "k"))
			_, body, err := getBody(t, client, api.URL)
			require.NoError(t, err)
			assert.Equal(t, "alice", body)
			mu.Lock()
			defer mu.Unlock()
			require.NotEmpty(t, onOwnGoroutine)
			for _, own := range onOwnGoroutine {
				assert.Equal(t, kind.name != "HonorsContext", own, "Load on a goroutine of its own")
			}
		})
	}
}
