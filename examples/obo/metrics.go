package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/oauth2flows/oauth2flows"
)

// metrics is a Config.Observer that counts what an operator watches: the
// OBO cache's hits and misses, and the token requests per grant and
// status. In production, github.com/oauth2flows/oauth2flows/otel records
// the same events as OpenTelemetry metrics.
type metrics struct {
	mu           sync.Mutex
	hits, misses int            // in memory (l1)
	requests     map[string]int // by "grant status"
}

func (m *metrics) Observe(_ context.Context, e oauth2flows.Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case e.Kind == oauth2flows.EventCacheHit && e.CacheLevel == oauth2flows.CacheL1:
		m.hits++
	case e.Kind == oauth2flows.EventCacheMiss && e.CacheLevel == oauth2flows.CacheL1:
		m.misses++
	case e.Kind == oauth2flows.EventTokenRequest:
		if m.requests == nil {
			m.requests = map[string]int{}
		}
		m.requests[fmt.Sprintf("%s %d", e.Grant, e.Status)]++
	}
}

func (m *metrics) print() {
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Printf("API A's metrics: OBO cache %d hits, %d misses, hit ratio %.0f%%\n",
		m.hits, m.misses, 100*float64(m.hits)/float64(max(m.hits+m.misses, 1)))
	for _, k := range slices.Sorted(maps.Keys(m.requests)) {
		fmt.Printf("    token requests %s: %d\n", k, m.requests[k])
	}
}
