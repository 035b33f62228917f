package oauth2flows_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// handWritten is the middle tier our users migrate from: the bearer cut
// out of the header, a raw form POST of the On-Behalf-Of grant, a map and a
// mutex for a cache, and the token handed to the handler in the context.
type handWritten struct {
	cfg    *oauth2flows.Config
	mu     sync.Mutex
	tokens map[string]handToken
}

type handToken struct {
	access string
	expiry time.Time
}

type handKey struct{}

func (h *handWritten) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assertion, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.mu.Lock()
		tok, ok := h.tokens[assertion]
		h.mu.Unlock()
		if !ok || time.Now().After(tok.expiry) {
			var err error
			if tok, err = h.exchange(r.Context(), assertion); err != nil {
				http.Error(w, "exchange failed", http.StatusBadGateway)
				return
			}
			h.mu.Lock()
			h.tokens[assertion] = tok
			h.mu.Unlock()
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), handKey{}, tok.access)))
	})
}

func (h *handWritten) exchange(ctx context.Context, assertion string) (handToken, error) {
	form := url.Values{
		"grant_type":          {oauth2flows.GrantTypeJWTBearer},
		"assertion":           {assertion},
		"requested_token_use": {"on_behalf_of"},
		"scope":               {strings.Join(h.cfg.Scopes, " ")},
		"client_id":           {h.cfg.ClientID},
		"client_secret":       {h.cfg.ClientSecret},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.cfg.Endpoint.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return handToken{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return handToken{}, err
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&body) != nil {
		return handToken{}, fmt.Errorf("exchange: status %d", resp.StatusCode)
	}
	return handToken{access: body.AccessToken, expiry: time.Now().Add(time.Duration(body.ExpiresIn)*time.Second - 5*time.Minute)}, nil
}

// handDownstream is the hand-written downstream call.
func handDownstream(url string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, _ := r.Context().Value(handKey{}).(string)
		req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, url, nil)
		if err != nil {
			http.Error(w, "downstream", http.StatusInternalServerError)
			return
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, "downstream", http.StatusBadGateway)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
	})
}

// oboDownstream is the same call through the middleware's client.
func oboDownstream(url string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client, _ := oauth2flows.DownstreamClient(r.Context())
		req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, url, nil)
		if err != nil {
			http.Error(w, "downstream", http.StatusInternalServerError)
			return
		}
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, "downstream", http.StatusBadGateway)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
	})
}

// benchMiddleTier starts what the middle-tier benchmarks share: the token
// endpoint, the middle tier's Config and a downstream API that wants a
// bearer. All stop when the benchmark ends.
func benchMiddleTier(b *testing.B) (*oauth2flowstest.Server, *oauth2flows.Config, *httptest.Server) {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: middleID, Secret: middleSecret}))
	b.Cleanup(srv.Close)
	cfg := &oauth2flows.Config{ClientID: middleID, ClientSecret: middleSecret, Endpoint: srv.Endpoint(),
		Scopes: []string{"api://downstream/.default"}, AuthMethod: oauth2flows.ClientSecretPost}
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(down.Close)
	return srv, cfg, down
}

// BenchmarkOBOMiddleware runs the middleware and the hand-written middle
// tier side by side, on the same token endpoint and downstream server, with
// a warm cache of 100 users of 1.5 KB tokens, requests spread over the users
// and run in parallel (b.RunParallel): "exchange" ends at the handler,
// "downstream" makes one GET to a downstream API on loopback, with one
// request at a time per CPU, "downstream-x8" with eight (a middle tier under
// load). Compare throughput as the ratio of ns/op, hand-written over ours.
func BenchmarkOBOMiddleware(b *testing.B) {
	srv, cfg, down := benchMiddleTier(b)
	pad := strings.Repeat("padding.scope.", 58)
	reqs := make([]*http.Request, 100)
	for i := range reqs {
		reqs[i] = httptest.NewRequest(http.MethodGet, "/api", nil)
		reqs[i].Header.Set("Authorization", "Bearer "+srv.IssueAccessToken(fmt.Sprintf("user-%d", i), "api://"+middleID, "access_as_user", pad))
	}
	noop := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	for _, path := range []struct {
		name        string
		obo, hand   http.Handler
		parallelism int // goroutines per GOMAXPROCS; 0: one goroutine, serial
		phase       int // requests per phase of the ratio: about 3 collections' worth of garbage
	}{
		{"exchange", noop, noop, 1, 32768},
		{"exchange-serial", noop, noop, 0, 32768},
		{"downstream", oboDownstream(down.URL), handDownstream(down.URL), 1, 2048},
		{"downstream-x8", oboDownstream(down.URL), handDownstream(down.URL), 8, 2048},
	} {
		impls := []struct {
			name string
			h    http.Handler
		}{
			{"oauth2flows", oauth2flows.NewOBOCache(cfg, oauth2flows.WithInsecureUnvalidatedTokens()).Middleware(path.obo)},
			{"handwritten", (&handWritten{cfg: cfg, tokens: map[string]handToken{}}).middleware(path.hand)},
		}
		for _, impl := range impls { // warm the caches
			for _, r := range reqs {
				w := httptest.NewRecorder()
				impl.h.ServeHTTP(w, r)
				if w.Code != http.StatusNoContent {
					b.Fatalf("%s: status %d", impl.name, w.Code)
				}
			}
		}
		workers := path.parallelism * runtime.GOMAXPROCS(0)
		b.Run(path.name+"/ratio", func(b *testing.B) {
			b.ReportAllocs()
			interleaved(b, impls[0].h, impls[1].h, reqs, workers, path.phase)
		})
		for _, impl := range impls {
			b.Run(path.name+"/"+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				if path.parallelism == 0 {
					w := &discardWriter{h: http.Header{}}
					i := 0
					for b.Loop() {
						impl.h.ServeHTTP(w, reqs[i%len(reqs)])
						i += 7
					}
					return
				}
				b.SetParallelism(path.parallelism)
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

// interleaved runs ours and hand in alternating phases of n requests
// each, on workers goroutines at once (one goroutine when workers is 0), so
// that both see the same load on a shared machine, and reports the
// throughput of ours over hand's: hand-written time over ours (> 1: ours
// is faster). Which goes first alternates too. A phase should span several
// garbage collections (one per 4 MB allocated at the minimum heap), so
// that each side pays for the collections of its own garbage: in short
// phases the collector's work lands on whichever side runs, in proportion
// to its time rather than to its bytes.
func interleaved(b *testing.B, ours, hand http.Handler, reqs []*http.Request, workers, n int) {
	perWorker := n / max(workers, 1)
	phase := func(h http.Handler, seed int) time.Duration {
		run := func(i int) {
			w := &discardWriter{h: http.Header{}}
			for range perWorker {
				h.ServeHTTP(w, reqs[i%len(reqs)])
				i += 7
			}
		}
		start := time.Now()
		if workers == 0 {
			run(seed)
			return time.Since(start)
		}
		var wg sync.WaitGroup
		for g := range workers {
			wg.Go(func() { run(seed + 13*g) })
		}
		wg.Wait()
		return time.Since(start)
	}
	var tOurs, tHand time.Duration
	round := 0
	for b.Loop() {
		if round%2 == 0 {
			tOurs += phase(ours, round)
			tHand += phase(hand, round)
		} else {
			tHand += phase(hand, round)
			tOurs += phase(ours, round)
		}
		round++
	}
	b.ReportMetric(float64(tHand)/float64(tOurs), "hand/ours")
}

// discardWriter is a ResponseWriter that keeps nothing, so that the
// benchmark measures the middleware rather than a recorder.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}
