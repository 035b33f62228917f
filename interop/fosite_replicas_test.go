package interop

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/redisstore"
	"github.com/oauth2flows/oauth2flows/redisstore/redistest"
)

// countingTransport counts the requests it sends to path.
type countingTransport struct {
	path string
	n    atomic.Int32
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == c.path {
		c.n.Add(1)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestFositeStormAcrossReplicasRefreshesOnce: 4 replicas (Transports) x 50
// callers on one expired token, sharing a redisstore.Store on a real
// redis-server, against fosite, whose reuse detection would revoke the
// token family on a second redemption: one refresh, one token for every
// caller, and the family survives (its newest refresh token is redeemed once
// more afterwards).
func TestFositeStormAcrossReplicasRefreshesOnce(t *testing.T) {
	env := fositeServer(t)
	red := redistest.Start(t)
	key := make([]byte, 32)
	_, err := rand.Read(key)
	require.NoError(t, err)
	store := redisstore.New(red.Client(t, 0), redisstore.WithEncryptionKey(key))

	cfg := env.sdkConfig(t, fositeBasicClient)
	tokenURL, err := url.Parse(cfg.Endpoint.TokenURL)
	require.NoError(t, err)
	sent := &countingTransport{path: tokenURL.Path}
	cfg.HTTPClient = &http.Client{Transport: sent, Timeout: 30 * time.Second}
	first := fositeUserToken(t, env, fositeBasicClient)

	var mu sync.Mutex
	bearers := map[string]int{}
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		bearers[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]++
		mu.Unlock()
	}))
	t.Cleanup(api.Close)

	clients := make([]*http.Client, 4)
	for i := range clients {
		seed := &oauth2flows.Token{Token: *first}
		seed.Expiry = time.Now().Add(-time.Minute) // as every replica loads it: expired
		clients[i] = oauth2flows.NewClient(cfg, seed, oauth2flows.WithTokenStore(store, "user:"+fositeUser))
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, c := range clients {
		for range 50 {
			wg.Go(func() {
				<-start
				req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, api.URL, nil)
				resp, err := c.Do(req)
				if assert.NoError(t, err) {
					resp.Body.Close()
					assert.Equal(t, http.StatusOK, resp.StatusCode)
				}
			})
		}
	}
	close(start)
	wg.Wait()
	assert.Equal(t, int32(1), sent.n.Load(), "one refresh across 4 replicas x 50 callers")
	assert.Len(t, bearers, 1, "every caller sent the same, refreshed token")
	assert.NotContains(t, bearers, first.AccessToken)

	stored, err := store.Load(context.Background(), "user:"+fositeUser)
	require.NoError(t, err)
	require.NotNil(t, stored)
	assert.NotEqual(t, first.RefreshToken, stored.RefreshToken, "fosite rotated it")
	again, err := oauth2flows.Refresh(context.Background(), cfg, stored.RefreshToken)
	require.NoError(t, err, "the family survived: fosite saw no reuse")
	assert.NotEmpty(t, again.AccessToken)
}
