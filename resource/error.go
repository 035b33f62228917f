package resource

import "strconv"

// Reason says why a [Validator] refused an access token, so a
// caller can act on it: answer 401, 403 or 503, or count forgeries.
type Reason string

// The reasons of a [*ValidationError].
const (
	ReasonMalformed         Reason = "malformed"          // not a JWS compact JWT (RFC 7519 §7.2), or a claim of the wrong type
	ReasonTooLarge          Reason = "too_large"          // longer than Config.MaxTokenSize; not parsed
	ReasonAlgorithm         Reason = "algorithm"          // "alg" not in the allow-list (RFC 8725 §3.1)
	ReasonTokenType         Reason = "token_type"         // "typ" is not an access token's (RFC 9068 §4)
	ReasonUnknownKey        Reason = "unknown_key"        // no published key for "kid" and "alg"
	ReasonSignature         Reason = "signature"          // the signature does not verify
	ReasonIssuer            Reason = "issuer"             // "iss" is not the configured issuer
	ReasonTenant            Reason = "tenant"             // "tid" missing, not accepted, or not the tenant "iss" names
	ReasonAudience          Reason = "audience"           // no configured audience in "aud"
	ReasonExpired           Reason = "expired"            // "exp" passed, beyond the leeway
	ReasonNotYetValid       Reason = "not_yet_valid"      // "nbf" ahead, beyond the leeway
	ReasonInsufficientScope Reason = "insufficient_scope" // valid, but without the required scopes or roles (RFC 6750 §3.1)
	ReasonKeysUnavailable   Reason = "keys_unavailable"   // the key set could not be fetched: our failure, not the token's
)

// ValidationError is an access token refused by [Validator.Validate]. Its
// message never contains the token. Use errors.As to reach it.
type ValidationError struct {
	Reason Reason
	// Detail says what was wrong, e.g. the issuer the token named. It
	// holds claim values only, quoted and shortened, never the token.
	Detail string
	// Err is the cause, if any: a context error, a key set fetch failure,
	// or golang-jwt's parse error.
	Err error
}

// Error implements error.
func (e *ValidationError) Error() string {
	s := "oauth2flows: access token refused: " + string(e.Reason)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *ValidationError) Unwrap() error { return e.Err }

// quoteClaim quotes a claim value from a token for an error message,
// shortened so a huge claim cannot flood a log.
func quoteClaim(s string) string {
	const max = 100
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}
