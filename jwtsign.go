package oauth2flows

import (
	"crypto"
	"crypto/rand"
	"encoding/base64"
	"errors"

	"github.com/golang-jwt/jwt/v5"

	"github.com/oauth2flows/oauth2flows/internal/jws"
)

// signJWT is the one way this package builds a JWT it sends (client
// assertions, request objects): golang-jwt encodes header and claims, and
// key signs through the crypto.Signer interface, so keys held in an HSM or
// a cloud KMS work as well as in-memory ones. field names the key in
// errors. (DPoP proofs, built per request on the hot path, keep their own
// allocation-free encoder in internal/dpop; BENCHMARKS.md has why.)
func signJWT(t *jwt.Token, key crypto.Signer, alg, field string) (string, error) {
	input, err := t.SigningString()
	if err != nil {
		return "", &ConfigError{Field: field, Reason: "cannot encode the JWT"}
	}
	sig, err := jws.Sign(key, alg, []byte(input))
	if errors.Is(err, jws.ErrMalformedSignature) {
		return "", &ConfigError{Field: field, Reason: "signer returned a malformed ECDSA signature"}
	} else if err != nil {
		return "", &ConfigError{Field: field, Reason: "signing the JWT failed"}
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// signingAlg picks the JWS algorithm (RFC 7518 §3.1) for key, or checks
// the one asked for fits the key. field and algField name the settings in
// errors.
func signingAlg(key crypto.Signer, want, field, algField string) (string, error) {
	alg, err := jws.ChooseAlg(key, want)
	switch {
	case errors.Is(err, jws.ErrCurve):
		return "", &ConfigError{Field: field, Reason: "ECDSA keys must use P-256 (ES256)"}
	case errors.Is(err, jws.ErrKeyType):
		return "", &ConfigError{Field: field, Reason: "key must be RSA or ECDSA P-256"}
	case err != nil:
		return "", &ConfigError{Field: algField, Reason: "algorithm " + want + " does not fit the key"}
	}
	return alg, nil
}

// newJTI returns a JWT ID (RFC 7519 §4.1.7) of 128 random bits.
func newJTI() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// thumbprintS256 is the "x5t#S256" of a DER certificate (RFC 7515 §4.1.8,
// RFC 8705 §3.1).
func thumbprintS256(der []byte) string { return jws.CertThumbprintS256(der) }
