package oauth2flows_test

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

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

// BenchmarkChain is the whole middle tier per request, with a warm cache:
// validate the incoming token, find its On-Behalf-Of token in the cache,
// make one GET to a downstream API on loopback. "oauth2flows" is
// v.Middleware(obo.Middleware(h)) with keys from the issuer's discovery;
// "handwritten" is golang-jwt's Parse with a static key, a map-and-mutex
// cache and a raw GET (handValidated, handWritten, handDownstream). 100
// users with 1.5 KB ES256 tokens; "serial" runs one request at a time,
// "parallel" one per CPU; "ratio" runs both in one loop, request by
// request, and reports hand-written time over ours.
func BenchmarkChain(b *testing.B) {
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
	pub := serverPublicKey(b, srv)
	impls := []struct {
		name string
		h    http.Handler
	}{
		{"oauth2flows", v.Middleware(oauth2flows.NewOBOCache(cfg).Middleware(oboDownstream(down.URL)))},
		{"handwritten", handValidated(pub, srv.URL(), audience, "access_as_user",
			(&handWritten{cfg: cfg, tokens: map[string]handToken{}}).middleware(handDownstream(down.URL)))},
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
