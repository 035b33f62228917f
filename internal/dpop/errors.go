package dpop

import "errors"

// Errors of this package, for errors.Is. None carries a token, nonce or
// key material.
var (
	// ErrMethod: the HTTP method is not an RFC 9110 §9.1 token.
	ErrMethod = errors.New("dpop: HTTP method is not a token")
	// ErrURL: the URL is not an absolute http or https URL with a host in
	// ASCII, so no htu can be built (RFC 9449 §4.2).
	ErrURL = errors.New("dpop: URL must be absolute http(s) with an ASCII host")
	// ErrNonce: the nonce is empty, too long or not 1*NQCHAR (RFC 9449 §8.1).
	ErrNonce = errors.New("dpop: malformed nonce")
	// ErrATH: an ath that is not the base64url SHA-256 that [ATH] gives.
	ErrATH = errors.New("dpop: malformed ath")
	// ErrChallenge: a WWW-Authenticate header that does not parse, or
	// exceeds this package's bounds.
	ErrChallenge = errors.New("dpop: malformed WWW-Authenticate challenge")
)
