package oauth2flows

import "context"

// ClientCredentials gets a token for the client itself, with no user
// (RFC 6749 §4.4). It sends Config.Scopes, or those of [WithScopes];
// [WithResource] sends RFC 8707 resource indicators and [WithAudience]
// Auth0's audience; other options are refused. The client must be able to authenticate: a public client
// cannot use this grant.
func ClientCredentials(ctx context.Context, cfg *Config, opts ...Option) (*Token, error) {
	return exchangeToken(ctx, cfg, &request{
		op:            "ClientCredentials",
		grant:         GrantTypeClientCredentials,
		defaultScopes: true,
	}, collect(opts))
}
