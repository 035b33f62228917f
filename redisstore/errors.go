package redisstore

import (
	"context"
	"errors"
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

// RedisError is returned when a Redis call failed: refused, timed out (each
// call is bounded by [WithTimeout]) or answered with an error. Op is the
// store operation: "load", "lock", "store", "unlock" or "renew". Err is the
// cause, usable with errors.Is (e.g. context.DeadlineExceeded).
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
// cannot be used: it was sealed under a key this store does not have, it
// fails authentication (tampered, or moved from another key), or it does not
// parse. The message never holds the value.
type ValueError struct {
	Reason string
}

// Error implements error.
func (e *ValueError) Error() string {
	return prefix + "load: stored value unusable: " + e.Reason
}
