package jws

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
)

// PublicJWK returns the public JWK of pub (RFC 7517 §4, RFC 7518 §6.2.1 and
// §6.3.1) as JSON holding exactly the members RFC 7638 §3.2 requires, in its
// lexicographic order and without whitespace:
//
//	{"crv":"P-256","kty":"EC","x":"…","y":"…"}
//	{"e":"…","kty":"RSA","n":"…"}
//
// The same bytes serve as the "jwk" header of a DPoP proof (RFC 9449 §4.2)
// and as the input of [Thumbprint]. Only public members can appear: the
// function never sees anything else. pub is what crypto.Signer.Public
// returns: *ecdsa.PublicKey (P-256) or *rsa.PublicKey.
// Errors: [ErrKeyType], [ErrCurve].
func PublicJWK(pub crypto.PublicKey) ([]byte, error) {
	enc := base64.RawURLEncoding
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k == nil || k.Curve != elliptic.P256() {
			return nil, ErrCurve
		}
		pt, err := k.Bytes() // 0x04 || X || Y, each 32 bytes (SEC 1 §2.3.3)
		if err != nil || len(pt) != 65 {
			return nil, ErrKeyType
		}
		b := make([]byte, 0, 128)
		b = append(b, `{"crv":"P-256","kty":"EC","x":"`...)
		b = enc.AppendEncode(b, pt[1:33])
		b = append(b, `","y":"`...)
		b = enc.AppendEncode(b, pt[33:])
		return append(b, `"}`...), nil
	case *rsa.PublicKey:
		if k == nil || k.N == nil || k.N.Sign() <= 0 || k.E <= 0 {
			return nil, ErrKeyType
		}
		n := k.N.Bytes()
		e := big.NewInt(int64(k.E)).Bytes() // minimal big-endian (RFC 7518 §6.3.1.2)
		b := make([]byte, 0, 32+enc.EncodedLen(len(n)))
		b = append(b, `{"e":"`...)
		b = enc.AppendEncode(b, e)
		b = append(b, `","kty":"RSA","n":"`...)
		b = enc.AppendEncode(b, n)
		return append(b, `"}`...), nil
	}
	return nil, ErrKeyType
}

// Thumbprint returns the JWK SHA-256 thumbprint of pub (RFC 7638 §3),
// base64url without padding: the value of DPoP's dpop_jkt parameter and
// cnf.jkt claim (RFC 9449 §6.1, §10). Errors are those of [PublicJWK].
func Thumbprint(pub crypto.PublicKey) (string, error) {
	jwk, err := PublicJWK(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(jwk)
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// CertThumbprintS256 is the base64url (unpadded) SHA-256 of a DER
// certificate: the "x5t#S256" header (RFC 7515 §4.1.8) and cnf claim
// (RFC 8705 §3.1).
func CertThumbprintS256(der []byte) string {
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
