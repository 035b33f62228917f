package redisstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/oauth2flows/oauth2flows"
	"github.com/redis/go-redis/v9"
)

var _ oauth2flows.RestartReportingStore = (*Store)(nil)

// uptimeScript returns the uptime in seconds of the master that holds
// KEYS[1] (INFO server's uptime_in_seconds). A script, so that a Cluster
// client routes it to the key's master, as it does the lease's.
var uptimeScript = redis.NewScript(`#!lua
local up = string.match(redis.call("INFO", "server"), "uptime_in_seconds:(%d+)")
return tonumber(up)
`)

// RestartedAt returns when the Redis master holding key started, if that
// was after [New] made this store: a restart this process lived through,
// which for a Redis without persistence lost every token it held; the zero
// time otherwise (see [oauth2flows.RestartReportingStore]). Redis counts
// its uptime in whole seconds, from a start time it keeps in whole seconds:
// the time is within a second of the master's start, and a restart less
// than 2 s after New may not be reported. A master
// that took over in a failover reports when its own process started,
// usually long before: [WithWaitReplicas] is what keeps a failover from
// losing a token.
//
// The root package asks on requests, up to once per user and replica every
// 10 s: the answer for a master is kept for a second, unless this store
// has taken a lease since, so that Redis sees a few of these calls per
// second from each replica, however many users it serves, and a caller
// that holds a lease gets a fresh answer.
func (s *Store) RestartedAt(ctx context.Context, key string) (time.Time, error) {
	if s.err != nil {
		return time.Time{}, s.err
	}
	guard := s.keys(key).guard
	node, cacheable := s.masterOf(ctx, guard)
	if at, ok := s.restarts.get(node, cacheable); ok {
		return at, nil
	}
	gen := s.restarts.generation()
	res, err := s.run(ctx, s.timeout, "RestartedAt", uptimeScript, []string{guard}, func() []any { return nil })
	if err != nil {
		return time.Time{}, &RedisError{Op: "restartedat", Err: err}
	}
	up, ok := res.(int64)
	if !ok {
		return time.Time{}, &RedisError{Op: "restartedat", Err: fmt.Errorf("unexpected reply %T", res)}
	}
	var at time.Time
	if latest := time.Now().Add(-time.Duration(up) * time.Second); latest.Add(-time.Second).After(s.made) {
		at = latest
	}
	if cacheable {
		s.restarts.put(node, at, gen)
	}
	return at, nil
}

// masterOf names the master that holds key, for the cache of RestartedAt:
// the one master of a Client (Sentinel's included), the slot's master of a
// ClusterClient. A Ring, or a Cluster whose map is not at hand, is not
// cached.
func (s *Store) masterOf(ctx context.Context, key string) (node string, ok bool) {
	switch c := s.client.(type) {
	case *redis.Client:
		return "", true
	case *redis.ClusterClient:
		m, err := c.MasterForKey(ctx, key)
		if err != nil {
			return "", false
		}
		return m.Options().Addr, true
	}
	return "", false
}

// restartsTTL is how long an answer of RestartedAt is kept.
const restartsTTL = time.Second

// restartCache keeps RestartedAt's answers by master. Every lease the
// store takes starts a new generation, which answers from before it do not
// serve.
type restartCache struct {
	mu     sync.Mutex
	gen    uint64
	byNode map[string]restartAnswer
}

type restartAnswer struct {
	at      time.Time
	fetched time.Time
	gen     uint64
}

func (c *restartCache) get(node string, cacheable bool) (time.Time, bool) {
	if !cacheable {
		return time.Time{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.byNode[node]
	if !ok || a.gen != c.gen || time.Since(a.fetched) >= restartsTTL {
		return time.Time{}, false
	}
	return a.at, true
}

func (c *restartCache) put(node string, at time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byNode == nil {
		c.byNode = make(map[string]restartAnswer)
	}
	c.byNode[node] = restartAnswer{at: at, fetched: time.Now(), gen: gen}
}

func (c *restartCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// leaseTaken starts a new generation.
func (c *restartCache) leaseTaken() {
	c.mu.Lock()
	c.gen++
	c.mu.Unlock()
}
