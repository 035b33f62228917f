package oauth2flows_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sync/atomic"
	"time"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest/storetest"
)

// Two replicas of a web app share alice's token through a TokenStore (in
// production package redisstore; here storetest's MemoryStore): when it has
// expired, one replica redeems the refresh token under the store's lease and
// the other uses what it stored, so a rotating refresh token is redeemed once
// and alice stays signed in.
func ExampleWithTokenStore() {
	srv, cfg := exampleOIDCServer()
	defer srv.Close()
	ctx := context.Background()
	store := storetest.NewMemoryStore()

	// The replica that signed alice in stored her token; an hour later it
	// has expired.
	_, tok := signInAlice(srv, cfg, oauth2flows.NewNonce())
	tok.Expiry = time.Now().Add(-time.Minute)
	lease, err := store.Lock(ctx, "alice")
	if err != nil {
		log.Fatal(err)
	}
	if err := lease.Store(ctx, tok, time.Time{}); err != nil {
		log.Fatal(err)
	}
	lease.Unlock(ctx)

	// Two replicas get a request of alice's.
	replica1 := oauth2flows.NewTransport(oauth2flows.RefreshTokenSource(cfg, tok), oauth2flows.WithTokenStore(store, "alice"))
	replica2 := oauth2flows.NewTransport(oauth2flows.RefreshTokenSource(cfg, tok), oauth2flows.WithTokenStore(store, "alice"))

	t1, err := replica1.Token(ctx)
	if err != nil {
		log.Fatal(err)
	}
	t2, err := replica2.Token(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("same token:", t1.AccessToken == t2.AccessToken)
	fmt.Println("refresh tokens redeemed:", srv.RefreshStats().Redeemed)
	// Output:
	// same token: true
	// refresh tokens redeemed: 1
}

// downStore is a TokenStore whose backend is down, as a Redis that restarts.
type downStore struct{}

var errDown = errors.New("connection refused")

func (downStore) Load(context.Context, string) (*oauth2flows.Token, error) { return nil, errDown }
func (downStore) Lock(context.Context, string) (oauth2flows.TokenLease, error) {
	return nil, errDown
}

// Alerting on a shared store that fails: the daemon's token request goes on
// without it, and the handler counts the failure.
func ExampleWithTokenStoreErrorHandler() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "billing-job", Secret: "job-secret"}))
	defer srv.Close()
	cfg := &oauth2flows.Config{ClientID: "billing-job", ClientSecret: "job-secret", Endpoint: srv.Endpoint()}

	var loadFailures atomic.Int64
	t := oauth2flows.NewTransport(oauth2flows.ClientCredentialsSource(cfg),
		oauth2flows.WithTokenStore(downStore{}, "billing-job"),
		oauth2flows.WithTokenStoreErrorHandler(func(ctx context.Context, err *oauth2flows.StoreError) {
			if err.Op == "Load" {
				loadFailures.Add(1) // e.g. a metric by operation
			}
		}),
	)
	tok, err := t.Token(context.Background())
	fmt.Println("token:", err == nil && tok.Valid())
	fmt.Println("store loads failed:", loadFailures.Load() > 0)
	// Output:
	// token: true
	// store loads failed: true
}

// The OBO cache of a middle tier with a shared store that fails: every
// request is still served, from the cache's memory and the token endpoint.
func ExampleWithStoreErrorHandler() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "api-a", Secret: "api-a-secret"}))
	defer srv.Close()
	cfg := &oauth2flows.Config{
		ClientID: "api-a", ClientSecret: "api-a-secret", Endpoint: srv.Endpoint(),
		Scopes: []string{"api://api-b/.default"},
	}
	var failed atomic.Bool
	cache := oauth2flows.NewOBOCache(cfg,
		oauth2flows.WithCacheStore(downStore{}),
		oauth2flows.WithStoreErrorHandler(func(ctx context.Context, err *oauth2flows.StoreError) {
			failed.Store(true)
		}),
	)
	_, err := cache.Token(context.Background(), srv.IssueAccessToken("alice", "api://api-a", "access_as_user"))
	fmt.Println("served:", err == nil, "store failure seen:", failed.Load())
	// Output: served: true store failure seen: true
}

// One handler for every store failure, given to the OBO cache, to each
// Transport and to redisstore.WithErrorHandler: the StoreError names the
// operation and wraps the store's error.
func ExampleStoreErrorHandler() {
	var onStoreError oauth2flows.StoreErrorHandler = func(ctx context.Context, err *oauth2flows.StoreError) {
		log.Printf("token store %s failed: %v", err.Op, err.Err) // never a token or a key
	}
	cfg := &oauth2flows.Config{ClientID: "api-a", Endpoint: oauth2flows.Endpoint{TokenURL: "https://login.example.com/token"}}
	_ = oauth2flows.NewOBOCache(cfg, oauth2flows.WithStoreErrorHandler(onStoreError))
	_ = oauth2flows.NewTransport(oauth2flows.ClientCredentialsSource(cfg), oauth2flows.WithTokenStoreErrorHandler(onStoreError))
}

// Telling a store's own error apart in the handler, with errors.Is and
// errors.As through the StoreError.
func ExampleStoreError() {
	err := error(&oauth2flows.StoreError{Op: "Load", Err: context.DeadlineExceeded})

	var se *oauth2flows.StoreError
	if errors.As(err, &se) {
		fmt.Println(se.Op, errors.Is(err, context.DeadlineExceeded))
	}
	fmt.Println(err)
	// Output:
	// Load true
	// oauth2flows: token store Load: context deadline exceeded
}

// A store that puts each call's deadline on its socket says so, and is
// called on the caller's goroutine, which saves a goroutine hand-off.
func ExampleContextHonoringStore() {
	var store oauth2flows.TokenStore = storetest.NewMemoryStore()
	chs, ok := store.(oauth2flows.ContextHonoringStore)
	fmt.Println(ok && chs.HonorsContext())
	// Output: true
}
