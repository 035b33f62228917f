package redisstore

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/redisstore/redistest"
)

// TestWaitReplicas: with WithWaitReplicas a lease and a token are on the
// replica when Lock and Store return; with the replica gone they still
// work, and the handler is told that no replica acknowledged them.
func TestWaitReplicas(t *testing.T) {
	master := startTestRedis(t)
	replica, err := redistest.RunReplica(master)
	require.NoError(t, err)
	t.Cleanup(replica.Stop)
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
