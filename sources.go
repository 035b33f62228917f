package oauth2flows

import (
	"context"
	"sync/atomic"
	"time"
)

// TokenSource supplies tokens, for a [Transport] or for direct use. Unlike
// golang.org/x/oauth2's, its Token takes a context, which bounds the request
// to the authorization server. The sources of this package cache their token
// and are safe for concurrent use; the token they return must not be
// modified.
type TokenSource interface {
	Token(ctx context.Context) (*Token, error)
}

// renewer is what the sources of this package add for the [Transport]: the
// token a source started with, which is not new and is not saved again, and
// a way to get a token newer than the one the Transport holds, ahead of
// expiry or after a 401, which Token would not do while its token is valid.
type renewer interface {
	TokenSource
	initial() *Token
	renew(ctx context.Context, stale *Token) (*Token, error)
}

// cachedSource caches the token of one grant and renews it single-flight,
// so that concurrent callers, and several Transports sharing the source,
// cause one request to the authorization server, and a refresh always uses
// the newest refresh token.
type cachedSource struct {
	grant  func(ctx context.Context, last *Token) (*Token, error) // last may be nil
	seed   *Token
	cur    atomic.Pointer[cachedToken]
	flight inflight[*Token]
}

// cachedToken is a token with the time from which it is no longer handed out.
type cachedToken struct {
	tok      *Token
	expireAt time.Time
}

func newCachedToken(tok *Token) *cachedToken {
	c := &cachedToken{tok: tok, expireAt: usableUntil(tok)}
	if tok.AccessToken == "" {
		c.expireAt = time.Time{} // e.g. a stored refresh token alone
	}
	return c
}

func newCachedSource(seed *Token, grant func(ctx context.Context, last *Token) (*Token, error)) *cachedSource {
	s := &cachedSource{grant: grant, seed: seed}
	if seed != nil {
		s.cur.Store(newCachedToken(seed))
	}
	return s
}

// Token returns the cached token while it is valid, and a new one otherwise.
func (s *cachedSource) Token(ctx context.Context) (*Token, error) {
	c := s.cur.Load()
	if c == nil {
		return s.renew(ctx, nil)
	}
	if time.Now().Before(c.expireAt) {
		return c.tok, nil
	}
	return s.renew(ctx, c.tok)
}

func (s *cachedSource) initial() *Token { return s.seed }

// renew returns the cached token if it is no longer stale, and otherwise
// runs the grant once for all callers. A caller whose ctx ends stops
// waiting; the grant goes on, bounded by renewTimeout.
func (s *cachedSource) renew(ctx context.Context, stale *Token) (*Token, error) {
	return s.flight.do(ctx, func(ctx context.Context) (*Token, error) {
		var last *Token
		if c := s.cur.Load(); c != nil {
			if c.tok != stale {
				return c.tok, nil // renewed since the caller looked
			}
			last = c.tok
		}
		ctx, cancel := context.WithTimeout(ctx, renewTimeout)
		defer cancel()
		tok, err := s.grant(ctx, last)
		if err != nil {
			return nil, err
		}
		s.cur.Store(newCachedToken(tok))
		return tok, nil
	})
}
