package oauth2flows

import (
	"context"
	"time"

	"github.com/oauth2flows/oauth2flows/internal/redact"
)

// Observer is told of what the SDK does, for metrics and traces: token
// requests, OBO cache hits and misses, renewals, store failures and
// validator refusals (see [EventKind]). It is set once, on
// [Config.Observer], and reaches every user of that Config: its grants,
// its sources and their [Transport], the [OBOCache] built on it and a
// Transport over [OBOCache.Source]. A Transport over any other
// [TokenSource] has no Config and reports nothing. A validator takes the
// same Observer in its own configuration, for [EventValidatorRefusal].
// Package github.com/oauth2flows/oauth2flows/otel turns the events into
// OpenTelemetry metrics and spans.
//
// Observe is called synchronously, on the goroutine of the operation,
// after the operation, with the operation's ctx (which carries the
// caller's span): it must not block, and may be called concurrently.
// A panic in it is not recovered. A nil Observer costs one comparison per
// event (BENCHMARKS.md).
type Observer interface {
	Observe(ctx context.Context, e Event)
}

// ObserverFunc adapts a function to an [Observer].
type ObserverFunc func(ctx context.Context, e Event)

// Observe calls f(ctx, e).
func (f ObserverFunc) Observe(ctx context.Context, e Event) { f(ctx, e) }

// attemptObserver reports each attempt of r, posted to target, to cfg's
// Observer; nil when there is none.
func attemptObserver(ctx context.Context, cfg *Config, r *request, target string) func(n, status int, d time.Duration, err error) {
	o := cfg.Observer
	if o == nil {
		return nil
	}
	e := Event{Kind: EventTokenRequest, Endpoint: r.kind.String(), URL: redact.URL(target), Grant: r.grant}
	return func(n, status int, d time.Duration, err error) {
		e.Attempt, e.Status, e.Duration, e.Err = n, status, d, networkError(err)
		o.Observe(ctx, e)
	}
}

// observe reports a lookup of the cache at level. Callers check
// c.cfg.Observer first, so that without one a lookup costs a compare and
// no call.
func (c *OBOCache) observe(ctx context.Context, kind EventKind, level CacheLevel) {
	c.cfg.Observer.Observe(ctx, Event{Kind: kind, CacheLevel: level, Grant: c.grant})
}

// observeLoad reports a lookup in the store that answered: a hit when it
// gave an entry.
func (c *OBOCache) observeLoad(ctx context.Context, e *lruEntry, answered bool) {
	if c.cfg.Observer == nil || !answered {
		return
	}
	kind := EventCacheMiss
	if e != nil {
		kind = EventCacheHit
	}
	c.observe(ctx, kind, CacheL2)
}

// renewObserved is r.renew reported as one EventRenewal of kind.
func (r *renewal) renewObserved(ctx context.Context, seen *tokenState, kind RenewalKind) (*tokenState, error) {
	if r.observer == nil {
		return r.renew(ctx, seen, kind == RenewalForced)
	}
	start := time.Now()
	st, err := r.renew(ctx, seen, kind == RenewalForced)
	r.observer.Observe(ctx, Event{Kind: EventRenewal, Renewal: kind, Duration: time.Since(start), Err: err})
	return st, err
}

// observerOf is the Observer of a source not built by newGrantSource.
func observerOf(src TokenSource) Observer {
	if s, ok := src.(oboSource); ok && s.c.cfg != nil {
		return s.c.cfg.Observer
	}
	return nil
}
