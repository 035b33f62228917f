package failover_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/redisstore"
	"github.com/oauth2flows/oauth2flows/redisstore/redistest"
)

// topology is one of the shared set-ups, seen the way a test needs it.
type topology struct {
	name      string
	newClient func() redis.UniversalClient
	// master returns the server that now serves key as master.
	master func(ctx context.Context, key string) (*redistest.Server, error)
	// rejoin brings a killed or frozen master back, as a replica.
	rejoin func(ctx context.Context, s *redistest.Server) error
	// healthy waits until the set-up can fail over again.
	healthy func(ctx context.Context) error
	// watch records, until ctx ends, each server that becomes master of
	// key after m; seen returns them.
	watch func(ctx context.Context, key string, m *redistest.Server) (seen func() []string, err error)
}

func topologies() []topology {
	return []topology{
		{
			name:      "cluster",
			newClient: func() redis.UniversalClient { return cluster.NewClusterClient() },
			master:    cluster.MasterOf,
			rejoin: func(_ context.Context, s *redistest.Server) error {
				if s.Running() {
					return nil // a frozen node, continued: it learns it was failed over
				}
				return s.Revive() // its nodes.conf makes it a replica
			},
			healthy: cluster.WaitHealthy,
			watch:   pollMasters(cluster.MasterOf),
		},
		{
			name:      "sentinel",
			newClient: func() redis.UniversalClient { return sentinel.NewFailoverClient() },
			master:    func(ctx context.Context, _ string) (*redistest.Server, error) { return sentinel.Master(ctx) },
			rejoin:    sentinel.Rejoin,
			healthy:   sentinel.WaitHealthy,
			watch: func(ctx context.Context, _ string, _ *redistest.Server) (func() []string, error) {
				switches, err := sentinel.Switches(ctx)
				if err != nil {
					return nil, err
				}
				return collect(switches), nil
			},
		},
	}
}

// fault is what a test does to the master of the first user's key.
type fault struct {
	name string
	// inject starts the fault on m; heal ends it, once the set-up has failed
	// over (or not).
	inject func(m *redistest.Server)
	heal   func(ctx context.Context, tp topology, m *redistest.Server) error
	hold   time.Duration // how long the fault lasts at least
}

var faults = []fault{
	{
		name:   "SIGKILL, failover, restart",
		inject: func(m *redistest.Server) { m.Kill() },
		heal:   func(ctx context.Context, tp topology, m *redistest.Server) error { return tp.rejoin(ctx, m) },
	},
	{
		name:   "SIGSTOP past the failover, SIGCONT",
		inject: func(m *redistest.Server) { _ = m.Process().Signal(syscall.SIGSTOP) },
		heal: func(ctx context.Context, tp topology, m *redistest.Server) error {
			if err := m.Process().Signal(syscall.SIGCONT); err != nil {
				return err
			}
			return tp.rejoin(ctx, m)
		},
	},
	{
		name:   "SIGSTOP shorter than the failover",
		inject: func(m *redistest.Server) { _ = m.Process().Signal(syscall.SIGSTOP) },
		heal: func(_ context.Context, _ topology, m *redistest.Server) error {
			return m.Process().Signal(syscall.SIGCONT)
		},
		hold: redistest.NodeTimeout / 2,
	},
}

// TestFailoverMidStorm: 3 replicas x 8 users x 2 callers send requests
// that each need the user's token, renewed every 200 ms through the store
// on a server that rotates refresh tokens and revokes a family on reuse.
// Mid-storm, the master holding the first user's key is killed (the set-up
// fails over; it is restarted and rejoins as a replica) or frozen (past
// the failover, or for less than the failover's timeout). The stores wait
// for a replica after each lease and write (WithWaitReplicas). The bar: no
// refresh token redeemed twice, no family lost, every user's token still
// renews afterwards, and no request that started after the set-up healed
// fails. A loss is logged, not failed, only where Redis itself gives no
// guarantee: a write WAIT reported unconfirmed, or a failover the fault
// did not make (a split brain).
func TestFailoverMidStorm(t *testing.T) {
	for _, tp := range topologies() {
		for _, f := range faults {
			t.Run(tp.name+"/"+f.name, func(t *testing.T) { runFailover(t, tp, f, emulated) })
		}
	}
}

// driver makes what serves the storm's requests: serve(ctx, r, user) is
// one request of user to replica r, which reads and renews the user's
// token through replicas[r].store.
type driver func(t *testing.T, w *world, replicas []*replica, users []string) (serve func(ctx context.Context, r int, user string) error)

// emulated serves through the replica emulator (emulator_test.go).
func emulated(_ *testing.T, _ *world, replicas []*replica, _ []string) func(ctx context.Context, r int, user string) error {
	return func(ctx context.Context, r int, user string) error { return replicas[r].serve(ctx, user) }
}

func runFailover(t *testing.T, tp topology, f fault, drive driver) {
	ctx := context.Background()
	w := newWorld(t, 8)
	key := make([]byte, 32)
	prefix := fmt.Sprintf("%s-%d:", t.Name(), time.Now().UnixNano())
	var users []string
	for u := range w.users {
		users = append(users, u)
	}
	slices.Sort(users)
	var mu sync.Mutex
	swallowed := map[string]int{} // failures the stores retried, by op
	shortfalls := 0               // writes WAIT could not confirm on a replica
	replicas := make([]*replica, 3)
	for i := range replicas {
		c := tp.newClient()
		t.Cleanup(func() { c.Close() })
		replicas[i] = &replica{w: w, newest: map[string]*oauth2flows.Token{}, redeemed: map[string]bool{},
			store: redisstore.New(c, redisstore.WithEncryptionKey(key), redisstore.WithPrefix(prefix),
				// Without it, about one run in six of the Sentinel SIGSTOP
				// case lost families: the frozen master had answered writes
				// its replicas never got, and the failover dropped them.
				redisstore.WithWaitReplicas(1, 100*time.Millisecond),
				redisstore.WithErrorHandler(func(_ context.Context, err *oauth2flows.StoreError) {
					mu.Lock()
					swallowed[err.Op]++
					if re := (*redisstore.ReplicaError)(nil); errors.As(err, &re) {
						shortfalls++
					}
					mu.Unlock()
				}))}
	}
	for _, u := range users {
		l, err := replicas[0].store.Lock(ctx, u)
		require.NoError(t, err)
		require.NoError(t, l.Store(ctx, w.users[u], time.Time{}))
		require.NoError(t, l.Unlock(ctx))
	}
	probe := aKey(t, prefix)
	m, err := tp.master(ctx, probe)
	require.NoError(t, err)

	stop := make(chan struct{})
	var outcomes []outcome
	done := make(chan struct{})
	wctx, endWatch := context.WithCancel(ctx)
	defer endWatch()
	switches, err := tp.watch(wctx, probe, m)
	require.NoError(t, err)
	serve := drive(t, w, replicas, users)
	go func() { outcomes = storm(len(replicas), users, 2, serve, stop); close(done) }()

	time.Sleep(time.Second)
	faultAt := time.Now()
	f.inject(m)
	if f.hold > 0 {
		time.Sleep(f.hold)
	} else {
		// Until another server is master: the failover is done.
		require.Eventually(t, func() bool {
			m2, err := tp.master(ctx, probe)
			return err == nil && m2 != m
		}, 30*time.Second, 20*time.Millisecond, "no failover")
		time.Sleep(500 * time.Millisecond)
	}
	hctx, cancel := context.WithTimeout(ctx, 40*time.Second)
	defer cancel()
	require.NoError(t, f.heal(hctx, tp, m))
	healedAt := time.Now()
	t.Logf("fault lasted %v", healedAt.Sub(faultAt).Round(time.Millisecond))
	time.Sleep(2 * time.Second)
	close(stop)
	<-done
	endWatch()
	// A fault fails the set-up over once, or not at all when it is
	// shorter than the failover. Another failover is one the test did not
	// make: a loaded machine that keeps a newly promoted master from
	// answering for NodeTimeout. With that master alive, it is a split
	// brain, in which Redis loses writes its replicas acknowledged.
	planned := 1
	if f.hold > 0 {
		planned = 0
	}
	seen := switches()
	unplanned := len(seen) > planned
	t.Logf("masters after %s: %v", m.Addr(), seen)
	require.NoError(t, tp.healthy(hctx), "the set-up is left healthy for the next test")

	total, twice, refused := w.redemptions()
	var failed, late int
	var worst time.Duration
	for _, o := range outcomes {
		worst = max(worst, o.end.Sub(o.start))
		if o.err == nil {
			continue
		}
		failed++
		if o.start.After(healedAt.Add(time.Second)) {
			late++
			t.Logf("request at +%v after healing failed: %v", o.start.Sub(healedAt), o.err)
		}
	}
	mu.Lock()
	t.Logf("%d requests, %d failed (%d started over 1 s after healing); %d refreshes, slowest request %v; failures retried: %v; WAIT shortfalls: %d",
		len(outcomes), failed, late, total, worst.Round(time.Millisecond), swallowed, shortfalls)
	unconfirmed := shortfalls > 0
	mu.Unlock()
	assert.Greater(t, total, 10, "renewals went on")
	if unplanned && (twice > 0 || refused > 0) {
		t.Logf("the set-up failed over %d times for one fault; in that split brain Redis lost writes: %d redeemed twice, %d refused", len(seen), twice, refused)
		return
	}
	if unconfirmed && (twice > 0 || refused > 0) {
		// WAIT is best effort: a write no replica confirmed in time was
		// reported to the error handler, and a failover may lose it, as
		// redisstore's doc says. A loss is then explained, and logged,
		// not failed: the bar holds for every write the store confirmed.
		t.Logf("a write WAIT could not confirm was lost in the failover: %d redeemed twice, %d refused", twice, refused)
		return
	}
	assert.Zero(t, twice, "refresh tokens redeemed twice")
	assert.Zero(t, refused, "refresh requests refused: families lost")
	assert.Zero(t, late, "requests failed after the fault")
	for _, u := range users {
		tok, err := replicas[0].store.Load(ctx, u)
		require.NoError(t, err)
		require.NotNil(t, tok, u)
		_, err = oauth2flows.Refresh(ctx, w.cfg, tok.RefreshToken)
		assert.NoError(t, err, "%s's family is alive: its stored refresh token still works", u)
	}
}

// aKey returns one Redis key the stores wrote under prefix in the Cluster,
// or "" when they wrote there none.
func aKey(t *testing.T, prefix string) string {
	ctx := context.Background()
	c := cluster.NewClusterClient()
	defer c.Close()
	var found string
	var mu sync.Mutex
	err := c.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
		keys, err := n.Keys(ctx, prefix+"*").Result()
		mu.Lock()
		if len(keys) > 0 {
			found = keys[0]
		}
		mu.Unlock()
		return err
	})
	require.NoError(t, err)
	return found
}

// pollMasters watches which server is master of a key by polling master
// every 50 ms (see topology.watch).
func pollMasters(master func(ctx context.Context, key string) (*redistest.Server, error)) func(ctx context.Context, key string, m *redistest.Server) (func() []string, error) {
	return func(ctx context.Context, key string, m *redistest.Server) (func() []string, error) {
		switches := make(chan string)
		go func() {
			defer close(switches)
			last := m.Addr()
			t := time.NewTicker(50 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				actx, cancel := context.WithTimeout(ctx, time.Second)
				cur, err := master(actx, key)
				cancel()
				if err == nil && cur.Addr() != last {
					last = cur.Addr()
					select {
					case switches <- last:
					case <-ctx.Done():
						return
					}
				}
			}
		}()
		return collect(switches), nil
	}
}

// collect gathers what ch sends until it is closed; the function it
// returns waits for that and returns it all.
func collect(ch <-chan string) func() []string {
	var all []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for s := range ch {
			all = append(all, s)
		}
	}()
	return func() []string { <-done; return all }
}
