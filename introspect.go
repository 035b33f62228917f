package oauth2flows

import (
	"context"
	"encoding/json"
	"net/url"

	"github.com/golang-jwt/jwt/v5"

	"github.com/oauth2flows/oauth2flows/internal/redact"
)

// Introspection is a token introspection response (RFC 7662 §2.2). Only
// Active is required of the server; the rest are present as it chooses.
type Introspection struct {
	Active    bool             `json:"active"`
	Scope     string           `json:"scope,omitempty"`
	ClientID  string           `json:"client_id,omitempty"`
	Username  string           `json:"username,omitempty"`
	TokenType string           `json:"token_type,omitempty"`
	Subject   string           `json:"sub,omitempty"`
	Audience  jwt.ClaimStrings `json:"aud,omitempty"` // a string or an array on the wire
	Issuer    string           `json:"iss,omitempty"`
	JWTID     string           `json:"jti,omitempty"`
	ExpiresAt int64            `json:"exp,omitempty"`
	IssuedAt  int64            `json:"iat,omitempty"`
	NotBefore int64            `json:"nbf,omitempty"`
	// Confirmation is the RFC 8705 §3.2 "cnf" member of a
	// certificate-bound token, e.g. {"x5t#S256": "..."}.
	Confirmation map[string]string `json:"cnf,omitempty"`
}

// Introspect asks Endpoint.IntrospectionURL whether a token is active and
// what it grants (RFC 7662 §2.1), authenticating the client as for the
// token endpoint (with a certificate, to the RFC 8705 alias).
// [WithTokenTypeHint] helps the server find the token. An inactive token is
// not an error: Introspection.Active is false.
func Introspect(ctx context.Context, cfg *Config, token string, opts ...Option) (*Introspection, error) {
	if token == "" {
		return nil, &ConfigError{Op: "Introspect", Field: "token", Reason: "empty"}
	}
	resp, secrets, err := post(ctx, cfg, &request{
		op:   "Introspect",
		kind: introspectionEndpoint,
		form: url.Values{"token": {token}},
	}, collect(opts))
	if err != nil {
		return nil, err
	}
	if resp.Status < 200 || resp.Status > 299 {
		return nil, decodeError(resp, secrets)
	}
	if resp.TooLarge {
		return nil, &InvalidResponseError{StatusCode: resp.Status, Reason: "body exceeds 1 MiB"}
	}
	var in Introspection
	if err := json.Unmarshal(resp.Body, &in); err != nil {
		return nil, &InvalidResponseError{StatusCode: resp.Status, ContentType: redact.SafeText(resp.Header.Get("Content-Type"), secrets, 64),
			Reason: "not an introspection response (RFC 7662 §2.2)"}
	}
	return &in, nil
}
