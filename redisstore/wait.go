package redisstore

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// waitable reports whether [WithWaitReplicas] can reach the connection of
// a write with client.
func waitable(client redis.UniversalClient) bool {
	switch client.(type) {
	case *redis.Client, *redis.ClusterClient:
		return true
	}
	return false
}

// onMaster runs f on one connection to the master that serves rk: WAIT
// counts the writes of its own connection.
func (s *Store) onMaster(ctx context.Context, rk string, f func(c *redis.Conn) error) error {
	var c *redis.Client
	switch cl := s.client.(type) {
	case *redis.Client:
		c = cl
	case *redis.ClusterClient:
		var err error
		if c, err = cl.MasterForKey(ctx, rk); err != nil {
			return err
		}
	}
	conn := c.Conn()
	defer conn.Close()
	return f(conn)
}

// waitReplicas waits on conn, after a write, for the replicas of
// [WithWaitReplicas]: fewer in time are a [*ReplicaError].
func (s *Store) waitReplicas(ctx context.Context, conn *redis.Conn, op string) error {
	n, err := conn.Wait(ctx, s.waitN, s.waitFor).Result()
	if err != nil {
		return err
	}
	if int(n) < s.waitN {
		return &ReplicaError{Op: strings.ToLower(op), Want: s.waitN, Acks: int(n)}
	}
	return nil
}

// shortfallWaits is how many of [WithWaitReplicas]'s timeouts a write
// that too few replicas acknowledged is tried again for.
const shortfallWaits = 10

// replicated runs write (a write on the master that serves rk, then
// waitReplicas on its connection) until the replicas acknowledge it. It
// retries transient failures within ctx, as retry does, and a shortfall
// for up to shortfallWaits WAIT timeouts: a replica that lags catches up,
// and a master that answered the write but is being failed over (frozen,
// or demoted and not yet told) fails a later attempt, which then runs on
// the new master; the write is safe to repeat. A write still short after
// that stands on the master: the shortfall is reported, not returned.
func (s *Store) replicated(ctx context.Context, op, rk string, write func(ctx context.Context, c *redis.Conn) error) error {
	var short *ReplicaError
	var first time.Time // of the first shortfall
	err := s.retry(ctx, op, func(ctx context.Context) error {
		short = nil
		err := s.onMaster(ctx, rk, func(c *redis.Conn) error { return write(ctx, c) })
		if errors.As(err, &short) {
			if first.IsZero() {
				first = time.Now()
			}
			if time.Since(first) >= shortfallWaits*s.waitFor {
				return nil // waited enough: the write stands
			}
		}
		return err
	})
	if short != nil && (err == nil || errors.As(err, new(*ReplicaError))) {
		s.report(ctx, op, short)
		return nil
	}
	return err
}

// errLeaseGone is confirmLease's finding that the master serving the key
// does not hold the lease just taken.
var errLeaseGone = errors.New("the lease just taken is not on the master")

// confirmLease makes the replicas acknowledge a lease just taken: it
// extends the lease on one connection (a write, if the lease is still
// ours) and waits after it; WAIT covers every earlier write, the lease's
// among them. Too few acknowledgements are reported: the lease stands on
// the master. It returns errLeaseGone when the master no longer holds the
// lease: a master that answered the lease and then stopped before its
// replicas had it was failed over, and the new one never had it, so that
// another replica could take it there. It returns a [*RedisError] when
// Redis failed for the store's whole timeout.
func (s *Store) confirmLease(ctx context.Context, l *lease) error {
	ttl := strconv.FormatInt(s.lockTTL.Milliseconds(), 10)
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	gone := false
	err := s.replicated(ctx, "Lock", l.keys.lock, func(ctx context.Context, c *redis.Conn) error {
		n, err := renewScript.Run(ctx, c, []string{l.keys.lock, l.keys.fence}, l.owner, ttl, s.fenceTTL()).Int64()
		if err != nil {
			return err
		}
		if gone = n != 1; gone {
			return nil
		}
		return s.waitReplicas(ctx, c, "Lock")
	})
	switch {
	case err != nil:
		return &RedisError{Op: "lock", Err: err}
	case gone:
		return errLeaseGone
	}
	return nil
}
