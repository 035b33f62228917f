package oauth2flows

import "context"

// ClientCredentials gets a token for the client itself, with no user
// (RFC 6749 §4.4). It sends Config.Scopes, or those of [WithScopes];
// [WithAudience] and [WithResource] serve servers that want them (Auth0,
// RFC 8707). The client must be able to authenticate: a public client
// cannot use this grant.
func ClientCredentials(ctx context.Context, cfg *Config, opts ...Option) (*Token, error) {
	return exchangeToken(ctx, cfg, &request{
		grant:         GrantTypeClientCredentials,
		defaultScopes: true,
	}, collect(opts))
}
