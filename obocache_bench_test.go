package oauth2flows_test

import (
	"context"
	"strings"
	"testing"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// BenchmarkOBOCacheHit measures a cache hit for a 1.5 KB assertion, the
// size of a typical Entra access token. Target: <= 1 µs/op, <= 2 allocs/op.
func BenchmarkOBOCacheHit(b *testing.B) {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: middleID, Secret: middleSecret}))
	defer srv.Close()
	cfg := &oauth2flows.Config{ClientID: middleID, ClientSecret: middleSecret, Endpoint: srv.Endpoint(),
		Scopes: []string{"api://downstream/.default"}}
	assertion := srv.IssueAccessToken("alice", "api://"+middleID, "access_as_user", strings.Repeat("padding.scope.", 58))
	if len(assertion) < 1500 || len(assertion) > 1700 {
		b.Fatalf("assertion is %d bytes", len(assertion))
	}
	cache := oauth2flows.NewOBOCache(cfg)
	ctx := context.Background()
	if _, err := cache.Token(ctx, assertion); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(assertion)))
	for b.Loop() {
		if _, err := cache.Token(ctx, assertion); err != nil {
			b.Fatal(err)
		}
	}
}
