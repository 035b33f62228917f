package redisstore

import (
	"context"
	"errors"
	"fmt"
	"net"
)

// prefix starts every error message of this package.
const prefix = "oauth2flows: redisstore: "

// ConfigError is returned by every call of a [Store] that [New] could not
// configure: no encryption key and no [WithInsecurePlaintext], a key that is
// not 32 bytes, a lock TTL or timeout that is not positive. Nothing is sent
// to Redis. The root package treats it, like every store error, as a miss.
type ConfigError struct {
	Field  string // the option at fault, e.g. "WithEncryptionKey"
	Reason string
}

// Error implements error.
func (e *ConfigError) Error() string {
	return prefix + e.Field + ": " + e.Reason
}

// RedisError is returned when a call of the store failed at Redis: an error
// that is not transient (see [WithTimeout]), or transient errors that lasted
// until the call's time was up. Op is the store operation: "load", "lock",
// "store", "unlock", "renew" or "restartedat". Err is the last cause, usable with errors.Is
// (e.g. context.DeadlineExceeded) and with go-redis's redis.Is… functions.
type RedisError struct {
	Op  string
	Err error
}

// Error implements error.
func (e *RedisError) Error() string {
	return prefix + e.Op + ": redis: " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *RedisError) Unwrap() error { return e.Err }

// Timeout reports whether the call ran out of time: its bound
// ([WithTimeout]), the caller's deadline, or the client's own timeouts.
func (e *RedisError) Timeout() bool {
	var ne net.Error
	return errors.Is(e.Err, context.DeadlineExceeded) || errors.As(e.Err, &ne) && ne.Timeout()
}

// ValueError is returned by [Store.Load] when the value stored under a key
// cannot be used: it is larger than [MaxValueSize] (then it wraps
// [ErrValueTooLarge]), it was sealed under a key this store does not have,
// it fails authentication (tampered, or moved from another key), or it does
// not parse. The message never holds the value. A lease's Store returns it,
// wrapping [ErrValueTooLarge], for a token too large to store.
type ValueError struct {
	Reason string
	Err    error // ErrValueTooLarge, or nil
	store  bool  // returned by Store, not Load
}

// Error implements error.
func (e *ValueError) Error() string {
	if e.store {
		return prefix + "store: value unusable: " + e.Reason
	}
	return prefix + "load: stored value unusable: " + e.Reason
}

// Unwrap returns [ErrValueTooLarge] for a value over [MaxValueSize], else nil.
func (e *ValueError) Unwrap() error { return e.Err }

// ErrValueTooLarge is wrapped by the [*ValueError] of a value larger than
// [MaxValueSize]: Load reads at most MaxValueSize+1 bytes of a value,
// whatever its size in Redis, so that a value planted by someone who can
// write to Redis costs each replica's miss a bounded read, not a read of up
// to Redis's 512 MB.
var ErrValueTooLarge = errors.New(prefix + "value larger than MaxValueSize")

// ReplicaError is reported to [WithErrorHandler] when fewer replicas than
// [WithWaitReplicas] asks for acknowledged a write in time: the write
// stands on the master, but a failover now may lose it. Op is "lock" or
// "store".
type ReplicaError struct {
	Op         string
	Want, Acks int
}

// Error implements error.
func (e *ReplicaError) Error() string {
	return fmt.Sprintf("%s%s: %d of %d replicas acknowledged the write in time", prefix, e.Op, e.Acks, e.Want)
}
