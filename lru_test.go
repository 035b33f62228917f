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
	m.put(lruKey(1), &lruEntry{tok: &Token{}, until: now.Add(time.Hour)})
	m.put(lruKey(2), &lruEntry{tok: &Token{}, until: now.Add(-time.Second)}) // expired
	m.put(lruKey(3), &lruEntry{tok: &Token{}, until: now.Add(time.Hour)})
	require.NotNil(t, m.get(lruKey(1), now))
	require.NotNil(t, m.get(lruKey(3), now))

	m.put(lruKey(4), &lruEntry{tok: &Token{}, until: now.Add(time.Hour)})
	assert.Nil(t, m.get(lruKey(2), now), "the expired entry went first")
	assert.NotNil(t, m.get(lruKey(1), now))
	assert.NotNil(t, m.get(lruKey(3), now))

	// 1 and 3 are used, 4 is not: 4 goes next, although it is the newest.
	m.put(lruKey(5), &lruEntry{tok: &Token{}, until: now.Add(time.Hour)})
	assert.Nil(t, m.get(lruKey(4), now))
	assert.Equal(t, 3, m.len())
}

func TestLRUReplacesAKeyInPlace(t *testing.T) {
	now := time.Now()
	m := newLRU(2)
	m.put(lruKey(1), &lruEntry{tok: &Token{}, until: now.Add(time.Hour)})
	newer := &Token{}
	m.put(lruKey(1), &lruEntry{tok: newer, until: now.Add(2 * time.Hour)})
	assert.Same(t, newer, m.get(lruKey(1), now).tok)
	assert.Equal(t, 1, m.len())
	assert.Len(t, m.ring, 1)
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
				m.put(lruKey(i), &lruEntry{tok: &Token{}, until: until})
				m.get(lruKey(i), time.Now())
			}
			tok := &Token{}
			i := n
			b.ReportAllocs()
			for b.Loop() {
				m.put(lruKey(i), &lruEntry{tok: tok, until: until})
				m.get(lruKey(i-n/2), until.Add(-time.Minute))
				i++
			}
		})
		b.Run(fmt.Sprintf("entries=%d/map", n), func(b *testing.B) {
			until := time.Now().Add(time.Hour)
			m := make(map[localKey]*lruEntry, n)
			for i := range n {
				m[lruKey(i)] = &lruEntry{tok: &Token{}, until: until}
			}
			tok := &Token{}
			i := n
			b.ReportAllocs()
			for b.Loop() {
				m[lruKey(i)] = &lruEntry{tok: tok, until: until}
				delete(m, lruKey(i-n))
				_ = m[lruKey(i-n/2)]
				i++
			}
		})
	}
}
