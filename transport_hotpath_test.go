package oauth2flows

import (
	"fmt"
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testHeaders returns a header of n entries (nil for -1), built by inserting
// them one by one, with an Authorization among them when withAuth is set.
func testHeaders(n int, withAuth bool) http.Header {
	if n < 0 {
		return nil
	}
	h := http.Header{}
	for i := range n {
		h[fmt.Sprintf("X-Header-%d", i)] = []string{fmt.Sprint("v", i)}
	}
	if withAuth && n > 0 {
		delete(h, "X-Header-0")
		h["Authorization"] = []string{"Basic caller"}
	}
	return h
}

func TestHeaderWith(t *testing.T) {
	auth := []string{"Bearer x"}
	for n := -1; n <= 60; n++ {
		for _, callerAuth := range []bool{false, true} {
			h := testHeaders(n, callerAuth)
			before := h.Clone()
			got := headerWith(h, "Authorization", auth)
			want := maps.Clone(before)
			if want == nil {
				want = http.Header{}
			}
			want["Authorization"] = auth
			require.Equal(t, want, got, "n=%d callerAuth=%v", n, callerAuth)
			require.Equal(t, before, h, "n=%d callerAuth=%v: not modified", n, callerAuth)
		}
	}
}

func TestWallNowReadsTheWallClockRoundedUp(t *testing.T) {
	for range 1000 {
		before := time.Now().Round(0)
		now := wallNow()
		after := time.Now().Round(0)
		require.Equal(t, now.Round(0), now, "no monotonic reading") // == compares it too
		require.False(t, now.Before(before), "%v before %v: a deadline would pass late", now, before)
		require.False(t, now.After(after.Add(time.Microsecond)), "%v after %v", now, after)
	}
}
