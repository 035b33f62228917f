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
// draws a fence (KEYS[2]), kept ARGV[3] ms: {1, fence}. Taken by another:
// {0, pttl}. Already owner's: {1, its fence}, so that an attempt whose reply
// was lost, or that a stalled Redis ran late, and its retry take the lease
// once, and never leave one that is ours with no one to release it. The
// fence is at least Redis's clock in microseconds, so it keeps growing even
// after its counter expired and was created anew.
var lockScript = redis.NewScript(`#!lua
local cur = redis.call("GET", KEYS[1])
if cur == ARGV[1] then
  local f = redis.call("GET", KEYS[2])
  if f then
    return {1, tonumber(f)}
  end
elseif cur then
  return {0, redis.call("PTTL", KEYS[1])}
end
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
local f = redis.call("INCR", KEYS[2])
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
if f < now then
  f = now
  redis.call("SET", KEYS[2], t[1] .. string.format("%06d", tonumber(t[2])))
end
redis.call("PEXPIRE", KEYS[2], ARGV[3])
return {1, f}
`)

// renewScript extends the lease and its fence while owner holds it: 1, or 0.
var renewScript = redis.NewScript(`#!lua
if redis.call("GET", KEYS[1]) == ARGV[1] then
  redis.call("PEXPIRE", KEYS[1], ARGV[2])
  redis.call("PEXPIRE", KEYS[2], ARGV[3])
  return 1
end
return 0
`)

// storeScript writes value ARGV[2] to KEYS[2], for ARGV[3] ms (0: no
// expiry), only while the fence KEYS[1] is still ARGV[1], or is gone: 1,
// or 0. A fence is gone only when Redis lost it (a restart without
// persistence, a failover that lost the last writes): no lease was taken
// since, so the holder's write, which may hold the only copy of a rotated
// refresh token, is still the newest; it puts its fence back (ARGV[4] ms).
var storeScript = redis.NewScript(`#!lua
local f = redis.call("GET", KEYS[1])
if f and f ~= ARGV[1] then
  return 0
end
if not f then
  redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[4])
end
if ARGV[3] == "0" then
  redis.call("SET", KEYS[2], ARGV[2])
else
  redis.call("SET", KEYS[2], ARGV[2], "PX", ARGV[3])
end
return 1
`)

// releaseScript deletes the lease only while owner holds it: 1, or 0.
var releaseScript = redis.NewScript(`#!lua
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
// never redeemed twice. While held, the lease is extended in the background
// every TTL/3 ([WithLockTTL]); call Unlock when done. Each lease carries a
// fencing token, so that [oauth2flows.TokenLease.Store] of a lease that
// lapsed and was taken by another fails with [oauth2flows.ErrLeaseLost].
//
// The wait polls through transient failures of Redis (see [WithTimeout]),
// and gives up with a [*RedisError] once they have lasted the store's
// timeout without a break, or when ctx ends. Each poll is safe to repeat:
// an attempt whose reply was lost and its retry take the lease once, for
// this caller. A Lock that fails releases in the background any lease an
// unanswered attempt may have taken. With [WithWaitReplicas], Lock returns
// once the replicas have the lease (fewer in time are reported), and fails
// if Redis fails for the store's timeout while it waits for them.
func (s *Store) Lock(ctx context.Context, key string) (oauth2flows.TokenLease, error) {
	if s.err != nil {
		return nil, s.err
	}
	var b [16]byte
	if _, err := crand.Read(b[:]); err != nil {
		return nil, &RedisError{Op: "lock", Err: err}
	}
	l := &lease{
		s:     s,
		keys:  s.keys(key),
		owner: hex.EncodeToString(b[:]),
		done:  make(chan struct{}),
		ctx:   context.WithoutCancel(ctx),
	}
	l.renewing, l.stop = context.WithCancel(l.ctx)
	fence, err := s.take(ctx, l)
	if err != nil {
		l.stop()
		if _, ok := err.(*RedisError); ok {
			// An attempt may have taken the lease with its reply lost:
			// give it up rather than leave it to its TTL. In the
			// background, for up to that TTL (after it the lease is gone
			// anyway): the caller is not kept waiting.
			go func() {
				if err := l.release(l.ctx, max(s.timeout, s.lockTTL)); err != nil {
					s.report(l.ctx, "Unlock", &RedisError{Op: "unlock", Err: err})
				}
			}()
		}
		return nil, err
	}
	l.fence = fence
	s.restarts.leaseTaken()
	go l.renew()
	return l, nil
}

// take acquires l's lease and, with [WithWaitReplicas], waits until the
// replicas have it. A lease that the master serving the key no longer
// holds by then was lost in a failover (the master answered it and
// stopped before its replicas had it): it is taken again, on the new
// master, else another replica could take it there too.
func (s *Store) take(ctx context.Context, l *lease) (string, error) {
	for {
		fence, err := s.acquire(ctx, l)
		if err != nil || s.waitN == 0 {
			return fence, err
		}
		if err = s.confirmLease(ctx, l); err != errLeaseGone {
			return fence, err
		}
		s.report(ctx, "Lock", fmt.Errorf("%slock: %w before a replica had it: taking it again", prefix, oauth2flows.ErrLeaseLost))
	}
}

// acquire polls for l's lease until it is taken (its fence), ctx ends, or
// Redis has failed for the store's timeout without a break.
func (s *Store) acquire(ctx context.Context, l *lease) (string, error) {
	ttl := strconv.FormatInt(s.lockTTL.Milliseconds(), 10)
	wait, retryWait := minWait, retryMin
	var failing time.Time // start of the current run of failures
	var err error
	for {
		limit := s.attempt
		if !failing.IsZero() {
			limit = min(limit, time.Until(failing.Add(s.timeout)))
		}
		start := time.Now()
		actx, cancel := context.WithTimeout(ctx, limit)
		var res any
		res, err = lockScript.Run(actx, s.client, []string{l.keys.lock, l.keys.fence}, l.owner, ttl, s.fenceTTL()).Result()
		err = deadline(actx, err)
		cancel()
		var d time.Duration
		switch {
		case err == nil:
			failing, retryWait = time.Time{}, retryMin
			r, ok := res.([]any)
			if !ok || len(r) != 2 {
				return "", &RedisError{Op: "lock", Err: fmt.Errorf("unexpected reply %T", res)}
			}
			got, _ := r[0].(int64)
			n, _ := r[1].(int64)
			if got == 1 {
				return strconv.FormatInt(n, 10), nil
			}
			d = wait/2 + rand.N(wait/2+1) // jitter: replicas don't poll in step
			if left := time.Duration(n) * time.Millisecond; left > 0 && left < d {
				d = left
			}
			wait = min(2*wait, maxWait)
		case !transient(ctx, err):
			return "", &RedisError{Op: "lock", Err: deadline(ctx, err)}
		default:
			if failing.IsZero() {
				failing = start
			}
			d, retryWait = backoff(retryWait)
			if time.Since(failing)+d >= s.timeout {
				return "", &RedisError{Op: "lock", Err: err} // failed for the whole timeout
			}
			s.report(ctx, "Lock", &RedisError{Op: "lock", Err: err})
			s.topologyChanged()
		}
		if !sleep(ctx, d) {
			if err == nil {
				err = ctx.Err()
			}
			return "", &RedisError{Op: "lock", Err: deadline(ctx, err)}
		}
	}
}

// fenceTTL keeps a key's fence well past any lease on it; the fence's clock
// floor keeps it growing if it expires anyway.
func (s *Store) fenceTTL() string {
	return strconv.FormatInt((3*s.lockTTL + time.Hour).Milliseconds(), 10)
}

// run runs a script that is safe to repeat, with retries (see
// [WithTimeout]), for up to bound.
func (s *Store) run(ctx context.Context, bound time.Duration, op string, sc *redis.Script, keys []string, args func() []any) (res any, err error) {
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	err = s.retry(ctx, op, func(ctx context.Context) error {
		var err error
		res, err = sc.Run(ctx, s.client, keys, args()...).Result()
		return err
	})
	return res, err
}

// lease is a [oauth2flows.TokenLease] of a [Store].
type lease struct {
	s     *Store
	keys  redisKeys
	owner string          // random: who holds the lease
	fence string          // fencing token drawn with the lease
	ctx   context.Context // the caller's values, never done: for reports
	// renewing ends with Unlock (stop), and with it an extension under way.
	renewing context.Context
	stop     context.CancelFunc
	done     chan struct{} // closed when renew has returned
	once     sync.Once
}

// renew extends the lease every TTL/3 until Unlock, or until it finds the
// lease lost, retrying each extension until the next is due. Its errors go
// to the error handler: no call returns them.
func (l *lease) renew() {
	defer close(l.done)
	s := l.s
	every := s.lockTTL / 3
	t := time.NewTicker(every)
	defer t.Stop()
	ttl := strconv.FormatInt(s.lockTTL.Milliseconds(), 10)
	for {
		select {
		case <-l.renewing.Done():
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(l.renewing, every)
		var res any
		err := s.retry(ctx, "Renew", func(ctx context.Context) error {
			var err error
			res, err = renewScript.Run(ctx, s.client, []string{l.keys.lock, l.keys.fence}, l.owner, ttl, s.fenceTTL()).Result()
			return err
		})
		cancel()
		if l.renewing.Err() != nil {
			return
		}
		if err != nil {
			s.report(l.ctx, "Renew", &RedisError{Op: "renew", Err: err})
			continue // the lease may still be ours: try again next tick
		}
		if n, _ := res.(int64); n != 1 {
			s.report(l.ctx, "Renew", fmt.Errorf("%srenew: %w", prefix, oauth2flows.ErrLeaseLost))
			return
		}
	}
}

// Store writes tok under the lease's key, kept until expires (the zero
// time: until replaced), only while no newer lease was taken on the key;
// otherwise it returns an error wrapping [oauth2flows.ErrLeaseLost]. It
// retries transient failures (see [WithTimeout]): a write that ran twice
// wrote the same value under the same fence, and one that finds a newer
// fence writes nothing.
func (l *lease) Store(ctx context.Context, tok *oauth2flows.Token, expires time.Time) error {
	s := l.s
	if tok == nil || tok.AccessToken == "" {
		return &ConfigError{Field: "tok", Reason: "no access token"}
	}
	v, err := seal(s.cur, l.keys.token, tok)
	if err != nil {
		return &ValueError{Reason: "cannot seal: " + err.Error(), store: true}
	}
	if len(v) > MaxValueSize {
		return &ValueError{Reason: "token larger than MaxValueSize once sealed", Err: ErrValueTooLarge, store: true}
	}
	keys := []string{l.keys.fence, l.keys.token}
	args := func() []any {
		px := "0"
		if !expires.IsZero() {
			px = strconv.FormatInt(max(time.Until(expires).Milliseconds(), 1), 10)
		}
		return []any{l.fence, v, px, s.fenceTTL()}
	}
	var res any
	if s.waitN == 0 {
		res, err = s.run(ctx, s.timeout, "Store", storeScript, keys, args)
	} else {
		rctx, cancel := context.WithTimeout(ctx, s.timeout)
		err = s.replicated(rctx, "Store", l.keys.token, func(ctx context.Context, c *redis.Conn) error {
			var err error
			if res, err = storeScript.Run(ctx, c, keys, args()...).Result(); err != nil {
				return err
			}
			if n, _ := res.(int64); n == 1 {
				return s.waitReplicas(ctx, c, "Store")
			}
			return nil
		})
		cancel()
	}
	if err != nil {
		return &RedisError{Op: "store", Err: err}
	}
	if n, _ := res.(int64); n != 1 {
		return fmt.Errorf("%sstore: %w", prefix, oauth2flows.ErrLeaseLost)
	}
	return nil
}

// Unlock stops the renewal and gives the lease up if this holder still has
// it. Calling it again does nothing.
func (l *lease) Unlock(ctx context.Context) error {
	var err error
	l.once.Do(func() {
		l.stop()
		<-l.done
		if e := l.release(ctx, l.s.timeout); e != nil {
			err = &RedisError{Op: "unlock", Err: e}
		}
	})
	return err
}

// release deletes the lease if it is still this holder's, trying for up to
// bound.
func (l *lease) release(ctx context.Context, bound time.Duration) error {
	_, err := l.s.run(ctx, bound, "Unlock", releaseScript, []string{l.keys.lock}, func() []any { return []any{l.owner} })
	return err
}
