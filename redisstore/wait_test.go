package redisstore

import (
	"context"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

// TestWaitReplicas: with WithWaitReplicas a lease and a token are on the
// replica when Lock and Store return; with the replica gone they still
// work, and the handler is told that no replica acknowledged them.
func TestWaitReplicas(t *testing.T) {
	master, replica := startReplicated(t)
	c := newClient(t, master.Addr(), 0)
	rc := newClient(t, replica.Addr(), 0)
	ctx := context.Background()
	var log errorLog
	s := New(c, WithEncryptionKey(newKey(t)), WithWaitReplicas(1, 200*time.Millisecond), WithErrorHandler(log.handle))

	l, err := s.Lock(ctx, "k")
	require.NoError(t, err)
	owner, err := rc.Get(ctx, s.keys("k").lock).Result()
	require.NoError(t, err, "the lease is on the replica when Lock returns")
	assert.Equal(t, l.(*lease).owner, owner)
	require.NoError(t, l.Store(ctx, testToken("at", "rt-2", time.Time{}), time.Time{}))
	n, err := rc.Exists(ctx, s.keys("k").token).Result()
	require.NoError(t, err)
	assert.Equal(t, int64(1), n, "the token is on the replica when Store returns")
	require.NoError(t, l.Unlock(ctx))
	ops, _ := log.get()
	assert.Empty(t, ops)

	replica.Stop()
	l, err = s.Lock(ctx, "k")
	require.NoError(t, err, "the lease stands on the master")
	require.NoError(t, l.Store(ctx, testToken("at", "rt-3", time.Time{}), time.Time{}))
	require.NoError(t, l.Unlock(ctx))
	ops, errs := log.get()
	require.Equal(t, []string{"Lock", "Store"}, ops)
	for i, op := range []string{"lock", "store"} {
		var re *ReplicaError
		require.ErrorAs(t, errs[i], &re)
		assert.Equal(t, ReplicaError{Op: op, Want: 1, Acks: 0}, *re)
	}

	t.Run("refused with a timeout past the attempt's", func(t *testing.T) {
		_, err := New(c, WithEncryptionKey(newKey(t)), WithWaitReplicas(1, time.Second)).Load(ctx, "k")
		var ce *ConfigError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, "WithWaitReplicas", ce.Field)
	})
}

// TestWaitReplicasWaitsOutALaggingReplica: a replica that acknowledges
// late (frozen here for 4 WAIT timeouts) is waited for: Lock and Store
// return once it has the write, and report nothing. Before, each returned
// after one WAIT timeout with the write on the master only, where a
// failover then could lose it.
func TestWaitReplicasWaitsOutALaggingReplica(t *testing.T) {
	master, replica := startReplicated(t)
	c, rc := newClient(t, master.Addr(), 0), newClient(t, replica.Addr(), 0)
	ctx := context.Background()
	var log errorLog
	s := New(c, WithEncryptionKey(newKey(t)), WithWaitReplicas(1, 100*time.Millisecond), WithErrorHandler(log.handle))
	lag := func() {
		require.NoError(t, replica.Process().Signal(syscall.SIGSTOP))
		time.AfterFunc(400*time.Millisecond, func() { _ = replica.Process().Signal(syscall.SIGCONT) })
	}

	lag()
	start := time.Now()
	l, err := s.Lock(ctx, "k")
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), 400*time.Millisecond, "Lock waited for the replica")
	lag()
	start = time.Now()
	require.NoError(t, l.Store(ctx, testToken("at", "rt-2", time.Time{}), time.Time{}))
	assert.GreaterOrEqual(t, time.Since(start), 400*time.Millisecond, "Store waited for the replica")
	n, err := rc.Exists(ctx, s.keys("k").token).Result()
	require.NoError(t, err)
	assert.Equal(t, int64(1), n, "the token is on the replica")
	require.NoError(t, l.Unlock(ctx))
	ops, _ := log.get()
	assert.Empty(t, ops, "nothing unconfirmed to report")
}

// TestWaitReplicasLeaseLostBeforeAReplicaHadIt: a master that answers a
// lease and stops before its replicas have it is failed over, and the new
// master never had the lease. Lock must not return it: another replica
// would take the same lease there and redeem the same refresh token. Here
// the lease vanishes from the master right after it was taken, as it would
// from the master's view after such a failover; Lock takes it again.
func TestWaitReplicasLeaseLostBeforeAReplicaHadIt(t *testing.T) {
	master, _ := startReplicated(t)
	ctx := context.Background()
	c, admin := newClient(t, master.Addr(), 0), newClient(t, master.Addr(), 0)
	require.NoError(t, lockScript.Load(ctx, c).Err())
	var log errorLog
	key := newKey(t)
	s := New(c, WithEncryptionKey(key), WithWaitReplicas(1, 200*time.Millisecond), WithErrorHandler(log.handle))
	keys := s.keys("k")
	var lost atomic.Bool
	c.AddHook(afterHook(func(cmd redis.Cmder) {
		a := cmd.Args()
		if len(a) > 3 && a[0] == "evalsha" && a[1] == lockScript.Hash() && a[3] == keys.lock && lost.CompareAndSwap(false, true) {
			require.NoError(t, admin.Del(ctx, keys.lock).Err()) // the failover
		}
	}))

	l, err := s.Lock(ctx, "k")
	require.NoError(t, err)
	require.True(t, lost.Load())
	owner, err := admin.Get(ctx, keys.lock).Result()
	require.NoError(t, err, "the lease is on the master when Lock returns")
	assert.Equal(t, l.(*lease).owner, owner)
	ops, errs := log.get()
	require.Equal(t, []string{"Lock"}, ops)
	assert.ErrorIs(t, errs[0], oauth2flows.ErrLeaseLost)

	other := New(newClient(t, master.Addr(), 0), WithEncryptionKey(key), WithWaitReplicas(1, 200*time.Millisecond))
	octx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	_, err = other.Lock(octx, "k")
	require.Error(t, err, "one lease, one holder")
	require.NoError(t, l.Unlock(ctx))
}

// afterHook is a go-redis hook that calls f after each command that
// succeeded.
type afterHook func(cmd redis.Cmder)

func (h afterHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h afterHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if err == nil {
			h(cmd)
		}
		return err
	}
}

func (h afterHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
