package jws

import "errors"

// Errors of this package. Callers map them to their own typed errors with
// errors.Is; none of them carries key material.
var (
	// ErrKeyType: the key is neither RSA nor ECDSA (RFC 7518 §3.1).
	ErrKeyType = errors.New("jws: key must be RSA or ECDSA P-256")
	// ErrCurve: an ECDSA key on a curve other than P-256 (ES256 only).
	ErrCurve = errors.New("jws: ECDSA keys must use P-256 (ES256)")
	// ErrAlgMismatch: the algorithm asked for does not fit the key.
	ErrAlgMismatch = errors.New("jws: algorithm does not fit the key")
	// ErrSign: the crypto.Signer failed; the signer's error is wrapped too.
	ErrSign = errors.New("jws: signing failed")
	// ErrMalformedSignature: the signer returned a signature that is not a
	// valid ES256 signature (bad DER, out-of-range r or s, wrong length).
	ErrMalformedSignature = errors.New("jws: signer returned a malformed signature")
)
