package storetest_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest/storetest"
)

// The conformance test of a TokenStore implementation, in the store's own
// package: one call, given a function that returns an empty store.
// (mystore stands for the package under test.)
func ExampleTestTokenStore() {
	_ = func(t *testing.T) { // func TestConformance(t *testing.T)
		storetest.TestTokenStore(t, func(t *testing.T) oauth2flows.TokenStore {
			return storetest.NewMemoryStore() // mystore.New(client, mystore.WithPrefix(t.Name()))
		})
	}
}

// Two replicas of a middle tier in one test: two OBO caches on one
// MemoryStore. The second finds what the first exchanged, so the user
// costs one token request, not two.
func ExampleMemoryStore() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "api-a", Secret: "api-a-secret"}))
	defer srv.Close()
	cfg := &oauth2flows.Config{
		ClientID: "api-a", ClientSecret: "api-a-secret", Endpoint: srv.Endpoint(),
		Scopes: []string{"api://api-b/.default"},
	}
	shared := storetest.NewMemoryStore()
	replica1 := oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(shared))
	replica2 := oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(shared))

	alice := srv.IssueAccessToken("alice", "api://api-a", "access_as_user")
	for _, replica := range []*oauth2flows.OBOCache{replica1, replica2} {
		if _, err := replica.Token(context.Background(), alice); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println("token requests:", len(srv.RequestsTo(oauth2flowstest.EndpointToken)))
	// Output: token requests: 1
}

// A store for a test of a client that shares its token: empty at first.
func ExampleNewMemoryStore() {
	store := storetest.NewMemoryStore()
	tok, err := store.Load(context.Background(), "crm-api")
	fmt.Println(tok, err)
	// Output: <nil> <nil>
}

// What a lease stores, Load returns until it expires: as a copy, as a real
// store serializes it.
func ExampleMemoryStore_Load() {
	store := storetest.NewMemoryStore()
	ctx := context.Background()
	lease, err := store.Lock(ctx, "crm-api")
	if err != nil {
		log.Fatal(err)
	}
	tok := &oauth2flows.Token{Token: oauth2.Token{AccessToken: "at-1"}}
	if err := lease.Store(ctx, tok, time.Now().Add(time.Hour)); err != nil {
		log.Fatal(err)
	}
	lease.Unlock(ctx)

	got, _ := store.Load(ctx, "crm-api")
	fmt.Println(got.AccessToken, got != tok)
	// Output: at-1 true
}

// Lock waits while another holder has the key's lease, until its ctx ends.
func ExampleMemoryStore_Lock() {
	store := storetest.NewMemoryStore()
	ctx := context.Background()
	lease, err := store.Lock(ctx, "crm-api")
	if err != nil {
		log.Fatal(err)
	}
	defer lease.Unlock(ctx)

	waitCtx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = store.Lock(waitCtx, "crm-api")
	fmt.Println(errors.Is(err, context.DeadlineExceeded))
	// Output: true
}

// Testing fencing: a holder that stalled past its lease cannot overwrite the
// token of the replica that took the key after it.
func ExampleMemoryStore_Lapse() {
	store := storetest.NewMemoryStore()
	ctx := context.Background()
	stalled, err := store.Lock(ctx, "crm-api")
	if err != nil {
		log.Fatal(err)
	}
	if err := store.Lapse(ctx, "crm-api"); err != nil { // the holder stalls (GC pause, SIGSTOP)
		log.Fatal(err)
	}
	next, err := store.Lock(ctx, "crm-api") // another replica takes the key at once
	if err != nil {
		log.Fatal(err)
	}
	defer next.Unlock(ctx)

	err = stalled.Store(ctx, &oauth2flows.Token{Token: oauth2.Token{AccessToken: "stale"}}, time.Time{})
	fmt.Println(errors.Is(err, oauth2flows.ErrLeaseLost))
	// Output: true
}
