package replicas_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/redisstore"
	"github.com/oauth2flows/oauth2flows/redisstore/redistest"
)

// storm sends callers requests through each client at once and checks
// every one is alice's.
func storm(t *testing.T, clients []*http.Client, callers int, api string) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, c := range clients {
		for range callers {
			wg.Go(func() {
				<-start
				status, body, err := get(context.Background(), c, api)
				if assert.NoError(t, err) {
					assert.Equal(t, http.StatusOK, status)
					assert.Equal(t, "alice", body)
				}
			})
		}
	}
	close(start)
	wg.Wait()
}

// TestTransportStormAcrossReplicasRefreshesOnce: 4 replicas x 50 callers on
// one expired token, with rotation and reuse detection on: one refresh, the
// saver once, and the family survives (the stored refresh token still
// works).
func TestTransportStormAcrossReplicasRefreshesOnce(t *testing.T) {
	srv, cfg, tok := signedIn(t)
	api := protectedAPI(t, srv)
	store := newStore(t, testRedis.Client(t, 0), newKey(t))
	var saves atomic.Int32
	clients := make([]*http.Client, 4)
	for i := range clients {
		seed := *tok
		clients[i] = oauth2flows.NewClient(cfg, &seed, oauth2flows.WithTokenStore(store, "user:alice"),
			oauth2flows.WithTokenSaver(func(context.Context, *oauth2flows.Token) error { saves.Add(1); return nil }))
	}
	storm(t, clients, 50, api)
	assert.Equal(t, 1, countGrant(srv, oauth2flows.GrantTypeRefreshToken), "one refresh across 4 replicas x 50 callers")
	assert.Equal(t, int32(1), saves.Load(), "saved once, by the replica that got it")

	stored, err := store.Load(context.Background(), "user:alice")
	require.NoError(t, err)
	require.NotNil(t, stored)
	_, err = oauth2flows.Refresh(context.Background(), cfg, stored.RefreshToken)
	require.NoError(t, err, "the family was not revoked: its newest refresh token still works")
}

// TestOBOStormAcrossReplicasExchangesOnce: 4 OBOCaches x 50 callers missing
// the same user's token at once: one exchange, one token for all.
func TestOBOStormAcrossReplicasExchangesOnce(t *testing.T) {
	srv, cfg, _ := signedIn(t)
	cfg.Scopes = []string{"api://downstream/.default"}
	assertion := srv.IssueAccessToken("alice", "api://"+clientID, "access_as_user")
	store := newStore(t, testRedis.Client(t, 0), newKey(t))
	replicas := make([]*oauth2flows.OBOCache, 4)
	for i := range replicas {
		replicas[i] = oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(store))
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := map[string]int{}
	for _, r := range replicas {
		for range 50 {
			wg.Go(func() {
				<-start
				tok, err := r.Token(context.Background(), assertion)
				if assert.NoError(t, err) {
					mu.Lock()
					got[tok.AccessToken]++
					mu.Unlock()
				}
			})
		}
	}
	close(start)
	wg.Wait()
	assert.Equal(t, 1, countGrant(srv, oauth2flows.GrantTypeJWTBearer), "one exchange across 4 replicas x 50 callers")
	assert.Len(t, got, 1, "every caller got the same token")
}

// TestRenewalSlowerThanTheLease: the token endpoint answers after 3 lease
// TTLs; the holder's lease is renewed meanwhile, and the other replicas
// wait: still one redemption, and every request is served.
func TestRenewalSlowerThanTheLease(t *testing.T) {
	srv, cfg, tok := signedIn(t)
	api := protectedAPI(t, srv)
	const ttl = 300 * time.Millisecond
	tokenProxy(t, srv, cfg, func(*http.Request) bool { time.Sleep(3 * ttl); return true })
	store := newStore(t, testRedis.Client(t, 0), newKey(t), redisstore.WithLockTTL(ttl))
	clients := make([]*http.Client, 4)
	for i := range clients {
		seed := *tok
		clients[i] = oauth2flows.NewClient(cfg, &seed, oauth2flows.WithTokenStore(store, "user:alice"))
	}
	storm(t, clients, 10, api)
	assert.Equal(t, 1, countGrant(srv, oauth2flows.GrantTypeRefreshToken), "one redemption though it outlasted the lease TTL")
}

// The dead-holder test runs a replica in a child process (the test binary
// again), which takes the lease and starts the refresh; the token endpoint
// holds its request, and the parent kills it with SIGKILL mid-renewal.
const childEnv = "REPLICAS_TEST_CHILD"

type childArgs struct {
	Redis, Key, TokenURL, API, Refresh string
	TTL                                time.Duration
}

func childMain() int {
	var a childArgs
	f := strings.Fields(os.Getenv(childEnv))
	if len(f) != 6 {
		return 2
	}
	a.Redis, a.Key, a.TokenURL, a.API, a.Refresh = f[0], f[1], f[2], f[3], f[4]
	var err error
	if a.TTL, err = time.ParseDuration(f[5]); err != nil {
		return 2
	}
	key, err := hex.DecodeString(a.Key)
	if err != nil {
		return 2
	}
	store := redisstore.New(redis.NewClient(&redis.Options{Addr: a.Redis}), redisstore.WithEncryptionKey(key),
		redisstore.WithLockTTL(a.TTL), redisstore.WithPrefix("dead-holder:"))
	cfg := &oauth2flows.Config{ClientID: clientID, ClientSecret: clientSecret,
		Endpoint: oauth2flows.Endpoint{TokenURL: a.TokenURL}}
	tok := &oauth2flows.Token{Token: oauth2.Token{AccessToken: "expired", TokenType: "Bearer", RefreshToken: a.Refresh, Expiry: time.Now().Add(-time.Minute)}}
	c := oauth2flows.NewClient(cfg, tok, oauth2flows.WithTokenStore(store, "user:alice"))
	_, _, err = get(context.Background(), c, a.API) // holds until killed
	fmt.Fprintln(os.Stderr, "child: request ended:", err)
	return 1
}

// TestDeadHolderAnotherReplicaTakesOver: the replica holding the lease is
// killed mid-renewal (SIGKILL, in a child process); a replica waiting for
// the lease completes the renewal within the lease TTL and the grace of an
// expired seed on an empty store, with one redemption.
func TestDeadHolderAnotherReplicaTakesOver(t *testing.T) {
	srv, cfg, tok := signedIn(t)
	api := protectedAPI(t, srv)
	var first atomic.Bool
	childIn := make(chan struct{})
	tokenProxy(t, srv, cfg, func(r *http.Request) bool {
		if first.CompareAndSwap(false, true) { // the child's refresh: held until it dies
			close(childIn)
			_, _ = io.Copy(io.Discard, r.Body) // so that the server sees the connection close
			select {
			case <-r.Context().Done():
			case <-time.After(time.Minute):
			}
			return false
		}
		return true
	})
	const ttl = time.Second
	key := newKey(t)
	store := redisstore.New(testRedis.Client(t, 0), redisstore.WithEncryptionKey(key),
		redisstore.WithLockTTL(ttl), redisstore.WithPrefix("dead-holder:"))
	exe, err := os.Executable()
	require.NoError(t, err)
	child := exec.Command(exe, "-test.run", "^$")
	child.Env = append(os.Environ(), fmt.Sprintf("%s=%s %x %s %s %s %s", childEnv,
		testRedis.Addr(), key, cfg.Endpoint.TokenURL, api, tok.RefreshToken, ttl))
	child.Stderr = os.Stderr
	require.NoError(t, child.Start())
	t.Cleanup(func() { _ = child.Process.Kill(); _ = child.Wait() })
	select {
	case <-childIn:
	case <-time.After(20 * time.Second):
		t.Fatal("the child's refresh never arrived")
	}

	seed := *tok
	replica := oauth2flows.NewClient(cfg, &seed, oauth2flows.WithTokenStore(store, "user:alice"))
	type result struct {
		status int
		body   string
		err    error
		at     time.Time
	}
	done := make(chan result, 1)
	go func() {
		s, b, err := get(context.Background(), replica, api)
		done <- result{s, b, err, time.Now()}
	}()
	time.Sleep(ttl + ttl/2) // the replica waits for the lease, which the living child keeps
	select {
	case r := <-done:
		t.Fatalf("served while the holder lived: %+v", r)
	default:
	}
	require.NoError(t, child.Process.Signal(syscall.SIGKILL))
	killed := time.Now()
	_ = child.Wait()
	var r result
	select {
	case r = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("nothing may wait forever on a dead holder")
	}
	require.NoError(t, r.err)
	assert.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "alice", r.body)
	took := r.at.Sub(killed)
	t.Logf("served %v after the holder was killed (lease TTL %v)", took, ttl)
	// The lease TTL, plus the 3 s an expired seed polls an empty store (a
	// dead holder may have redeemed it), plus a little.
	assert.Less(t, took, ttl+4*time.Second, "within the lease TTL, the seed's grace and a little")
	assert.Equal(t, 1, countGrant(srv, oauth2flows.GrantTypeRefreshToken), "the dead holder's refresh never reached the server")
}

// TestRedisStoppedAndRestarted: with Redis gone, users are served (misses:
// each replica's memory and the token endpoint); once it is back, replicas
// share again. Not tested, because it cannot hold: a rotating refresh token
// renewed by two replicas during the outage is redeemed twice, as nothing
// is shared then.
func TestRedisStoppedAndRestarted(t *testing.T) {
	red := redistest.Start(t)
	srv, cfg, tok := signedIn(t)
	api := protectedAPI(t, srv)
	cfg.Scopes = []string{"api://downstream/.default"}
	store := newStore(t, red.Client(t, 0), newKey(t))
	var seed1, seed2 = *tok, *tok
	a := oauth2flows.NewClient(cfg, &seed1, oauth2flows.WithTokenStore(store, "user:alice"))
	b := oauth2flows.NewClient(cfg, &seed2, oauth2flows.WithTokenStore(store, "user:alice"))
	oboA := oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(store))
	oboB := oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(store))
	ctx := context.Background()

	for _, c := range []*http.Client{a, b} { // a renews, b adopts a's token
		status, body, err := get(ctx, c, api)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, status)
		require.Equal(t, "alice", body)
	}
	require.Equal(t, 1, countGrant(srv, oauth2flows.GrantTypeRefreshToken))

	red.Stop()
	for _, c := range []*http.Client{a, b} {
		status, body, err := get(ctx, c, api)
		require.NoError(t, err, "Redis down is a miss, never a failed request")
		assert.Equal(t, http.StatusOK, status)
		assert.Equal(t, "alice", body)
	}
	bob := srv.IssueAccessToken("bob", "api://"+clientID)
	_, err := oboA.Token(ctx, bob)
	require.NoError(t, err, "OBO with Redis down: served from the token endpoint")
	before := countGrant(srv, oauth2flows.GrantTypeJWTBearer)

	red.Restart(t)
	carol := srv.IssueAccessToken("carol", "api://"+clientID)
	var tokA, tokB *oauth2flows.Token
	require.Eventually(t, func() bool {
		tokA, err = oboA.Token(ctx, carol)
		return err == nil && countGrant(srv, oauth2flows.GrantTypeJWTBearer) == before+1
	}, 10*time.Second, 50*time.Millisecond)
	tokB, err = oboB.Token(ctx, carol)
	require.NoError(t, err)
	assert.Equal(t, tokA.AccessToken, tokB.AccessToken, "replica B found A's token in the restarted Redis")
	assert.Equal(t, before+1, countGrant(srv, oauth2flows.GrantTypeJWTBearer), "one exchange for both")
}

// TestTamperedValuesAndAWrongKeyAreMisses: values altered in Redis, and a
// replica holding another encryption key, read nothing: they exchange for
// themselves, report it, and never fail the call.
func TestTamperedValuesAndAWrongKeyAreMisses(t *testing.T) {
	srv, cfg, _ := signedIn(t)
	cfg.Scopes = []string{"api://downstream/.default"}
	c := testRedis.Client(t, 1)
	require.NoError(t, c.FlushDB(context.Background()).Err())
	key := newKey(t)
	store := redisstore.New(c, redisstore.WithEncryptionKey(key))
	ctx := context.Background()
	var mu sync.Mutex
	var reported []*oauth2flows.StoreError
	onErr := oauth2flows.WithStoreErrorHandler(func(_ context.Context, err *oauth2flows.StoreError) {
		mu.Lock()
		defer mu.Unlock()
		reported = append(reported, err)
	})

	assertion := srv.IssueAccessToken("alice", "api://"+clientID)
	first, err := oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(store)).Token(ctx, assertion)
	require.NoError(t, err)
	require.Equal(t, 1, countGrant(srv, oauth2flows.GrantTypeJWTBearer))

	other := redisstore.New(c, redisstore.WithEncryptionKey(newKey(t)))
	tok, err := oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(other), onErr).Token(ctx, assertion)
	require.NoError(t, err)
	assert.NotEqual(t, first.AccessToken, tok.AccessToken)
	assert.Equal(t, 2, countGrant(srv, oauth2flows.GrantTypeJWTBearer), "a wrong key reads nothing: a miss")

	for k, v := range everything(t, c) {
		if len(v) > 40 { // the sealed tokens, not the leases and fences
			b := []byte(v)
			b[len(b)/2] ^= 1
			require.NoError(t, c.Set(ctx, k, b, 0).Err())
		}
	}
	tok, err = oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(store), onErr).Token(ctx, assertion)
	require.NoError(t, err, "a tampered value is a miss")
	assert.NotEqual(t, first.AccessToken, tok.AccessToken)
	assert.Equal(t, 3, countGrant(srv, oauth2flows.GrantTypeJWTBearer))
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, reported)
	for _, e := range reported {
		assert.NotContains(t, e.Error(), first.AccessToken)
	}
}

// TestRedisHoldsNothingReadable: after renewals and exchanges by several
// replicas, no token, assertion, user or key name is readable in Redis.
func TestRedisHoldsNothingReadable(t *testing.T) {
	srv, cfg, tok := signedIn(t)
	api := protectedAPI(t, srv)
	c := testRedis.Client(t, 2)
	require.NoError(t, c.FlushDB(context.Background()).Err())
	store := redisstore.New(c, redisstore.WithEncryptionKey(newKey(t)))
	clients := make([]*http.Client, 3)
	for i := range clients {
		seed := *tok
		clients[i] = oauth2flows.NewClient(cfg, &seed, oauth2flows.WithTokenStore(store, "user:alice"))
	}
	storm(t, clients, 5, api)
	oboCfg := *cfg
	oboCfg.Scopes = []string{"api://downstream/.default"}
	assertion := srv.IssueAccessToken("alice", "api://"+clientID)
	obo, err := oauth2flows.NewOBOCache(&oboCfg, oauth2flows.WithCacheStore(store)).Token(context.Background(), assertion)
	require.NoError(t, err)
	stored, err := store.Load(context.Background(), "user:alice")
	require.NoError(t, err)
	require.NotNil(t, stored)

	held := everything(t, c)
	require.NotEmpty(t, held)
	secrets := []string{tok.AccessToken, tok.RefreshToken, stored.AccessToken, stored.RefreshToken,
		obo.AccessToken, assertion, "alice", "user:alice"}
	for _, part := range []string{stored.AccessToken, obo.AccessToken, assertion} {
		secrets = append(secrets, strings.Split(part, ".")...) // each JWT segment alone
	}
	for k, v := range held {
		for _, s := range secrets {
			if len(s) < 5 {
				continue
			}
			assert.NotContains(t, k, s, "a Redis key names a secret or a user")
			assert.NotContains(t, v, s, "a Redis value holds a secret or a user in the clear")
		}
	}
}
