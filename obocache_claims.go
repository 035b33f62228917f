package oauth2flows

import (
	"context"
	"sync"
)

// challenges joins the calls that answer the same claims challenge for
// the same key while one of them exchanges: when a resource revokes a
// user's token (continuous access evaluation), every request of that user
// in flight gets the same challenge, and one exchange answers them all.
// Its result replaces the cached token (see [OBOCache.miss]), so that
// ordinary calls use it from then on. Its zero value is ready for use.
type challenges struct {
	mu sync.Mutex
	m  map[challengeKey]*inflight[*lruEntry]
}

type challengeKey struct {
	lk     localKey
	claims string
}

// do runs exchange for lk and claims, or waits for the one running.
func (ch *challenges) do(ctx context.Context, lk localKey, claims string, exchange func(context.Context) (*lruEntry, error)) (*lruEntry, error) {
	k := challengeKey{lk, claims}
	ch.mu.Lock()
	if ch.m == nil {
		ch.m = map[challengeKey]*inflight[*lruEntry]{}
	}
	f := ch.m[k]
	if f == nil {
		f = &inflight[*lruEntry]{}
		ch.m[k] = f
	}
	ch.mu.Unlock()
	c, _ := f.start(ctx, func(ctx context.Context) (*lruEntry, error) {
		defer func() {
			ch.mu.Lock()
			if ch.m[k] == f {
				delete(ch.m, k)
			}
			ch.mu.Unlock()
		}()
		return exchange(ctx)
	})
	return c.wait(ctx)
}
