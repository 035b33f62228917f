package oauth2flows_test

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/resource"
)

// handValidated is the validation a hand-written middle tier puts in front
// of its cache: golang-jwt's Parse with the issuer's key held in a
// variable, checking alg, iss, aud, exp and the scope.
func handValidated(pub *ecdsa.PublicKey, issuer, audience, scope string, next http.Handler) http.Handler {
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"ES256"}), jwt.WithIssuer(issuer),
		jwt.WithAudience(audience), jwt.WithExpirationRequired())
	keyfunc := func(*jwt.Token) (any, error) { return pub, nil }
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		claims := jwt.MapClaims{}
		if _, err := parser.ParseWithClaims(raw, claims, keyfunc); err != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if scp, _ := claims["scp"].(string); !slices.Contains(strings.Fields(scp), scope) {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// chainImpl is one middle tier of the chain benchmarks.
type chainImpl struct {
	name string
	h    http.Handler
}

// benchChains builds the chains of BenchmarkChain (ours, hand-written,
// ours with DisableVerificationCache) and their 100 requests, and warms
// their caches.
func benchChains(b *testing.B) ([]chainImpl, []*http.Request) {
	srv, cfg, down := benchMiddleTier(b)
	audience := "api://" + middleID
	pad := strings.Repeat("padding.scope.", 58)
	reqs := make([]*http.Request, 100)
	for i := range reqs {
		reqs[i] = httptest.NewRequest(http.MethodGet, "/api", nil)
		reqs[i].Header.Set("Authorization", "Bearer "+srv.IssueAccessToken(fmt.Sprintf("user-%d", i), audience, "access_as_user", pad))
	}
	v, err := resource.NewValidator(context.Background(), resource.Config{
		Issuer: srv.URL(), Audiences: []string{audience}, RequiredScopes: []string{"access_as_user"}})
	if err != nil {
		b.Fatal(err)
	}
	uncached, err := resource.NewValidator(context.Background(), resource.Config{
		Issuer: srv.URL(), Audiences: []string{audience}, RequiredScopes: []string{"access_as_user"},
		DisableVerificationCache: true})
	if err != nil {
		b.Fatal(err)
	}
	pub := serverPublicKey(b, srv)
	impls := []chainImpl{
		{"oauth2flows", v.Middleware(oauth2flows.NewOBOCache(cfg).Middleware(oboDownstream(down.URL)))},
		{"handwritten", handValidated(pub, srv.URL(), audience, "access_as_user",
			(&handWritten{cfg: cfg, tokens: map[string]handToken{}}).middleware(handDownstream(down.URL)))},
		{"oauth2flows-uncached", uncached.Middleware(oauth2flows.NewOBOCache(cfg).Middleware(oboDownstream(down.URL)))},
	}
	for _, impl := range impls { // warm the caches
		for _, r := range reqs {
			w := httptest.NewRecorder()
			impl.h.ServeHTTP(w, r)
			if w.Code != http.StatusNoContent {
				b.Fatalf("%s: status %d: %s", impl.name, w.Code, w.Body)
			}
		}
	}
	return impls, reqs
}

// BenchmarkChain is the whole middle tier per request, with a warm cache:
// validate the incoming token, find its On-Behalf-Of token in the cache,
// make one GET to a downstream API on loopback. "oauth2flows" is
// v.Middleware(obo.Middleware(h)) with keys from the issuer's discovery;
// "handwritten" is golang-jwt's Parse with a static key, a map-and-mutex
// cache and a raw GET (handValidated, handWritten, handDownstream). 100
// users with 1.5 KB ES256 tokens; "serial" runs one request at a time,
// "parallel" one per CPU; "ratio" runs both in one loop, request by
// request, and reports hand-written time over ours. The Validator keeps
// its verification cache (resource.Config.DisableVerificationCache off):
// each token's signature is checked once, the hand-written chain checks it
// on every request.
func BenchmarkChain(b *testing.B) {
	impls, reqs := benchChains(b)
	// ratio runs the two in alternating phases of 1,024 requests (see
	// interleaved), so that both see the same load on a shared machine; it
	// reports the time of the hand-written chain over ours (> 1: ours is
	// faster).
	b.Run("ratio", func(b *testing.B) {
		b.ReportAllocs()
		interleaved(b, impls[0].h, impls[1].h, reqs, 0, 1024)
	})
	for _, mode := range []string{"serial", "parallel"} {
		for _, impl := range impls {
			b.Run(mode+"/"+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				if mode == "serial" {
					w := &discardWriter{h: http.Header{}}
					i := 0
					for b.Loop() {
						impl.h.ServeHTTP(w, reqs[i%len(reqs)])
						i += 7
					}
					return
				}
				b.RunParallel(func(pb *testing.PB) {
					w := &discardWriter{h: http.Header{}}
					i := 0
					for pb.Next() {
						impl.h.ServeHTTP(w, reqs[i%len(reqs)])
						i += 7
					}
				})
			})
		}
	}
}

// BenchmarkChainHTTP is BenchmarkChain over real HTTP under concurrent
// load: each chain behind its own loopback server, 16 clients with
// keep-alive connections, the two run in alternating phases of 512
// requests. It reports hand-written time over ours, and the allocations
// per request of the whole process (client, server, chain) for each.
func BenchmarkChainHTTP(b *testing.B) {
	impls, reqs := benchChains(b)
	const workers, perPhase = 16, 512
	type target struct {
		url    string
		client *http.Client
	}
	targets := make([]target, len(impls))
	for i, impl := range impls {
		srv := httptest.NewServer(impl.h)
		b.Cleanup(srv.Close)
		tr := &http.Transport{MaxIdleConnsPerHost: workers}
		b.Cleanup(tr.CloseIdleConnections)
		targets[i] = target{srv.URL + "/api", &http.Client{Transport: tr}}
	}
	auth := make([]string, len(reqs))
	for i, r := range reqs {
		auth[i] = r.Header.Get("Authorization")
	}
	phase := func(t target, seed int) (time.Duration, uint64) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		mallocs := ms.Mallocs
		start := time.Now()
		var wg sync.WaitGroup
		for g := range workers {
			wg.Go(func() {
				i := seed + 13*g
				for range perPhase / workers {
					req, _ := http.NewRequest(http.MethodGet, t.url, nil)
					req.Header.Set("Authorization", auth[i%len(auth)])
					i += 7
					resp, err := t.client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusNoContent {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
		}
		wg.Wait()
		d := time.Since(start)
		runtime.ReadMemStats(&ms)
		return d, ms.Mallocs - mallocs
	}
	var tOurs, tHand time.Duration
	var aOurs, aHand uint64
	round := 0
	for b.Loop() {
		for k := range 2 {
			if (round+k)%2 == 0 {
				d, a := phase(targets[0], round)
				tOurs, aOurs = tOurs+d, aOurs+a
			} else {
				d, a := phase(targets[1], round)
				tHand, aHand = tHand+d, aHand+a
			}
		}
		round++
	}
	n := float64(round * perPhase)
	b.ReportMetric(float64(tHand)/float64(tOurs), "hand/ours")
	b.ReportMetric(float64(aOurs)/n, "ours-allocs/req")
	b.ReportMetric(float64(aHand)/n, "hand-allocs/req")
	b.ReportMetric(float64(tOurs.Nanoseconds())/n, "ours-ns/req")
}
