package replicas_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
	"github.com/oauth2flows/oauth2flows/redisstore"
)

// BenchmarkOBOCacheL2Hit: a Token call of an OBOCache that misses its memory
// and finds the token in Redis (the caller's own goroutine calls the store,
// which honours its deadlines: GET, AES-256-GCM open, decode, bound by the
// assertion, put in memory), against the bare go-redis GET of the same
// value. Two users alternate on a one-entry memory, so every call misses it.
// "ratio" alternates the two and reports obo/get; "ratio-aside" does the
// same through a client without ContextTimeoutEnabled, whose store the
// cache calls on a goroutine of its own (one hand-off); "l1" is the memory
// hit, for comparison.
func BenchmarkOBOCacheL2Hit(b *testing.B) {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: clientID, Secret: clientSecret}))
	b.Cleanup(srv.Close)
	cfg := &oauth2flows.Config{ClientID: clientID, ClientSecret: clientSecret, Endpoint: srv.Endpoint(),
		Scopes: []string{"api://downstream/.default"}}
	c := testRedis.Client(b, 3)
	ctx := context.Background()
	require.NoError(b, c.FlushDB(ctx).Err())
	key, prefix := newKey(b), redisstore.WithPrefix(fmt.Sprintf("t%d:", prefixes.Add(1)))
	store := newStore(b, c, key, prefix)
	require.True(b, store.HonorsContext())
	users := []string{srv.IssueAccessToken("alice", "api://"+clientID), srv.IssueAccessToken("bob", "api://"+clientID)}
	cache := oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(store), oauth2flows.WithCacheSize(1))
	plain := redis.NewClient(&redis.Options{Addr: testRedis.Addr(), DB: 3, MaxRetries: -1})
	b.Cleanup(func() { plain.Close() })
	asideStore := newStore(b, plain, key, prefix) // the same values, called aside
	require.False(b, asideStore.HonorsContext())
	aside := oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(asideStore), oauth2flows.WithCacheSize(1))
	for _, u := range users {
		_, err := cache.Token(ctx, u)
		require.NoError(b, err)
	}
	keys, err := c.Keys(ctx, "*").Result()
	require.NoError(b, err)
	var rk string
	for _, k := range keys {
		if v, _ := c.Get(ctx, k).Bytes(); len(v) > 100 {
			rk = k // a sealed token
		}
	}
	require.NotEmpty(b, rk)
	oboOf := func(cache *oauth2flows.OBOCache) func(int) {
		return func(i int) {
			if _, err := cache.Token(ctx, users[i%2]); err != nil {
				b.Fatal(err)
			}
		}
	}
	obo := oboOf(cache)
	get := func() {
		if _, err := c.Get(ctx, rk).Bytes(); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("bare-get", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			get()
		}
	})
	b.Run("obo-l2", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			obo(i)
			i++
		}
	})
	ratio := func(obo func(int)) func(b *testing.B) {
		return func(b *testing.B) {
			b.ReportAllocs()
			var tg, to time.Duration
			i := 0
			for b.Loop() {
				t0 := time.Now()
				get()
				t1 := time.Now()
				obo(i)
				i++
				tg += t1.Sub(t0)
				to += time.Since(t1)
			}
			b.ReportMetric(float64(to)/float64(tg), "obo/get")
		}
	}
	b.Run("ratio", ratio(obo))
	b.Run("ratio-aside", ratio(oboOf(aside)))
	b.Run("obo-l1", func(b *testing.B) {
		l1 := oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(store))
		_, err := l1.Token(ctx, users[0])
		require.NoError(b, err)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := l1.Token(ctx, users[0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	if n := countGrant(srv, oauth2flows.GrantTypeJWTBearer); n != 2 {
		b.Fatalf("%d exchanges, want 2: every call but the first two was a hit", n)
	}
}

// BenchmarkStorm: one storm per iteration: 4 replicas (Transports) x 50
// callers on one expired token, on a real Redis; reports the refreshes per
// storm (must be 1) and the time until every caller was served.
func BenchmarkStorm(b *testing.B) {
	const replicas, callers = 4, 50
	for b.Loop() {
		b.StopTimer()
		srv, cfg, tok := signedIn(b)
		apiSrv := protectedAPI(b, srv)
		store := newStore(b, testRedis.Client(b, 4), newKey(b))
		clients := make([]*http.Client, replicas)
		for i := range clients {
			seed := *tok
			clients[i] = oauth2flows.NewClient(cfg, &seed, oauth2flows.WithTokenStore(store, "user:alice"))
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		for _, c := range clients {
			for range callers {
				wg.Go(func() {
					<-start
					if status, _, err := get(context.Background(), c, apiSrv); err != nil || status != http.StatusOK {
						b.Error(status, err)
					}
				})
			}
		}
		b.StartTimer()
		close(start)
		wg.Wait()
		b.StopTimer()
		if n := countGrant(srv, oauth2flows.GrantTypeRefreshToken); n != 1 {
			b.Fatalf("%d refreshes in a storm, want 1", n)
		}
		b.StartTimer()
	}
	b.ReportMetric(1, "refreshes/storm")
	b.ReportMetric(replicas*callers, "callers/storm")
}

// TestSimulationTokenRequestsPerLifetime: R replicas and U users, each user
// calling every replica once within one token lifetime (a balancer spreads
// their calls), with OBOCaches sharing one Store on a real Redis, and
// without one. Token requests stay U with the store; R x U without. It
// prints the table (go test -v -run TestSimulation).
func TestSimulationTokenRequestsPerLifetime(t *testing.T) {
	rs, us := []int{1, 3, 10}, []int{10, 100, 1000}
	if testing.Short() {
		rs, us = []int{1, 3}, []int{10, 100}
	}
	var table strings.Builder
	fmt.Fprintf(&table, "| R replicas | U users | calls | token requests, shared Redis | without it |\n|---|---|---|---|---|\n")
	for _, r := range rs {
		for _, u := range us {
			shared := simulate(t, r, u, true)
			require.Equal(t, u, shared, "R=%d U=%d: U token requests, not R x U", r, u)
			alone := "R x U = " + fmt.Sprint(r*u)
			if r*u <= 1000 {
				n := simulate(t, r, u, false)
				require.Equal(t, r*u, n)
				alone = fmt.Sprint(n)
			}
			fmt.Fprintf(&table, "| %d | %d | %d | %d | %s |\n", r, u, r*u, shared, alone)
		}
	}
	t.Log("token requests per token lifetime:\n" + table.String())
}

// simulate runs U users' calls over R replicas and returns the token
// requests the authorization server saw.
func simulate(t *testing.T, replicas, users int, shared bool) int {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: clientID, Secret: clientSecret}))
	defer srv.Close()
	cfg := &oauth2flows.Config{ClientID: clientID, ClientSecret: clientSecret, Endpoint: srv.Endpoint(),
		Scopes: []string{"api://downstream/.default"}}
	store := newStore(t, testRedis.Client(t, 5), newKey(t))
	caches := make([]*oauth2flows.OBOCache, replicas)
	for i := range caches {
		if shared {
			caches[i] = oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(store))
		} else {
			caches[i] = oauth2flows.NewOBOCache(cfg)
		}
	}
	assertions := make([]string, users)
	for i := range assertions {
		assertions[i] = srv.IssueAccessToken(fmt.Sprintf("user%d", i), "api://"+clientID)
	}
	work := make(chan [2]int)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for w := range work {
				if _, err := caches[w[1]].Token(context.Background(), assertions[w[0]]); err != nil {
					t.Error(err)
				}
			}
		})
	}
	for r := range replicas { // every user on every replica, replica by replica
		for u := range users {
			work <- [2]int{u, r}
		}
	}
	close(work)
	wg.Wait()
	return countGrant(srv, oauth2flows.GrantTypeJWTBearer)
}
