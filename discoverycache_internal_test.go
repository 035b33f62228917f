package oauth2flows

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An application that discovers issuers it is given (say, the iss of
// incoming tokens) must not grow the cache with every issuer that fails.
func TestDiscoveryCacheForgetsFailedIssuers(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	tests := []struct {
		name    string
		issuers int
	}{
		{"OneIssuer", 1},
		{"ManyIssuers", 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c DiscoveryCache
			for i := range tt.issuers {
				_, err := c.Discover(t.Context(), fmt.Sprintf("%s/tenant-%d", srv.URL, i))
				require.Error(t, err)
			}
			c.flights.mu.Lock()
			assert.Empty(t, c.flights.m, "a finished fetch leaves no flight behind")
			c.flights.mu.Unlock()
			c.mu.Lock()
			defer c.mu.Unlock()
			assert.Empty(t, c.entries, "failures are not cached")
		})
	}
}
