package oauth2flows

import (
	"sync"
	"sync/atomic"
	"time"
)

// lru is the OBOCache's in-memory index: a map bounded to max entries that
// evicts with the CLOCK algorithm, an approximation of least recently used
// in O(1) amortized time. A hit takes the read lock and marks its entry
// used, writing only when the mark was not set yet. An insert into a full
// index moves the hand around the ring of entries: an expired or unused
// entry is evicted, a used one loses its mark and is passed. Each step
// either evicts or clears a mark a hit or an insert set, so the steps never
// outnumber the hits and inserts: no insert scans the whole index under the
// write lock, and no hit waits behind one.
type lru struct {
	max int

	mu      sync.RWMutex
	entries map[localKey]*lruEntry
	ring    []*lruEntry // the clock's face; an entry's slot is its index here
	hand    int
}

// lruEntry is one token as the cache serves it. It is immutable once
// inserted, but for used; a new token for its key replaces the entry.
type lruEntry struct {
	tok     *Token
	auth    []string  // the Authorization header value, computed once per token
	authErr error     // why tok cannot be sent as a bearer, e.g. *TokenTypeError
	until   time.Time // served while now is before it
	key     localKey
	slot    int
	used    atomic.Bool
}

// newEntry precomputes what the downstream client of [OBOCache.Middleware]
// sends. The token it keeps shares its access token's memory with the
// header value, so that a cached 1.5 KB token costs 1.5 KB, not 3.
func newEntry(tok *Token, until time.Time) *lruEntry {
	e := &lruEntry{tok: tok, until: until}
	// No DPoP session: Middleware's downstream client sends bearer tokens
	// only, and a DPoP-bound one fails with a *TokenTypeError rather than
	// going as a bearer. (A Transport over OBOCache.Source sends it.)
	e.auth, _, e.authErr = authorization(tok, nil)
	if e.authErr == nil {
		cp := *tok
		cp.AccessToken = e.auth[0][len(e.auth[0])-len(tok.AccessToken):]
		e.tok = &cp
	}
	return e
}

// newLRU holds at most max tokens (defaultCacheSize when max <= 0).
func newLRU(max int) *lru {
	if max <= 0 {
		max = defaultCacheSize
	}
	return &lru{max: max, entries: map[localKey]*lruEntry{}}
}

// get returns the entry under k while it may still be served at now.
func (m *lru) get(k localKey, now time.Time) *lruEntry {
	m.mu.RLock()
	e := m.entries[k]
	m.mu.RUnlock()
	if e == nil || !now.Before(e.until) {
		return nil
	}
	if !e.used.Load() {
		e.used.Store(true)
	}
	return e
}

// put stores e under k and returns it.
func (m *lru) put(k localKey, e *lruEntry) *lruEntry {
	e.key = k
	m.mu.Lock()
	defer m.mu.Unlock()
	switch old := m.entries[k]; {
	case old != nil:
		e.slot = old.slot
	case len(m.ring) < m.max:
		e.slot = len(m.ring)
		m.ring = append(m.ring, nil)
	default:
		e.slot = m.victim()
		delete(m.entries, m.ring[e.slot].key)
	}
	m.ring[e.slot] = e
	m.entries[k] = e
	return e
}

// victim moves the hand to the first entry that is expired or unused and
// returns its slot, leaving the hand past it.
func (m *lru) victim() int {
	now := time.Now()
	for {
		i := m.hand
		m.hand = (m.hand + 1) % len(m.ring)
		e := m.ring[i]
		if !now.Before(e.until) || !e.used.Load() {
			return i
		}
		e.used.Store(false)
	}
}

// len returns the number of entries, expired ones included.
func (m *lru) len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.entries)
}
