// Package jwks parses JSON Web Key Sets (RFC 7517 §5) and keeps one cached
// per URL for verifying JWT signatures. It holds only public keys and is
// written for untrusted documents: sizes are bounded and every key is
// checked before use.
package jwks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
)

// Limits on what a key set may hold.
const (
	// MaxKeys bounds the keys kept from one set; Entra publishes about ten.
	MaxKeys = 100
	// minRSABits refuses RSA keys weaker than NIST SP 800-57's 112-bit
	// security level (RFC 7518 §3.3 requires 2048 bits for RS256).
	minRSABits = 2048
	// maxRSABits bounds verification cost: a huge modulus would make every
	// forged token expensive to check.
	maxRSABits = 8192
)

// Key is one public verification key of a set.
type Key struct {
	ID  string // "kid"; may be empty
	Alg string // "alg" the key is restricted to; empty when not stated
	// Issuer is the key's "issuer" member, which Entra's multi-tenant key
	// sets publish ("https://login.microsoftonline.com/{tenantid}/v2.0"):
	// the issuer whose tokens the key may sign. Empty when not stated.
	Issuer string
	Public crypto.PublicKey
}

// Fits reports whether the key may verify a signature made with alg
// (RFC 7518 §3.1). The key type is pinned to the algorithm, so an RSA key
// can never be handed to an HMAC or ECDSA verifier, and a key that states
// its "alg" (RFC 7517 §4.4) serves only that one.
func (k *Key) Fits(alg string) bool {
	if k.Alg != "" && k.Alg != alg {
		return false
	}
	switch pub := k.Public.(type) {
	case *rsa.PublicKey:
		switch alg {
		case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
			return true
		}
	case *ecdsa.PublicKey:
		switch alg {
		case "ES256":
			return pub.Curve == elliptic.P256()
		case "ES384":
			return pub.Curve == elliptic.P384()
		case "ES512":
			return pub.Curve == elliptic.P521()
		}
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// Set is a parsed key set. It is immutable.
type Set struct {
	keys []Key
}

// Len returns the number of usable keys.
func (s *Set) Len() int { return len(s.keys) }

// Find returns the key with ID kid that fits alg. A token without "kid"
// (kid == "") is matched only when the set holds exactly one key fitting
// alg, so it can never pick among several.
func (s *Set) Find(kid, alg string) (*Key, bool) {
	if kid == "" {
		var found *Key
		for i := range s.keys {
			if s.keys[i].Fits(alg) {
				if found != nil {
					return nil, false
				}
				found = &s.keys[i]
			}
		}
		return found, found != nil
	}
	for i := range s.keys {
		if s.keys[i].ID == kid && s.keys[i].Fits(alg) {
			return &s.keys[i], true
		}
	}
	return nil, false
}

// rawKey is a JWK as published (RFC 7517 §4, RFC 7518 §6).
type rawKey struct {
	Kty    string   `json:"kty"`
	Kid    string   `json:"kid"`
	Use    string   `json:"use"`
	Alg    string   `json:"alg"`
	KeyOps []string `json:"key_ops"`
	Crv    string   `json:"crv"`
	N      string   `json:"n"`
	E      string   `json:"e"`
	X      string   `json:"x"`
	Y      string   `json:"y"`
	D      string   `json:"d"`
	Issuer string   `json:"issuer"`
}

// Parse reads a JWK Set document (RFC 7517 §5). Keys this package cannot use
// are skipped rather than failing the set, as RFC 7517 §5 asks: other key
// types, keys for encryption ("use": "enc"), symmetric keys, weak or
// malformed keys. A document that is not a key set, or leaves no usable key,
// is an error.
func Parse(data []byte) (*Set, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, errors.New("not a JWK Set document")
	}
	if doc.Keys == nil {
		return nil, errors.New(`no "keys" member`)
	}
	set := &Set{}
	for _, raw := range doc.Keys {
		if len(set.keys) == MaxKeys {
			break
		}
		var rk rawKey
		if json.Unmarshal(raw, &rk) != nil {
			continue
		}
		if k, err := rk.key(); err == nil {
			set.keys = append(set.keys, k)
		}
	}
	if len(set.keys) == 0 {
		return nil, fmt.Errorf("no usable signature key among %d", len(doc.Keys))
	}
	return set, nil
}

// key checks one JWK and returns its public key.
func (rk *rawKey) key() (Key, error) {
	if rk.Use != "" && rk.Use != "sig" {
		return Key{}, errors.New("not a signature key")
	}
	if len(rk.KeyOps) > 0 && !slices.Contains(rk.KeyOps, "verify") {
		return Key{}, errors.New("key_ops without verify")
	}
	if rk.D != "" {
		// A published private key is a leak, not a verification key.
		return Key{}, errors.New("private key material")
	}
	k := Key{ID: rk.Kid, Alg: rk.Alg, Issuer: rk.Issuer}
	var err error
	switch rk.Kty {
	case "RSA":
		k.Public, err = rsaKey(rk.N, rk.E)
	case "EC":
		k.Public, err = ecKey(rk.Crv, rk.X, rk.Y)
	case "OKP":
		if rk.Crv != "Ed25519" {
			return Key{}, errors.New("unsupported OKP curve")
		}
		var x []byte
		x, err = b64(rk.X)
		if err == nil && len(x) != ed25519.PublicKeySize {
			err = errors.New("bad Ed25519 key length")
		}
		k.Public = ed25519.PublicKey(x)
	default:
		return Key{}, errors.New("unsupported key type")
	}
	if err != nil {
		return Key{}, err
	}
	if k.Alg != "" && !k.Fits(k.Alg) {
		return Key{}, errors.New(`"alg" does not fit the key type`)
	}
	return k, nil
}

func rsaKey(n, e string) (*rsa.PublicKey, error) {
	nb, err := b64(n)
	if err != nil {
		return nil, err
	}
	eb, err := b64(e)
	if err != nil {
		return nil, err
	}
	if len(eb) == 0 || len(eb) > 4 {
		return nil, errors.New("bad RSA exponent")
	}
	exp := 0
	for _, b := range eb {
		exp = exp<<8 | int(b)
	}
	if exp < 3 || exp%2 == 0 {
		return nil, errors.New("bad RSA exponent")
	}
	mod := new(big.Int).SetBytes(nb)
	if bits := mod.BitLen(); bits < minRSABits || bits > maxRSABits {
		return nil, fmt.Errorf("RSA modulus of %d bits", bits)
	}
	return &rsa.PublicKey{N: mod, E: exp}, nil
}

func ecKey(crv, x, y string) (*ecdsa.PublicKey, error) {
	var curve elliptic.Curve
	switch crv {
	case "P-256":
		curve = elliptic.P256()
	case "P-384":
		curve = elliptic.P384()
	case "P-521":
		curve = elliptic.P521()
	default:
		return nil, errors.New("unsupported EC curve")
	}
	xb, err := b64(x)
	if err != nil {
		return nil, err
	}
	yb, err := b64(y)
	if err != nil {
		return nil, err
	}
	size := (curve.Params().BitSize + 7) / 8
	if len(xb) != size || len(yb) != size { // RFC 7518 §6.2.1.2: full length
		return nil, errors.New("bad EC coordinate length")
	}
	point := append(append([]byte{4}, xb...), yb...)
	// ParseUncompressedPublicKey refuses points not on the curve, which
	// would otherwise open invalid-curve attacks.
	return ecdsa.ParseUncompressedPublicKey(curve, point)
}

// b64 decodes base64url without padding (RFC 7515 §2), tolerating the
// padding some servers add.
func b64(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}
