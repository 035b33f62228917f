package redisstore

import (
	"context"
	"time"

	"github.com/oauth2flows/oauth2flows"
)

// Defaults of a [Store]. The timeouts fit a Redis failover (2 to 5 s with
// Sentinel or Cluster) and a restart (about 1 s), not a LAN round trip: a
// call rides them out when its caller's deadline allows.
const (
	DefaultLockTTL        = 10 * time.Second // lease of a renewal lock
	DefaultTimeout        = 6 * time.Second  // bound of one call, retries of transient errors included
	DefaultAttemptTimeout = time.Second      // bound of one Redis round trip
	DefaultPrefix         = "oauth2flows:"   // start of every Redis key
)

// MaxValueSize is the largest value, in bytes, that a [Store] writes or
// reads: a sealed token, far above the few kB of an Entra token and its
// refresh and ID tokens. Load reads no more than this of any value.
const MaxValueSize = 256 << 10

// Option configures a [Store] made by [New].
type Option func(*config)

type config struct {
	keys        [][]byte // keys[0] seals; all open
	oldKeys     [][]byte
	nameKey     []byte
	plaintext   bool
	lockTTL     time.Duration
	timeout     time.Duration
	attempt     time.Duration
	prefix      string
	onError     func(ctx context.Context, err *oauth2flows.StoreError)
	waitN       int
	waitTimeout time.Duration
	errs        []*ConfigError
}

// WithEncryptionKey sets the 32-byte key that seals every stored token with
// AES-256-GCM (NIST SP 800-38D). The sealed value carries the key's id, and
// the Redis key it is stored under is bound to it as additional data, so a
// value moved to another key does not open. The Redis key names are
// HMAC-SHA-256 hashes keyed from this key (or [WithNameKey]), so that a
// reader of Redis cannot confirm a user id. Given twice, the last one wins.
//
// Without an encryption key (or [WithInsecurePlaintext]) the store refuses
// to store or load anything: each call returns a [ConfigError].
//
// To rotate keys, see [WithDecryptionKeys].
func WithEncryptionKey(key []byte) Option {
	return func(c *config) {
		if len(key) != 32 {
			c.errs = append(c.errs, &ConfigError{Field: "WithEncryptionKey", Reason: "key must be 32 bytes (AES-256)"})
			return
		}
		c.keys = [][]byte{append([]byte(nil), key...)}
	}
}

// WithDecryptionKeys adds keys that open values but never seal new ones:
// the keys of a rotation (NIST SP 800-57 Part 1 §5.3, cryptoperiods). Each value names the key that sealed it, so values
// sealed before a rotation stay readable. Rotate from K1 to K2 in three
// deployments, keeping the Redis key names with [WithNameKey](K1) from the
// first on:
//
//  1. WithEncryptionKey(K1), WithDecryptionKeys(K2), WithNameKey(K1):
//     every replica can open what K2 will seal;
//  2. WithEncryptionKey(K2), WithDecryptionKeys(K1), WithNameKey(K1):
//     new values are sealed with K2;
//  3. once the values sealed with K1 have expired:
//     WithEncryptionKey(K2), WithNameKey(K1).
//
// Each key must be 32 bytes.
func WithDecryptionKeys(keys ...[]byte) Option {
	return func(c *config) {
		for _, k := range keys {
			if len(k) != 32 {
				c.errs = append(c.errs, &ConfigError{Field: "WithDecryptionKeys", Reason: "key must be 32 bytes (AES-256)"})
				return
			}
			c.oldKeys = append(c.oldKeys, append([]byte(nil), k...))
		}
	}
}

// WithNameKey sets the 32-byte key of the HMAC-SHA-256 (RFC 2104) that
// names Redis keys; by default it is the [WithEncryptionKey]. Replicas share tokens and
// leases only under the same names, so keep the name key when the
// encryption key changes (see [WithDecryptionKeys]): a replica whose names
// differ neither sees the others' tokens nor waits for their renewals.
// WithNameKey(K) names exactly as WithEncryptionKey(K) does.
func WithNameKey(key []byte) Option {
	return func(c *config) {
		if len(key) != 32 {
			c.errs = append(c.errs, &ConfigError{Field: "WithNameKey", Reason: "key must be 32 bytes"})
			return
		}
		c.nameKey = append([]byte(nil), key...)
	}
}

// WithInsecurePlaintext lets a store without an encryption key keep tokens
// unsealed, readable by anyone who can read Redis, against RFC 6749 §10.3
// (access tokens are kept confidential in storage). For tests only. It
// has no effect when [WithEncryptionKey] is given.
func WithInsecurePlaintext() Option {
	return func(c *config) { c.plaintext = true }
}

// WithLockTTL sets the lease of a renewal lock taken by [Store.Lock], the
// lock under which one replica redeems a refresh token (RFC 6749 §6)
// (default [DefaultLockTTL]). The holder extends it every TTL/3 while it
// holds it, so a renewal may take longer than the TTL; a holder that dies
// stops extending it, and the lease ends at most TTL later.
func WithLockTTL(d time.Duration) Option {
	return func(c *config) {
		if d < 10*time.Millisecond {
			c.errs = append(c.errs, &ConfigError{Field: "WithLockTTL", Reason: "must be at least 10ms"})
			return
		}
		c.lockTTL = d
	}
}

// WithTimeout bounds each call of the store, its retries included (default
// [DefaultTimeout]); the caller's deadline, when sooner, bounds it too.
// Within it the store retries, with a jittered exponential backoff, the
// errors of a Redis that is failing over, restarting or stalled: refused or
// reset connections, timeouts of one attempt ([WithAttemptTimeout]), and
// LOADING, READONLY, MASTERDOWN, CLUSTERDOWN, TRYAGAIN, MOVED, ASK and BUSY
// replies. Every call it retries is safe to repeat: reads, and scripts that
// do nothing more when run twice (see [Store.Lock]). [Store.Lock] waits for
// a held lease until its ctx ends, and gives up when Redis has failed for
// this long without a break.
//
// The bound reaches the socket only when the client was made with
// ContextTimeoutEnabled; otherwise the client's own read and dial timeouts
// apply as well.
func WithTimeout(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			c.errs = append(c.errs, &ConfigError{Field: "WithTimeout", Reason: "must be positive"})
			return
		}
		c.timeout = d
	}
}

// WithAttemptTimeout bounds one Redis round trip (default
// [DefaultAttemptTimeout]): an attempt that gets no answer in time, from a
// stalled or unreachable server, is given up and tried again on a new
// connection within [WithTimeout]. Set it above the slowest answer a
// healthy Redis gives under load.
func WithAttemptTimeout(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			c.errs = append(c.errs, &ConfigError{Field: "WithAttemptTimeout", Reason: "must be positive"})
			return
		}
		c.attempt = d
	}
}

// WithPrefix sets the start of every Redis key the store writes (default
// [DefaultPrefix]), so that several applications can share one Redis.
func WithPrefix(p string) Option {
	return func(c *config) { c.prefix = p }
}

// WithErrorHandler sets the [oauth2flows.StoreErrorHandler] called with
// the failures that no call of the store returns, for metrics and alerts:
// each failed attempt the store then retried (Op "Load", "Lock", "Store" or
// "Unlock"), and the failures of a lease's background renewal (Op "Renew"),
// of the release of a lease that Lock gave up (Op "Unlock") and of
// replicas that did not acknowledge a write in time ([WithWaitReplicas]).
// Err is a [*RedisError] or a [*ReplicaError].
//
// The errors that calls return are not passed to it: the root package
// reports those to the handler of oauth2flows.WithTokenStoreErrorHandler or
// WithStoreErrorHandler. Give the same handler to both and it sees every
// failure once. f must be safe for concurrent use and must not block.
func WithErrorHandler(f oauth2flows.StoreErrorHandler) Option {
	return func(c *config) { c.onError = f }
}

// WithWaitReplicas makes the store wait, after each lease it takes and each
// token it writes, until n replicas have acknowledged the write (Redis's
// WAIT), for at most timeout, so that a failover cannot lose a rotated
// refresh token or a lease that another replica would then take: Redis
// replication is otherwise asynchronous. The wait runs on the connection
// of the write, at the master that serves the key; it needs a
// [redis.Client] (single or Sentinel's FailoverClient) or a
// [redis.ClusterClient]. Fewer acknowledgements in time make the store
// write again and wait again, for up to 10 timeouts: a replica that lags
// catches up, and a master that is being failed over (frozen, or demoted
// and not yet told) fails a later attempt, which then runs on the new
// master. Still fewer do not fail the call, as the write stands on the
// master: the store reports a [*ReplicaError] to [WithErrorHandler] (with
// a replica down, each lease and write then takes the 10 timeouts). A
// lease that the master no longer holds when its replicas are asked (a
// failover lost it) is taken again. timeout must be below
// [WithAttemptTimeout]. BENCHMARKS.md gives the cost: one more round trip
// and the replica's acknowledgement per lease and per write.
func WithWaitReplicas(n int, timeout time.Duration) Option {
	return func(c *config) {
		if n < 1 || timeout <= 0 {
			c.errs = append(c.errs, &ConfigError{Field: "WithWaitReplicas", Reason: "needs at least 1 replica and a positive timeout"})
			return
		}
		c.waitN, c.waitTimeout = n, timeout
	}
}
