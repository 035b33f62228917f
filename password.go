package oauth2flows

import (
	"context"
	"net/url"
)

// PasswordCredentials exchanges a user's username and password for a token
// (RFC 6749 §4.3.2), sending Config.Scopes or those of [WithScopes]. The
// client authenticates as Config says. Wrong credentials give an [*Error]
// with Code "invalid_grant". The password never appears in an error.
//
// Deprecated: RFC 9700 §2.4 says this grant MUST NOT be used: it exposes
// the user's credentials to the client, cannot do multi-factor or
// federated sign-in, and trains users to type passwords outside the
// authorization server. Use [AuthCodeURL] and [ExchangeCode] with PKCE. It
// still works fully, for servers that offer nothing else.
func PasswordCredentials(ctx context.Context, cfg *Config, username, password string, opts ...Option) (*Token, error) {
	const op = "PasswordCredentials"
	if cfg == nil {
		return nil, &ConfigError{Op: op, Field: "cfg", Reason: "nil Config"}
	}
	if username == "" {
		return nil, &ConfigError{Op: op, Field: "username", Reason: "empty"}
	}
	return exchangeToken(ctx, cfg, &request{
		op:    op,
		grant: GrantTypePassword,
		form: url.Values{
			"username": {username},
			"password": {password},
		},
		defaultScopes: true,
	}, collect(opts))
}
