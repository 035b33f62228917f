package oauth2flows_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

func TestTransportCopiesEveryHeaderAndLeavesTheCallersAlone(t *testing.T) {
	f := newRenewalFixture(t)
	tr := oauth2flows.NewTransport(oauth2flows.RefreshTokenSource(f.cfg, f.valid()))
	bearer := []string{"Bearer " + f.seed.AccessToken}
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
				req, err := http.NewRequest(http.MethodGet, srv.URL, nil) // loopback: plain http allowed
				require.NoError(t, err)
				req.Header = oauth2flows.HeadersOf(n, callerAuth)
				before := req.Header.Clone()

				resp, err := tr.RoundTrip(req)
				require.NoError(t, err)
				resp.Body.Close()

				assert.Equal(t, before, req.Header, "the caller's header is not modified")
				mu.Lock()
				defer mu.Unlock()
				assert.Equal(t, bearer, got["Authorization"], "on the wire")
				for k, v := range before {
					if k != "Authorization" {
						assert.Equal(t, v, got[k], "on the wire: %s", k)
					}
				}
				assert.Equal(t, bearer, resp.Request.Header["Authorization"])
			})
		}
	}
	n, _ := f.refreshes()
	assert.Zero(t, n, "a valid token is not renewed")
}

// A token loaded from storage has an Expiry without a monotonic reading;
// the deadlines derived from it have none either (see usableUntil). The hot
// path compares them on the wall clock, like those with one.
func TestTransportDeadlinesWithAndWithoutMonotonicReading(t *testing.T) {
	tests := []struct {
		name                string
		refreshIn, expireIn time.Duration
		renewed             bool // the first request goes with a renewed token
		wantRenewals        int
	}{
		{name: "Valid", refreshIn: time.Hour, expireIn: time.Hour},
		{name: "InRefreshWindow", refreshIn: -time.Second, expireIn: time.Hour, wantRenewals: 1},
		{name: "Expired", refreshIn: -time.Minute, expireIn: -time.Second, renewed: true, wantRenewals: 1},
		{name: "NoSkewPastExpiry", refreshIn: time.Second, expireIn: -time.Millisecond, renewed: true, wantRenewals: 1},
	}
	for _, tt := range tests {
		for _, mono := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/monotonic=%v", tt.name, mono), func(t *testing.T) {
				f := newRenewalFixture(t)
				base := &recordingBase{}
				tr := oauth2flows.NewTransport(oauth2flows.RefreshTokenSource(f.cfg, f.valid()), oauth2flows.WithBase(base))
				now := time.Now()
				if !mono {
					now = now.Round(0)
				}
				oauth2flows.SetDeadlines(tr, now.Add(tt.refreshIn), now.Add(tt.expireIn))

				_, err := get(t.Context(), &http.Client{Transport: tr}, resourceURL)
				require.NoError(t, err)
				if tt.renewed {
					assert.NotEqual(t, "Bearer "+f.seed.AccessToken, base.seen()[0])
				} else {
					assert.Equal(t, "Bearer "+f.seed.AccessToken, base.seen()[0])
				}
				require.Eventually(t, func() bool { return !oauth2flows.RenewingInBackground(tr) }, 5*time.Second, time.Millisecond)
				n, _ := f.refreshes()
				assert.Equal(t, tt.wantRenewals, n)
			})
		}
	}
}

// countingSource is a caller's own TokenSource: it issues "at-1",
// "at-2"... valid for lifetime from time.Now.
type countingSource struct {
	lifetime time.Duration
	n        atomic.Int32
}

func (s *countingSource) Token(context.Context) (*oauth2flows.Token, error) {
	tok := &oauth2flows.Token{}
	tok.AccessToken, tok.TokenType = fmt.Sprintf("at-%d", s.n.Add(1)), "Bearer"
	tok.Expiry = time.Now().Add(s.lifetime)
	return tok, nil
}

// In a testing/synctest bubble time.Now is fake and the hot path's wall
// clock, on linux/amd64, is not: the hot path then sees the bubble's tokens
// as expired and asks the slow path, which decides on the bubble's clock.
func TestTransportFollowsTheFakeClockOfASynctestBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := &recordingBase{}
		client := &http.Client{Transport: oauth2flows.NewTransport(&countingSource{lifetime: time.Hour}, oauth2flows.WithBase(base))}
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
