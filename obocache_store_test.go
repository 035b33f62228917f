package oauth2flows_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// honoringStore is the fake store saying that it honours its calls'
// deadlines, as redisstore does over a client with ContextTimeoutEnabled:
// the cache calls it on the caller's goroutine.
type honoringStore struct{ *fakeStore }

func (honoringStore) HonorsContext() bool { return true }

// storeKinds are the two ways the cache calls a store: on the caller's
// goroutine (a ContextHonoringStore) and on a goroutine of its own.
var storeKinds = []struct {
	name string
	wrap func(*fakeStore) oauth2flows.TokenStore
}{
	{name: "HonorsContext", wrap: func(s *fakeStore) oauth2flows.TokenStore { return honoringStore{s} }},
	{name: "MayIgnoreContext", wrap: func(s *fakeStore) oauth2flows.TokenStore { return s }},
}

// TestOBOCacheReplicasMissingTogetherMakeOneRequest: four replicas on one
// store, 25 callers each, all missing the same user at once.
func TestOBOCacheReplicasMissingTogetherMakeOneRequest(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) { testReplicasMissingTogether(t, kind.wrap) })
	}
}

func testReplicasMissingTogether(t *testing.T, wrap func(*fakeStore) oauth2flows.TokenStore) {
	srv, cfg, assertion := oboServer(t)
	cfg.Scopes = []string{"api://b/.default"}
	store := newFakeStore()
	replicas := make([]*oauth2flows.OBOCache, 4)
	for i := range replicas {
		replicas[i] = oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(wrap(store)))
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
	for _, kind := range storeKinds {
		for _, tt := range tests {
			if kind.name == "HonorsContext" && tt.name == "LoadIgnoresItsContext" {
				continue // it would not: a store that says so is believed
			}
			t.Run(kind.name+"/"+tt.name, func(t *testing.T) {
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
				cache := oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(kind.wrap(store)),
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

// storedByAnotherReplica returns a replica b, on the store that another
// replica filled with the token it exchanged for assertion (want).
func storedByAnotherReplica(t *testing.T, wrap func(*fakeStore) oauth2flows.TokenStore) (
	srv *oauth2flowstest.Server, store *fakeStore, b *oauth2flows.OBOCache, assertion string, want *oauth2flows.Token) {
	t.Helper()
	srv, cfg, assertion := oboServer(t)
	cfg.Scopes = []string{"api://b/.default"}
	store = newFakeStore()
	a := oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(wrap(store)))
	b = oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(wrap(store)))
	want, err := a.Token(context.Background(), assertion)
	require.NoError(t, err)
	return srv, store, b, assertion, want
}

// TestOBOCacheLoadsOnTheCallersGoroutine: a replica that misses its memory
// loads what another replica stored on the caller's own goroutine when the
// store honours its deadlines (no goroutine hand-off, which costs as much
// as a Redis GET), and on a goroutine of its own otherwise.
func TestOBOCacheLoadsOnTheCallersGoroutine(t *testing.T) {
	const frame = "testing.tRunner("
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			srv, store, b, assertion, want := storedByAnotherReplica(t, kind.wrap)

			var onCaller []bool
			store.failOp = func(_ context.Context, op string) error {
				if op == "Load" {
					// Only the test's goroutine runs under testing.tRunner.
					onCaller = append(onCaller, strings.Contains(string(debug.Stack()), frame))
				}
				return nil
			}
			got, err := b.Token(context.Background(), assertion)
			require.NoError(t, err)
			assert.Equal(t, want.AccessToken, got.AccessToken, "the other replica's token")
			assert.Equal(t, 1, oboPosts(srv))
			assert.Equal(t, []bool{kind.name == "HonorsContext"}, onCaller, "one Load, on the caller's goroutine or not")
		})
	}
}

// TestOBOCacheConcurrentMissesLoadOnce: callers of one replica that miss
// its memory together make one Load, whoever makes it.
func TestOBOCacheConcurrentMissesLoadOnce(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			srv, store, b, assertion, _ := storedByAnotherReplica(t, kind.wrap)
			before := store.loads.Load()

			start := make(chan struct{})
			var wg sync.WaitGroup
			for range 30 {
				wg.Go(func() {
					<-start
					_, err := b.Token(context.Background(), assertion)
					assert.NoError(t, err)
				})
			}
			close(start)
			wg.Wait()
			assert.Equal(t, int32(1), store.loads.Load()-before, "one Load for 30 callers")
			assert.Equal(t, 1, oboPosts(srv))
		})
	}
}

// TestOBOCacheCallerGivingUpDuringTheLoadFailsNobodyElse: the caller that
// started the flight gives up while its Load waits (on its own goroutine):
// it returns at once, with its ctx's error (or the token, when the flight
// ended first), the failure is not reported (the store did nothing wrong),
// and the flight goes on for the caller that joined it: one exchange.
func TestOBOCacheCallerGivingUpDuringTheLoadFailsNobodyElse(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			srv, cfg, assertion := oboServer(t)
			cfg.Scopes = []string{"api://b/.default"}
			store := newFakeStore()
			entered := make(chan struct{})
			var once sync.Once
			store.failOp = func(ctx context.Context, op string) error {
				first := false
				if op == "Load" {
					once.Do(func() { first = true })
				}
				if first {
					close(entered)
					<-ctx.Done() // a slow Redis, honouring its ctx
					return ctx.Err()
				}
				return nil
			}
			var mu sync.Mutex
			var reported []*oauth2flows.StoreError
			cache := oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(kind.wrap(store)),
				oauth2flows.WithStoreErrorHandler(func(_ context.Context, err *oauth2flows.StoreError) {
					mu.Lock()
					defer mu.Unlock()
					reported = append(reported, err)
				}))

			ctx, cancel := context.WithCancel(context.Background())
			leader := make(chan error, 1)
			go func() {
				_, err := cache.Token(ctx, assertion)
				leader <- err
			}()
			<-entered
			other := make(chan *oauth2flows.Token, 1)
			go func() {
				tok, err := cache.Token(context.Background(), assertion)
				assert.NoError(t, err)
				other <- tok
			}()
			start := time.Now()
			cancel()
			if err := <-leader; err != nil { // else the flight ended first, and a finished flight wins
				require.ErrorIs(t, err, context.Canceled)
			}
			assert.Less(t, time.Since(start), time.Second, "at once, not at the store's bound")
			tok := <-other
			require.NotNil(t, tok)
			assert.NotEmpty(t, tok.AccessToken)
			assert.Equal(t, 1, oboPosts(srv), "one exchange")
			mu.Lock()
			defer mu.Unlock()
			assert.Empty(t, reported, "the caller gave up: not a store failure")
		})
	}
}

// TestOBOCacheReplicasWithDifferentDPoPKeysShareNoBoundToken: replicas
// whose DPoP keys differ, on one store, each get a token bound to their own
// key (RFC 9449 cnf.jkt); replicas with the same key still share one. (The
// store key did not name the key: the second replica loaded the first's
// token, which its proofs cannot use.)
func TestOBOCacheReplicasWithDifferentDPoPKeysShareNoBoundToken(t *testing.T) {
	srv, cfgA, assertion := oboServer(t)
	cfgA.Scopes = []string{dpopAPI + "/.default"}
	cfgA.DPoPKey = ecKey(t)
	cfgB := *cfgA
	cfgB.DPoPKey = ecKey(t)
	store := newFakeStore()
	ctx := context.Background()
	jkt := func(r *oauth2flows.OBOCache) (string, string) {
		t.Helper()
		tok, err := r.Token(ctx, assertion)
		require.NoError(t, err)
		require.Equal(t, "DPoP", tok.TokenType)
		claims, err := srv.VerifyAccessToken(tok.AccessToken)
		require.NoError(t, err)
		return tok.AccessToken, claims.Cnf["jkt"]
	}

	tokA, jktA := jkt(oauth2flows.NewOBOCache(cfgA, oauth2flows.WithCacheStore(store)))
	tokB, jktB := jkt(oauth2flows.NewOBOCache(&cfgB, oauth2flows.WithCacheStore(store)))
	assert.NotEqual(t, jktA, jktB, "each replica's token is bound to its own key")
	assert.NotEqual(t, tokA, tokB)
	assert.Equal(t, 2, oboPosts(srv), "one exchange per key")

	tokA2, _ := jkt(oauth2flows.NewOBOCache(cfgA, oauth2flows.WithCacheStore(store)))
	assert.Equal(t, tokA, tokA2, "a replica with the same key loads it")
	assert.Equal(t, 2, oboPosts(srv))
}
