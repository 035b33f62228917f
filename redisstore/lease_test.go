package redisstore

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/oauth2flows/oauth2flows"
	"github.com/redis/go-redis/v9"

	"github.com/oauth2flows/oauth2flows/redisstore/redistest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSecondLockerWaitsUntilUnlock(t *testing.T) {
	c := freshDB(t, 9)
	ctx := context.Background()
	s := New(c, WithEncryptionKey(newKey(t)), WithLockTTL(2*time.Second))
	l1, err := s.Lock(ctx, "k")
	require.NoError(t, err)

	got := make(chan oauth2flows.TokenLease, 1)
	go func() {
		l2, err := s.Lock(ctx, "k")
		assert.NoError(t, err)
		got <- l2
	}()
	select {
	case <-got:
		t.Fatal("second locker got the lease while the first held it")
	case <-time.After(300 * time.Millisecond):
	}
	require.NoError(t, l1.Store(ctx, testToken("from-first", "", time.Time{}), time.Time{}))
	unlocked := time.Now()
	require.NoError(t, l1.Unlock(ctx))
	select {
	case l2 := <-got:
		assert.Less(t, time.Since(unlocked), 200*time.Millisecond, "the waiter polls with a short backoff")
		tok, err := s.Load(ctx, "k")
		require.NoError(t, err)
		assert.Equal(t, "from-first", tok.AccessToken, "the waiter reads what the holder stored")
		require.NoError(t, l2.Unlock(ctx))
	case <-time.After(2 * time.Second):
		t.Fatal("second locker never got the lease")
	}
	require.NoError(t, l1.Unlock(ctx), "Unlock twice does nothing")
}

func TestLockWaitEndsWithContext(t *testing.T) {
	c := freshDB(t, 9)
	s := New(c, WithEncryptionKey(newKey(t)), WithLockTTL(5*time.Second))
	l1, err := s.Lock(context.Background(), "k")
	require.NoError(t, err)
	defer l1.Unlock(context.Background())

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	l2, err := s.Lock(ctx, "k")
	assert.Nil(t, l2)
	var re *RedisError
	require.ErrorAs(t, err, &re)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.True(t, re.Timeout())
	assert.Less(t, time.Since(start), 500*time.Millisecond)
}

func TestOneHolderAtATime(t *testing.T) {
	c := freshDB(t, 9)
	s := New(c, WithEncryptionKey(newKey(t)), WithLockTTL(time.Second))
	var inside, most, total atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 5 {
				l, err := s.Lock(context.Background(), "k")
				if !assert.NoError(t, err) {
					return
				}
				n := inside.Add(1)
				if n > most.Load() {
					most.Store(n)
				}
				total.Add(1)
				time.Sleep(time.Millisecond)
				inside.Add(-1)
				assert.NoError(t, l.Unlock(context.Background()))
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), most.Load())
	assert.Equal(t, int32(40), total.Load())
}

// TestLeaseOutlivesTTLWhileHeld holds a lease for four TTLs: the renewal in
// the background keeps it, as a token endpoint slower than the TTL needs.
func TestLeaseOutlivesTTLWhileHeld(t *testing.T) {
	c := freshDB(t, 9)
	ctx := context.Background()
	// Long enough that a loaded CI machine's scheduling stalls don't starve
	// the renewal (every TTL/3).
	const ttl = 600 * time.Millisecond
	s := New(c, WithEncryptionKey(newKey(t)), WithLockTTL(ttl))
	l1, err := s.Lock(ctx, "k")
	require.NoError(t, err)
	time.Sleep(4 * ttl)

	short, cancel := context.WithTimeout(ctx, ttl/2)
	defer cancel()
	_, err = s.Lock(short, "k")
	require.ErrorIs(t, err, context.DeadlineExceeded, "still held after 4 TTLs")
	require.NoError(t, l1.Store(ctx, testToken("slow", "", time.Time{}), time.Time{}))
	require.NoError(t, l1.Unlock(ctx))

	time.Sleep(2 * ttl) // the renewal stopped with Unlock: nothing extends a lease now
	l2, err := s.Lock(ctx, "k")
	require.NoError(t, err)
	require.NoError(t, l2.Unlock(ctx))
}

// stall stops a lease's renewal, as a holder paused by its machine would.
func stall(l oauth2flows.TokenLease) {
	ll := l.(*lease)
	ll.stop()
	<-ll.done
	ll.once.Do(func() {}) // Unlock then only tries the release script
}

func TestFencing(t *testing.T) {
	c := freshDB(t, 10)
	ctx := context.Background()
	const ttl = 100 * time.Millisecond
	s := New(c, WithEncryptionKey(newKey(t)), WithLockTTL(ttl))

	t.Run("lapsed and taken: the old holder cannot store", func(t *testing.T) {
		l1, err := s.Lock(ctx, "taken")
		require.NoError(t, err)
		stall(l1)
		time.Sleep(ttl + 50*time.Millisecond)

		l2, err := s.Lock(ctx, "taken")
		require.NoError(t, err)
		require.NoError(t, l2.Store(ctx, testToken("newer", "rt-2", time.Time{}), time.Time{}))

		err = l1.Store(ctx, testToken("older", "rt-1", time.Time{}), time.Time{})
		require.ErrorIs(t, err, oauth2flows.ErrLeaseLost)
		assert.True(t, strings.HasPrefix(err.Error(), "oauth2flows: redisstore: store: "), err.Error())
		tok, err := s.Load(ctx, "taken")
		require.NoError(t, err)
		assert.Equal(t, "newer", tok.AccessToken)

		// The old holder's Unlock leaves the new holder's lease alone.
		require.NoError(t, releaseScript.Run(ctx, c, []string{l1.(*lease).keys.lock}, l1.(*lease).owner).Err())
		owner, err := c.Get(ctx, l2.(*lease).keys.lock).Result()
		require.NoError(t, err)
		assert.Equal(t, l2.(*lease).owner, owner)
		require.NoError(t, l2.Unlock(ctx))
	})
	t.Run("lapsed, not taken: the holder still stores", func(t *testing.T) {
		l1, err := s.Lock(ctx, "lapsed")
		require.NoError(t, err)
		stall(l1)
		time.Sleep(ttl + 50*time.Millisecond)
		require.NoError(t, l1.Store(ctx, testToken("only", "", time.Time{}), time.Time{}), "no newer lease, no newer token")
	})
	t.Run("fences grow even when their counter is gone", func(t *testing.T) {
		l1, err := s.Lock(ctx, "gone")
		require.NoError(t, err)
		require.NoError(t, l1.Unlock(ctx))
		require.NoError(t, c.Del(ctx, l1.(*lease).keys.fence).Err())
		l2, err := s.Lock(ctx, "gone")
		require.NoError(t, err)
		defer l2.Unlock(ctx)
		assert.Greater(t, len(l2.(*lease).fence), 10)
		assert.NotEqual(t, l1.(*lease).fence, l2.(*lease).fence)
		require.ErrorIs(t, l1.Store(ctx, testToken("stale", "", time.Time{}), time.Time{}), oauth2flows.ErrLeaseLost)
	})
}

func TestRenewalReportsALostLease(t *testing.T) {
	c := freshDB(t, 10)
	ctx := context.Background()
	var log errorLog
	s := New(c, WithEncryptionKey(newKey(t)), WithLockTTL(60*time.Millisecond), WithErrorHandler(log.handle))
	l, err := s.Lock(ctx, "k")
	require.NoError(t, err)
	require.NoError(t, c.Del(ctx, l.(*lease).keys.lock).Err())
	require.Eventually(t, func() bool {
		ops, errs := log.get()
		return len(ops) == 1 && ops[0] == "Renew" && errors.Is(errs[0], oauth2flows.ErrLeaseLost)
	}, time.Second, 10*time.Millisecond)
	require.NoError(t, l.Unlock(ctx))
}

// The dead-holder test re-executes the test binary as a child that takes a
// lease and then sleeps while its renewal runs; the parent kills it with
// SIGKILL.
const childEnv = "REDISSTORE_TEST_CHILD"

func childMain() int {
	var addr, key string
	var ttlMS int64
	if _, err := fmt.Sscan(os.Getenv(childEnv), &addr, &key, &ttlMS); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	k, err := hex.DecodeString(key)
	if err != nil {
		return 2
	}
	s := New(redis.NewClient(&redis.Options{Addr: addr}), WithEncryptionKey(k), WithLockTTL(time.Duration(ttlMS)*time.Millisecond))
	if _, err := s.Lock(context.Background(), "dead-holder"); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	fmt.Println("locked")
	time.Sleep(time.Hour) // renewing, until killed
	return 0
}

func TestDeadHolderLeaseExpires(t *testing.T) {
	c := freshDB(t, 0)
	ctx := context.Background()
	const ttl = time.Second
	key := newKey(t)
	s := New(c, WithEncryptionKey(key), WithLockTTL(ttl))

	exe, err := os.Executable()
	require.NoError(t, err)
	child := exec.Command(exe, "-test.run", "^$")
	child.Env = append(os.Environ(), fmt.Sprintf("%s=%s %x %d", childEnv, testRedis.Addr(), key, ttl.Milliseconds()))
	child.Stderr = os.Stderr
	out, err := child.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, child.Start())
	t.Cleanup(func() { _ = child.Process.Kill(); _ = child.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "locked\n", line)

	// The child's renewal keeps the lease past its TTL.
	time.Sleep(ttl + ttl/2)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = s.Lock(short, "dead-holder")
	require.ErrorIs(t, err, context.DeadlineExceeded, "the living child still holds the lease")

	require.NoError(t, child.Process.Signal(syscall.SIGKILL))
	killed := time.Now()
	_ = child.Wait()
	bounded, cancel2 := context.WithTimeout(ctx, 10*time.Second)
	defer cancel2()
	l, err := s.Lock(bounded, "dead-holder")
	require.NoError(t, err)
	took := time.Since(killed)
	t.Logf("lease taken %v after the holder was killed (TTL %v)", took, ttl)
	assert.Less(t, took, ttl+300*time.Millisecond)
	require.NoError(t, l.Unlock(ctx))
}

func TestRedisStoppedAndRestarted(t *testing.T) {
	r := startTestRedis(t)
	c := newClient(t, r.Addr(), 0)
	ctx := context.Background()
	var log errorLog
	const bound = 200 * time.Millisecond
	key := newKey(t)
	s := New(c, WithEncryptionKey(key), WithTimeout(bound), WithLockTTL(time.Second), WithErrorHandler(log.handle))
	put(t, s, "k", testToken("at", "rt", time.Time{}), time.Time{})
	held, err := s.Lock(ctx, "held")
	require.NoError(t, err)

	// A Redis that hangs (paused: it accepts nothing and answers nothing)
	// costs each call its bound, not more.
	require.NoError(t, r.Process().Signal(syscall.SIGSTOP))
	for _, op := range []string{"load", "lock"} {
		start := time.Now()
		var err error
		if op == "load" {
			_, err = s.Load(ctx, "k")
		} else {
			_, err = s.Lock(ctx, "other")
		}
		var re *RedisError
		require.ErrorAs(t, err, &re, op)
		assert.True(t, re.Timeout(), op)
		assert.Less(t, time.Since(start), bound+300*time.Millisecond, op+" on a paused Redis")
	}
	require.NoError(t, r.Process().Signal(syscall.SIGCONT))

	r.Stop()
	calls := []struct {
		name string
		call func() error
	}{
		{"load", func() error { _, err := s.Load(ctx, "k"); return err }},
		{"lock", func() error { _, err := s.Lock(ctx, "other"); return err }},
		{"store", func() error { return held.Store(ctx, testToken("x", "", time.Time{}), time.Time{}) }},
		{"unlock", func() error { return held.Unlock(ctx) }},
	}
	for _, cl := range calls {
		t.Run("stopped/"+cl.name, func(t *testing.T) {
			start := time.Now()
			err := cl.call()
			var re *RedisError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, cl.name, re.Op)
			assert.Less(t, time.Since(start), time.Second+bound, "bounded: no hang")
		})
	}
	ops, _ := log.get()
	assert.Subset(t, ops, []string{"Load", "Lock", "Store", "Unlock"}, "each call retried before it gave up")

	r2, err := redistest.Run(r.Port())
	require.NoError(t, err)
	t.Cleanup(r2.Stop)
	// With the default timeouts, the store rides out what is left of the
	// client's dial backoff.
	s = New(c, WithEncryptionKey(key))
	tok, err := s.Load(ctx, "k")
	require.NoError(t, err, "works again after a restart")
	assert.Nil(t, tok, "no persistence: the restarted Redis is empty")
	put(t, s, "k", testToken("again", "", time.Time{}), time.Time{})
	tok, err = s.Load(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, "again", tok.AccessToken)
}
