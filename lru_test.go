package oauth2flows

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func lruKey(i int) localKey { return localKey{uint64(i), uint64(i) * 31} }

func TestLRUEvictsExpiredThenUnusedAndKeepsUsed(t *testing.T) {
	now := time.Now()
	m := newLRU(3)
	m.put(lruKey(1), "assertion", &lruEntry{tok: &Token{}, until: now.Add(time.Hour)})
	m.put(lruKey(2), "assertion", &lruEntry{tok: &Token{}, until: now.Add(-time.Second)}) // expired
	m.put(lruKey(3), "assertion", &lruEntry{tok: &Token{}, until: now.Add(time.Hour)})
	require.NotNil(t, m.get(lruKey(1), "assertion", now))
	require.NotNil(t, m.get(lruKey(3), "assertion", now))

	m.put(lruKey(4), "assertion", &lruEntry{tok: &Token{}, until: now.Add(time.Hour)})
	assert.Nil(t, m.get(lruKey(2), "assertion", now), "the expired entry went first")
	assert.NotNil(t, m.get(lruKey(1), "assertion", now))
	assert.NotNil(t, m.get(lruKey(3), "assertion", now))

	// 1 and 3 are used, 4 is not: 4 goes next, although it is the newest.
	m.put(lruKey(5), "assertion", &lruEntry{tok: &Token{}, until: now.Add(time.Hour)})
	assert.Nil(t, m.get(lruKey(4), "assertion", now))
	assert.Equal(t, 3, m.len())
}

func TestLRUReplacesAKeyInPlace(t *testing.T) {
	now := time.Now()
	m := newLRU(2)
	m.put(lruKey(1), "assertion", &lruEntry{tok: &Token{}, until: now.Add(time.Hour)})
	newer := &Token{}
	m.put(lruKey(1), "assertion", &lruEntry{tok: newer, until: now.Add(2 * time.Hour)})
	assert.Same(t, newer, m.get(lruKey(1), "assertion", now).tok)
	assert.Equal(t, 1, m.len())
	assert.Len(t, m.shards[0].ring, 1)
}

func TestLRUShardedStaysBoundedAndServesEveryShard(t *testing.T) {
	for _, max := range []int{3, 2047, 2048, 10_001, 100_000} {
		m := newLRU(max)
		until := time.Now().Add(time.Hour)
		for i := range 2 * max {
			m.put(lruKey(i), "assertion", &lruEntry{tok: &Token{}, until: until})
		}
		assert.Equal(t, max, m.len(), "max=%d: full, never over", max)
		assert.NotNil(t, m.get(lruKey(2*max-1), "assertion", wallNow()), "max=%d: the newest is there", max)
	}
	assert.Len(t, newLRU(3).shards, 1, "a small index is one exact CLOCK")
	assert.Len(t, newLRU(100_000).shards, lruShards)
}

func TestLRUHitComparesTheAssertion(t *testing.T) {
	m := newLRU(2)
	tok := &Token{}
	m.put(lruKey(1), "assertion-of-alice", &lruEntry{tok: tok, until: time.Now().Add(time.Hour)})
	assert.Nil(t, m.get(lruKey(1), "assertion-of-mallory", wallNow()), "same key, another assertion: a miss")
	assert.Same(t, tok, m.get(lruKey(1), "assertion-of-alice", wallNow()).tok)
}

// BenchmarkOBOCacheEvictingInsert inserts into a full index whose entries
// have all been used since the hand last passed (the worst case: the next
// insert sweeps them all), while hits mark entries as the inserts go. The
// cost per insert must not grow with the size beyond what the bare map's
// does: "map" is the same inserts, deletes and lookups on a plain map, the
// floor any index pays once it no longer fits in the CPU caches.
func BenchmarkOBOCacheEvictingInsert(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("entries=%d/clock", n), func(b *testing.B) {
			until := time.Now().Add(time.Hour)
			m := newLRU(n)
			for i := range n {
				m.put(lruKey(i), "assertion", &lruEntry{tok: &Token{}, until: until})
				m.get(lruKey(i), "assertion", wallNow())
			}
			tok := &Token{}
			i := n
			b.ReportAllocs()
			for b.Loop() {
				m.put(lruKey(i), "assertion", &lruEntry{tok: tok, until: until})
				m.get(lruKey(i-n/2), "assertion", until.Add(-time.Minute))
				i++
			}
		})
		b.Run(fmt.Sprintf("entries=%d/map", n), func(b *testing.B) {
			until := time.Now().Add(time.Hour)
			m := make(map[uint64]*lruEntry, n)
			for i := range n {
				m[lruKey(i)[1]] = &lruEntry{tok: &Token{}, until: until}
			}
			tok := &Token{}
			i := n
			b.ReportAllocs()
			for b.Loop() {
				m[lruKey(i)[1]] = &lruEntry{tok: tok, until: until}
				delete(m, lruKey(i - n)[1])
				_ = m[lruKey(i - n/2)[1]]
				i++
			}
		})
	}
}
