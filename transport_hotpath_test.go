package oauth2flows

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// headers returns a header of n entries (nil for -1), built by inserting
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

func TestTransportCopiesEveryHeaderAndLeavesTheCallersAlone(t *testing.T) {
	// Around the sizes where a copy of the map would be full (8, 14, 28).
	for _, n := range []int{-1, 0, 1, 2, 7, 8, 9, 13, 14, 15, 27, 28, 29} {
		for _, callerAuth := range []bool{false, true} {
			if callerAuth && n <= 0 {
				continue
			}
			t.Run(fmt.Sprintf("%d/callerAuth=%v", n, callerAuth), func(t *testing.T) {
				var mu sync.Mutex
				var got http.Header
				srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
					mu.Lock()
					defer mu.Unlock()
					got = r.Header.Clone()
				}))
				defer srv.Close()
				tr := NewTransport(newTestTokenEndpoint(t).source(validSeed()))
				req, err := http.NewRequest(http.MethodGet, srv.URL, nil) // loopback: plain http allowed
				require.NoError(t, err)
				req.Header = testHeaders(n, callerAuth)
				before := req.Header.Clone()

				resp, err := tr.RoundTrip(req)
				require.NoError(t, err)
				resp.Body.Close()

				assert.Equal(t, before, req.Header, "the caller's header is not modified")
				mu.Lock()
				defer mu.Unlock()
				assert.Equal(t, []string{"Bearer at-0"}, got["Authorization"], "on the wire")
				for k, v := range before {
					if k != "Authorization" {
						assert.Equal(t, v, got[k], "on the wire: %s", k)
					}
				}
				assert.Equal(t, []string{"Bearer at-0"}, resp.Request.Header["Authorization"])
			})
		}
	}
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

// A token loaded from storage has an Expiry without a monotonic reading;
// the deadlines derived from it have none either (see usableUntil). The hot
// path compares them on the wall clock, like those with one.
func TestTransportDeadlinesWithAndWithoutMonotonicReading(t *testing.T) {
	tests := []struct {
		name                string
		refreshIn, expireIn time.Duration
		wantSent            string // the token of the first request
		wantRenewals        int32
	}{
		{name: "Valid", refreshIn: time.Hour, expireIn: time.Hour, wantSent: "Bearer at-0"},
		{name: "InRefreshWindow", refreshIn: -time.Second, expireIn: time.Hour, wantSent: "Bearer at-0", wantRenewals: 1},
		{name: "Expired", refreshIn: -time.Minute, expireIn: -time.Second, wantSent: "Bearer at-1", wantRenewals: 1},
		{name: "NoSkewPastExpiry", refreshIn: time.Second, expireIn: -time.Millisecond, wantSent: "Bearer at-1", wantRenewals: 1},
	}
	for _, tt := range tests {
		for _, mono := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/monotonic=%v", tt.name, mono), func(t *testing.T) {
				endpoint := newTestTokenEndpoint(t)
				base := &recordingBase{}
				tr := NewTransport(endpoint.source(validSeed()), WithBase(base))
				st := *tr.r.state.Load()
				now := time.Now()
				if !mono {
					now = now.Round(0)
				}
				st.refreshAt, st.expireAt = now.Add(tt.refreshIn), now.Add(tt.expireIn)
				tr.r.state.Store(&st)

				_, err := get(t.Context(), &http.Client{Transport: tr}, resourceURL)
				require.NoError(t, err)
				assert.Equal(t, tt.wantSent, base.seen()[0])
				require.Eventually(t, func() bool { return !tr.r.background.Load() }, 5*time.Second, time.Millisecond)
				assert.Equal(t, tt.wantRenewals, endpoint.requests.Load())
			})
		}
	}
}

// countingSource issues "at-1", "at-2"... valid for lifetime from time.Now.
type countingSource struct {
	lifetime time.Duration
	n        atomic.Int32
}

func (s *countingSource) Token(context.Context) (*Token, error) {
	tok := &Token{}
	tok.AccessToken, tok.TokenType = fmt.Sprintf("at-%d", s.n.Add(1)), "Bearer"
	tok.Expiry = time.Now().Add(s.lifetime)
	return tok, nil
}

// In a testing/synctest bubble time.Now is fake and wallNow, on
// linux/amd64, is not: the hot path then sees the bubble's tokens as
// expired and asks the slow path, which decides on the bubble's clock.
func TestTransportFollowsTheFakeClockOfASynctestBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := &recordingBase{}
		client := &http.Client{Transport: NewTransport(&countingSource{lifetime: time.Hour}, WithBase(base))}
		send := func() {
			_, err := get(t.Context(), client, resourceURL)
			require.NoError(t, err)
		}
		send()
		send()
		time.Sleep(30 * time.Minute) // still valid on the bubble's clock
		send()
		time.Sleep(time.Hour) // expired on the bubble's clock
		send()
		assert.Equal(t, []string{"Bearer at-1", "Bearer at-1", "Bearer at-1", "Bearer at-2"}, base.seen())
	})
}
