package oauth2flows

import (
	"context"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TokenSource supplies tokens, for a [Transport] or for direct use. Unlike
// golang.org/x/oauth2's, its Token takes a context, which bounds the request
// to the authorization server. The sources of this package cache their token
// and are safe for concurrent use; the token they return must not be
// modified.
type TokenSource interface {
	Token(ctx context.Context) (*Token, error)
}

// grantSource is a source of this package: a grant behind the one renewal
// path ([renewal], in renew.go). A [Transport] over it shares its token and
// its renewals, so that the source's direct callers and every Transport
// over it cause one request to the authorization server at a time, and a
// refresh always uses the newest refresh token.
type grantSource struct{ r *renewal }

// Token returns the cached token while it is valid, and a new one otherwise.
// A caller whose ctx ends stops waiting; the renewal goes on, bounded in
// time.
func (s *grantSource) Token(ctx context.Context) (*Token, error) {
	st, err := s.r.current(ctx)
	if err != nil {
		return nil, err
	}
	return st.tok, nil
}

// newGrantSource returns a source over grant, starting from seed (which may
// be nil). A nil Config fails every call with a [*ConfigError].
func newGrantSource(cfg *Config, seed *Token, grant func(ctx context.Context, last *Token, dp Option) (*Token, error)) *grantSource {
	if cfg == nil {
		grant = func(context.Context, *Token, Option) (*Token, error) {
			return nil, &ConfigError{Field: "cfg", Reason: "nil Config"}
		}
	}
	r := newRenewal(func(ctx context.Context, last *Token) (*Token, error) { return grant(ctx, last, nil) }, nil)
	if cfg != nil {
		r.logger = cfg.Logger
		// DPoP (RFC 9449): the source's requests share one Prover and the
		// servers' nonces, and its Transport sends its DPoP tokens.
		r.dpop = newDPoPSession(cfg)
		r.grant = func(ctx context.Context, last *Token) (*Token, error) {
			return grant(ctx, last, withSession(r.dpop))
		}
	}
	r.seed(seed)
	return &grantSource{r: r}
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
	return newGrantSource(cfg, tok, func(ctx context.Context, last *Token, dp Option) (*Token, error) {
		if last == nil || last.RefreshToken == "" {
			return nil, &ConfigError{Field: "Token.RefreshToken", Reason: "empty: the token cannot be refreshed"}
		}
		next, err := Refresh(ctx, cfg, last.RefreshToken, plus(opts, dp)...)
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
// issued, and the grant can simply be run again. With [WithTokenStore],
// replicas share one token.
func ClientCredentialsSource(cfg *Config, opts ...Option) TokenSource {
	return newGrantSource(cfg, nil, func(ctx context.Context, _ *Token, dp Option) (*Token, error) {
		return ClientCredentials(ctx, cfg, plus(opts, dp)...)
	})
}

// OnBehalfOfSource returns a source of On-Behalf-Of tokens for the user of
// assertion, the access token the middle-tier API received; see
// [OnBehalfOf]. It runs the grant again with the same assertion when the
// token expires, so it lives as long as the assertion: a token it returns
// is never served past the assertion's "exp" (read, not verified, from a
// JWT assertion), and once that has passed it fails with an error matching
// [ErrReauthRequired] without asking the server. Use one source per
// incoming token, for example for the duration of one request. To share
// tokens across requests and users, use [OBOCache.Source]. A token asked as
// SAML ([WithRequestedTokenType]) is not a bearer token and a [Transport]
// refuses to send it.
func OnBehalfOfSource(cfg *Config, assertion string, opts ...Option) TokenSource {
	return newGrantSource(cfg, nil, boundedBy(assertion, func(ctx context.Context, dp Option) (*Token, error) {
		return OnBehalfOf(ctx, cfg, assertion, plus(opts, dp)...)
	}))
}

// TokenExchangeSource returns a source of RFC 8693 token exchange results for
// subjectToken; see [TokenExchange]. It exchanges again when the token
// expires, so it lives as long as the subject token: as [OnBehalfOfSource],
// it never serves a token past a JWT subject token's "exp". A result whose
// token_type is "N_A" is not a bearer token and a [Transport] refuses to
// send it.
func TokenExchangeSource(cfg *Config, subjectToken string, opts ...Option) TokenSource {
	return newGrantSource(cfg, nil, boundedBy(subjectToken, func(ctx context.Context, dp Option) (*Token, error) {
		return TokenExchange(ctx, cfg, subjectToken, plus(opts, dp)...)
	}))
}

// errAssertionExpired is returned by the sources of [boundedBy] once the
// user's token has expired: the user must sign in again.
var errAssertionExpired = &assertionExpiredError{}

type assertionExpiredError struct{}

func (*assertionExpiredError) Error() string {
	return "oauth2flows: the assertion has expired; the user must authenticate again"
}
func (*assertionExpiredError) Unwrap() error { return ErrReauthRequired }

// boundedBy wraps a grant that acts for the user of assertion so that its
// tokens expire no later than the assertion (RFC 7523 §3 "exp"): a
// downstream token must not outlive the user's own.
func boundedBy(assertion string, grant func(ctx context.Context, dp Option) (*Token, error)) func(context.Context, *Token, Option) (*Token, error) {
	exp, ok := unverifiedExpiry(assertion)
	return func(ctx context.Context, _ *Token, dp Option) (*Token, error) {
		if ok && !time.Now().Before(exp) {
			return nil, errAssertionExpired
		}
		tok, err := grant(ctx, dp)
		if err != nil || !ok || (!tok.Expiry.IsZero() && !tok.Expiry.After(exp)) {
			return tok, err
		}
		capped := *tok
		capped.Expiry = exp
		return &capped, nil
	}
}

// unverifiedExpiry reads the "exp" claim of a JWT without verifying it,
// through golang-jwt's parser, which splits the token in a bounded number
// of steps (CVE-2025-30204 was an unbounded split). ok is false for a token
// that is not a JWT or has no exp.
func unverifiedExpiry(token string) (time.Time, bool) {
	var claims jwt.RegisteredClaims
	if !peekJWTClaims(token, &claims) || claims.ExpiresAt == nil {
		return time.Time{}, false
	}
	return claims.ExpiresAt.Time, true
}
