package oauth2flows

import (
	"context"
	"sync"
)

// challengeKey names the calls of [OBOCache] that answer the same claims
// challenge for the same key. When a resource revokes a user's token
// (continuous access evaluation), every request of that user in flight
// gets the same challenge: they join one exchange, whose token replaces
// the cached one (see [OBOCache.miss]), so that ordinary calls use it from
// then on.
type challengeKey struct {
	lk     localKey
	claims string
}

// flightGroup runs one flight per key at a time: callers with the key of a
// running flight wait for it. A finished flight leaves no entry behind, or
// every key ever asked for would stay in the map. Its zero value is ready
// for use.
type flightGroup[K comparable, T any] struct {
	mu sync.Mutex
	m  map[K]*inflight[T]
}

// do runs fn for key, or joins the run in progress, and waits for it or
// for ctx.
func (g *flightGroup[K, T]) do(ctx context.Context, key K, fn func(context.Context) (T, error)) (T, error) {
	g.mu.Lock()
	if g.m == nil {
		g.m = map[K]*inflight[T]{}
	}
	f := g.m[key]
	if f == nil {
		f = &inflight[T]{}
		g.m[key] = f
	}
	g.mu.Unlock()
	return f.do(ctx, func(ctx context.Context) (T, error) {
		defer func() {
			g.mu.Lock()
			if g.m[key] == f {
				delete(g.m, key)
			}
			g.mu.Unlock()
		}()
		return fn(ctx)
	})
}
