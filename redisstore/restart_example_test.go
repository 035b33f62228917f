package redisstore_test

import (
	"context"
	"fmt"
	"log"

	"github.com/redis/go-redis/v9"

	"github.com/oauth2flows/oauth2flows/redisstore"
)

// A Transport given the store with oauth2flows.WithTokenStore asks this
// itself; here it is asked by hand. The zero time: the master holding the
// key has not restarted since the store was made, so it still holds every
// token written to it.
func ExampleStore_RestartedAt() {
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr(), ContextTimeoutEnabled: true})
	defer rdb.Close()
	store := redisstore.New(rdb, redisstore.WithEncryptionKey(newKey()))
	at, err := store.RestartedAt(context.Background(), "user:alice")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("restarted since the store was made:", !at.IsZero())
	// Output: restarted since the store was made: false
}
