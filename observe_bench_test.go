package oauth2flows

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// countingObserver is the cheapest Observer that does something.
type countingObserver struct{ n atomic.Int64 }

func (o *countingObserver) Observe(context.Context, Event) { o.n.Add(1) }

// BenchmarkObserverCost runs each hot path without an Observer ("nil") and
// with one that counts ("observed"), interleaved (see interleave), and
// reports observed/nil. A Transport's hot path reports nothing, so its
// ratio is the noise of the measurement; an OBO cache hit reports one
// event.
func BenchmarkObserverCost(b *testing.B) {
	b.Run("obo-hit", func(b *testing.B) {
		assertion := strings.Repeat("a", 1600) // the size of an Entra access token
		hit := func(cfg *Config) func() {
			c := NewOBOCache(cfg)
			c.exchange = func(context.Context, *Config, string, ...Option) (*Token, error) {
				tok := &Token{}
				tok.AccessToken, tok.TokenType, tok.Expiry = "downstream", "Bearer", time.Now().Add(time.Hour)
				return tok, nil
			}
			ctx := context.Background()
			if _, err := c.Token(ctx, assertion); err != nil {
				b.Fatal(err)
			}
			return func() {
				if _, err := c.Token(ctx, assertion); err != nil {
					b.Fatal(err)
				}
			}
		}
		ratio(b, hit(&Config{ClientID: "c", Endpoint: Endpoint{TokenURL: "https://as.example.com/token"}}),
			hit(&Config{ClientID: "c", Endpoint: Endpoint{TokenURL: "https://as.example.com/token"}, Observer: &countingObserver{}}))
	})
	b.Run("transport", func(b *testing.B) {
		req, base := benchRequest(b)
		send := func(cfg *Config) func() {
			tok := &Token{}
			tok.AccessToken, tok.TokenType, tok.Expiry = benchAccessToken, "Bearer", time.Now().Add(time.Hour)
			t := NewTransport(newGrantSource(cfg, tok, nil), WithBase(base))
			return func() {
				if _, err := t.RoundTrip(req); err != nil {
					b.Fatal(err)
				}
			}
		}
		ratio(b, send(&Config{}), send(&Config{Observer: &countingObserver{}}))
	})
}

// ratio interleaves bare and observed and reports observed/bare, from the
// totals and as the median of the rounds, and the time of each per call.
// Its ns/op, B/op and allocs/op are per round of 2×ratioBlock calls.
func ratio(b *testing.B, bare, observed func()) {
	b.ReportAllocs()
	total, rounds := interleave(b, bare, observed)
	per := make([]float64, len(rounds))
	for i, d := range rounds {
		per[i] = float64(d[1]) / float64(d[0])
	}
	n := float64(len(rounds) * ratioBlock)
	b.ReportMetric(float64(total[1])/float64(total[0]), "observed/nil")
	b.ReportMetric(medianOf(per), "med-observed/nil")
	b.ReportMetric(float64(total[0])/n, "nil-ns/call")
	b.ReportMetric(float64(total[1])/n, "observed-ns/call")
}
