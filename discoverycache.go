package oauth2flows

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// defaultDiscoveryTTL is how long a [DiscoveryCache] keeps metadata when
// its TTL is zero.
const defaultDiscoveryTTL = time.Hour

// DiscoveryCache is a [Discover] that remembers: metadata is kept per
// issuer for TTL, and concurrent calls for one issuer share one fetch.
// Failures are not cached. The zero value is ready to use; a DiscoveryCache
// must not be copied after first use. It is safe for concurrent use.
type DiscoveryCache struct {
	// TTL is how long metadata is kept; 0 means one hour.
	TTL time.Duration
	// HTTPClient fetches metadata. Nil means a default client with a
	// 30-second timeout. Redirects are never followed.
	HTTPClient *http.Client

	mu      sync.Mutex
	entries map[string]discoveryEntry
	flights flightGroup[string, *Metadata]
}

type discoveryEntry struct {
	md      *Metadata
	expires time.Time
}

// Discover returns the issuer's metadata as [Discover] does, from the cache
// while it is fresh. Each caller gets its own copy. The fetch runs apart
// from the callers' contexts (keeping their values), for at most 30 seconds:
// a caller whose ctx ends stops waiting with a [*DiscoveryError] wrapping
// ctx's error, and the fetch goes on for the others.
func (c *DiscoveryCache) Discover(ctx context.Context, issuer string) (*Metadata, error) {
	if ctx == nil {
		return nil, &ConfigError{Op: "DiscoveryCache.Discover", Field: "ctx", Reason: "nil context"}
	}
	if md, ok := c.cached(issuer); ok {
		return md.clone(), nil
	}
	md, err := c.flights.do(ctx, issuer, func(ctx context.Context) (*Metadata, error) { return c.fetch(ctx, issuer) })
	if err != nil {
		err = withOp("DiscoveryCache.Discover", err)
		if ctx.Err() != nil && err == context.Cause(ctx) {
			return nil, &DiscoveryError{Issuer: issuer, Reason: "gave up waiting for metadata", Err: err}
		}
		return nil, err
	}
	return md.clone(), nil
}

// cached returns the issuer's metadata if it is fresh.
func (c *DiscoveryCache) cached(issuer string) (*Metadata, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[issuer]
	if !ok || !time.Now().Before(e.expires) {
		return nil, false
	}
	return e.md, true
}

// discoverRecovered runs discover, turning a panic of the caller-supplied
// HTTPClient (its Transport, Jar or CheckRedirect) into a *DiscoveryError.
// The flight may run on a goroutine of the cache's own, where a panic
// would reach no caller's recover and end the process.
func (c *DiscoveryCache) discoverRecovered(ctx context.Context, issuer string) (md *Metadata, err error) {
	defer func() {
		if r := recover(); r != nil {
			md, err = nil, &DiscoveryError{Issuer: issuer, Reason: "HTTPClient panicked", Err: fmt.Errorf("panic: %v", r)}
		}
	}()
	return discover(ctx, c.HTTPClient, issuer)
}

// fetch is the single flight for issuer: it looks in the cache again, since
// a flight may have finished between the caller's look and this one, then
// fetches and stores.
func (c *DiscoveryCache) fetch(ctx context.Context, issuer string) (*Metadata, error) {
	if md, ok := c.cached(issuer); ok {
		return md, nil
	}
	ctx, cancel := context.WithTimeout(ctx, defaultTimeout)
	defer cancel()
	md, err := c.discoverRecovered(ctx, issuer)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	ttl := c.TTL
	if ttl <= 0 {
		ttl = defaultDiscoveryTTL
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]discoveryEntry{}
	}
	for k, e := range c.entries { // keep the maps to live issuers
		if k != issuer && !now.Before(e.expires) {
			delete(c.entries, k)
		}
	}
	c.entries[issuer] = discoveryEntry{md: md, expires: now.Add(ttl)}
	return md, nil
}
