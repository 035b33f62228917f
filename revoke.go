package oauth2flows

import (
	"context"
	"net/url"
)

// Revoke asks the server to invalidate an access or refresh token
// (RFC 7009 §2.1), posting to Endpoint.RevocationURL with the same client
// authentication as the token endpoint. [WithTokenTypeHint] helps the
// server find the token.
//
// A 200 is success, including for a token the server does not know
// (RFC 7009 §2.2). Any other status is an [*Error]; a 503 carries the
// server's Retry-After in Error.RetryAfter (§2.2.1). A missing
// RevocationURL is a [*ConfigError] and nothing is sent.
func Revoke(ctx context.Context, cfg *Config, token string, opts ...Option) error {
	if token == "" {
		return &ConfigError{Op: "Revoke", Field: "token", Reason: "empty"}
	}
	resp, secrets, err := post(ctx, cfg, &request{
		op:   "Revoke",
		kind: revocationEndpoint,
		form: url.Values{"token": {token}},
	}, collect(opts))
	if err != nil {
		return err
	}
	if resp.Status < 200 || resp.Status > 299 {
		return decodeError(resp, secrets)
	}
	return nil
}
