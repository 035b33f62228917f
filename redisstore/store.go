package redisstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/oauth2flows/oauth2flows"
	"github.com/redis/go-redis/v9"
)

// Store is a [oauth2flows.TokenStore] in Redis, shared by the replicas of a
// service: the tokens of RFC 6749 §5.1 and RFC 8693 §2.2 that they obtain,
// sealed. It is safe for concurrent use. Make it with [New].
type Store struct {
	client   redis.UniversalClient
	err      error                       // set when New could not configure the store
	cur      *sealKey                    // seals new values; nil with WithInsecurePlaintext
	namer    *sealKey                    // names Redis keys; nil with WithInsecurePlaintext
	byID     map[[keyIDLen]byte]*sealKey // every key that opens values
	lockTTL  time.Duration
	timeout  time.Duration // of one call, retries included
	attempt  time.Duration // of one round trip
	prefix   string
	onError  oauth2flows.StoreErrorHandler
	honors   bool // the client puts its calls' deadlines on the socket
	waitN    int  // WithWaitReplicas; 0: no WAIT
	waitFor  time.Duration
	made     time.Time // by New: RestartedAt reports restarts after it
	restarts restartCache
}

var _ oauth2flows.ContextHonoringStore = (*Store)(nil)

// New returns a store of tokens in Redis through client, for the root
// package's WithCacheStore and WithTokenStore.
//
// Without [WithEncryptionKey] (or [WithInsecurePlaintext], for tests) the
// store refuses to keep tokens: every call returns a [ConfigError] and sends
// nothing to Redis. So does every call of a store given a bad option. The
// callers in the root package treat the error as a miss and report it, so a
// misconfigured store costs token requests but never a user's request.
func New(client redis.UniversalClient, opts ...Option) *Store {
	c := config{lockTTL: DefaultLockTTL, timeout: DefaultTimeout, attempt: DefaultAttemptTimeout, prefix: DefaultPrefix}
	for _, o := range opts {
		o(&c)
	}
	s := &Store{client: client, lockTTL: c.lockTTL, timeout: c.timeout, attempt: min(c.attempt, c.timeout),
		prefix: c.prefix, onError: c.onError, honors: clientHonorsDeadlines(client), waitN: c.waitN, waitFor: c.waitTimeout,
		made: time.Now()}
	switch {
	case len(c.errs) > 0:
		s.err = c.errs[0]
	case client == nil:
		s.err = &ConfigError{Field: "client", Reason: "nil Redis client"}
	case c.waitN > 0 && !waitable(client):
		s.err = &ConfigError{Field: "WithWaitReplicas", Reason: "needs a *redis.Client or *redis.ClusterClient"}
	case c.waitN > 0 && c.waitTimeout >= s.attempt:
		s.err = &ConfigError{Field: "WithWaitReplicas", Reason: "timeout must be below the attempt timeout"}
	case len(c.keys) == 0 && !c.plaintext:
		s.err = &ConfigError{Field: "WithEncryptionKey", Reason: "no encryption key: the store refuses to keep tokens readable (WithInsecurePlaintext allows it in tests)"}
	case len(c.keys) > 0:
		s.byID = make(map[[keyIDLen]byte]*sealKey)
		for i, raw := range append(c.keys, c.oldKeys...) {
			k, err := newSealKey(raw)
			if err != nil {
				s.err = &ConfigError{Field: "WithEncryptionKey", Reason: "unusable key"}
				break
			}
			if i == 0 {
				s.cur = k
			}
			if _, dup := s.byID[k.id]; !dup {
				s.byID[k.id] = k
			}
		}
		s.namer = s.cur
		if c.nameKey != nil && s.err == nil {
			s.namer, _ = newSealKey(c.nameKey)
		}
	}
	return s
}

// HonorsContext reports whether every call of the store and of its leases
// returns once its ctx's deadline has passed, as
// [oauth2flows.ContextHonoringStore] asks: true when the client puts the
// deadline on its socket (a [redis.Client], [redis.ClusterClient] or
// [redis.Ring] with ContextTimeoutEnabled, read and write deadlines not
// disabled), or when the store refuses every call. The root package then
// calls the store on the caller's goroutine, which saves a goroutine
// hand-off per call; otherwise on a goroutine of its own, which it stops
// waiting for at its bound.
func (s *Store) HonorsContext() bool { return s.err != nil || s.honors }

// clientHonorsDeadlines reports whether client bounds its socket reads and
// writes by its calls' deadlines. Its pool and dialer always honour them.
func clientHonorsDeadlines(client redis.UniversalClient) bool {
	switch c := client.(type) {
	case *redis.Client:
		o := c.Options()
		return o.ContextTimeoutEnabled && o.ReadTimeout >= 0 && o.WriteTimeout >= 0
	case *redis.ClusterClient:
		o := c.Options()
		return o.ContextTimeoutEnabled && o.ReadTimeout >= 0 && o.WriteTimeout >= 0
	case *redis.Ring:
		o := c.Options()
		return o.ContextTimeoutEnabled && o.ReadTimeout >= 0 && o.WriteTimeout >= 0
	}
	return false
}

// redisKeys are the Redis keys of one store key. The hashed part is a hash
// tag ({...}) so that all live in one Redis Cluster slot, as the Lua
// scripts of the lease need. guard is never written (see get).
type redisKeys struct {
	token, lock, fence, guard string
}

func (s *Store) keys(key string) redisKeys {
	var h string
	if s.namer == nil {
		h = plainName(key)
	} else {
		h = s.namer.name(key)
	}
	base := s.prefix + "{" + h + "}:"
	return redisKeys{token: base + "t", lock: base + "l", fence: base + "f", guard: base + "g"}
}

// Load returns the token (RFC 6749 §5.1) stored under key, or (nil, nil)
// when there is none (an empty value is none too). It reads at most
// [MaxValueSize]+1 bytes of the value (GETRANGE): a larger one is a
// [*ValueError] wrapping [ErrValueTooLarge]. A value it cannot open or
// parse is a [*ValueError]; a Redis that failed for the whole call (see
// [WithTimeout]) a [*RedisError].
func (s *Store) Load(ctx context.Context, key string) (*oauth2flows.Token, error) {
	if s.err != nil {
		return nil, s.err
	}
	keys := s.keys(key)
	rk := keys.token
	v, err := s.get(ctx, rk, keys.guard)
	if err != nil {
		return nil, &RedisError{Op: "load", Err: err}
	}
	switch {
	case len(v) == 0:
		return nil, nil
	case len(v) > MaxValueSize:
		return nil, &ValueError{Reason: "larger than MaxValueSize", Err: ErrValueTooLarge}
	}
	k := s.cur
	if id, ok := keyID(v); ok && k != nil {
		if k = s.byID[id]; k == nil {
			return nil, &ValueError{Reason: "sealed under a key this store does not have"}
		}
	}
	return open(k, rk, v)
}

// get reads at most MaxValueSize+1 bytes of the value at rk (GETRANGE), at
// a master; a missing key reads as empty. The read is pipelined after a
// PERSIST of a key that never exists (guard): a no-op, but a write
// command, which a replica refuses (READONLY, retried) rather than answer.
// After a failover, a client's connection to the demoted master would
// otherwise read what the new master has long replaced, or nothing while
// it resyncs, and a stale refresh token is one already redeemed. It costs
// about 1.0 GET where a script doing the same cost 1.36 (BENCHMARKS.md).
func (s *Store) get(ctx context.Context, rk, guard string) (v []byte, err error) {
	ctx, cancel := bounded(ctx, s.timeout)
	defer cancel()
	err = s.retry(ctx, "Load", func(ctx context.Context) error {
		p := s.client.Pipeline()
		p.Persist(ctx, guard)
		r := p.GetRange(ctx, rk, 0, MaxValueSize)
		if _, err := p.Exec(ctx); err != nil {
			return err
		}
		v, err = r.Bytes()
		return err
	})
	return v, err
}

// bounded is context.WithTimeout(ctx, d), without a new context when ctx
// ends sooner anyway, as it does when the root package calls the store
// (each call under its own bound): the hot read saves a timer.
func bounded(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= d {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}

// deadline makes the error of a call whose context ended (the caller's, or
// the store's bound) wrap the context's error too: the client reports a
// socket deadline as an i/o timeout. With ContextTimeoutEnabled the socket's
// deadline is the context's, and the read can fail before the context's own
// timer has marked it done: a timeout once the deadline has passed is the
// context's deadline too.
func deadline(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	cerr := ctx.Err()
	var ne net.Error
	if d, ok := ctx.Deadline(); cerr == nil && ok && !time.Now().Before(d) && errors.As(err, &ne) && ne.Timeout() {
		cerr = context.DeadlineExceeded
	}
	if cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	return err
}
