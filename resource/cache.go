package resource

import (
	"hash/maphash"
	"sync"
	"time"

	"github.com/oauth2flows/oauth2flows/internal/jwks"
)

// entryBytes is the memory budget of one cached verification, on average:
// the cache holds at most size × entryBytes of tokens and claims. An entry
// counts as 2 × its token + 256 B, so a cache of size n holds n tokens of
// up to 3.9 KB (Entra's access tokens run from 1.2 KB to past 2.5 KB with
// group claims); at 4 KiB it held 88% of n for 2 KB tokens, 54% for
// 3.2 KB (TestVerificationCacheHoldsWhatItIsSizedFor).
const entryBytes = 8 << 10

// verified remembers the tokens a Validator verified: a hit is the same
// bytes, compared in full, so two tokens that differ by one bit never
// share an entry, and a hash collision is only a miss. Only successes are
// stored. It is bounded in entries and in memory; when full, expired
// entries go first, then arbitrary ones. Safe for concurrent use; a hit
// takes a read lock and allocates nothing.
type verified struct {
	seed maphash.Seed

	mu       sync.RWMutex
	m        map[uint64]*entry
	max      int
	maxBytes int
	bytes    int
}

// entry is a verified token: its Principal (whose Raw is the token) and
// what a hit re-checks.
type entry struct {
	p        *Principal
	nbf      time.Time // zero when the token has none
	kid, alg string
	key      *jwks.Key // the key that verified the signature
	size     int
}

func newVerified(size int) *verified {
	if size == 0 {
		size = DefaultVerificationCacheSize
	}
	return &verified{seed: maphash.MakeSeed(), m: make(map[uint64]*entry), max: size, maxBytes: size * entryBytes}
}

// hash is the cache key of token's exact bytes.
func (c *verified) hash(token string) uint64 { return maphash.String(c.seed, token) }

// get returns the entry of exactly token, or nil.
func (c *verified) get(h uint64, token string) *entry {
	c.mu.RLock()
	e := c.m[h]
	c.mu.RUnlock()
	if e == nil || e.p.Raw != token {
		return nil
	}
	return e
}

// put stores e, a token verified at now, making room if needed.
func (c *verified) put(h uint64, e *entry, now time.Time) {
	p := e.p
	e.size = 2*len(p.Raw) + 256 // the token, its decoded claims, the entry
	if e.size > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[h]; old != nil {
		c.bytes -= old.size
		delete(c.m, h)
	}
	if len(c.m) >= c.max || c.bytes+e.size > c.maxBytes {
		c.evict(now)
	}
	c.m[h] = e
	c.bytes += e.size
}

// evict drops expired entries, then arbitrary ones (map order is random)
// until an eighth of either budget is free, so that eviction runs once per
// many insertions.
func (c *verified) evict(now time.Time) {
	for h, e := range c.m {
		if now.After(e.p.Expiry) {
			c.drop(h, e)
		}
	}
	for h, e := range c.m {
		if len(c.m) < c.max-c.max/8 && c.bytes < c.maxBytes-c.maxBytes/8 {
			return
		}
		c.drop(h, e)
	}
}

// remove drops e if it is still the entry of h.
func (c *verified) remove(h uint64, e *entry) {
	c.mu.Lock()
	if c.m[h] == e {
		c.drop(h, e)
	}
	c.mu.Unlock()
}

func (c *verified) drop(h uint64, e *entry) {
	delete(c.m, h)
	c.bytes -= e.size
}

// len returns the number of entries.
func (c *verified) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
