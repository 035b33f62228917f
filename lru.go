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
//
// A large index is split by key into up to lruShards shards, each a CLOCK
// of its own, so that hits on different CPUs do not write the same lock
// word: a read lock is a write to its cache line. The shards share one
// bound: an insert evicts only when the whole index holds max entries, and
// then from its own shard. (A fixed share per shard evicted from the
// shards that filled first while others had room, and a CLOCK asked again
// for the entries it just evicted evicts the next ones: half of a full
// index's users missed on their second pass.)
type lru struct {
	shards []lruShard
	mask   uint64 // len(shards)-1: a shard is picked by the key's low bits
	max    int64  // entries in all shards
	_      [64]byte
	n      atomic.Int64 // entries in all shards, and inserts about to add one; off the cache line hits read
}

// lruShards is the most shards an index has; lruShardMin the fewest
// entries a shard holds, so that a small index stays one exact CLOCK.
const (
	lruShards   = 16
	lruShardMin = 1024
)

type lruShard struct {
	mu      sync.RWMutex
	entries map[uint64]*lruEntry // by the second half of the localKey
	ring    []*lruEntry          // the clock's face; an entry's slot is its index here
	hand    int

	_ [64]byte // keeps the next shard's lock off this one's cache line
}

// lruEntry is one token as the cache serves it. It is immutable once
// inserted, but for used; a new token for its key replaces the entry.
type lruEntry struct {
	tok     *Token
	auth    []string   // the Authorization header value, computed once per token
	dpop    *dpopToken // for a DPoP token: what its proofs need; nil for a bearer
	authErr error      // why tok cannot be sent, e.g. *TokenTypeError
	until   time.Time  // served while the wall clock is before it
	// assertion is the one tok was obtained for: a hit compares it with
	// the caller's, as the index's key hashes only part of it (localKey).
	assertion string
	key       uint64
	slot      int
	used      atomic.Bool
}

// newEntry precomputes what the downstream client of [OBOCache.Middleware]
// sends: the Authorization header value, and for a DPoP-bound token (RFC
// 9449 §7) the proof material of d, the cache's DPoP session. Without a
// DPoPKey in d's Config a DPoP token fails with a *TokenTypeError rather
// than going as a bearer. The token it keeps shares its access token's
// memory with the header value, so that a cached 1.5 KB token costs 1.5 KB,
// not 3.
func newEntry(tok *Token, until time.Time, d *dpopSession) *lruEntry {
	e := &lruEntry{tok: tok, until: until.Round(0)} // on the wall clock, as exp is
	e.auth, e.dpop, e.authErr = authorization(tok, d)
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
	n := 1
	for n < lruShards && max/(2*n) >= lruShardMin {
		n *= 2
	}
	m := &lru{shards: make([]lruShard, n), mask: uint64(n - 1), max: int64(max)}
	for i := range m.shards {
		m.shards[i].entries = map[uint64]*lruEntry{}
	}
	return m
}

// shard returns the shard of the key k.
func (m *lru) shard(k localKey) *lruShard { return &m.shards[k[1]&m.mask] }

// get returns the entry of assertion under k while it may still be served
// at now.
func (m *lru) get(k localKey, assertion string, now time.Time) *lruEntry {
	s := m.shard(k)
	s.mu.RLock()
	e := s.entries[k[1]]
	s.mu.RUnlock()
	if e == nil || !now.Before(e.until) || e.assertion != assertion {
		return nil
	}
	if !e.used.Load() {
		e.used.Store(true)
	}
	return e
}

// put stores e, the entry of assertion, under k and returns it. It
// replaces the entry under k, whichever assertion that was for. A shard
// still empty when the index is full takes its entry anyway, so an index of
// s shards holds at most max+s-1 entries; with the keys hashed under a
// secret seed and at least lruShardMin entries per shard, no shard is empty
// then.
func (m *lru) put(k localKey, assertion string, e *lruEntry) *lruEntry {
	e.key, e.assertion = k[1], assertion
	s := m.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch old := s.entries[e.key]; {
	case old != nil:
		e.slot = old.slot
	case m.n.Add(1) <= m.max || len(s.ring) == 0:
		e.slot = len(s.ring)
		s.ring = append(s.ring, nil)
	default:
		m.n.Add(-1)
		e.slot = s.victim()
		delete(s.entries, s.ring[e.slot].key)
	}
	s.ring[e.slot] = e
	s.entries[e.key] = e
	return e
}

// victim moves the hand to the first entry that is expired or unused and
// returns its slot, leaving the hand past it.
func (s *lruShard) victim() int {
	now := wallNow()
	for {
		i := s.hand
		s.hand = (s.hand + 1) % len(s.ring)
		e := s.ring[i]
		if !now.Before(e.until) || !e.used.Load() {
			return i
		}
		e.used.Store(false)
	}
}

// len returns the number of entries, expired ones included.
func (m *lru) len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.RLock()
		n += len(s.entries)
		s.mu.RUnlock()
	}
	return n
}
