package oauth2flows

import (
	"context"
	"errors"
	"time"
)

// calls is how the cache calls its store (storecall.go).
func (c *OBOCache) calls() *storeCalls {
	return &storeCalls{logger: c.cfg.Logger, handle: c.onStoreError, timeout: c.storeTimeout, lock: c.lockTimeout,
		inline: c.storeInline, observer: c.cfg.Observer}
}

// load returns the entry of the token the store holds under sk, and keeps
// it in the index; nil on a miss or a failure. answered is false when ctx
// ended first: the store was not asked, or not heard out.
func (c *OBOCache) load(ctx context.Context, lk localKey, sk, assertion string) (e *lruEntry, answered bool) {
	defer func() { c.observeLoad(ctx, e, answered) }()
	calls := c.calls()
	tok, err := storeCall(ctx, calls, "Load", func(ctx context.Context) (*Token, error) {
		return c.store.Load(ctx, sk)
	}, nil)
	if err != nil || tok == nil {
		return nil, ctx.Err() == nil
	}
	if tok.AccessToken == "" {
		calls.report(ctx, &StoreError{Op: "Load", Err: errors.New("a token without access_token")})
		return nil, true
	}
	served, until, ok := c.bound(tok, assertion)
	if !ok || !time.Now().Before(until) {
		return nil, true
	}
	return c.local.put(lk, assertion, newEntry(served, until, c.dpop)), true
}

// lock takes the lease of sk, or returns nil when the store failed or the
// lease was not obtained within the lock bound. A lease obtained after the
// cache gave up waiting is given up at once.
func (c *OBOCache) lock(ctx context.Context, sk string) TokenLease {
	lease, _ := storeCall(ctx, c.calls(), "Lock", func(ctx context.Context) (TokenLease, error) {
		return c.store.Lock(ctx, sk)
	}, func(late TokenLease) {
		if late != nil {
			c.unlock(ctx, late)
		}
	})
	return lease
}

func (c *OBOCache) unlock(ctx context.Context, lease TokenLease) {
	storeCall(ctx, c.calls(), "Unlock", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, lease.Unlock(ctx)
	}, nil)
}

// save stores tok under the lease, kept until expires.
func (c *OBOCache) save(ctx context.Context, lease TokenLease, tok *Token, expires time.Time) {
	storeCall(ctx, c.calls(), "Store", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, lease.Store(ctx, tok, expires)
	}, nil)
}
