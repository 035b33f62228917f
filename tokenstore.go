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

// RestartReportingStore is a [TokenStore] that can say when the server
// holding a key last restarted, and so may have lost what it held (a Redis
// without persistence restarts empty). A [Transport] given [WithTokenStore]
// asks only when the token it started with finds the store empty under the
// lease. After a restart less than the lease wait (30 s) ago, the store
// may have lost a newer token than that one, renewed by another replica
// just before the restart or in flight when its lease was lost: the token
// is then used while it is valid, but not renewed before the replicas have
// had that wait to write back what they hold, as after any loss the
// Transport sees itself. With any other store the Transport waits a
// shorter grace, which a restart during that grace defeats. A
// RestartedAt that fails counts as a restart just now.
type RestartReportingStore interface {
	TokenStore
	// RestartedAt returns when the server holding key last started, if
	// that was after this store value was made; the zero time otherwise.
	RestartedAt(ctx context.Context, key string) (time.Time, error)
}

// ErrLeaseLost is wrapped by [TokenLease.Store] when a newer lease was taken
// on the key after this one lapsed.
var ErrLeaseLost = errors.New("oauth2flows: token store lease lost")
