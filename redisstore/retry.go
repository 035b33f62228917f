package redisstore

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/oauth2flows/oauth2flows"
	"github.com/redis/go-redis/v9"
)

// Retries back off exponentially from retryMin to retryMax, with jitter, so
// that the replicas that saw one failover do not come back in step. A
// failover of 2 to 5 s then costs a call about ten attempts.
const (
	retryMin = 20 * time.Millisecond
	retryMax = 500 * time.Millisecond
)

// backoff is the jittered wait after a failed attempt, and the next base.
func backoff(base time.Duration) (wait, next time.Duration) {
	return base/2 + rand.N(base/2+1), min(2*base, retryMax)
}

// transient reports whether err, the error of one attempt, may pass if the
// attempt is made again: the attempt's own timeout, a connection refused,
// reset or closed by a server that is going away, or a reply of a Redis
// that is loading, failing over or resharding. The end of the call's own
// ctx is not: the caller gave up. Nor is any other reply of Redis (a
// script error, WRONGTYPE, NOAUTH, OOM), which a retry would repeat.
func transient(call context.Context, err error) bool {
	if err == nil || call.Err() != nil || errors.Is(err, redis.ErrClosed) || errors.Is(err, context.Canceled) {
		return false
	}
	var rerr redis.Error
	if !errors.As(err, &rerr) {
		return true // not a reply: the network, the pool, or an attempt's timeout
	}
	if _, ok := redis.IsMovedError(err); ok {
		return true
	}
	if _, ok := redis.IsAskError(err); ok {
		return true
	}
	return redis.IsLoadingError(err) || redis.IsReadOnlyError(err) || redis.IsMasterDownError(err) ||
		redis.IsClusterDownError(err) || redis.IsTryAgainError(err) || redis.IsMaxClientsError(err) ||
		strings.HasPrefix(err.Error(), "BUSY ")
}

// retry runs attempt, one Redis round trip bounded by [WithAttemptTimeout],
// until it succeeds, fails for good, or ctx (bounded by the caller of retry)
// is done. Each failure it retries is reported as op. attempt must be safe
// to run more than once, and to have run when its reply was lost.
func (s *Store) retry(ctx context.Context, op string, attempt func(ctx context.Context) error) error {
	wait := retryMin
	for {
		actx, cancel := bounded(ctx, s.attempt)
		err := deadline(actx, attempt(actx))
		cancel()
		if !transient(ctx, err) {
			return deadline(ctx, err)
		}
		var d time.Duration
		d, wait = backoff(wait)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
			return deadline(ctx, err) // no time for another attempt
		}
		if !errors.As(err, new(*ReplicaError)) { // replicated reports a shortfall once
			s.report(ctx, op, &RedisError{Op: strings.ToLower(op), Err: err})
		}
		s.topologyChanged()
		if !sleep(ctx, d) {
			return deadline(ctx, err)
		}
	}
}

// sleep waits d, or until ctx is done: false.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// topologyChanged asks a Cluster client to reload its map of slots after a
// failure: go-redis reloads it on MOVED and READONLY replies, but not when
// a master stops answering, and would keep sending a dead master's slots to
// it until its reload interval (60 s). The reload runs in the background,
// at most once per 200 ms.
func (s *Store) topologyChanged() {
	if c, ok := s.client.(*redis.ClusterClient); ok {
		c.ReloadState(context.Background())
	}
}

// report hands a failure that no call returns to the error handler; a
// panic in it is recovered, as the root package does with its own.
func (s *Store) report(ctx context.Context, op string, err error) {
	if s.onError != nil {
		defer func() { _ = recover() }()
		s.onError(ctx, &oauth2flows.StoreError{Op: op, Err: err})
	}
}
