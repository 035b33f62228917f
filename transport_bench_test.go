package oauth2flows

import (
	"net/http"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// The benchmarks compare the hot path, a valid token, of this Transport and
// of golang.org/x/oauth2's, on the same request and the same base, which
// answers without a network so that only the transports are measured.
//
//	go test -run '^$' -bench . -benchmem -count 5

// noopBase answers every request with one shared response.
type noopBase struct{ resp *http.Response }

func (b noopBase) RoundTrip(*http.Request) (*http.Response, error) { return b.resp, nil }

func benchRequest(b *testing.B) (*http.Request, http.RoundTripper) {
	req, err := http.NewRequest(http.MethodGet, "https://api.example.com/v1/items?page=2", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "bench/1.0")
	return req, noopBase{resp: &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}}
}

func benchTransports(b *testing.B) (req *http.Request, ours, theirs http.RoundTripper) {
	req, base := benchRequest(b)
	tok := &Token{}
	tok.AccessToken, tok.TokenType, tok.Expiry = "eyJhbGciOiJSUzI1NiJ9.bench.token", "Bearer", time.Now().Add(time.Hour)
	ours = NewTransport(newGrantSource(&Config{}, tok, nil), WithBase(base))
	// x/oauth2's usual setup, as Config.Client builds it: a ReuseTokenSource.
	theirs = &oauth2.Transport{Source: oauth2.ReuseTokenSource(&tok.Token, oauth2.StaticTokenSource(&tok.Token)), Base: base}
	return req, ours, theirs
}

func BenchmarkTransport(b *testing.B) {
	req, ours, theirs := benchTransports(b)
	for _, bm := range []struct {
		name string
		rt   http.RoundTripper
	}{{"oauth2flows", ours}, {"x-oauth2", theirs}} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bm.rt.RoundTrip(req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkTransportParallel(b *testing.B) {
	req, ours, theirs := benchTransports(b)
	for _, bm := range []struct {
		name string
		rt   http.RoundTripper
	}{{"oauth2flows", ours}, {"x-oauth2", theirs}} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := bm.rt.RoundTrip(req); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
