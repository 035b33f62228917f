package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/redisstore"
)

// storeToken stores tok under key, as a replica does after a renewal.
func storeToken(ctx context.Context, s *redisstore.Store, key, accessToken string) {
	lease, err := s.Lock(ctx, key)
	if err != nil {
		log.Fatal(err)
	}
	defer lease.Unlock(ctx)
	tok := &oauth2flows.Token{Token: oauth2.Token{AccessToken: accessToken, Expiry: time.Now().Add(time.Hour)}}
	if err := lease.Store(ctx, tok, tok.Expiry); err != nil {
		log.Fatal(err)
	}
}

// Production settings: every replica gives the same key.
func ExampleWithEncryptionKey() {
	key := newKey() // 32 bytes from the secret store
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr(), ContextTimeoutEnabled: true})
	defer rdb.Close()
	ctx := context.Background()

	storeToken(ctx, redisstore.New(rdb, redisstore.WithEncryptionKey(key)), "orders-api", "at-1")

	// A replica with another key neither finds the token nor could open it.
	other := redisstore.New(rdb, redisstore.WithEncryptionKey(newKey()))
	tok, err := other.Load(ctx, "orders-api")
	fmt.Println(tok, err)
	// Output: <nil> <nil>
}

// Rotating the encryption key from K1 to K2 without losing a stored token:
// the names stay those of K1 (WithNameKey) and K1 still opens what it sealed.
func ExampleWithDecryptionKeys() {
	k1, k2 := newKey(), newKey()
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr(), ContextTimeoutEnabled: true})
	defer rdb.Close()
	ctx := context.Background()

	// Before: sealed with K1.
	before := redisstore.New(rdb, redisstore.WithEncryptionKey(k1))
	storeToken(ctx, before, "crm-api", "sealed-with-k1")

	// After the rotation: K2 seals, K1 only opens.
	after := redisstore.New(rdb,
		redisstore.WithEncryptionKey(k2),
		redisstore.WithDecryptionKeys(k1),
		redisstore.WithNameKey(k1),
	)
	tok, err := after.Load(ctx, "crm-api")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.AccessToken)
	// Output: sealed-with-k1
}

// Keeping Redis key names across a change of encryption key: the name key
// decides which replicas share tokens and leases.
func ExampleWithNameKey() {
	names, k2 := newKey(), newKey()
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr(), ContextTimeoutEnabled: true})
	defer rdb.Close()
	ctx := context.Background()

	storeToken(ctx, redisstore.New(rdb, redisstore.WithEncryptionKey(k2), redisstore.WithNameKey(names)), "billing-api", "at-1")

	// Same names, and K2 to open: found.
	s := redisstore.New(rdb, redisstore.WithEncryptionKey(newKey()), redisstore.WithDecryptionKeys(k2), redisstore.WithNameKey(names))
	tok, _ := s.Load(ctx, "billing-api")
	fmt.Println(tok.AccessToken)
	// Output: at-1
}

// Two applications sharing one Redis keep apart under their own prefixes.
func ExampleWithPrefix() {
	key := newKey()
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr(), ContextTimeoutEnabled: true})
	defer rdb.Close()
	ctx := context.Background()

	orders := redisstore.New(rdb, redisstore.WithEncryptionKey(key), redisstore.WithPrefix("orders:"))
	billing := redisstore.New(rdb, redisstore.WithEncryptionKey(key), redisstore.WithPrefix("billing:"))
	storeToken(ctx, orders, "downstream", "orders-token")

	tok, _ := billing.Load(ctx, "downstream")
	fmt.Println(tok)
	tok, _ = orders.Load(ctx, "downstream")
	fmt.Println(tok.AccessToken)
	// Output:
	// <nil>
	// orders-token
}

// A renewal may take longer than the lease's TTL: the holder extends it every
// TTL/3. A replica that dies holding it blocks the others for at most a TTL.
func ExampleWithLockTTL() {
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr(), ContextTimeoutEnabled: true})
	defer rdb.Close()
	store := redisstore.New(rdb, redisstore.WithEncryptionKey(newKey()), redisstore.WithLockTTL(300*time.Millisecond))
	ctx := context.Background()

	lease, err := store.Lock(ctx, "slow-renewal")
	if err != nil {
		log.Fatal(err)
	}
	time.Sleep(time.Second) // a renewal three times the TTL: still held
	waitCtx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err = store.Lock(waitCtx, "slow-renewal")
	fmt.Println("held:", errors.Is(err, context.DeadlineExceeded))
	lease.Unlock(ctx)
	// Output: held: true
}

// Bounding each call: a Redis that does not answer (here, nothing listens)
// costs a request at most the store's timeout, retries included, and is then
// a miss reported as a *RedisError.
func ExampleWithTimeout() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true, MaxRetries: -1})
	defer rdb.Close()
	store := redisstore.New(rdb,
		redisstore.WithEncryptionKey(newKey()),
		redisstore.WithTimeout(300*time.Millisecond),        // the whole call
		redisstore.WithAttemptTimeout(100*time.Millisecond), // one round trip
	)
	start := time.Now()
	_, err := store.Load(context.Background(), "orders-api")
	var re *redisstore.RedisError
	fmt.Println(errors.As(err, &re), re.Op, time.Since(start) < 2*time.Second)
	// Output: true load true
}

// The bound of one round trip: an attempt that gets no answer from a stalled
// Redis is given up and tried again on a new connection.
func ExampleWithAttemptTimeout() {
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr(), ContextTimeoutEnabled: true})
	defer rdb.Close()
	store := redisstore.New(rdb,
		redisstore.WithEncryptionKey(newKey()),
		redisstore.WithAttemptTimeout(500*time.Millisecond), // above the slowest healthy answer
		redisstore.WithTimeout(4*time.Second),               // room for a failover's retries
	)
	tok, err := store.Load(context.Background(), "orders-api")
	fmt.Println(tok, err)
	// Output: <nil> <nil>
}

// With rotating refresh tokens on Sentinel or Cluster, wait for a replica to
// hold each write; when none acknowledges in time, the handler is told.
// (The Redis here has no replica.)
func ExampleWithWaitReplicas() {
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr(), ContextTimeoutEnabled: true})
	defer rdb.Close()
	store := redisstore.New(rdb,
		redisstore.WithEncryptionKey(newKey()),
		redisstore.WithWaitReplicas(1, 50*time.Millisecond),
		redisstore.WithErrorHandler(func(ctx context.Context, err *oauth2flows.StoreError) {
			var re *redisstore.ReplicaError
			if errors.As(err, &re) {
				fmt.Printf("%s: %d of %d replicas\n", re.Op, re.Acks, re.Want)
			}
		}),
	)
	storeToken(context.Background(), store, "crm-api", "at-1")
	// Output:
	// lock: 0 of 1 replicas
	// store: 0 of 1 replicas
}

// One handler for every store failure, for metrics and alerts: give the same
// function to the store (failures it retried, background lease renewals) and
// to the root package (failures its calls returned).
func ExampleWithErrorHandler() {
	onStoreError := func(ctx context.Context, err *oauth2flows.StoreError) {
		log.Printf("token store %s failed: %v", err.Op, err.Err) // never holds a token
	}
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr(), ContextTimeoutEnabled: true})
	defer rdb.Close()
	store := redisstore.New(rdb,
		redisstore.WithEncryptionKey(newKey()),
		redisstore.WithErrorHandler(onStoreError),
	)

	cfg := &oauth2flows.Config{ClientID: "daemon", Endpoint: oauth2flows.Endpoint{TokenURL: "https://login.example.com/token"}}
	client := &http.Client{Transport: oauth2flows.NewTransport(oauth2flows.ClientCredentialsSource(cfg),
		oauth2flows.WithTokenStore(store, "daemon-token"),
		oauth2flows.WithTokenStoreErrorHandler(onStoreError),
	)}
	_ = client // calls the API
}

// Tests only: tokens kept unsealed, readable by anyone who reads Redis.
func ExampleWithInsecurePlaintext() {
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr(), ContextTimeoutEnabled: true})
	defer rdb.Close()
	store := redisstore.New(rdb, redisstore.WithInsecurePlaintext(), redisstore.WithPrefix("test:"))
	storeToken(context.Background(), store, "k", "plain")
	tok, _ := store.Load(context.Background(), "k")
	fmt.Println(tok.AccessToken)
	// Output: plain
}
