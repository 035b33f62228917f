package redisstore

import (
	"context"
	"testing"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest/storetest"
)

// lapsingStore is a Store whose leases a test can make lapse: it deletes
// the lease's key, as its TTL does when the holder stalls past it (a
// SIGSTOP, a GC pause), while the holder's fence stays what it drew.
type lapsingStore struct{ *Store }

func (s lapsingStore) Lapse(ctx context.Context, key string) error {
	return s.client.Del(ctx, s.keys(key).lock).Err()
}

// TestStoreConformance runs the store conformance test against a real
// redis-server, with the store as a middle tier configures it (sealed
// values, hashed key names); each subtest gets a prefix of its own.
func TestStoreConformance(t *testing.T) {
	client := newClient(t, testRedis.Addr(), 11)
	storetest.TestTokenStore(t, func(t *testing.T) oauth2flows.TokenStore {
		return lapsingStore{New(client, WithEncryptionKey(newKey(t)), WithPrefix("conformance:"+t.Name()+":"))}
	})
}
