package jws

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
)

// Sign signs a JWS signing input (RFC 7515 §5.1: BASE64URL(header) '.'
// BASE64URL(payload)) with key under alg, which [ChooseAlg] gave for key,
// and returns the JWS signature: r||s for ES256 (RFC 7518 §3.4), the RSA
// signature for RS256 and PS256. Only key.Sign is called, with the SHA-256
// digest of input, so keys held in an HSM or a cloud KMS work.
// Errors: [ErrSign] (wrapping the signer's error), [ErrMalformedSignature],
// [ErrAlgMismatch] for an unknown alg.
func Sign(key crypto.Signer, alg string, input []byte) ([]byte, error) {
	var raw [64]byte
	sig, err := sign(&raw, key, alg, input)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), sig...), nil
}

// AppendSignature appends the base64url (unpadded) JWS signature of input
// to dst, as [Sign] computes it: the last part of a compact JWS
// (RFC 7515 §7.1). It allocates nothing beyond what the signer does and
// what dst's growth needs.
func AppendSignature(dst []byte, key crypto.Signer, alg string, input []byte) ([]byte, error) {
	var raw [64]byte
	sig, err := sign(&raw, key, alg, input)
	if err != nil {
		return dst, err
	}
	return base64.RawURLEncoding.AppendEncode(dst, sig), nil
}

// sign returns the JWS signature; for ES256 it lives in raw.
func sign(raw *[64]byte, key crypto.Signer, alg string, input []byte) ([]byte, error) {
	if alg != RS256 && alg != PS256 && alg != ES256 {
		return nil, ErrAlgMismatch
	}
	digest := sha256.Sum256(input)
	sig, err := key.Sign(rand.Reader, digest[:], signerOpts(alg))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSign, err)
	}
	if alg != ES256 {
		return sig, nil
	}
	// crypto.Signer gives ASN.1 DER (its documented contract); JWS wants
	// the fixed-width r||s.
	if err := ES256Raw(raw, sig); err != nil {
		return nil, err
	}
	return raw[:], nil
}

// ES256Raw converts an ECDSA P-256 signature from the ASN.1 DER that
// crypto.Signer returns (SEQUENCE { r INTEGER, s INTEGER }) to the JWS form
// r||s, each 32 bytes big-endian (RFC 7518 §3.4), without allocating.
// It accepts strict DER only: minimal lengths and integers, 0 < r, s < 2^256,
// nothing trailing. Error: [ErrMalformedSignature].
func ES256Raw(dst *[64]byte, der []byte) error {
	// A P-256 signature is at most 2 + 2*(2+33) = 72 bytes: the sequence
	// length always has the short form.
	if len(der) < 8 || der[0] != 0x30 || int(der[1]) != len(der)-2 || der[1] >= 0x80 {
		return ErrMalformedSignature
	}
	rest := der[2:]
	r, rest, ok := derUint(rest)
	if !ok {
		return ErrMalformedSignature
	}
	s, rest, ok := derUint(rest)
	if !ok || len(rest) != 0 {
		return ErrMalformedSignature
	}
	clear(dst[:])
	copy(dst[32-len(r):32], r)
	copy(dst[64-len(s):], s)
	return nil
}

// derUint reads a DER INTEGER that must be positive and fit 32 bytes, and
// returns its magnitude without leading zeros.
func derUint(b []byte) (v, rest []byte, ok bool) {
	if len(b) < 3 || b[0] != 0x02 {
		return nil, nil, false
	}
	n := int(b[1])
	if n == 0 || n > 33 || len(b) < 2+n {
		return nil, nil, false
	}
	v, rest = b[2:2+n], b[2+n:]
	if v[0]&0x80 != 0 {
		return nil, nil, false // negative
	}
	if v[0] == 0 {
		if len(v) == 1 || v[1]&0x80 == 0 {
			return nil, nil, false // zero, or a needless leading zero (not DER)
		}
		v = v[1:]
	}
	if len(v) > 32 {
		return nil, nil, false
	}
	return v, rest, true
}
