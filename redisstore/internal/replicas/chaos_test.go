package replicas_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
	"github.com/oauth2flows/oauth2flows/redisstore"
	"github.com/oauth2flows/oauth2flows/redisstore/redistest"
)

// chaosEnv selects the full run: OAUTH2FLOWS_CHAOS=full (60 s at 400
// requests/s). OAUTH2FLOWS_CHAOS_MODE=insecure runs the Transports with
// WithInsecureRenewalOutsideLease and =nostore without the store, to show
// the run can fail: the bar is then reported, not asserted.
// OAUTH2FLOWS_CHAOS_TOKEN_LIFE (e.g. 40s) sets the access tokens' lifetime
// (4 s by default): tokens that outlive the replicas' republish wait (30 s)
// are served from memory across a restart, where a replica holding the
// newest one must check in with the store to be heard.
const (
	chaosEnv          = "OAUTH2FLOWS_CHAOS"
	chaosModeEnv      = "OAUTH2FLOWS_CHAOS_MODE"
	chaosTokenLifeEnv = "OAUTH2FLOWS_CHAOS_TOKEN_LIFE"
)

// TestChaos: replicas sharing rotating refresh tokens through Redis, under
// the faults production sees. 4 replicas, each with its own go-redis client
// and redisstore.Store, serve 100 users whose access tokens live 4 s; the
// authorization server rotates refresh tokens and revokes the whole family
// on reuse, as Auth0, Okta and fosite do. 15% of token requests are
// dropped, delayed 0.5-3 s or answered 500/503; Redis is SIGKILLed twice
// and restarted empty a second later. The bar: no family lost, no refresh
// token redeemed twice, no request stuck over 10 s, every failed request
// explained by an injected fault, and every user served on every replica
// once the faults stop. The short run is part of the suite; the full run
// and its table are in BENCHMARKS.md.
func TestChaos(t *testing.T) {
	full := os.Getenv(chaosEnv) == "full"
	mode := os.Getenv(chaosModeEnv)
	const replicas, users, faultRate = 4, 100, 0.15
	tokenLife := 4 * time.Second
	if v := os.Getenv(chaosTokenLifeEnv); v != "" {
		d, err := time.ParseDuration(v)
		require.NoError(t, err, chaosTokenLifeEnv)
		tokenLife = d
	}
	duration, rate := 20*time.Second, 100
	if full {
		duration, rate = 60*time.Second, 400
	}
	p50, p99, worst := sleepLateness(100)
	if p99 > 5*time.Millisecond { // the machine stalls: a lower rate, so that stalls are not the test
		rate /= 2
	}
	t.Logf("10 ms sleep wakes late by p50 %v, p99 %v, max %v: %d requests/s", p50, p99, worst, rate)

	redis := redistest.Start(t)
	var userOpts []oauth2flowstest.Option
	names := make([]string, users)
	for i := range names {
		names[i] = fmt.Sprintf("user%03d", i)
		userOpts = append(userOpts, oauth2flowstest.WithUser(oauth2flowstest.User{Username: names[i], Password: "pw"}))
	}
	srv := oauth2flowstest.NewServer(append(userOpts,
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: clientID, Secret: clientSecret}),
		oauth2flowstest.WithAccessTokenLifetime(tokenLife),
		oauth2flowstest.WithRefreshTokenPolicy(oauth2flowstest.RotateRevokeFamily))...)
	t.Cleanup(srv.Close)
	api := protectedAPI(t, srv)
	tokenURL, err := url.Parse(srv.Endpoint().TokenURL)
	require.NoError(t, err)
	faulty := &faultyTokenEndpoint{base: srv.Client().Transport, tokenPath: tokenURL.Path, rate: faultRate}
	cfg := &oauth2flows.Config{ClientID: clientID, ClientSecret: clientSecret, Endpoint: srv.Endpoint(),
		HTTPClient: &http.Client{Transport: faulty}}
	seeds := make([]*oauth2flows.Token, users)
	for i, name := range names {
		seeds[i] = passwordSignIn(t, srv, name)
	}

	goroutinesBefore := runtime.NumGoroutine()
	key, prefix := newKey(t), fmt.Sprintf("chaos%d:", time.Now().UnixNano())
	// Each replica makes a user's Transport at the user's first request to
	// it, from the newest token saved: every replica's saver writes to one
	// database, as an application that keeps its users' tokens does.
	db := &tokenDB{tokens: seeds}
	replicaSets := make([]*replicaClients, replicas)
	for r := range replicaSets {
		store := redisstore.New(redistest.NewClient(t, redis.Addr(), 0),
			redisstore.WithEncryptionKey(key), redisstore.WithPrefix(prefix))
		replicaSets[r] = &replicaClients{clients: make([]*http.Client, users), newClient: func(u int) *http.Client {
			opts := []oauth2flows.TransportOption{oauth2flows.WithTokenSaver(func(_ context.Context, tok *oauth2flows.Token) error {
				db.save(u, tok)
				return nil
			})}
			switch mode {
			case "nostore":
			case "insecure":
				opts = append(opts, oauth2flows.WithTokenStore(store, "user:"+names[u]), oauth2flows.WithInsecureRenewalOutsideLease())
			default:
				opts = append(opts, oauth2flows.WithTokenStore(store, "user:"+names[u]))
			}
			return oauth2flows.NewClient(cfg, db.load(u), opts...)
		}}
	}
	client := func(r, u int) *http.Client { return replicaSets[r].get(u) }

	// The load: an open loop at rate, each request for a random user on a
	// random replica, as a balancer spreads them.
	var during tally
	var wg sync.WaitGroup
	start := time.Now()
	faulty.on.Store(true)
	stopFaults := start.Add(duration * 8 / 10)
	crashes := []time.Duration{duration * 3 / 10, duration * 55 / 100}
	wg.Go(func() {
		for _, at := range crashes {
			time.Sleep(time.Until(start.Add(at)))
			t.Logf("%v: before a Redis crash: %+v", time.Since(start).Round(time.Second), srv.RefreshStats())
			redis.Stop() // SIGKILL
			time.Sleep(time.Second)
			redis = redis.Restart(t) // empty
		}
	})
	tick := time.NewTicker(time.Second / time.Duration(rate))
	for now := range tick.C {
		if now.Sub(start) >= duration {
			break
		}
		if now.After(stopFaults) && faulty.on.Load() {
			faulty.on.Store(false)
		}
		u, r := rand.IntN(users), rand.IntN(replicas)
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			t0 := time.Now()
			status, body, err := get(ctx, client(r, u), api)
			during.add(classify(status, body, names[u], err), time.Since(t0), err)
		})
	}
	tick.Stop()
	wg.Wait()

	// Every user on every replica, once the faults have stopped: a user
	// retries, every second, a request that failed for an injected fault
	// (the store still recovering), for up to the lease wait and more.
	var after tally
	for r := range replicas {
		for u := range names {
			wg.Go(func() {
				deadline := time.Now().Add(45 * time.Second)
				for {
					ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
					t0 := time.Now()
					status, body, err := get(ctx, client(r, u), api)
					cancel()
					o := classify(status, body, names[u], err)
					if o == outOK || !o.injected() || time.Now().After(deadline) {
						after.add(o, time.Since(t0), err)
						return
					}
					time.Sleep(time.Second)
				}
			})
		}
	}
	wg.Wait()
	servedAll := time.Since(start)
	for _, set := range replicaSets {
		for u := range names {
			set.get(u).CloseIdleConnections()
		}
	}
	srv.Client().CloseIdleConnections()
	time.Sleep(time.Second)
	leftSDK, leftAll := sdkGoroutines(), runtime.NumGoroutine()-goroutinesBefore

	stats := srv.RefreshStats()
	var table strings.Builder
	fmt.Fprintf(&table, "| %s | %d replicas, %d users, %v tokens, %v at %d req/s, mode %q |\n|---|---|\n",
		"chaos run", replicas, users, tokenLife, duration, rate, cmp(mode, "store"))
	var classes []outcome
	for o := range during.outcomes {
		classes = append(classes, o)
	}
	slices.Sort(classes)
	total, unexplained := 0, 0
	for _, o := range classes {
		n := during.outcomes[o]
		total += n
		fmt.Fprintf(&table, "| requests: %s | %d |\n", o, n)
		if o != outOK && !o.injected() {
			unexplained += n
			t.Logf("%s, e.g.: %s", o, during.samples[o])
		}
	}
	injected := make([]string, len(faultNames))
	for i, name := range faultNames {
		injected[i] = fmt.Sprintf("%d %s", faulty.injected[i].Load(), name)
	}
	fmt.Fprintf(&table, "| requests in all | %d |\n", total)
	fmt.Fprintf(&table, "| latency p50 / p99 / max | %v / %v / %v |\n",
		during.percentile(0.5).Round(time.Millisecond), during.percentile(0.99).Round(time.Millisecond), during.percentile(1).Round(time.Millisecond))
	fmt.Fprintf(&table, "| stuck over 10 s | %d |\n", during.stuck)
	fmt.Fprintf(&table, "| refresh tokens redeemed twice (server) | %d |\n", stats.Reused)
	fmt.Fprintf(&table, "| families lost (revoked) | %d of %d |\n", stats.RevokedFamilies, stats.Families)
	fmt.Fprintf(&table, "| unexplained failures | %d |\n", unexplained)
	fmt.Fprintf(&table, "| token requests per user | %.1f (%d refreshes) |\n", float64(faulty.requests.Load())/users, stats.Redeemed)
	fmt.Fprintf(&table, "| faults injected | %s; Redis SIGKILLed and restarted empty %d times |\n", strings.Join(injected, ", "), len(crashes))
	fmt.Fprintf(&table, "| after the faults: users x replicas served | %d of %d, all by %v |\n", after.outcomes[outOK], replicas*users, servedAll.Round(time.Second))
	fmt.Fprintf(&table, "| goroutines left over | %d of the SDK, %d in all |\n", leftSDK, leftAll)
	t.Log("\n" + table.String())

	if mode != "" {
		return // a run that shows the failure: reported, not asserted
	}
	assert.Zero(t, during.stuck, "no request stuck over 10 s")
	assert.Zero(t, leftSDK, "no renewal or store call left running")
	assert.Zero(t, stats.Reused, "no refresh token redeemed twice")
	assert.Zero(t, stats.RevokedFamilies, "no family lost")
	assert.Zero(t, unexplained, "every failure explained by an injected fault")
	assert.Equal(t, replicas*users, after.outcomes[outOK], "every user served on every replica after the faults: %v", after.samples)
}

// passwordSignIn signs user in with the password grant: a token with a
// refresh token, as a sign-in would give.
func passwordSignIn(t *testing.T, srv *oauth2flowstest.Server, user string) *oauth2flows.Token {
	resp, err := srv.Client().PostForm(srv.Endpoint().TokenURL, url.Values{
		"grant_type": {"password"}, "username": {user}, "password": {"pw"},
		"client_id": {clientID}, "client_secret": {clientSecret},
	})
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	tok := &oauth2flows.Token{}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(tok))
	tok.Expiry = time.Now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	return tok
}

func cmp(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
