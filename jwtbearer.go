package oauth2flows

import (
	"context"
	"net/url"
)

// JWTBearer uses a JWT as an authorization grant (RFC 7523 §2.1): the
// two-legged flow of golang.org/x/oauth2/jwt and Google service accounts,
// where the assertion, signed by an issuer the server trusts, names the
// subject the token is for. It sends grant_type
// urn:ietf:params:oauth:grant-type:jwt-bearer, the assertion and
// Config.Scopes (or [WithScopes]); [WithAudience], [WithResource] and
// [WithParam] add theirs. It is not Entra's On-Behalf-Of (see
// [OnBehalfOf]): no requested_token_use is sent.
//
// The client authenticates as Config says. Client authentication is
// optional for this grant (§3.1): a Config with no ClientID and no
// credentials sends the assertion alone, as Google's token endpoint
// expects. The assertion is never in an error string or a log line. For a
// [Transport], use [JWTBearerSource], which mints a fresh assertion for each
// token.
func JWTBearer(ctx context.Context, cfg *Config, assertion string, opts ...Option) (*Token, error) {
	const op = "JWTBearer"
	if assertion == "" {
		return nil, &ConfigError{Op: op, Field: "assertion", Reason: "empty"}
	}
	return exchangeToken(ctx, cfg, &request{
		op:            op,
		grant:         GrantTypeJWTBearer,
		form:          url.Values{"assertion": {assertion}},
		defaultScopes: true,
		anonymous:     true,
	}, collect(opts))
}

// JWTBearerSource returns a source of [JWTBearer] tokens (RFC 7523 §2.1),
// fetched on first use and again when the token expires. assertion is
// asked for a new assertion for every token request, so that it can mint
// one with a fresh exp and jti (§3: assertions are short-lived and servers
// may refuse a jti seen before), or re-read one another process renews.
// Its failure is returned as an [*AssertionError]. opts apply to every
// request. A refresh token in the response is ignored: the grant is simply
// run again.
func JWTBearerSource(cfg *Config, assertion func(ctx context.Context) (string, error), opts ...Option) TokenSource {
	return newGrantSource(cfg, nil, func(ctx context.Context, _ *Token, dp Option) (*Token, error) {
		if assertion == nil {
			return nil, &ConfigError{Op: "JWTBearerSource", Field: "assertion", Reason: "nil function"}
		}
		a, err := callAssertion(ctx, "assertion", assertion)
		if err != nil {
			return nil, withOp("JWTBearerSource", err)
		}
		return JWTBearer(ctx, cfg, a, plus(opts, dp)...)
	})
}
