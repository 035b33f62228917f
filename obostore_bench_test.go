package oauth2flows_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// memoStore holds one token for every key and honours its contexts: a
// store whose Load costs next to nothing, so that a benchmark over it
// measures what the cache adds to a store's Load.
type memoStore struct{ tok oauth2flows.Token }

func (s *memoStore) Load(context.Context, string) (*oauth2flows.Token, error) {
	tok := s.tok
	return &tok, nil
}

func (s *memoStore) Lock(context.Context, string) (oauth2flows.TokenLease, error) {
	return nil, errStoreDown // never reached: every Load hits
}

func (s *memoStore) HonorsContext() bool { return true }

// BenchmarkOBOCacheStoreHitCPU: the CPU an OBOCache adds to its store's
// Load on a memory miss that the store answers (the L2 hit of
// redisstore/internal/replicas without Redis): the store key (SHA-256), the
// single flight, the bounded call, the assertion's exp (1.5 KB assertions,
// Entra's size) and the index insert. Two users alternate on a one-entry
// memory, so every call misses it.
func BenchmarkOBOCacheStoreHitCPU(b *testing.B) {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: middleID, Secret: middleSecret}))
	defer srv.Close()
	cfg := &oauth2flows.Config{ClientID: middleID, ClientSecret: middleSecret, Endpoint: srv.Endpoint(),
		Scopes: []string{"api://downstream/.default"}}
	pad := strings.Repeat("padding.scope.", 58)
	users := []string{srv.IssueAccessToken("alice", "api://"+middleID, "access_as_user", pad),
		srv.IssueAccessToken("bob", "api://"+middleID, "access_as_user", pad)}
	store := &memoStore{tok: oauth2flows.Token{Token: oauth2.Token{AccessToken: strings.Repeat("a", 1200), TokenType: "Bearer",
		RefreshToken: strings.Repeat("r", 800), ExpiresIn: 3600, Expiry: time.Now().Add(time.Hour)}}}
	cache := oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(store), oauth2flows.WithCacheSize(1))
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := cache.Token(ctx, users[i%2]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	if n := oboPosts(srv); n != 0 {
		b.Fatalf("%d exchanges: every call is a store hit", n)
	}
}
