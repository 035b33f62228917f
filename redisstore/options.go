package redisstore

import (
	"context"
	"time"
)

// Defaults of a [Store].
const (
	DefaultLockTTL = 10 * time.Second       // lease of a renewal lock
	DefaultTimeout = 500 * time.Millisecond // bound of each Redis call
	DefaultPrefix  = "oauth2flows:"         // start of every Redis key
)

// Option configures a [Store] made by [New].
type Option func(*config)

type config struct {
	keys      [][]byte // keys[0] seals; all open
	oldKeys   [][]byte
	nameKey   []byte
	plaintext bool
	lockTTL   time.Duration
	timeout   time.Duration
	prefix    string
	onError   func(ctx context.Context, op string, err error)
	errs      []*ConfigError
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

// WithTimeout bounds each Redis call (default [DefaultTimeout]). The bound
// reaches the socket only when the client was made with
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

// WithPrefix sets the start of every Redis key the store writes (default
// [DefaultPrefix]), so that several applications can share one Redis.
func WithPrefix(p string) Option {
	return func(c *config) { c.prefix = p }
}

// WithErrorHandler sets a function called with every error the store
// returns, and with the errors of the background lease renewal, which no
// call returns. op is "load", "lock", "store", "unlock" or "renew". It is
// the application's hook for Redis failures (like Microsoft.Identity.Web's
// OnL2CacheFailure); the callers of the store treat each error as a miss
// and go on. f must be safe for concurrent use and must not block.
func WithErrorHandler(f func(ctx context.Context, op string, err error)) Option {
	return func(c *config) { c.onError = f }
}
