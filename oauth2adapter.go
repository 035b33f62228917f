package oauth2flows

import (
	"context"
	"errors"

	"golang.org/x/oauth2"
)

// FromOAuth2 adapts a golang.org/x/oauth2 TokenSource, such as one from
// google.DefaultTokenSource or oauth2.Config.TokenSource, to a [TokenSource].
// x/oauth2 sources take no context, so ctx cannot cancel their requests.
// The id_token, scope and issued_token_type members are taken from the
// token's extra fields. A [Transport] cannot force such a source to renew
// its token: it asks again at expiry, and does not retry a 401 unless the
// source returns another token.
func FromOAuth2(ts oauth2.TokenSource) TokenSource {
	return oauth2Source{ts}
}

type oauth2Source struct{ ts oauth2.TokenSource }

func (s oauth2Source) Token(ctx context.Context) (*Token, error) {
	if s.ts == nil {
		return nil, &ConfigError{Field: "TokenSource", Reason: "nil"}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t, err := s.ts.Token()
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, errors.New("oauth2flows: x/oauth2 token source returned no token and no error")
	}
	tok := &Token{Token: *t}
	tok.IDToken, _ = t.Extra("id_token").(string)
	tok.Scope, _ = t.Extra("scope").(string)
	tok.IssuedTokenType, _ = t.Extra("issued_token_type").(string)
	return tok, nil
}

// ToOAuth2 adapts a [TokenSource] to golang.org/x/oauth2's, for libraries
// that take one (for example google.golang.org/api's option.WithTokenSource).
// Each Token call uses ctx, since x/oauth2's Token takes none. The returned
// token is a copy of the embedded oauth2.Token.
func ToOAuth2(ctx context.Context, src TokenSource) oauth2.TokenSource {
	return toOAuth2{ctx: ctx, src: src}
}

type toOAuth2 struct {
	ctx context.Context
	src TokenSource
}

func (s toOAuth2) Token() (*oauth2.Token, error) {
	if s.src == nil {
		return nil, &ConfigError{Field: "TokenSource", Reason: "nil"}
	}
	tok, err := s.src.Token(s.ctx)
	if err != nil {
		return nil, err
	}
	if tok == nil {
		return nil, errors.New("oauth2flows: token source returned no token and no error")
	}
	t := tok.Token
	return &t, nil
}
