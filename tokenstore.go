package oauth2flows

import (
	"context"
	"errors"
	"time"
)

// TokenStore is storage shared by the replicas of a service, such as Redis
// (package github.com/oauth2flows/oauth2flows/redisstore). It holds two
// kinds of entry: the On-Behalf-Of tokens of an [OBOCache] given
// [WithCacheStore], and the one current token per key of a [Transport] given
// [WithTokenStore]. Its lease makes one replica renew a token while the
// others wait and then read what it stored, so that a rotating refresh token
// is redeemed once across all replicas.
//
// Callers in this package treat every error of a TokenStore as a miss: they
// report it through [Config.Logger] (a [Transport] over a source that has
// no Config: slog's default logger) and go on with their own memory and the
// token endpoint. Implementations must be safe for concurrent use, bound
// every call in time, and keep nothing readable: keys arrive as given and
// may name a user, and tokens are credentials.
type TokenStore interface {
	// Load returns the token stored under key, or (nil, nil) when there is
	// none.
	Load(ctx context.Context, key string) (*Token, error)
	// Lock takes the renewal lease of key, waiting while another holder
	// has it, until ctx ends. A lease whose holder dies expires by itself;
	// one whose holder lives is kept alive until Unlock.
	Lock(ctx context.Context, key string) (TokenLease, error)
}

// TokenLease is the renewal lease of one key of a [TokenStore].
type TokenLease interface {
	// Store writes tok under the lease's key, kept until expires (the zero
	// time: until replaced). It writes only while this lease is still the
	// newest one taken on the key (fencing) and returns an error wrapping
	// [ErrLeaseLost] otherwise, so that a holder whose lease lapsed never
	// overwrites a newer token.
	Store(ctx context.Context, tok *Token, expires time.Time) error
	// Unlock gives the lease up.
	Unlock(ctx context.Context) error
}

// ErrLeaseLost is wrapped by [TokenLease.Store] when a newer lease was taken
// on the key after this one lapsed.
var ErrLeaseLost = errors.New("oauth2flows: token store lease lost")
