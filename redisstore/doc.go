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
// # Faults
//
// Redis fails over, restarts and stalls. Within each call ([WithTimeout],
// 6 s by default, and the caller's deadline) the store retries what passes
// with time: refused or reset connections, an attempt that got no answer
// ([WithAttemptTimeout], 1 s), and the LOADING, READONLY, MASTERDOWN,
// CLUSTERDOWN, TRYAGAIN, MOVED, ASK and BUSY replies; [Store.Lock]'s wait
// for a lease polls through them. Every retried command is safe to run
// twice: reads; a lease acquire that, run again by the same owner, returns
// the lease it took; a write under a fence that writes the same value
// again; a release that deletes only its own lease. With a Cluster client
// the store also asks for the slot map to be reloaded after a failure,
// which go-redis does not do by itself when a master dies.
//
// An error that lasts the whole call reaches the caller, a [*RedisError];
// the root package reports it through Config.Logger and its store-error
// handler. The failures no call returns (the attempts retried, the lease's
// background renewal) go to [WithErrorHandler], whose function has the
// root's handler type: give both the same one. Give the client
// ContextTimeoutEnabled so that the bounds reach the socket. The store
// then says so ([Store.HonorsContext]), and the root package calls it on
// the caller's own goroutine rather than on a goroutine of its own: an OBO
// cache's memory miss that Redis answers costs about 1.2 times a bare GET
// instead of about 2 (BENCHMARKS.md).
//
// # Topologies
//
// A single Redis ([redis.NewClient]), Sentinel (go-redis's
// [redis.NewFailoverClient], a master and its replicas) and Cluster
// ([redis.NewClusterClient]) are supported and tested with failovers,
// SIGKILL and restart of a master, and a master frozen with SIGSTOP, under
// a storm of renewals of rotating refresh tokens (package
// internal/failover). Redis 7.0 or later: the store's scripts are flagged
// (#!lua), which replicas refuse to run. Every Redis key of a store key
// shares one hash tag, so the lease's scripts run on Cluster. What each
// guarantees:
//
//   - Single: a restart without persistence empties the store. Renewals go
//     on from the replicas' memory; a holder whose lease Redis forgot still
//     stores its token (its fence is gone, not taken). The replicas write
//     back the tokens they hold, the newest wins, and none is renewed for
//     30 s while they do. [Store.RestartedAt] tells a Transport of the
//     restart: a token it starts with is not trusted as the newest, and a
//     replica holding a newer token than Redis has writes it back on its
//     next request, within 10 s. A replica that holds the newest token and
//     gets no request for the user in those 30 s is not heard from; where
//     that matters, use persistence (appendonly) or a replicated set-up.
//   - Sentinel and Cluster: replication is asynchronous, so a failover can
//     lose the writes a master answered just before it died or froze, a
//     stored token or a lease among them. A lost token leaves the one
//     before it, whose refresh token was already redeemed; a lost lease
//     lets a second holder renew. Either can cost a rotating family: about
//     one run in six of the Sentinel test that freezes the master past its
//     failover did. [WithWaitReplicas](1, 100*time.Millisecond) closes
//     that window: Lock and Store return once a replica has the write,
//     for one more round trip per lease and per write (BENCHMARKS.md); a
//     replica that lags is waited for, up to 10 timeouts, and a lease the
//     new master never had is taken again there. Use it with rotating
//     refresh tokens. A failover that finds no replica in sync still
//     loses what was not replicated. Nor can WAIT help in a split brain: a
//     master failed over while alive (it missed the sentinels' or nodes'
//     pings for down-after-milliseconds or cluster-node-timeout, on a
//     machine too loaded to answer) keeps taking writes, which a replica
//     on its side acknowledges, until it is demoted, and Redis then drops
//     them. Keep those timeouts well above the pauses your machines see;
//     the tests here use 2 s, and at 1 s a loaded CI machine did this in
//     2 of 8 runs.
//   - Reads go to masters only, even through a connection to a master a
//     failover demoted: the store reads what it wrote.
//
// A Ring ([redis.NewRing]) works as independent single servers: a shard
// that is lost takes its users' tokens with it.
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
// [Store.Lock] takes a lease (a key with a random owner and a TTL) and a
// fencing token in one atomic script, and extends the lease every TTL/3
// ([WithLockTTL]) while it is held. A holder that dies stops extending it:
// another replica takes over at most one TTL later. A holder whose lease
// lapsed and was taken by another cannot store: its fence is no longer the
// key's, and Store returns an error wrapping [oauth2flows.ErrLeaseLost].
package redisstore
