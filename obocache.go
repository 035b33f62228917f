package oauth2flows

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"time"
)

// OBOCache serves On-Behalf-Of tokens from a cache, as a middle tier must:
// Entra throttles middle tiers that exchange the same assertion again and
// again (AADSTS50196). Concurrent misses for one key make one request, and
// the raw assertion is never stored, only its SHA-256.
//
// A token is served until it is within the skew of its expiry, and never
// past the assertion's own "exp": a downstream token must not outlive the
// user's token it was exchanged for. A token with neither bound is not
// cached. A call with [WithClaims] always goes to the server.
//
// The zero value is not usable; build one with [NewOBOCache]. An OBOCache
// is safe for concurrent use.
type OBOCache struct {
	cfg      *Config
	exchange func(ctx context.Context, cfg *Config, assertion string, opts ...Option) (*Token, error)
	grant    string     // exchange's grant_type, part of every key
	store    TokenCache // shared second level; nil: the local index alone
	skew     time.Duration
	local    *localCache
	seeds    [2]maphash.Seed

	mu      sync.Mutex
	flights map[localKey]*inflight[*Token]

	dpop *dpopSession // one Prover and the servers' DPoP nonces (RFC 9449)
}

// TokenCache is shared storage for an [OBOCache], such as Redis or
// memcached, that lets the replicas of a middle tier share tokens. It is
// asked only when the cache's own in-memory index misses. Keys are the
// client ID, the hex SHA-256 of the assertion and the parameters that shape
// the token (sorted scopes or resources, requested token type), joined by
// NUL bytes: never an assertion. Implementations must be safe for concurrent
// use, and should treat their own failures as misses. The token endpoint
// and the grant follow the assertion's hash, so replicas of different
// tenants or grants can share a store.
type TokenCache interface {
	// Get returns the token stored under key and the time until which it
	// may be served.
	Get(ctx context.Context, key string) (tok *Token, until time.Time, ok bool)
	// Put stores tok under key until the given time.
	Put(ctx context.Context, key string, tok *Token, until time.Time)
}

// CacheOption configures an [OBOCache].
type CacheOption func(*OBOCache)

// WithCacheStore adds storage shared by the replicas of a middle tier,
// behind the in-memory index. Replicas that authenticate with different
// client certificates must not share one: an RFC 8705 certificate-bound
// token is usable only with the certificate it was issued to, and the key
// does not name the certificate.
func WithCacheStore(s TokenCache) CacheOption { return func(c *OBOCache) { c.store = s } }

// WithCacheSkew sets how long before a token's expiry the cache stops
// serving it. The default is 5 minutes, so a downstream call never starts
// with a token about to expire.
func WithCacheSkew(d time.Duration) CacheOption { return func(c *OBOCache) { c.skew = d } }

// WithCacheSize bounds the in-memory index; the default is 10,000 tokens.
func WithCacheSize(n int) CacheOption { return func(c *OBOCache) { c.local = newLocalCache(n) } }

// WithTokenExchangeGrant makes the cache use RFC 8693 [TokenExchange]
// (Auth0, Okta, Keycloak) instead of Entra's [OnBehalfOf].
func WithTokenExchangeGrant() CacheOption {
	return func(c *OBOCache) { c.exchange, c.grant = TokenExchange, GrantTypeTokenExchange }
}

// NewOBOCache returns a cache of On-Behalf-Of tokens for cfg's client.
func NewOBOCache(cfg *Config, opts ...CacheOption) *OBOCache {
	c := &OBOCache{cfg: cfg, exchange: OnBehalfOf, grant: GrantTypeJWTBearer, skew: 5 * time.Minute,
		seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}, flights: map[localKey]*inflight[*Token]{},
		dpop: newDPoPSession(cfg)}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	if c.local == nil {
		c.local = newLocalCache(0)
	}
	return c
}

// Token returns a token for the downstream API on behalf of the user whose
// access token is assertion, from the cache when it holds a fresh one, else
// from the token endpoint. The returned Token is shared: do not modify it.
func (c *OBOCache) Token(ctx context.Context, assertion string, opts ...Option) (*Token, error) {
	if assertion == "" {
		return nil, &ConfigError{Field: "assertion", Reason: "empty: pass the access token the API received"}
	}
	if c.cfg == nil {
		return nil, &ConfigError{Field: "Config", Reason: "nil"}
	}
	var o *options
	if len(opts) > 0 {
		o = collect(opts)
	}
	lk := c.localKey(assertion, o)
	fresh := o == nil || o.claims == ""
	if tok, ok := c.local.get(lk, time.Now()); ok && fresh {
		return tok, nil
	}
	c.mu.Lock()
	f := c.flights[lk]
	if f == nil || !fresh {
		// A call with claims answers a challenge the cached token failed: it
		// runs its own exchange rather than join one made without the claims.
		f = &inflight[*Token]{}
		if fresh {
			c.flights[lk] = f
		}
	}
	c.mu.Unlock()
	return f.do(ctx, func(ctx context.Context) (*Token, error) {
		defer func() {
			c.mu.Lock()
			if c.flights[lk] == f {
				delete(c.flights, lk)
			}
			c.mu.Unlock()
		}()
		var sk string
		if c.store != nil {
			sk = c.storeKey(assertion, o)
			if tok, until, ok := c.store.Get(ctx, sk); ok && fresh && time.Now().Before(until) {
				c.local.put(lk, tok, until)
				return tok, nil
			}
		}
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		tok, err := c.exchange(withDPoPSession(ctx, c.dpop), c.cfg, assertion, opts...)
		if err != nil {
			return nil, err
		}
		if until, ok := c.servableUntil(tok, assertion); ok {
			c.local.put(lk, tok, until)
			if c.store != nil {
				c.store.Put(ctx, sk, tok, until)
			}
		}
		return tok, nil
	})
}

// servableUntil is the earlier of the token's expiry less the skew and the
// assertion's exp. ok is false when neither is known.
func (c *OBOCache) servableUntil(tok *Token, assertion string) (time.Time, bool) {
	var until time.Time
	if !tok.Expiry.IsZero() {
		until = tok.Expiry.Add(-c.skew)
	}
	if exp, ok := jwtExpiry(assertion); ok && (until.IsZero() || exp.Before(until)) {
		until = exp
	}
	return until, !until.IsZero()
}

// localKey identifies a token in the in-memory index: a 128-bit keyed hash
// (two maphash seeds drawn per cache) of the client, the assertion, the
// token endpoint and grant, and the parameters. A hit must cost less than
// SHA-256 of a 1.5 KB assertion (about 900 ns here). The seeds are secret to the process, so a caller
// cannot aim a different assertion at another user's entry; and one who
// knows the other user's assertion gains nothing by a collision.
type localKey [2]uint64

func (c *OBOCache) localKey(assertion string, o *options) localKey {
	var k localKey
	for i, seed := range c.seeds {
		var h maphash.Hash
		h.SetSeed(seed)
		h.WriteString(c.cfg.ClientID)
		h.WriteByte(0)
		h.WriteString(assertion)
		h.WriteByte(0)
		// What server() names, written without building a string.
		h.WriteString(c.cfg.Endpoint.TokenURL)
		h.WriteByte(0)
		h.WriteString(c.cfg.Endpoint.MTLSTokenURL)
		h.WriteByte(0)
		h.WriteString(c.grant)
		h.WriteByte(0)
		if o == nil && len(c.cfg.Scopes) == 1 {
			h.WriteString(c.cfg.Scopes[0])
		} else {
			h.WriteString(c.params(o))
		}
		k[i] = h.Sum64()
	}
	return k
}

// storeKey is the shared store's key: client, hex SHA-256 of the assertion,
// token endpoint and grant, and the parameters that shape the token.
func (c *OBOCache) storeKey(assertion string, o *options) string {
	sum := sha256.Sum256([]byte(assertion))
	return c.cfg.ClientID + "\x00" + hex.EncodeToString(sum[:]) + "\x00" + c.server() + "\x00" + c.params(o)
}

// server names where and how the token is obtained: the token endpoint (and
// its RFC 8705 alias) and the grant. The same client and assertion at another
// tenant's endpoint, or through another grant, is another token; and Config
// may be changed between calls.
func (c *OBOCache) server() string {
	return c.cfg.Endpoint.TokenURL + "\x00" + c.cfg.Endpoint.MTLSTokenURL + "\x00" + c.grant
}

// params canonicalises what shapes the token: sorted scopes, resources and
// audiences, requested and subject token types, extra parameters and the
// actor token's hash.
func (c *OBOCache) params(o *options) string {
	if o == nil {
		o = &options{}
	}
	scopes := c.cfg.Scopes
	if o.scopesSet {
		scopes = o.scopes
	}
	parts := []string{
		sortedJoin(scopes), sortedJoin(o.resources), sortedJoin(o.audiences),
		o.requestedTokenType, o.subjectTokenType, o.params.Encode(),
	}
	if o.actorToken != "" {
		sum := sha256.Sum256([]byte(o.actorToken))
		parts = append(parts, hex.EncodeToString(sum[:]))
	}
	return strings.Join(parts, "\x00")
}

func sortedJoin(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, " ")
	}
	s = slices.Clone(s)
	slices.Sort(s)
	return strings.Join(s, " ")
}

// jwtExpiry reads the "exp" claim of a JWT without verifying it: it only
// shortens how long a cached token is served, never lengthens it.
func jwtExpiry(token string) (time.Time, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}, false
	}
	var claims struct {
		Exp json.Number `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return time.Time{}, false
	}
	exp, err := claims.Exp.Float64()
	if err != nil || exp <= 0 || exp > 1<<40 {
		return time.Time{}, false
	}
	return time.Unix(int64(exp), 0), true
}
