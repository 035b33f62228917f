package oauth2flows

import (
	"maps"
	"net/http"
	"slices"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// The benchmarks compare the hot path, a valid token, of this Transport and
// of golang.org/x/oauth2's, on the same request and the same base, which
// answers without a network so that only the transports are measured.
// BenchmarkTransport/ratio is the figure to quote (see BENCHMARKS.md):
//
//	go test -c -o /tmp/root.test . && for round in 1 2 3 4 5; do /tmp/root.test \
//	  -test.run '^$' -test.bench 'BenchmarkTransport$/ratio' -test.benchtime 1s; done

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

// benchAccessToken is the token both transports send.
const benchAccessToken = "eyJhbGciOiJSUzI1NiJ9.bench.token"

func benchTransports(b *testing.B) (req *http.Request, ours, theirs http.RoundTripper) {
	req, base := benchRequest(b)
	tok := &Token{}
	tok.AccessToken, tok.TokenType, tok.Expiry = benchAccessToken, "Bearer", time.Now().Add(time.Hour)
	ours = NewTransport(newGrantSource(&Config{}, tok, nil), WithBase(base))
	// x/oauth2's usual setup, as Config.Client builds it: a ReuseTokenSource.
	theirs = &oauth2.Transport{Source: oauth2.ReuseTokenSource(&tok.Token, oauth2.StaticTokenSource(&tok.Token)), Base: base}
	return req, ours, theirs
}

// BenchmarkTransport runs each transport alone ("oauth2flows", "x-oauth2",
// "floor": see floorTransport), then "ratio": the figure the goal is stated
// in.
func BenchmarkTransport(b *testing.B) {
	req, ours, theirs := benchTransports(b)
	floor := floorTransport{base: ours.(*Transport).base, auth: []string{"Bearer " + benchAccessToken}}
	impls := []struct {
		name string
		rt   http.RoundTripper
	}{{"oauth2flows", ours}, {"x-oauth2", theirs}, {"floor", floor}}
	for _, bm := range impls {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bm.rt.RoundTrip(req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// ratio runs the three in one loop, in blocks of ratioBlock requests
	// whose order rotates, so that all three see the same load on a shared
	// machine and the clock is read once per block, not per request. It
	// reports, from the total time of each (GC included):
	//   - ours/x-oauth2: the goal;
	//   - floor/x-oauth2: the best any transport bound by the contract can do;
	//   - ours/floor: how far we are from it;
	//   - the time per request of each;
	// and, as med-ours/x-oauth2 and med-ours/floor, the medians of the same
	// ratios per round, which leave out the rounds a collection or another
	// process slowed down. Its ns/op, B/op and allocs/op are per round of
	// 3×ratioBlock requests.
	b.Run("ratio", func(b *testing.B) {
		b.ReportAllocs()
		var spent [3]time.Duration
		var perX, perFloor []float64
		round := 0
		for b.Loop() {
			var d [3]time.Duration
			for k := range impls {
				i := (round + k) % len(impls)
				t0 := time.Now()
				for range ratioBlock {
					if _, err := impls[i].rt.RoundTrip(req); err != nil {
						b.Fatal(err)
					}
				}
				d[i] = time.Since(t0)
				spent[i] += d[i]
			}
			perX = append(perX, float64(d[0])/float64(d[1]))
			perFloor = append(perFloor, float64(d[0])/float64(d[2]))
			round++
		}
		n := float64(round * ratioBlock)
		b.ReportMetric(float64(spent[0])/float64(spent[1]), "ours/x-oauth2")
		b.ReportMetric(float64(spent[2])/float64(spent[1]), "floor/x-oauth2")
		b.ReportMetric(float64(spent[0])/float64(spent[2]), "ours/floor")
		b.ReportMetric(float64(spent[0])/n, "ours-ns/req")
		b.ReportMetric(float64(spent[1])/n, "x-oauth2-ns/req")
		b.ReportMetric(float64(spent[2])/n, "floor-ns/req")
		b.ReportMetric(medianOf(perX), "med-ours/x-oauth2")
		b.ReportMetric(medianOf(perFloor), "med-ours/floor")
	})
}

// ratioBlock is how many requests of one transport run between two clock
// reads in BenchmarkTransport/ratio: enough that reading the clock costs a
// few ns per request, few enough that the load changes little in between.
const ratioBlock = 16

// medianOf sorts x and returns its median.
func medianOf(x []float64) float64 {
	slices.Sort(x)
	return x[len(x)/2]
}

// floorTransport does only what the RoundTripper contract requires of any
// transport that adds a header: a new request, a copy of the caller's, a
// copy of its header map and one insert, then the base. No transport that
// leaves the caller's request alone can do less.
type floorTransport struct {
	base http.RoundTripper
	auth []string
}

func (f floorTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := new(http.Request)
	*r = *req
	r.Header = maps.Clone(req.Header)
	r.Header["Authorization"] = f.auth
	return f.base.RoundTrip(r)
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
