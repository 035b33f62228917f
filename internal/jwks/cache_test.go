package jwks

import (
	"context"
	"crypto/elliptic"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// keyServer serves body (or status) and counts requests; gate, when set,
// holds each request until closed.
type keyServer struct {
	*httptest.Server
	hits   atomic.Int64
	mu     sync.Mutex
	body   string
	status int
	gate   chan struct{}
}

func newKeyServer(t *testing.T, body string) *keyServer {
	ks := &keyServer{body: body}
	ks.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ks.hits.Add(1)
		ks.mu.Lock()
		body, status, gate := ks.body, ks.status, ks.gate
		ks.mu.Unlock()
		if gate != nil {
			<-gate
		}
		if status != 0 {
			w.WriteHeader(status)
			return
		}
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(ks.Close)
	return ks
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestCacheSharesOneFetchAmongConcurrentLookups(t *testing.T) {
	k := ecJWK(t, elliptic.P256(), "P-256")
	ks := newKeyServer(t, string(doc(k)))
	gate := make(chan struct{})
	ks.gate = gate
	c := New(Config{URL: ks.URL})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			key, err := c.Lookup(context.Background(), "e", "ES256")
			assert.NoError(t, err)
			assert.NotNil(t, key)
		})
	}
	require.Eventually(t, func() bool { return ks.hits.Load() == 1 }, time.Second, time.Millisecond)
	close(gate)
	wg.Wait()
	assert.EqualValues(t, 1, ks.hits.Load())
	assert.EqualValues(t, 1, c.Fetches())
}

func TestCacheRateLimitsFetchesIncludingFailures(t *testing.T) {
	ks := newKeyServer(t, "")
	ks.status = http.StatusInternalServerError
	clk := &clock{t: time.Now()}
	c := New(Config{URL: ks.URL, MinInterval: time.Minute, Now: clk.Now})
	for range 10 {
		_, err := c.Lookup(context.Background(), "e", "ES256")
		var fe *FetchError
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, http.StatusInternalServerError, fe.StatusCode)
	}
	assert.EqualValues(t, 1, ks.hits.Load(), "a failing host is not retried within MinInterval")

	ks.mu.Lock()
	ks.status, ks.body = 0, string(doc(ecJWK(t, elliptic.P256(), "P-256")))
	ks.mu.Unlock()
	clk.Add(time.Minute)
	_, err := c.Lookup(context.Background(), "e", "ES256")
	require.NoError(t, err)
	_, err = c.Lookup(context.Background(), "forged", "ES256")
	require.ErrorIs(t, err, ErrUnknownKey)
	assert.EqualValues(t, 2, ks.hits.Load())
}

func TestCacheHonoursContextButFinishesTheFetch(t *testing.T) {
	ks := newKeyServer(t, string(doc(ecJWK(t, elliptic.P256(), "P-256"))))
	gate := make(chan struct{})
	ks.gate = gate
	c := New(Config{URL: ks.URL})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := c.Lookup(ctx, "e", "ES256")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	close(gate)
	require.Eventually(t, func() bool {
		_, err := c.Lookup(context.Background(), "e", "ES256")
		return err == nil
	}, 2*time.Second, 5*time.Millisecond, "the fetch a canceled caller started serves the next one")
	assert.EqualValues(t, 1, ks.hits.Load())
}

func TestCacheFetchTimeout(t *testing.T) {
	ks := newKeyServer(t, "{}")
	gate := make(chan struct{})
	ks.gate = gate
	t.Cleanup(func() { close(gate) })
	c := New(Config{URL: ks.URL, FetchTimeout: 50 * time.Millisecond})
	start := time.Now()
	err := c.Load(context.Background())
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
	assert.Less(t, time.Since(start), 2*time.Second)
}

func TestCacheCapsTheBody(t *testing.T) {
	k := ecJWK(t, elliptic.P256(), "P-256")
	big := `{"keys":[` + strings.Repeat(`{"kty":"x"},`, MaxBody/10) + string(doc(k))[9:]
	ks := newKeyServer(t, big)
	c := New(Config{URL: ks.URL})
	err := c.Load(context.Background())
	var fe *FetchError
	require.ErrorAs(t, err, &fe)
	assert.Contains(t, fe.Reason, "larger than")
}
