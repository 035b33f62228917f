package oauth2flows

import (
	"context"
	"fmt"
	"hash/maphash"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// OBOCache serves On-Behalf-Of tokens from a cache, as a middle tier must:
// Entra throttles middle tiers that exchange the same assertion again and
// again (AADSTS50196). Concurrent misses for one key make one request. The
// in-memory index keeps each user's assertion beside its token, to tell
// users apart at the cost of a comparison; a shared store gets hashes of
// it only.
//
// A token is served until 5 minutes before its expiry, or a tenth of its
// lifetime before it when that is shorter (30 s for a 5-minute token), so
// that a downstream call never starts with a token about to expire; and
// never past the assertion's own "exp": a downstream token must not outlive
// the user's token it was exchanged for. A token with neither bound is not
// cached. A call with [WithClaims] always goes to the server.
//
// An assertion the server refuses outright (invalid_grant: expired,
// revoked, forged; for token exchange also invalid_request) gets the same
// error for 30 seconds without another request, so that a client retrying
// a bad token costs one token request, not one per retry. A claims
// challenge is never remembered: it reaches every caller.
//
// With [WithCacheStore], replicas share their tokens through a [TokenStore]
// behind each one's memory, and one exchange serves them all.
//
// The zero value is not usable; build one with [NewOBOCache]. An OBOCache
// is safe for concurrent use.
type OBOCache struct {
	cfg          *Config
	exchange     func(ctx context.Context, cfg *Config, assertion string, opts ...Option) (*Token, error)
	grant        string     // exchange's grant_type, part of every key
	store        TokenStore // shared second level; nil: the local index alone
	onStoreError func(ctx context.Context, err *StoreError)
	storeTimeout time.Duration // of one Load, Store or Unlock
	storeInline  bool          // store is a ContextHonoringStore: called on the caller's goroutine
	lockTimeout  time.Duration // of the wait for a lease
	local        *lru
	seeds        [2]maphash.Seed           // of localKey
	shape        atomic.Pointer[shapeMemo] // the shape's digest for calls without options

	options sync.Pool // of *options, so that a hit with options allocates nothing

	insecureUnvalidated bool // see WithInsecureUnvalidatedTokens

	refused    *refusals     // assertions refused outright, answered without a request
	refusalTTL time.Duration // how long; refusalTTL but in tests

	mu      sync.Mutex
	flights map[localKey]*inflight[*lruEntry]

	dpop *dpopSession // one Prover and the servers' DPoP nonces (RFC 9449)
}

// CacheOption configures an [OBOCache].
type CacheOption func(*OBOCache)

// WithCacheStore shares tokens between the replicas of a middle tier
// through store, such as Redis (package
// github.com/oauth2flows/oauth2flows/redisstore), behind each replica's
// in-memory index. A replica that misses its memory loads what another
// exchanged; on a miss in the store too, it takes the store's lease on the
// key, loads again, and only then exchanges and stores the token, so that
// replicas missing the same key at once make one request.
//
// The store's keys are SHA-256 hashes of the assertion, the client, the
// token endpoint, the grant and the parameters: they name nothing. Every
// failure of the store (an error, a call that does not return within 2 s, a
// lease not obtained within 30 s, a panic) is a miss: the request goes on
// with the memory and the token endpoint, and the failure is reported
// through [Config.Logger] and [WithStoreErrorHandler], never as the error
// of a call. A [ContextHonoringStore] (redisstore over a client with
// ContextTimeoutEnabled) is called on the caller's goroutine, bounded by
// its deadline; any other store on a goroutine of its own, which the cache
// stops waiting for at the bound.
//
// Replicas that authenticate with different client certificates must not
// share a store: an RFC 8705 certificate-bound token is usable only with
// the certificate it was issued to, and the key does not name the
// certificate.
func WithCacheStore(store TokenStore) CacheOption {
	return func(c *OBOCache) { c.store = store }
}

// WithStoreErrorHandler sets a function called with every failure of the
// [TokenStore] of [WithCacheStore], for metrics or alerts; the failure is
// logged through [Config.Logger] too. The cache has already treated it as a
// miss. The function runs on the goroutine of a caller or of the exchange,
// must not block, and may be called concurrently.
func WithStoreErrorHandler(handle func(ctx context.Context, err *StoreError)) CacheOption {
	return func(c *OBOCache) { c.onStoreError = handle }
}

// WithCacheSize bounds the in-memory index to n tokens; the default is
// 20,000. Size it to the users active within a token's lifetime (an hour
// for Entra) times the scope sets each calls for, so that a user's token is
// still there at their next request: a miss is a token request, which Entra
// throttles. An entry holds the user's assertion and the token's strings
// plus about 400 bytes, so about 4.7 KB with Entra's tokens (a 1.7 KB
// assertion, a 1.5 KB access token and a 1 KB refresh token): the default
// costs about 95 MB when full. A full index evicts an expired or least
// recently used token (CLOCK) in constant time.
func WithCacheSize(n int) CacheOption { return func(c *OBOCache) { c.local = newLRU(n) } }

// WithTokenExchangeGrant makes the cache use RFC 8693 [TokenExchange]
// (Auth0, Okta, Keycloak) instead of Entra's [OnBehalfOf].
func WithTokenExchangeGrant() CacheOption {
	return func(c *OBOCache) { c.exchange, c.grant = TokenExchange, GrantTypeTokenExchange }
}

// WithInsecureUnvalidatedTokens makes [OBOCache.Middleware] exchange the
// bearer token of a request that did not go through [Validator.Middleware],
// without checking its signature, issuer, audience or lifetime. Use it only
// behind a gateway that has already validated the token: otherwise every
// forged or garbage token becomes a request to the token endpoint, and a
// flood of them gets the middle tier throttled (Entra's AADSTS50196).
func WithInsecureUnvalidatedTokens() CacheOption {
	return func(c *OBOCache) { c.insecureUnvalidated = true }
}

// defaultCacheSize is the in-memory index's size unless [WithCacheSize]
// says otherwise: about 95 MB of Entra tokens and assertions, measured by
// TestOBOCacheMemoryPerEntry.
const defaultCacheSize = 20_000

// exchangeTimeout bounds one exchange. It runs detached from the callers
// waiting for it, so it needs its own limit.
const exchangeTimeout = time.Minute

// NewOBOCache returns a cache of On-Behalf-Of tokens for cfg's client.
func NewOBOCache(cfg *Config, opts ...CacheOption) *OBOCache {
	c := &OBOCache{cfg: cfg, exchange: OnBehalfOf, grant: GrantTypeJWTBearer,
		storeTimeout: storeTimeout, lockTimeout: lockTimeout,
		seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}, flights: map[localKey]*inflight[*lruEntry]{},
		dpop: newDPoPSession(cfg)}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	if c.local == nil {
		c.local = newLRU(0)
	}
	c.storeInline = honorsContext(c.store)
	c.options.New = func() any { return new(options) }
	c.refused, c.refusalTTL = newRefusals(refusalSlots), refusalTTL
	return c
}

// Token returns a token for the downstream API on behalf of the user whose
// access token is assertion, from the cache when it holds a fresh one, else
// from the token endpoint. The returned Token is shared: do not modify it.
// Its Expiry is no later than the assertion's "exp", so that whatever sends
// it stops when the user's token expires.
func (c *OBOCache) Token(ctx context.Context, assertion string, opts ...Option) (*Token, error) {
	e, err := c.entry(ctx, assertion, opts, false)
	if err != nil {
		return nil, err
	}
	return e.tok, nil
}

// entry returns the entry of the token for assertion and opts: from the
// index on a hit, which allocates nothing, else from the flight of its key.
// With bearer, an assertion that is not a b64token (RFC 6750 §2.1) is
// refused with errMalformedBearer before it is exchanged. A hit does not
// check it again: it compares the assertion with the very string that was
// checked before its exchange.
func (c *OBOCache) entry(ctx context.Context, assertion string, opts []Option, bearer bool) (*lruEntry, error) {
	if len(opts) == 0 {
		return c.find(ctx, assertion, nil, nil, &c.shape, bearer)
	}
	o := c.options.Get().(*options).apply(opts)
	defer c.release(o)
	return c.find(ctx, assertion, o, opts, nil, bearer)
}

// find is entry with the options resolved: o collects opts (nil for none),
// and memo, when not nil, remembers the digest of the token's shape for
// these options (see shapeDigest).
func (c *OBOCache) find(ctx context.Context, assertion string, o *options, opts []Option, memo *atomic.Pointer[shapeMemo], bearer bool) (*lruEntry, error) {
	if assertion == "" {
		return nil, &ConfigError{Field: "assertion", Reason: "empty: pass the access token the API received"}
	}
	if c.cfg == nil {
		return nil, &ConfigError{Field: "Config", Reason: "nil"}
	}
	lk := c.indexKey(assertion, c.shapeDigest(o, memo))
	fresh := o == nil || o.claims == ""
	if fresh {
		if e := c.local.get(lk, assertion, wallNow()); e != nil {
			return e, nil
		}
	}
	lk = c.whole(lk, assertion)
	// After a miss only: a hit never looks here.
	if err := c.refused.get(lk, time.Now()); err != nil {
		return nil, err
	}
	if bearer && !isB64Token(assertion) {
		return nil, errMalformedBearer
	}
	var sk string
	if c.store != nil {
		sk = c.storeKey(assertion, o)
	}
	return c.fly(ctx, lk, sk, fresh, assertion, slices.Clone(opts))
}

// release returns o to the pool of options, emptied. The lists keep their
// arrays, so that the next WithResource or WithAudience appends in place.
func (c *OBOCache) release(o *options) {
	if o == nil {
		return
	}
	clear(o.resources)
	clear(o.audiences)
	*o = options{resources: o.resources[:0], audiences: o.audiences[:0]}
	c.options.Put(o)
}

// fly runs the flight of lk, or joins the one in progress. The caller that
// starts it looks in the store itself (first); only a miss there hands the
// flight to a goroutine of its own, which takes the lease and exchanges.
func (c *OBOCache) fly(ctx context.Context, lk localKey, sk string, fresh bool, assertion string, opts []Option) (*lruEntry, error) {
	c.mu.Lock()
	f := c.flights[lk]
	if f == nil || !fresh {
		// A call with claims answers a challenge the cached token failed: it
		// runs its own exchange rather than join one made without the claims.
		f = &inflight[*lruEntry]{}
		if fresh {
			c.flights[lk] = f
		}
	}
	c.mu.Unlock()
	loaded := false // the first part asked the store, which answered
	return f.lead(ctx, func(ctx context.Context) (e *lruEntry, done bool, err error) {
		if !fresh || c.store == nil {
			return nil, false, nil
		}
		defer func() {
			if done {
				c.land(lk, f)
			}
		}()
		if e, err := c.again(lk, assertion); e != nil || err != nil {
			return e, true, err
		}
		e, loaded = c.load(ctx, lk, sk, assertion)
		return e, e != nil, nil
	}, func(ctx context.Context) (e *lruEntry, err error) {
		defer c.land(lk, f)
		// The flight runs on a goroutine of its own, where a panic of the
		// code it calls (an HTTPClient's transport, a ClientAssertion
		// function) would end the process: it becomes the callers' error.
		defer func() {
			if v := recover(); v != nil {
				e, err = nil, panicError(v)
			}
		}()
		return c.miss(ctx, lk, sk, fresh, !loaded, assertion, opts)
	})
}

// land ends the flight f of lk: the next miss starts a new one.
func (c *OBOCache) land(lk localKey, f *inflight[*lruEntry]) {
	c.mu.Lock()
	if c.flights[lk] == f {
		delete(c.flights, lk)
	}
	c.mu.Unlock()
}

// again looks in the index and the refusals once more, at the start of a
// flight: a caller that missed the index just before the previous flight
// stored the token, and started this flight after that one ended, finds the
// token here instead of exchanging again; likewise the refusal the previous
// flight got.
func (c *OBOCache) again(lk localKey, assertion string) (*lruEntry, error) {
	if e := c.local.get(lk, assertion, wallNow()); e != nil {
		return e, nil
	}
	return nil, c.refused.get(lk, time.Now())
}

// miss is the flight of one key: the index again, then the shared store
// (unless load is false: the caller that started the flight looked there
// already), then the store again under its lease, then the token endpoint.
func (c *OBOCache) miss(ctx context.Context, lk localKey, sk string, fresh, load bool, assertion string, opts []Option) (*lruEntry, error) {
	if fresh {
		if e, err := c.again(lk, assertion); e != nil || err != nil {
			return e, err
		}
	} else if err := c.refused.get(lk, time.Now()); err != nil {
		return nil, err
	}
	var lease TokenLease
	if c.store != nil {
		if fresh && load {
			if e, _ := c.load(ctx, lk, sk, assertion); e != nil {
				return e, nil
			}
		}
		// Replicas that missed together wait here while one exchanges.
		if lease = c.lock(ctx, sk); lease != nil {
			defer c.unlock(ctx, lease)
			if fresh {
				if e, _ := c.load(ctx, lk, sk, assertion); e != nil {
					return e, nil
				}
			}
		}
	}
	xctx, cancel := context.WithTimeout(ctx, exchangeTimeout)
	defer cancel()
	tok, err := c.exchange(xctx, c.cfg, assertion, plus(opts, withSession(c.dpop))...)
	if err != nil {
		if refusesAssertion(err, c.grant) {
			c.refused.put(lk, err, time.Now(), c.refusalTTL)
		}
		return nil, err
	}
	served, until, ok := c.bound(tok, assertion)
	if !ok {
		e := newEntry(served, never, c.dpop) // served once, not cached
		e.assertion = assertion
		return e, nil
	}
	e := c.local.put(lk, assertion, newEntry(served, until, c.dpop))
	if lease != nil {
		c.save(ctx, lease, tok, served.Expiry)
	}
	return e, nil
}

// panicError turns the value of a recovered panic into an error.
func panicError(v any) error {
	if err, ok := v.(error); ok {
		return fmt.Errorf("oauth2flows: On-Behalf-Of exchange panicked: %w", err)
	}
	return fmt.Errorf("oauth2flows: On-Behalf-Of exchange panicked: %v", v)
}

// serveMargin is how long before its expiry the cache stops serving a
// token, unless a tenth of the token's lifetime is shorter; see [OBOCache].
const serveMargin = 5 * time.Minute

// bound returns the token the cache hands out for tok, obtained for
// assertion, and until when it serves it. The token handed out is a copy
// whose Expiry is no later than the assertion's exp, so that a [Transport]
// over [OBOCache.Source], or the client of [OBOCache.Middleware], stops
// sending it when the user's token expires: a downstream token must not
// outlive the token it was exchanged for. until is the earlier of the
// token's expiry less the margin and the assertion's exp; ok is false when
// neither is known, and the token is then not cached. The margin is
// computed from the lifetime the server gave (expires_in), so that a
// replica that loads the token from a store serves it as long as the one
// that obtained it.
func (c *OBOCache) bound(tok *Token, assertion string) (served *Token, until time.Time, ok bool) {
	if !tok.Expiry.IsZero() {
		lifetime := time.Duration(tok.ExpiresIn) * time.Second
		if lifetime <= 0 {
			lifetime = time.Until(tok.Expiry)
		}
		until = tok.Expiry.Add(-min(serveMargin, max(lifetime/10, 0)))
	}
	served = tok
	if exp, ok := jwtExpiry(assertion); ok {
		if until.IsZero() || exp.Before(until) {
			until = exp
		}
		if tok.Expiry.IsZero() || exp.Before(tok.Expiry) {
			cp := *tok
			cp.Expiry = exp
			served = &cp
		}
	}
	return served, until, !until.IsZero()
}
