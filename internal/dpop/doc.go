// Package dpop builds DPoP proofs (RFC 9449 §4) and keeps the server nonces
// (RFC 9449 §8, §9) that the token-endpoint poster and the Transport send
// with them.
//
// A [Prover] is made once per key: it precomputes the protected header and
// the JWK thumbprint, so that a proof per request costs little more than
// the signature itself. [Nonces] remembers the latest DPoP-Nonce of each
// server origin. [UseNonce] and [ParseChallenges] read a resource server's
// WWW-Authenticate challenges (RFC 9449 §7.1, RFC 9110 §11.6.1), which are
// untrusted input: they are bounded and fuzzed.
package dpop
