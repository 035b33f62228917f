package oauth2flows_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

// TestOBOCacheReplicasMissingTogetherMakeOneRequest: four replicas on one
// store, 25 callers each, all missing the same user at once.
func TestOBOCacheReplicasMissingTogetherMakeOneRequest(t *testing.T) {
	srv, cfg, assertion := oboServer(t)
	cfg.Scopes = []string{"api://b/.default"}
	store := newFakeStore()
	replicas := make([]*oauth2flows.OBOCache, 4)
	for i := range replicas {
		replicas[i] = oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(store))
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	tokens := make(chan string, 100)
	for _, r := range replicas {
		for range 25 {
			wg.Go(func() {
				<-start
				tok, err := r.Token(context.Background(), assertion)
				if assert.NoError(t, err) {
					tokens <- tok.AccessToken
				}
			})
		}
	}
	close(start)
	wg.Wait()
	close(tokens)
	assert.Equal(t, 1, oboPosts(srv), "one token request across the replicas")
	first := <-tokens
	for tok := range tokens {
		assert.Equal(t, first, tok)
	}
	store.mu.Lock()
	defer store.mu.Unlock()
	assert.Equal(t, int32(1), store.stores.Load())
}

// TestOBOCacheStoreFailuresAreMisses: whatever the store does wrong, the
// user's call gets a token from the token endpoint, and the failure reaches
// the handler and the log, not the caller.
func TestOBOCacheStoreFailuresAreMisses(t *testing.T) {
	errDown := errors.New("dial tcp 10.0.0.7:6379: connection refused")
	tests := []struct {
		name      string
		op        string // the method that fails
		fail      func(ctx context.Context) error
		wantErr   error
		wantPanic bool
	}{
		{name: "LoadError", op: "Load", fail: func(context.Context) error { return errDown }, wantErr: errDown},
		{name: "LockError", op: "Lock", fail: func(context.Context) error { return errDown }, wantErr: errDown},
		{name: "StoreError", op: "Store", fail: func(context.Context) error { return errDown }, wantErr: errDown},
		{name: "LeaseLost", op: "Store", fail: func(context.Context) error { return oauth2flows.ErrLeaseLost }, wantErr: oauth2flows.ErrLeaseLost},
		{name: "UnlockError", op: "Unlock", fail: func(context.Context) error { return errDown }, wantErr: errDown},
		{name: "LoadPanics", op: "Load", fail: func(context.Context) error { panic("store bug") }, wantPanic: true},
		{name: "LockPanics", op: "Lock", fail: func(context.Context) error { panic(errDown) }, wantPanic: true},
		{name: "StorePanics", op: "Store", fail: func(context.Context) error { panic("store bug") }, wantPanic: true},
		{name: "LoadIgnoresItsContext", op: "Load", fail: func(context.Context) error { time.Sleep(time.Second); return nil },
			wantErr: context.DeadlineExceeded},
		{name: "LockNeverReturns", op: "Lock", fail: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() },
			wantErr: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, cfg, assertion := oboServer(t)
			cfg.Scopes = []string{"api://b/.default"}
			var logs syncBuffer
			cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			store := newFakeStore()
			store.failOp = func(ctx context.Context, op string) error {
				if op == tt.op {
					return tt.fail(ctx)
				}
				return nil
			}
			var mu sync.Mutex
			var reported []*oauth2flows.StoreError
			cache := oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(store),
				oauth2flows.WithStoreErrorHandler(func(_ context.Context, err *oauth2flows.StoreError) {
					mu.Lock()
					reported = append(reported, err)
					mu.Unlock()
				}))
			oauth2flows.SetStoreTimeouts(cache, 100*time.Millisecond, 100*time.Millisecond)

			tok, err := cache.Token(context.Background(), assertion)
			require.NoError(t, err, "a store failure never fails the user's call")
			assert.NotEmpty(t, tok.AccessToken)
			assert.Equal(t, 1, oboPosts(srv))

			mu.Lock()
			defer mu.Unlock()
			require.NotEmpty(t, reported)
			got := reported[0]
			assert.Equal(t, tt.op, got.Op)
			if tt.wantPanic {
				assert.NotNil(t, got.Panic)
			} else {
				assert.ErrorIs(t, got, tt.wantErr)
			}
			assert.Contains(t, logs.String(), "token store failed")
			assert.Contains(t, logs.String(), "op="+tt.op)
			assert.NotContains(t, logs.String(), assertion)
			assert.NotContains(t, logs.String(), tok.AccessToken)
		})
	}
}

// TestOBOCachePanicOfTheExchangeIsAnError: the exchange runs on a goroutine
// of the cache's single flight, where a panic of the application's
// HTTPClient transport ended the process.
func TestOBOCachePanicOfTheExchangeIsAnError(t *testing.T) {
	_, cfg, assertion := oboServer(t)
	cfg.Scopes = []string{"api://b/.default"}
	cfg.HTTPClient = &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		panic("instrumentation bug")
	})}
	cache := oauth2flows.NewOBOCache(cfg)
	_, err := cache.Token(context.Background(), assertion)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "panicked")
	assert.NotContains(t, err.Error(), assertion)
}
