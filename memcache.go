package oauth2flows

import (
	"sync"
	"sync/atomic"
	"time"
)

// localCache is the OBOCache's in-memory index: a bounded map that evicts
// expired entries first, then the least recently used.
type localCache struct {
	max   int
	clock atomic.Int64 // use counter for LRU; cheaper than reading time on a hit

	mu      sync.RWMutex
	entries map[localKey]*localEntry
}

type localEntry struct {
	tok   *Token
	until time.Time
	used  atomic.Int64
}

// newLocalCache holds at most max tokens (10,000 when max <= 0).
func newLocalCache(max int) *localCache {
	if max <= 0 {
		max = 10_000
	}
	return &localCache{max: max, entries: map[localKey]*localEntry{}}
}

// get returns the token under k while it may still be served at now.
func (m *localCache) get(k localKey, now time.Time) (*Token, bool) {
	m.mu.RLock()
	e := m.entries[k]
	m.mu.RUnlock()
	if e == nil || !now.Before(e.until) {
		return nil, false
	}
	e.used.Store(m.clock.Add(1))
	return e.tok, true
}

func (m *localCache) put(k localKey, tok *Token, until time.Time) {
	e := &localEntry{tok: tok, until: until}
	e.used.Store(m.clock.Add(1))
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.entries[k]; !ok && len(m.entries) >= m.max {
		m.evict()
	}
	m.entries[k] = e
}

// evict removes every expired entry, or failing that the least recently
// used one. It runs only on an insert into a full cache, after a miss that
// already cost a network round trip.
func (m *localCache) evict() {
	now := time.Now()
	var lruKey localKey
	lru := int64(-1)
	for k, e := range m.entries {
		if !now.Before(e.until) {
			delete(m.entries, k)
			continue
		}
		if u := e.used.Load(); lru < 0 || u < lru {
			lruKey, lru = k, u
		}
	}
	if len(m.entries) >= m.max {
		delete(m.entries, lruKey)
	}
}
