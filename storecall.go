package oauth2flows

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// StoreError is a failure of a [TokenStore], of an [OBOCache] given
// [WithCacheStore] or of a [Transport] given [WithTokenStore]: an error the
// store returned, a call that did not return in time, or a panic. Both treat
// it as a miss and go on with their own memory and the token endpoint,
// except where a refresh token would be redeemed outside the store's lease
// (RFC 9700 §4.14.2): see [StoreUnavailableError], the one error of a call
// that wraps it. It reaches the application through [Config.Logger] and the
// handler of [WithStoreErrorHandler] or [WithTokenStoreErrorHandler].
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
	// holds for the length of its renewal or exchange. It is half of
	// renewTimeout and exchangeTimeout, so that a lease never given up
	// still leaves time to go on without the store.
	lockTimeout = 30 * time.Second
)

// StoreErrorHandler is called with every failure of a [TokenStore], for
// metrics or alerts: the one shape of store-error handler, for the
// [OBOCache] ([WithStoreErrorHandler]), the [Transport]
// ([WithTokenStoreErrorHandler]) and package redisstore. The failure is
// logged on the Config.Logger too. It runs on the goroutine that called
// the store, must not block, and may be called concurrently; a panic in it
// is recovered.
type StoreErrorHandler func(ctx context.Context, err *StoreError)

// WithTokenStoreErrorHandler sets the [StoreErrorHandler] of the
// [TokenStore] of [WithTokenStore]; [WithStoreErrorHandler] is the same for
// an [OBOCache].
func WithTokenStoreErrorHandler(handle StoreErrorHandler) TransportOption {
	return func(o *transportOptions) {
		if handle != nil {
			o.policy.calls.handle, o.renewal = handle, true
		}
	}
}

// ContextHonoringStore is a [TokenStore] that can say it honours the
// deadlines of its calls' contexts: each call of the store and of its
// leases returns, if need be with an error, as soon as its ctx's deadline
// has passed, as a Redis client does that puts the deadline on its socket.
// Such a store is called on the caller's own goroutine, bounded by that
// deadline. Any other store is called on a goroutine of its own, which the
// caller stops waiting for at the bound, so that a store that ignores its
// context cannot hold a request up; that hand-off costs a goroutine
// wake-up, which on a loaded machine can cost as much as the store's own
// round trip (BENCHMARKS.md).
type ContextHonoringStore interface {
	TokenStore
	// HonorsContext reports whether the store's calls, and its leases',
	// return once their ctx's deadline has passed.
	HonorsContext() bool
}

// honorsContext reports whether store says it honours its calls' deadlines.
func honorsContext(store TokenStore) bool {
	s, ok := store.(ContextHonoringStore)
	return ok && s.HonorsContext()
}

// storeCalls is how a [TokenStore]'s user calls it: the bounds of its calls
// and where their failures go. The OBOCache and the Transport share it.
type storeCalls struct {
	logger  *slog.Logger // nil: slog's default logger
	handle  StoreErrorHandler
	timeout time.Duration // of one Load, Store or Unlock; zero: storeTimeout
	lock    time.Duration // of the wait for a lease; zero: lockTimeout
	inline  bool          // the store honours its deadlines: call it on the caller's goroutine

	observer Observer // Config.Observer: told of every failure too
}

func (s *storeCalls) timeoutOf(op string) time.Duration {
	if op == "Lock" {
		if s.lock > 0 {
			return s.lock
		}
		return lockTimeout
	}
	if s.timeout > 0 {
		return s.timeout
	}
	return storeTimeout
}

// report hands a store failure to the logger and the application's handler:
// a replica that silently stops sharing its tokens is a failure someone must
// see. Neither the key (it may name a user) nor a token is logged. A
// handler that panics is not allowed to end the process either.
func (s *storeCalls) report(ctx context.Context, err *StoreError) {
	l := s.logger
	if l == nil {
		l = slog.Default()
	}
	l.LogAttrs(ctx, slog.LevelWarn, "oauth2flows: token store failed, treated as a miss",
		slog.String("op", err.Op), slog.String("error", err.Err.Error()))
	if s.observer != nil {
		s.observer.Observe(ctx, Event{Kind: EventStoreError, Op: err.Op, Err: err})
	}
	if s.handle != nil {
		defer func() { _ = recover() }()
		s.handle(ctx, err)
	}
}

// storeCall runs one call op of a store, bounded by the op's bound: on the
// caller's goroutine when the store honours its deadlines (inline), else on
// a goroutine of its own, so that a store that ignores its context cannot
// hold up the caller: it waits at most the op's bound. A panic of the store
// is recovered either way. Every failure is returned and reported,
// [ErrLeaseLost] too: the fence worked, but a lease lapsed while its holder
// lived, which someone must see; except a failure once ctx itself has
// ended, which is the caller giving up, not the store failing. late, when
// not nil, gets the result of a call that returned without error after
// storeCall gave up on it (a lease obtained too late is given up at once).
func storeCall[T any](ctx context.Context, s *storeCalls, op string,
	call func(context.Context) (T, error), late func(T)) (v T, err error) {
	callCtx, cancel := context.WithTimeout(ctx, s.timeoutOf(op))
	defer cancel()
	var serr *StoreError
	if s.inline {
		v, serr = callRecovered(callCtx, op, call)
	} else {
		v, serr = callAside(callCtx, op, call, late)
	}
	if serr != nil {
		if ctx.Err() == nil {
			s.report(ctx, serr)
		}
		var zero T
		return zero, serr
	}
	return v, nil
}

// callRecovered runs call on the caller's goroutine; a panic is a failure.
func callRecovered[T any](ctx context.Context, op string, call func(context.Context) (T, error)) (v T, serr *StoreError) {
	defer func() {
		if p := recover(); p != nil {
			serr = &StoreError{Op: op, Err: errStorePanicked, Panic: p}
		}
	}()
	v, err := call(ctx)
	if err != nil {
		return v, &StoreError{Op: op, Err: err}
	}
	return v, nil
}

// callAside runs call on a goroutine of its own and waits for it until ctx
// ends; a call that returns later goes to late.
func callAside[T any](ctx context.Context, op string, call func(context.Context) (T, error), late func(T)) (T, *StoreError) {
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
		r.v, r.err = callRecovered(ctx, op, call)
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		mu.Lock()
		gaveUp = !finished
		mu.Unlock()
		if gaveUp {
			var zero T
			return zero, &StoreError{Op: op, Err: context.Cause(ctx)}
		}
		r := <-done // it finished as the time ran out
		return r.v, r.err
	}
}
