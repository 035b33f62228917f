package oauth2flows

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// StoreError is a failure of the [TokenStore] of an [OBOCache] given
// [WithCacheStore]: an error the store returned, a call that did not return
// in time, or a panic. The cache treats it as a miss; it reaches the
// application only through [Config.Logger] and [WithStoreErrorHandler],
// never as the error of a call.
type StoreError struct {
	Op    string // the method that failed: "Load", "Lock", "Store" or "Unlock"
	Err   error  // what it returned; context.DeadlineExceeded when it did not return in time
	Panic any    // the value the method panicked with, or nil
}

// Error implements error.
func (e *StoreError) Error() string {
	return "oauth2flows: token store " + e.Op + ": " + e.Err.Error()
}

// Unwrap returns what the store returned.
func (e *StoreError) Unwrap() error { return e.Err }

// errStorePanicked is the Err of a [StoreError] whose method panicked. The
// panic's value is kept out of the message, which is logged.
var errStorePanicked = errors.New("panicked")

const (
	// storeTimeout bounds one Load, Store or Unlock: a store that does not
	// answer in time is a miss, not a stalled request.
	storeTimeout = 2 * time.Second
	// lockTimeout bounds the wait for a key's lease, which another replica
	// may hold for the length of an exchange. After it the replica
	// exchanges without the lease.
	lockTimeout = 10 * time.Second
)

// load returns the entry of the token the store holds under sk, and keeps
// it in the index; nil on a miss or a failure.
func (c *OBOCache) load(ctx context.Context, lk localKey, sk, assertion string) *lruEntry {
	tok, ok := storeCall(c, ctx, "Load", c.storeTimeout, func(ctx context.Context) (*Token, error) {
		return c.store.Load(ctx, sk)
	}, nil)
	if !ok || tok == nil {
		return nil
	}
	if tok.AccessToken == "" {
		c.report(ctx, &StoreError{Op: "Load", Err: errors.New("a token without access_token")})
		return nil
	}
	served, until, ok := c.bound(tok, assertion)
	if !ok || !time.Now().Before(until) {
		return nil
	}
	return c.local.put(lk, newEntry(served, until))
}

// lock takes the lease of sk, or returns nil when the store failed or the
// lease was not obtained within lockTimeout. A lease obtained after the
// cache gave up waiting is given up at once.
func (c *OBOCache) lock(ctx context.Context, sk string) TokenLease {
	lease, _ := storeCall(c, ctx, "Lock", c.lockTimeout, func(ctx context.Context) (TokenLease, error) {
		return c.store.Lock(ctx, sk)
	}, func(late TokenLease) {
		if late != nil {
			c.unlock(ctx, late)
		}
	})
	return lease
}

func (c *OBOCache) unlock(ctx context.Context, lease TokenLease) {
	storeCall(c, ctx, "Unlock", c.storeTimeout, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, lease.Unlock(ctx)
	}, nil)
}

// save stores tok under the lease, kept until expires.
func (c *OBOCache) save(ctx context.Context, lease TokenLease, tok *Token, expires time.Time) {
	storeCall(c, ctx, "Store", c.storeTimeout, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, lease.Store(ctx, tok, expires)
	}, nil)
}

// storeCall runs one call of the store on a goroutine of its own, so that
// neither a store that ignores its context nor one that panics can hold up
// or end the exchange: it waits at most d. Every failure is reported, and
// ok is false. late, when not nil, gets the result of a call that returned
// after storeCall gave up on it.
func storeCall[T any](c *OBOCache, ctx context.Context, op string, d time.Duration,
	call func(context.Context) (T, error), late func(T)) (v T, ok bool) {
	callCtx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	type result struct {
		v   T
		err *StoreError
	}
	var (
		mu               sync.Mutex
		finished, gaveUp bool
		done             = make(chan result, 1)
	)
	go func() {
		var r result
		defer func() {
			if p := recover(); p != nil {
				r = result{err: &StoreError{Op: op, Err: errStorePanicked, Panic: p}}
			}
			mu.Lock()
			finished = true
			abandoned := gaveUp
			mu.Unlock()
			if abandoned {
				if late != nil && r.err == nil {
					late(r.v)
				}
				return
			}
			done <- r
		}()
		var err error
		if r.v, err = call(callCtx); err != nil {
			r.err = &StoreError{Op: op, Err: err}
		}
	}()
	var r result
	select {
	case r = <-done:
	case <-callCtx.Done():
		mu.Lock()
		gaveUp = !finished
		mu.Unlock()
		if gaveUp {
			c.report(ctx, &StoreError{Op: op, Err: context.Cause(callCtx)})
			return v, false
		}
		r = <-done // it finished as the time ran out
	}
	if r.err != nil {
		c.report(ctx, r.err)
		return v, false
	}
	return r.v, true
}

// report hands a store failure to Config.Logger and the application's
// handler. A handler that panics is not allowed to end the process either.
func (c *OBOCache) report(ctx context.Context, err *StoreError) {
	if c.cfg.Logger != nil {
		c.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "oauth2flows: token store failed, treated as a miss",
			slog.String("op", err.Op), slog.String("error", err.Err.Error()))
	}
	if c.onStoreError != nil {
		defer func() { _ = recover() }()
		c.onStoreError(ctx, err)
	}
}
