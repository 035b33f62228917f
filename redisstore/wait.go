package redisstore

import (
	"context"
	"strings"

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
// [WithWaitReplicas]; fewer in time are reported, not returned.
func (s *Store) waitReplicas(ctx context.Context, conn *redis.Conn, op string) error {
	n, err := conn.Wait(ctx, s.waitN, s.waitFor).Result()
	if err != nil {
		return err
	}
	if int(n) < s.waitN {
		s.report(ctx, op, &ReplicaError{Op: strings.ToLower(op), Want: s.waitN, Acks: int(n)})
	}
	return nil
}

// confirmLease makes the replicas acknowledge a lease just taken: it
// extends the lease on one connection (a write, if the lease is still
// ours) and waits after it; WAIT covers every earlier write, the lease's
// among them. Failures are reported: the lease stands on the master.
func (s *Store) confirmLease(ctx context.Context, l *lease, ttl string) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	err := s.retry(ctx, "Lock", func(ctx context.Context) error {
		return s.onMaster(ctx, l.keys.lock, func(c *redis.Conn) error {
			if err := renewScript.Run(ctx, c, []string{l.keys.lock, l.keys.fence}, l.owner, ttl, s.fenceTTL()).Err(); err != nil {
				return err
			}
			return s.waitReplicas(ctx, c, "Lock")
		})
	})
	if err != nil {
		s.report(ctx, "Lock", &RedisError{Op: "lock", Err: err})
	}
}
