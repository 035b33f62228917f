package oauth2flows

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// verifierBytes is the entropy of a verifier from [NewVerifier]: 32 octets,
// as RFC 7636 §4.1 recommends, which base64url-encode to 43 characters.
const verifierBytes = 32

// NewVerifier returns a new PKCE code verifier (RFC 7636 §4.1): 43
// unreserved characters holding 256 bits from crypto/rand. Pass it to
// [WithPKCE] both in [AuthCodeURL] and in [ExchangeCode], and keep it only
// for the duration of one authorization, server side or in the user's
// session.
func NewVerifier() string { return randomToken() }

// NewState returns a new random state (RFC 6749 §10.12): 43 URL-safe
// characters holding 256 bits from crypto/rand. Bind it to the user's
// session, send it with [AuthCodeURL] and check it with [ParseCallback].
// A state of the caller's own works too, if an attacker cannot guess it
// (RFC 6749 §10.12): this package does not judge its entropy.
func NewState() string { return randomToken() }

// S256Challenge returns the S256 code challenge of a verifier
// (RFC 7636 §4.2): BASE64URL(SHA256(verifier)), without padding.
// [AuthCodeURL] sends it when given [WithPKCE]; the plain method is never
// used (RFC 9700 §2.1.1).
func S256Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// randomToken returns 256 random bits, base64url-encoded without padding.
// crypto/rand.Read never fails (Go 1.24 and later).
func randomToken() string {
	var b [verifierBytes]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// checkVerifier enforces RFC 7636 §4.1's syntax: 43 to 128 characters of
// [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
func checkVerifier(v string) error {
	if len(v) < 43 || len(v) > 128 {
		return &ConfigError{Field: "WithPKCE", Reason: "verifier must be 43 to 128 characters (RFC 7636 §4.1); use NewVerifier"}
	}
	for i := 0; i < len(v); i++ {
		if !unreserved(v[i]) {
			return &ConfigError{Field: "WithPKCE", Reason: "verifier may hold only unreserved characters A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1); use NewVerifier"}
		}
	}
	return nil
}

// unreserved reports whether c is an RFC 3986 §2.3 unreserved character.
func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}
