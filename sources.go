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

// newCachedSource returns a source over grant. cfg is only checked: a nil
// Config fails every call with a [*ConfigError].
func newCachedSource(cfg *Config, seed *Token, grant func(ctx context.Context, last *Token) (*Token, error)) *cachedSource {
	if cfg == nil {
		grant = func(context.Context, *Token) (*Token, error) {
			return nil, &ConfigError{Field: "cfg", Reason: "nil Config"}
		}
	}
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

// RefreshTokenSource returns a source that starts with tok and renews it with
// the refresh_token grant (RFC 6749 §6). Each renewal uses the newest refresh
// token, and a response without one keeps the previous, so rotation
// (RFC 9700 §4.14.2) works: concurrent callers share one renewal, never
// spending the same refresh token twice. tok may carry only a refresh token,
// as loaded from storage; tok itself is not "new" to a [Transport]'s saver.
// opts apply to every refresh, e.g. [WithScopes]. A refresh token the
// server no longer accepts gives an error that matches [ErrReauthRequired].
func RefreshTokenSource(cfg *Config, tok *Token, opts ...Option) TokenSource {
	return newCachedSource(cfg, tok, func(ctx context.Context, last *Token) (*Token, error) {
		if last == nil || last.RefreshToken == "" {
			return nil, &ConfigError{Field: "Token.RefreshToken", Reason: "empty: the token cannot be refreshed"}
		}
		next, err := Refresh(ctx, cfg, last.RefreshToken, opts...)
		if err != nil {
			return nil, err
		}
		if next.RefreshToken == "" { // Refresh does this too; a rotated token must never be lost
			next.RefreshToken = last.RefreshToken
		}
		return next, nil
	})
}

// ClientCredentialsSource returns a source of tokens for the client itself
// (RFC 6749 §4.4), fetched on first use and again when the token expires.
// opts apply to every request, e.g. [WithScopes] or [WithAudience]. A
// refresh token in the response is ignored: §4.4.3 says none should be
// issued, and the grant can simply be run again.
func ClientCredentialsSource(cfg *Config, opts ...Option) TokenSource {
	return newCachedSource(cfg, nil, func(ctx context.Context, _ *Token) (*Token, error) {
		return ClientCredentials(ctx, cfg, opts...)
	})
}

// OnBehalfOfSource returns a source of On-Behalf-Of tokens for the user of
// assertion, the access token the middle-tier API received; see
// [OnBehalfOf]. It runs the grant again with the same assertion when the
// token expires, so it lives as long as the assertion: one source per
// incoming token, for example for the duration of one request. To share
// tokens across requests and users, use [OBOCache.Source]. A token
// asked as SAML ([WithRequestedTokenType]) is not a bearer token and a
// [Transport] refuses to send it.
func OnBehalfOfSource(cfg *Config, assertion string, opts ...Option) TokenSource {
	return newCachedSource(cfg, nil, func(ctx context.Context, _ *Token) (*Token, error) {
		return OnBehalfOf(ctx, cfg, assertion, opts...)
	})
}

// TokenExchangeSource returns a source of RFC 8693 token exchange results for
// subjectToken; see [TokenExchange]. It exchanges again when the token
// expires, so it lives as long as the subject token. A result whose
// token_type is "N_A" is not a bearer token and a [Transport] refuses to
// send it.
func TokenExchangeSource(cfg *Config, subjectToken string, opts ...Option) TokenSource {
	return newCachedSource(cfg, nil, func(ctx context.Context, _ *Token) (*Token, error) {
		return TokenExchange(ctx, cfg, subjectToken, opts...)
	})
}
