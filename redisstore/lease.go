package redisstore

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/oauth2flows/oauth2flows"
	"github.com/redis/go-redis/v9"
)

// The lease is our own four Lua scripts rather than a lock library: the
// fencing token must be taken in the same atomic step as the lease (a
// library's SET NX followed by our INCR lets a holder whose lease lapsed in
// between draw a newer fence than its successor), and the lease, its fence
// and the token must be checked together at write. Each script touches only
// keys of one hash tag, so it runs on Redis Cluster too.

// lockScript takes the lease (KEYS[1]) for owner ARGV[1] for ARGV[2] ms and
// draws a fence (KEYS[2]), kept ARGV[3] ms: {1, fence}. Taken: {0, pttl}.
// The fence is at least Redis's clock in microseconds, so it keeps growing
// even after its counter expired and was created anew.
var lockScript = redis.NewScript(`
if redis.call("SET", KEYS[1], ARGV[1], "NX", "PX", ARGV[2]) then
  local f = redis.call("INCR", KEYS[2])
  local t = redis.call("TIME")
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  if f < now then
    f = now
    redis.call("SET", KEYS[2], t[1] .. string.format("%06d", tonumber(t[2])))
  end
  redis.call("PEXPIRE", KEYS[2], ARGV[3])
  return {1, f}
end
return {0, redis.call("PTTL", KEYS[1])}
`)

// renewScript extends the lease and its fence while owner holds it: 1, or 0.
var renewScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  redis.call("PEXPIRE", KEYS[1], ARGV[2])
  redis.call("PEXPIRE", KEYS[2], ARGV[3])
  return 1
end
return 0
`)

// storeScript writes value ARGV[2] to KEYS[2], for ARGV[3] ms (0: no
// expiry), only while the fence KEYS[1] is still ARGV[1]: 1, or 0.
var storeScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) ~= ARGV[1] then
  return 0
end
if ARGV[3] == "0" then
  redis.call("SET", KEYS[2], ARGV[2])
else
  redis.call("SET", KEYS[2], ARGV[2], "PX", ARGV[3])
end
return 1
`)

// releaseScript deletes the lease only while owner holds it: 1, or 0.
var releaseScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0
`)

// Waiting for a lease polls with a backoff from minWait to maxWait, never
// past the lease's remaining time.
const (
	minWait = 2 * time.Millisecond
	maxWait = 50 * time.Millisecond
)

// Lock takes the renewal lease of key, waiting while another holder has it,
// until ctx ends: one replica redeems a refresh token (RFC 6749 §6) while
// the others wait, so that a rotating refresh token (RFC 9700 §4.14.2) is
// never redeemed twice. While held, the lease is extended in the background every
// TTL/3 ([WithLockTTL]); call Unlock when done. Each lease carries a fencing
// token, so that [oauth2flows.TokenLease.Store] of a lease that lapsed and
// was taken by another fails with [oauth2flows.ErrLeaseLost].
func (s *Store) Lock(ctx context.Context, key string) (oauth2flows.TokenLease, error) {
	if s.err != nil {
		return nil, s.fail(ctx, "lock", s.err)
	}
	var b [16]byte
	if _, err := crand.Read(b[:]); err != nil {
		return nil, s.fail(ctx, "lock", &RedisError{Op: "lock", Err: err})
	}
	l := &lease{
		s:     s,
		keys:  s.keys(key),
		owner: hex.EncodeToString(b[:]),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
		ctx:   context.WithoutCancel(ctx),
	}
	ttl := strconv.FormatInt(s.lockTTL.Milliseconds(), 10)
	wait := minWait
	for {
		res, err := s.run(ctx, lockScript, []string{l.keys.lock, l.keys.fence}, l.owner, ttl, s.fenceTTL())
		if err != nil {
			// The script may have run with its reply lost: give up a
			// lease we may hold, rather than leave it to its TTL. In the
			// background, bounded: the caller is not kept waiting.
			go func() { _, _ = s.run(l.ctx, releaseScript, []string{l.keys.lock}, l.owner) }()
			return nil, s.fail(ctx, "lock", &RedisError{Op: "lock", Err: err})
		}
		r, ok := res.([]any)
		if !ok || len(r) != 2 {
			return nil, s.fail(ctx, "lock", &RedisError{Op: "lock", Err: fmt.Errorf("unexpected reply %T", res)})
		}
		got, _ := r[0].(int64)
		n, _ := r[1].(int64)
		if got == 1 {
			l.fence = strconv.FormatInt(n, 10)
			go l.renew()
			return l, nil
		}
		d := wait/2 + rand.N(wait/2+1) // jitter: replicas don't poll in step
		if left := time.Duration(n) * time.Millisecond; left > 0 && left < d {
			d = left
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, s.fail(ctx, "lock", &RedisError{Op: "lock", Err: ctx.Err()})
		case <-t.C:
		}
		wait = min(2*wait, maxWait)
	}
}

// fenceTTL keeps a key's fence well past any lease on it; the fence's clock
// floor keeps it growing if it expires anyway.
func (s *Store) fenceTTL() string {
	return strconv.FormatInt((3*s.lockTTL + time.Hour).Milliseconds(), 10)
}

func (s *Store) run(ctx context.Context, sc *redis.Script, keys []string, args ...any) (any, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	res, err := sc.Run(ctx, s.client, keys, args...).Result()
	return res, deadline(ctx, err)
}

// lease is a [oauth2flows.TokenLease] of a [Store].
type lease struct {
	s     *Store
	keys  redisKeys
	owner string // random: who holds the lease
	fence string // fencing token drawn with the lease
	ctx   context.Context
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

// renew extends the lease every TTL/3 until Unlock, or until it finds the
// lease lost. Its errors go to the error handler: no call returns them.
func (l *lease) renew() {
	defer close(l.done)
	s := l.s
	t := time.NewTicker(s.lockTTL / 3)
	defer t.Stop()
	ttl := strconv.FormatInt(s.lockTTL.Milliseconds(), 10)
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		res, err := s.run(l.ctx, renewScript, []string{l.keys.lock, l.keys.fence}, l.owner, ttl, s.fenceTTL())
		if err != nil {
			s.fail(l.ctx, "renew", &RedisError{Op: "renew", Err: err})
			continue // the lease may still be ours: try again next tick
		}
		if n, _ := res.(int64); n != 1 {
			s.fail(l.ctx, "renew", fmt.Errorf("%srenew: %w", prefix, oauth2flows.ErrLeaseLost))
			return
		}
	}
}

// Store writes tok under the lease's key, kept until expires (the zero
// time: until replaced), only while no newer lease was taken on the key;
// otherwise it returns an error wrapping [oauth2flows.ErrLeaseLost].
func (l *lease) Store(ctx context.Context, tok *oauth2flows.Token, expires time.Time) error {
	s := l.s
	if tok == nil || tok.AccessToken == "" {
		return s.fail(ctx, "store", &ConfigError{Field: "tok", Reason: "no access token"})
	}
	v, err := seal(s.cur, l.keys.token, tok)
	if err != nil {
		return s.fail(ctx, "store", &ValueError{Reason: "cannot seal: " + err.Error()})
	}
	px := "0"
	if !expires.IsZero() {
		px = strconv.FormatInt(max(time.Until(expires).Milliseconds(), 1), 10)
	}
	res, err := s.run(ctx, storeScript, []string{l.keys.fence, l.keys.token}, l.fence, v, px)
	if err != nil {
		return s.fail(ctx, "store", &RedisError{Op: "store", Err: err})
	}
	if n, _ := res.(int64); n != 1 {
		return s.fail(ctx, "store", fmt.Errorf("%sstore: %w", prefix, oauth2flows.ErrLeaseLost))
	}
	return nil
}

// Unlock stops the renewal and gives the lease up if this holder still has
// it. Calling it again does nothing.
func (l *lease) Unlock(ctx context.Context) error {
	var err error
	l.once.Do(func() {
		close(l.stop)
		<-l.done
		if _, e := l.s.run(ctx, releaseScript, []string{l.keys.lock}, l.owner); e != nil {
			err = l.s.fail(ctx, "unlock", &RedisError{Op: "unlock", Err: e})
		}
	})
	return err
}
