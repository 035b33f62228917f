package oauth2flows

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	mrand "math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// benchAssertion returns a JWT-shaped assertion of about 1.5 KB, the size
// of an Entra access token, distinct for each user and expiring in an hour.
func benchAssertion(user int) string {
	payload := fmt.Sprintf(`{"sub":"user-%d","aud":"api://middle","exp":%d,"scp":"access_as_user","pad":"%0900d"}`,
		user, time.Now().Add(time.Hour).Unix(), user)
	sig := make([]byte, 256)
	_, _ = rand.Read(sig)
	return "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." +
		base64.RawURLEncoding.EncodeToString(sig)
}

// stubbedCache is an OBOCache whose exchange answers at once with a token
// of tokenSize bytes (and a refresh token of refreshSize), filled with users
// assertions: the benchmarks measure the cache, not the token endpoint.
func stubbedCache(tb testing.TB, users, tokenSize, refreshSize int, opts ...Option) (*OBOCache, []string) {
	cfg := &Config{ClientID: "middle-tier", ClientSecret: "s", Scopes: []string{"api://downstream/.default"},
		Endpoint: Endpoint{TokenURL: "https://login.example.com/tenant/oauth2/v2.0/token"}}
	c := NewOBOCache(cfg, WithCacheSize(users))
	c.exchange = func(context.Context, *Config, string, ...Option) (*Token, error) {
		tok := &Token{}
		tok.AccessToken = base64.RawURLEncoding.EncodeToString(make([]byte, tokenSize*3/4))
		tok.RefreshToken = base64.RawURLEncoding.EncodeToString(make([]byte, refreshSize*3/4))
		tok.TokenType = "Bearer"
		tok.ExpiresIn = 3600
		tok.Expiry = time.Now().Add(time.Hour)
		return tok, nil
	}
	assertions := make([]string, users)
	for i := range assertions {
		assertions[i] = benchAssertion(i)
		if _, err := c.Token(context.Background(), assertions[i], opts...); err != nil {
			tb.Fatal(err)
		}
	}
	return c, assertions
}

// BenchmarkOBOCacheHitUsers is a hit for one of 10, 10,000 or 100,000
// users' 1.5 KB assertions in random order, with the scopes from Config or
// from a WithScopes option built once (as Middleware's options are). The
// goals: 0 allocs, <= 500 ns with WithScopes at 10 users, <= 1.5 µs at
// 100,000.
func BenchmarkOBOCacheHitUsers(b *testing.B) {
	withScopes := WithScopes("api://downstream/.default", "offline_access")
	for _, users := range []int{10, 10_000, 100_000} {
		for _, form := range []struct {
			name string
			opts []Option
		}{{"Config.Scopes", nil}, {"WithScopes", []Option{withScopes}}} {
			b.Run(fmt.Sprintf("users=%d/%s", users, form.name), func(b *testing.B) {
				c, assertions := stubbedCache(b, users, 64, 0, form.opts...)
				order := make([]int, 1<<16)
				for i := range order {
					order[i] = mrand.IntN(users)
				}
				ctx := context.Background()
				i := 0
				b.ReportAllocs()
				for b.Loop() {
					if _, err := c.Token(ctx, assertions[order[i&(len(order)-1)]], form.opts...); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
	}
}

// TestOBOCacheHitAllocatesNothing pins the 0 allocs of a hit, with and
// without options.
func TestOBOCacheHitAllocatesNothing(t *testing.T) {
	withScopes := WithScopes("api://downstream/.default", "offline_access")
	for _, opts := range [][]Option{nil, {withScopes}, {withScopes, WithResource("https://b.example.com")}} {
		c, assertions := stubbedCache(t, 2, 64, 0, opts...)
		ctx := context.Background()
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := c.Token(ctx, assertions[1], opts...); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%d options: %v allocs per hit", len(opts), allocs)
		}
	}
}

// TestOBOCacheMemoryPerEntry measures the heap an entry holds, for a
// user's assertion of 1.7 KB, a downstream access token of 1.5 KB and a
// refresh token of 1 KB (Entra's sizes), and logs it; run with -v. It is
// what sizes WithCacheSize.
func TestOBOCacheMemoryPerEntry(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a cache of 20,000 entries")
	}
	const n = 20_000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c, _ := stubbedCache(t, n, 1500, 1000) // the entries keep the assertions
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := (after.HeapAlloc - before.HeapAlloc) / n
	t.Logf("%d bytes per entry (1.7 KB assertion, 1.5 KB access token, 1 KB refresh token)", per)
	if per > 5<<10 {
		t.Errorf("%d bytes per entry", per)
	}
	runtime.KeepAlive(c)
}
