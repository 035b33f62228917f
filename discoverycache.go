package oauth2flows

import (
	"context"
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
	flights map[string]*discoveryFlight
}

type discoveryEntry struct {
	md      *Metadata
	expires time.Time
}

// discoveryFlight is one fetch in progress; done is closed when md or err
// is set. leaderGaveUp says the fetch failed because its caller's ctx
// ended, which says nothing about the server.
type discoveryFlight struct {
	done         chan struct{}
	md           *Metadata
	err          error
	leaderGaveUp bool
}

// Discover returns the issuer's metadata as [Discover] does, from the cache
// while it is fresh. Each caller gets its own copy.
func (c *DiscoveryCache) Discover(ctx context.Context, issuer string) (*Metadata, error) {
	if ctx == nil {
		return nil, &ConfigError{Field: "ctx", Reason: "nil context"}
	}
	for {
		c.mu.Lock()
		if e, ok := c.entries[issuer]; ok && time.Now().Before(e.expires) {
			c.mu.Unlock()
			return e.md.clone(), nil
		}
		if f, ok := c.flights[issuer]; ok {
			c.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return nil, &DiscoveryError{Issuer: issuer, Reason: "gave up waiting for metadata", Err: ctx.Err()}
			}
			if f.leaderGaveUp && ctx.Err() == nil {
				continue // the fetching caller left; fetch for ourselves
			}
			if f.err != nil {
				return nil, f.err
			}
			return f.md.clone(), nil
		}
		f := &discoveryFlight{done: make(chan struct{})}
		if c.flights == nil {
			c.flights = map[string]*discoveryFlight{}
		}
		c.flights[issuer] = f
		c.mu.Unlock()
		return c.fetch(ctx, issuer, f)
	}
}

// fetch runs the flight f for issuer and publishes its result.
func (c *DiscoveryCache) fetch(ctx context.Context, issuer string, f *discoveryFlight) (*Metadata, error) {
	f.md, f.err = discover(ctx, c.HTTPClient, issuer)
	f.leaderGaveUp = f.err != nil && ctx.Err() != nil
	now := time.Now()
	c.mu.Lock()
	delete(c.flights, issuer)
	if f.err == nil {
		if c.entries == nil {
			c.entries = map[string]discoveryEntry{}
		}
		for k, e := range c.entries { // keep the map to live issuers
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		}
		ttl := c.TTL
		if ttl <= 0 {
			ttl = defaultDiscoveryTTL
		}
		c.entries[issuer] = discoveryEntry{md: f.md, expires: now.Add(ttl)}
	}
	c.mu.Unlock()
	close(f.done)
	if f.err != nil {
		return nil, f.err
	}
	return f.md.clone(), nil
}
