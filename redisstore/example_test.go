package redisstore_test

import (
	"context"
	"crypto/rand"
	"log"
	"time"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/redisstore"
	"github.com/redis/go-redis/v9"
)

// The store as the root package uses it: a replica that renews a token
// takes the key's lease, stores the new token under it, and gives the lease
// up; the other replicas wait on Lock and then Load what it stored.
func ExampleNew() {
	// In production the key comes from a secret store, the same on every
	// replica.
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		log.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379", ContextTimeoutEnabled: true})
	// One handler for every store failure: the store's own (retried
	// attempts, background lease renewal) and those its callers report.
	onStoreError := func(ctx context.Context, err *oauth2flows.StoreError) {
		log.Printf("token store %s: %v", err.Op, err.Err) // never holds a token
	}
	store := redisstore.New(rdb,
		redisstore.WithEncryptionKey(key),
		redisstore.WithLockTTL(5*time.Second),
		redisstore.WithErrorHandler(onStoreError),
	)
	_ = oauth2flows.WithTokenStoreErrorHandler(onStoreError)
	ctx := context.Background()

	lease, err := store.Lock(ctx, "crm-api")
	if err != nil {
		return // a miss: go on without the store
	}
	defer lease.Unlock(ctx)
	if tok, _ := store.Load(ctx, "crm-api"); tok != nil && !tok.ExpiresWithin(time.Minute) {
		return // another replica renewed while this one waited
	}
	tok := &oauth2flows.Token{} // ... renewed at the token endpoint
	if err := lease.Store(ctx, tok, tok.Expiry); err != nil {
		log.Print(err) // e.g. oauth2flows.ErrLeaseLost: a newer token is stored
	}
}
