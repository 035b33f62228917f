package redisstore_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/redisstore"
)

// redisAddr is the Redis the examples run against; in a service, e.g.
// "redis:6379".
func redisAddr() string { return redisstore.RedisAddrForExamples() }

// newKey stands for the 32-byte key a service reads from its secret store,
// the same on every replica.
func newKey() []byte {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		log.Fatal(err)
	}
	return key
}

// A replica stores a token it obtained; another replica, sharing the key,
// loads it. Redis holds it sealed, under an HMAC of the key's name.
func ExampleStore_Load() {
	key := newKey()
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr(), ContextTimeoutEnabled: true})
	defer rdb.Close()
	ctx := context.Background()

	replica1 := redisstore.New(rdb, redisstore.WithEncryptionKey(key))
	lease, err := replica1.Lock(ctx, "orders-api")
	if err != nil {
		log.Fatal(err)
	}
	tok := &oauth2flows.Token{Token: oauth2.Token{AccessToken: "at-1", Expiry: time.Now().Add(time.Hour)}}
	if err := lease.Store(ctx, tok, tok.Expiry); err != nil {
		log.Fatal(err)
	}
	lease.Unlock(ctx)

	replica2 := redisstore.New(rdb, redisstore.WithEncryptionKey(key))
	got, err := replica2.Load(ctx, "orders-api")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.AccessToken)
	missing, err := replica2.Load(ctx, "never-stored")
	fmt.Println(missing, err)
	// Output:
	// at-1
	// <nil> <nil>
}

// Renewing under the key's lease: while one replica holds it, another's Lock
// waits (here, until its ctx ends), so a refresh token is redeemed once.
func ExampleStore_Lock() {
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr(), ContextTimeoutEnabled: true})
	defer rdb.Close()
	store := redisstore.New(rdb,
		redisstore.WithEncryptionKey(newKey()),
		redisstore.WithLockTTL(5*time.Second), // extended every TTL/3 while held
	)
	ctx := context.Background()

	lease, err := store.Lock(ctx, "crm-api")
	if err != nil {
		log.Fatal(err)
	}
	// ... redeem the refresh token, then lease.Store the new token.

	waitCtx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err = store.Lock(waitCtx, "crm-api") // another replica, meanwhile
	fmt.Println("second Lock:", errors.Is(err, context.DeadlineExceeded))

	lease.Unlock(ctx)
	lease2, err := store.Lock(ctx, "crm-api")
	fmt.Println("after Unlock:", err)
	lease2.Unlock(ctx)
	// Output:
	// second Lock: true
	// after Unlock: <nil>
}

// A client made with ContextTimeoutEnabled puts each call's deadline on its
// socket: the store says so, and the root package calls it on the caller's
// own goroutine.
func ExampleStore_HonorsContext() {
	key := newKey()
	good := redis.NewClient(&redis.Options{Addr: redisAddr(), ContextTimeoutEnabled: true})
	defer good.Close()
	bare := redis.NewClient(&redis.Options{Addr: redisAddr()})
	defer bare.Close()

	fmt.Println(redisstore.New(good, redisstore.WithEncryptionKey(key)).HonorsContext())
	fmt.Println(redisstore.New(bare, redisstore.WithEncryptionKey(key)).HonorsContext())
	var _ oauth2flows.ContextHonoringStore = (*redisstore.Store)(nil)
	// Output:
	// true
	// false
}

// The store behind both the OBO cache of a middle tier and a shared client:
// replicas make one token request per user, not one per replica.
func ExampleStore() {
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr(), ContextTimeoutEnabled: true})
	defer rdb.Close()
	store := redisstore.New(rdb, redisstore.WithEncryptionKey(newKey()))

	cfg := &oauth2flows.Config{
		ClientID: "middle-tier",
		Endpoint: oauth2flows.Endpoint{TokenURL: "https://login.example.com/token"},
	}
	obo := oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(store))
	_ = obo
}
