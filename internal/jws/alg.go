package jws

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
)

// The JWS algorithms this package signs with (RFC 7518 §3.1).
const (
	RS256 = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3)
	PS256 = "PS256" // RSASSA-PSS with SHA-256 (RFC 7518 §3.5)
	ES256 = "ES256" // ECDSA P-256 with SHA-256 (RFC 7518 §3.4)
)

// ChooseAlg picks the JWS algorithm (RFC 7518 §3.1) for key: RS256 for an
// RSA key unless want is PS256, ES256 for an ECDSA P-256 key. A non-empty
// want is checked against the key. Only key.Public is called.
// Errors: [ErrKeyType], [ErrCurve], [ErrAlgMismatch].
func ChooseAlg(key crypto.Signer, want string) (string, error) {
	// A nil key, typed or not, is refused here rather than panicking in
	// Public.
	switch k := key.(type) {
	case nil:
		return "", ErrKeyType
	case *ecdsa.PrivateKey:
		if k == nil {
			return "", ErrKeyType
		}
	case *rsa.PrivateKey:
		if k == nil {
			return "", ErrKeyType
		}
	}
	switch pub := key.Public().(type) {
	case *rsa.PublicKey:
		if pub == nil || pub.N == nil {
			return "", ErrKeyType
		}
		switch want {
		case "", RS256:
			return RS256, nil
		case PS256:
			return PS256, nil
		}
	case *ecdsa.PublicKey:
		if pub == nil {
			return "", ErrKeyType
		}
		if pub.Curve != elliptic.P256() {
			return "", ErrCurve
		}
		if want == "" || want == ES256 {
			return ES256, nil
		}
	default:
		return "", ErrKeyType
	}
	return "", ErrAlgMismatch
}

// signerOpts are the crypto.SignerOpts for alg; the digest is always SHA-256.
// PSS uses a salt as long as the hash (RFC 7518 §3.5).
func signerOpts(alg string) crypto.SignerOpts {
	if alg == PS256 {
		return &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
	}
	return crypto.SHA256
}
