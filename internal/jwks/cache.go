package jwks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of a [Cache].
const (
	DefaultTTL          = time.Hour
	DefaultMinInterval  = time.Minute
	DefaultFetchTimeout = 10 * time.Second
	// MaxBody caps a key set document. Entra's is about 10 KiB.
	MaxBody = 512 << 10
)

// ErrUnknownKey is a key ID (with its algorithm) that is not in the set,
// even after the refetch it was allowed to trigger.
var ErrUnknownKey = errors.New("no key for this kid and alg")

// FetchError is a key set that could not be fetched or parsed.
type FetchError struct {
	URL        string
	StatusCode int // 0 if no response
	Reason     string
	Err        error
}

// Error implements error.
func (e *FetchError) Error() string {
	s := "fetching key set " + e.URL
	if e.StatusCode != 0 {
		s += " (status " + strconv.Itoa(e.StatusCode) + ")"
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *FetchError) Unwrap() error { return e.Err }

// Config configures a [Cache].
type Config struct {
	URL string
	// Client fetches the set. The caller is responsible for its redirect
	// policy and timeout; Cache adds a per-fetch timeout of FetchTimeout.
	Client *http.Client
	// TTL is how long a fetched set is used before it is fetched again.
	TTL time.Duration
	// MinInterval is the least time between two fetches, whatever asks for
	// them: an unknown kid, an expired TTL, or a failed fetch. A flood of
	// tokens with forged kids costs at most one fetch per MinInterval.
	MinInterval time.Duration
	// FetchTimeout bounds one fetch.
	FetchTimeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Cache is the key set at one URL, fetched on first use, again after TTL,
// and again when a token names a kid it does not hold (key rotation), but
// never more than once per MinInterval, the first fetch not counted. When
// a refresh fails the keys in hand are kept. Lookups of a cached key take
// no lock. Safe for concurrent use.
type Cache struct {
	cfg Config
	cur atomic.Pointer[snapshot]

	mu          sync.Mutex
	flight      *flight   // the fetch under way, nil if none
	lastAttempt time.Time // start of the last fetch, for MinInterval
	lastErr     error     // the last fetch's failure, nil after a success
	// afterFirst is set while the last fetch started is the first one and
	// did not fail: the start-up fetch does not count against MinInterval,
	// so a key rotated in just after start is found at once.
	afterFirst bool
	fetches    atomic.Int64
}

// snapshot is a fetched set and when it goes stale.
type snapshot struct {
	set   *Set
	stale time.Time
}

// flight is one fetch that concurrent callers wait for.
type flight struct {
	done chan struct{}
	err  error
}

// New returns a Cache; it fetches nothing until asked.
func New(cfg Config) *Cache {
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.MinInterval <= 0 {
		cfg.MinInterval = DefaultMinInterval
	}
	if cfg.FetchTimeout <= 0 {
		cfg.FetchTimeout = DefaultFetchTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: cfg.FetchTimeout}
	}
	return &Cache{cfg: cfg}
}

// Fetches returns how many fetches the cache started.
func (c *Cache) Fetches() int64 { return c.fetches.Load() }

// Load fetches the set now unless a fetch is under way or one ran within
// MinInterval, and waits for it.
func (c *Cache) Load(ctx context.Context) error {
	return c.refresh(ctx, true)
}

// Lookup returns the key for kid that fits alg ([Key.Fits]). On a miss it
// refetches the set once, within the MinInterval rate limit, and looks
// again. Errors: [ErrUnknownKey], a [*FetchError] when no set could be
// fetched at all, or ctx's error when ctx ends first.
func (c *Cache) Lookup(ctx context.Context, kid, alg string) (*Key, error) {
	snap := c.cur.Load()
	if snap != nil {
		if k, ok := snap.set.Find(kid, alg); ok {
			if c.cfg.Now().Before(snap.stale) {
				return k, nil // the hot path: no lock, no allocation
			}
			// Stale: the key is used while a refresh runs in the
			// background; a failed refresh keeps the old keys working, as
			// an IdP outage must not become ours.
			c.refresh(ctx, false)
			return k, nil
		}
	}
	err := c.refresh(ctx, true)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	snap = c.cur.Load()
	if snap == nil {
		if err == nil {
			err = &FetchError{URL: c.cfg.URL, Reason: "no key set"}
		}
		return nil, err
	}
	if k, ok := snap.set.Find(kid, alg); ok {
		return k, nil
	}
	return nil, ErrUnknownKey
}

// refresh starts a fetch unless one is under way (then it joins it) or the
// last one started within MinInterval (then it returns that one's error),
// and, if wait is set, waits for it or for ctx.
func (c *Cache) refresh(ctx context.Context, wait bool) error {
	c.mu.Lock()
	f := c.flight
	if f == nil {
		now := c.cfg.Now()
		if !c.lastAttempt.IsZero() && !c.afterFirst && now.Sub(c.lastAttempt) < c.cfg.MinInterval {
			err := c.lastErr
			c.mu.Unlock()
			return err
		}
		c.afterFirst = c.lastAttempt.IsZero()
		c.lastAttempt = now
		f = &flight{done: make(chan struct{})}
		c.flight = f
		c.fetches.Add(1)
		// The fetch outlives any one caller's ctx (keeping its values), so
		// a caller that gives up does not fail the others; FetchTimeout
		// bounds it.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.FetchTimeout)
		go func() {
			defer cancel()
			set, err := c.fetch(fctx)
			c.mu.Lock()
			if err == nil {
				c.cur.Store(&snapshot{set: set, stale: c.cfg.Now().Add(c.cfg.TTL)})
			} else {
				c.afterFirst = false
			}
			c.lastErr = err
			c.flight = nil
			f.err = err
			c.mu.Unlock()
			close(f.done)
		}()
	}
	c.mu.Unlock()
	if !wait {
		return nil
	}
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fetch GETs and parses the set.
func (c *Cache) fetch(ctx context.Context) (*Set, error) {
	fail := func(status int, reason string, err error) (*Set, error) {
		return nil, &FetchError{URL: c.cfg.URL, StatusCode: status, Reason: reason, Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.URL, nil)
	if err != nil {
		return fail(0, "cannot build request", nil)
	}
	req.Header.Set("Accept", "application/json, application/jwk-set+json")
	resp, err := c.cfg.Client.Do(req)
	if err != nil {
		return fail(0, "", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fail(resp.StatusCode, "unexpected status", nil)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		return fail(resp.StatusCode, "reading body", err)
	}
	if len(body) > MaxBody {
		return fail(resp.StatusCode, fmt.Sprintf("document larger than %d bytes", MaxBody), nil)
	}
	set, err := Parse(body)
	if err != nil {
		return fail(resp.StatusCode, "", err)
	}
	return set, nil
}
