// Package redisstore keeps the tokens of oauth2flows in Redis, shared by the
// replicas of a service: an [oauth2flows.TokenStore] for the On-Behalf-Of
// cache (RFC 8693 §2, Entra's OBO) and for the one current token of a
// Transport (RFC 6749 §6), so that replicas behind a load balancer make one
// token request per user, not one per replica, and redeem a rotating
// refresh token once (RFC 9700 §4.14).
//
// It is a module of its own, github.com/oauth2flows/oauth2flows/redisstore,
// so that users of the root module never download a Redis client. It uses
// github.com/redis/go-redis/v9.
//
// # Use
//
// Make one store with a 32-byte key that every replica shares, and give it
// to the OBO cache and to each client that shares a token:
//
//	rdb := redis.NewClient(&redis.Options{Addr: "redis:6379", ContextTimeoutEnabled: true})
//	store := redisstore.New(rdb, redisstore.WithEncryptionKey(key))
//
//	obo := oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(store))
//	api := oauth2flows.NewClient(cfg, tok, oauth2flows.WithTokenStore(store, "crm-api"))
//
// A replica that misses its own memory finds what another replica got. When
// a token must be renewed, one replica takes the key's lease ([Store.Lock]),
// renews and stores; the others wait and then read what it stored.
//
// # Failure is a miss
//
// Every error of the store (Redis down or slow, a value that does not open)
// is a miss to its callers: they report it through Config.Logger and go on
// with their own memory and the token endpoint. Each Redis call is bounded
// by [WithTimeout]; give the client ContextTimeoutEnabled so that the bound
// reaches the socket. The store then says so ([Store.HonorsContext]), and
// the root package calls it on the caller's own goroutine rather than on a
// goroutine of its own: an OBO cache's memory miss that Redis answers costs
// about 1.2 times a bare GET instead of about 2 (BENCHMARKS.md). [WithErrorHandler] sees every error too, including
// those of the lease's background renewal.
//
// # Nothing readable
//
// Values are sealed with AES-256-GCM under [WithEncryptionKey], with the key
// id and the Redis key bound as additional data; Redis keys are
// HMAC-SHA-256 hashes of the store keys, which may name a user. Without a
// key, New refuses to store tokens ([ConfigError]); [WithInsecurePlaintext]
// keeps them unsealed, for tests. [WithDecryptionKeys] and [WithNameKey]
// rotate keys.
//
// # The lease
//
// [Store.Lock] takes a lease (SET NX PX with a random owner) and a fencing
// token in one atomic script, and extends the lease every TTL/3
// ([WithLockTTL]) while it is held. A holder that dies stops extending it:
// another replica takes over at most one TTL later. A holder whose lease
// lapsed and was taken by another cannot store: its fence is no longer the
// key's, and Store returns an error wrapping [oauth2flows.ErrLeaseLost].
//
// Every Redis key of a store key shares one hash tag, so the store works on
// Redis Cluster.
package redisstore
