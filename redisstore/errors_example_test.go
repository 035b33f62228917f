package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/oauth2flows/oauth2flows/redisstore"
)

// A store made without a key refuses every call and sends nothing to Redis:
// the mistake shows at the first call, not as tokens left readable.
func ExampleConfigError() {
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr(), ContextTimeoutEnabled: true})
	defer rdb.Close()
	store := redisstore.New(rdb) // no WithEncryptionKey

	_, err := store.Load(context.Background(), "orders-api")
	var ce *redisstore.ConfigError
	if errors.As(err, &ce) {
		fmt.Println("misconfigured:", ce.Field)
	}
	// Output: misconfigured: WithEncryptionKey
}

// A value that does not open, here sealed under a key this replica lacks
// (a rotation deployed in the wrong order), is a *ValueError, whose message
// never holds the value.
func ExampleValueError() {
	names := newKey()
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr(), ContextTimeoutEnabled: true})
	defer rdb.Close()
	ctx := context.Background()
	storeToken(ctx, redisstore.New(rdb, redisstore.WithEncryptionKey(newKey()), redisstore.WithNameKey(names)), "orders-api", "at-1")

	other := redisstore.New(rdb, redisstore.WithEncryptionKey(newKey()), redisstore.WithNameKey(names))
	_, err := other.Load(ctx, "orders-api")
	var ve *redisstore.ValueError
	fmt.Println(errors.As(err, &ve), errors.Is(err, redisstore.ErrValueTooLarge))
	// Output: true false
}

// A Redis that failed for the whole call is a *RedisError: its Op names the
// store operation and its cause works with errors.Is and go-redis's helpers.
func ExampleRedisError() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true, MaxRetries: -1})
	defer rdb.Close()
	store := redisstore.New(rdb, redisstore.WithEncryptionKey(newKey()), redisstore.WithTimeout(200*time.Millisecond))

	_, err := store.Lock(context.Background(), "orders-api")
	var re *redisstore.RedisError
	if errors.As(err, &re) {
		fmt.Println("redis failed:", re.Op)
	}
	// Output: redis failed: lock
}

// Telling a Redis that ran out of time (stalled, failing over) from one that
// answered with an error, e.g. to alert on the first only.
func ExampleRedisError_Timeout() {
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr(), ContextTimeoutEnabled: true})
	defer rdb.Close()
	store := redisstore.New(rdb, redisstore.WithEncryptionKey(newKey()))

	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	time.Sleep(time.Millisecond)
	_, err := store.Load(ctx, "orders-api")
	var re *redisstore.RedisError
	if errors.As(err, &re) {
		fmt.Println("timeout:", re.Timeout(), errors.Is(err, context.DeadlineExceeded))
	}
	// Output: timeout: true true
}
