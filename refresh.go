package oauth2flows

import (
	"context"
	"net/url"
)

// Refresh redeems a refresh token for a new access token (RFC 6749 §6).
//
// When the response carries no refresh_token, the returned Token keeps the
// one passed in, as §6 allows the server to keep it valid. When it carries a
// new one (rotation, RFC 9700 §4.14.2), the new one is returned and the old
// one must no longer be used. Scopes are sent only with [WithScopes]: by
// default the server re-issues the originally granted scope.
//
// A refresh token that is expired, revoked or already rotated gives an
// [*Error] with Code "invalid_grant"; errors.Is(err, [ErrReauthRequired])
// is then true and the user must sign in again.
func Refresh(ctx context.Context, cfg *Config, refreshToken string, opts ...Option) (*Token, error) {
	if refreshToken == "" {
		return nil, &ConfigError{Op: "Refresh", Field: "refreshToken", Reason: "empty"}
	}
	tok, err := exchangeToken(ctx, cfg, &request{
		op:      "Refresh",
		grant:   GrantTypeRefreshToken,
		form:    url.Values{"refresh_token": {refreshToken}},
		oneTime: true, // under rotation the server may already have spent it
	}, collect(opts))
	if err != nil {
		return nil, err
	}
	if tok.RefreshToken == "" {
		tok.RefreshToken = refreshToken
	}
	return tok, nil
}
