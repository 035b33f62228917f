package redisstore

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oauth2flows/oauth2flows"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/redisstore/redistest"
)

// netOutput is what the server has sent to its clients so far, in bytes.
func netOutput(t *testing.T, c *redis.Client) int64 {
	info, err := c.Info(context.Background(), "stats").Result()
	require.NoError(t, err)
	for line := range strings.SplitSeq(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "total_net_output_bytes:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			require.NoError(t, err)
			return n
		}
	}
	t.Fatal("no total_net_output_bytes in INFO stats")
	return 0
}

// TestLoadReadsABoundedPartOfAPlantedValue: a value far larger than any
// token, planted by someone who can write to Redis, is refused with
// ErrValueTooLarge after reading at most MaxValueSize+1 bytes of it, on
// every Load. Before the bounded read, Load read it whole (up to Redis's
// 512 MB) and then failed authentication.
func TestLoadReadsABoundedPartOfAPlantedValue(t *testing.T) {
	c := freshDB(t, 12)
	ctx := context.Background()
	s := New(c, WithEncryptionKey(newKey(t)))
	put(t, s, "alice", testToken("at", "rt", time.Time{}), time.Time{})
	const planted = 8 << 20
	require.NoError(t, c.SetRange(ctx, s.keys("alice").token, planted-1, "x").Err())

	before := netOutput(t, c)
	tok, err := s.Load(ctx, "alice")
	sent := netOutput(t, c) - before
	assert.Nil(t, tok)
	var ve *ValueError
	require.ErrorAs(t, err, &ve)
	assert.ErrorIs(t, err, ErrValueTooLarge)
	assert.True(t, strings.HasPrefix(err.Error(), "oauth2flows: redisstore: load: "), err.Error())
	assert.Less(t, sent, int64(MaxValueSize+64<<10), "Load read %d bytes of an %d-byte value", sent, planted)

	t.Run("a value of MaxValueSize is read", func(t *testing.T) {
		require.NoError(t, c.Set(ctx, s.keys("alice").token, strings.Repeat("v", MaxValueSize), 0).Err())
		_, err := s.Load(ctx, "alice")
		require.ErrorAs(t, err, &ve)
		assert.NotErrorIs(t, err, ErrValueTooLarge, "too large only past the limit: this one fails to open")
	})
	t.Run("Store refuses a token it could not load", func(t *testing.T) {
		l, err := s.Lock(ctx, "bob")
		require.NoError(t, err)
		defer l.Unlock(ctx)
		err = l.Store(ctx, testToken(strings.Repeat("a", MaxValueSize), "rt", time.Time{}), time.Time{})
		require.ErrorIs(t, err, ErrValueTooLarge)
		assert.True(t, strings.HasPrefix(err.Error(), "oauth2flows: redisstore: store: "), err.Error())
		n, err := c.Exists(ctx, s.keys("bob").token).Result()
		require.NoError(t, err)
		assert.Zero(t, n)
	})
}

// TestLockScriptIsIdempotentForItsOwner: an acquire whose reply was lost,
// run again by the same owner, returns the same lease and fence; another
// owner still waits.
func TestLockScriptIsIdempotentForItsOwner(t *testing.T) {
	c := freshDB(t, 12)
	ctx := context.Background()
	keys := []string{"{k}:l", "{k}:f"}
	run := func(owner string) []any {
		res, err := lockScript.Run(ctx, c, keys, owner, "10000", "3600000").Result()
		require.NoError(t, err)
		return res.([]any)
	}
	first := run("owner-a")
	require.Equal(t, int64(1), first[0])
	assert.Equal(t, first, run("owner-a"), "same owner: same lease, same fence")
	other := run("owner-b")
	assert.Equal(t, int64(0), other[0], "another owner waits")
	assert.Greater(t, other[1], int64(9000), "for the lease's time left")
	v, err := c.Get(ctx, keys[1]).Result()
	require.NoError(t, err)
	assert.Equal(t, strconv.FormatInt(first[1].(int64), 10), v, "no second fence drawn")
}

// TestLockThatGivesUpLeavesNoLease: Lock's attempts reach a frozen Redis,
// which runs them when it resumes, after Lock has given up. The lease they
// took is the caller's, and its release in the background gives it up: the
// next Lock gets it at once, not one TTL later. Before, the one release was
// tried while Redis was still frozen, and the lease stayed for its TTL.
func TestLockThatGivesUpLeavesNoLease(t *testing.T) {
	r := startTestRedis(t)
	c := newClient(t, r.Addr(), 0)
	ctx := context.Background()
	const ttl = 10 * time.Second
	s := New(c, WithEncryptionKey(newKey(t)), WithLockTTL(ttl), WithTimeout(300*time.Millisecond), WithAttemptTimeout(100*time.Millisecond))
	require.NoError(t, c.Ping(ctx).Err())

	require.NoError(t, r.Process().Signal(syscall.SIGSTOP))
	_, err := s.Lock(ctx, "k")
	var re *RedisError
	require.ErrorAs(t, err, &re)
	assert.True(t, re.Timeout())
	time.Sleep(200 * time.Millisecond)
	require.NoError(t, r.Process().Signal(syscall.SIGCONT))

	short, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	start := time.Now()
	l, err := s.Lock(short, "k")
	require.NoError(t, err, "the lease the lost attempts took was given up")
	t.Logf("next Lock after %v (TTL %v)", time.Since(start), ttl)
	require.NoError(t, l.Unlock(ctx))
}

// TestCallsRideOutARestart: Redis is killed and restarted empty about a
// second later, as a crash is. With the default timeouts, a Load and a
// Lock waiting for a held lease started during the outage succeed once it
// is back, instead of failing at the first refused connection.
func TestCallsRideOutARestart(t *testing.T) {
	r := startTestRedis(t)
	c := newClient(t, r.Addr(), 0)
	ctx := context.Background()
	var log errorLog
	s := New(c, WithEncryptionKey(newKey(t)), WithErrorHandler(log.handle))
	held, err := s.Lock(ctx, "held")
	require.NoError(t, err)

	type result struct {
		op  string
		err error
	}
	results := make(chan result, 2)
	waiting := make(chan struct{})
	go func() {
		close(waiting)
		l, err := s.Lock(ctx, "held") // waits: held, then Redis is down
		if err == nil {
			err = l.Unlock(ctx)
		}
		results <- result{"lock", err}
	}()
	<-waiting
	time.Sleep(100 * time.Millisecond)
	r.Stop()
	go func() {
		_, err := s.Load(ctx, "k")
		results <- result{"load", err}
	}()
	time.Sleep(time.Second)
	r2, err := redistest.Run(r.Port())
	require.NoError(t, err)
	t.Cleanup(r2.Stop)
	restarted := time.Now()

	for range 2 {
		select {
		case res := <-results:
			assert.NoError(t, res.err, res.op+" rode out the restart")
			t.Logf("%s returned %v after the restart", res.op, time.Since(restarted))
		case <-time.After(DefaultTimeout):
			t.Fatal("a call did not return")
		}
	}
	require.NoError(t, held.Unlock(ctx), "the restarted Redis forgot the lease: nothing to release")
	ops, errs := log.get()
	assert.Subset(t, ops, []string{"Load", "Lock"}, "the failures ridden out were reported")
	for _, err := range errs {
		var re *RedisError
		assert.True(t, errors.As(err, &re), err)
	}
}

// TestHolderPublishesAfterRedisLostItsLease: Redis forgets everything (a
// restart without persistence) while a holder renews. The holder's Store,
// which may hold the only copy of a rotated refresh token, is written: no
// lease was taken since. Once another holder has taken one, it is refused.
func TestHolderPublishesAfterRedisLostItsLease(t *testing.T) {
	c := freshDB(t, 13)
	ctx := context.Background()
	s := New(c, WithEncryptionKey(newKey(t)))

	l1, err := s.Lock(ctx, "k")
	require.NoError(t, err)
	require.NoError(t, c.FlushDB(ctx).Err())
	require.NoError(t, l1.Store(ctx, testToken("renewed", "rt-2", time.Time{}), time.Time{}), "nothing newer: written")
	tok, err := s.Load(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, "renewed", tok.AccessToken)
	require.NoError(t, l1.Unlock(ctx))

	l2, err := s.Lock(ctx, "k")
	require.NoError(t, err)
	require.NoError(t, c.FlushDB(ctx).Err())
	l3, err := s.Lock(ctx, "k")
	require.NoError(t, err)
	require.ErrorIs(t, l2.Store(ctx, testToken("older", "", time.Time{}), time.Time{}), oauth2flows.ErrLeaseLost, "a lease taken since: refused")
	require.NoError(t, l3.Store(ctx, testToken("newest", "", time.Time{}), time.Time{}))
	require.NoError(t, l3.Unlock(ctx))
	require.NoError(t, l2.Unlock(ctx))
}

// TestLoadNeverReadsAReplica: a connection to a master demoted by a
// failover reads what the new master has long replaced, or nothing while it
// resyncs, and a stale refresh token is one already redeemed. Load is
// refused there (READONLY), retried, and fails if only the replica
// answers. Before, it read the replica (found by the Sentinel failover
// tests: tokens "lost" and redeemed twice after a SIGSTOP past the
// failover).
func TestLoadNeverReadsAReplica(t *testing.T) {
	master, replica := startReplicated(t)
	ctx := context.Background()
	key := newKey(t)
	put(t, New(newClient(t, master.Addr(), 0), WithEncryptionKey(key)), "k", testToken("at", "rt", time.Time{}), time.Time{})
	rc := newClient(t, replica.Addr(), 0)
	require.Eventually(t, func() bool { return rc.DBSize(ctx).Val() == 2 }, 5*time.Second, 10*time.Millisecond)

	var log errorLog
	s := New(rc, WithEncryptionKey(key), WithTimeout(300*time.Millisecond), WithErrorHandler(log.handle))
	tok, err := s.Load(ctx, "k")
	assert.Nil(t, tok)
	require.Error(t, err)
	assert.True(t, redis.IsReadOnlyError(err), err)
	_, err = s.Lock(ctx, "k")
	assert.True(t, redis.IsReadOnlyError(err), err)
	ops, _ := log.get()
	assert.Contains(t, ops, "Load", "READONLY is retried: the next connection may reach the new master")
}
