package redisstore

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"sync"

	"github.com/oauth2flows/oauth2flows"
)

// Stored value layout. Sealed: formatSealed | key id (8) | nonce (12) |
// AES-256-GCM ciphertext and tag of the encoded token (codec.go), with
// additional data adPrefix | key id | Redis key name. Plain
// (WithInsecurePlaintext only): formatPlain | encoded token.
const (
	formatPlain  byte = 0
	formatSealed byte = 1
	keyIDLen          = 8
	nonceLen          = 12
	adPrefix          = "oauth2flows/redisstore/v1 token\x00"
)

// sealKey is one 32-byte key with the subkeys derived from it: one for
// AES-256-GCM, one for HMAC naming, and its public id. Derivation is
// HMAC-SHA-256(key, label), so that no subkey reveals another.
type sealKey struct {
	id    [keyIDLen]byte
	aead  cipher.AEAD
	names sync.Pool // of hash.Hash: HMAC-SHA-256 keyed with the naming subkey
}

func newSealKey(key []byte) (*sealKey, error) {
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte("oauth2flows/redisstore/v1 " + label))
		return m.Sum(nil)
	}
	block, err := aes.NewCipher(derive("aes-256-gcm"))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	k := &sealKey{aead: aead}
	copy(k.id[:], derive("key id"))
	nameKey := derive("names")
	k.names.New = func() any { return hmac.New(sha256.New, nameKey) }
	return k, nil
}

// name returns the hashed part of the Redis key names of key: the
// HMAC-SHA-256 of key, base64url, so that a reader of Redis can neither read
// nor confirm a user id.
func (k *sealKey) name(key string) string {
	m := k.names.Get().(hash.Hash)
	m.Reset()
	m.Write([]byte(key))
	var sum [sha256.Size]byte
	s := base64.RawURLEncoding.EncodeToString(m.Sum(sum[:0]))
	k.names.Put(m)
	return s
}

// plainName is the name of key in a store with WithInsecurePlaintext: a
// SHA-256, which hides the user id from a glance but not from a guess.
func plainName(key string) string {
	sum := sha256.Sum256([]byte(key))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func additionalData(id []byte, redisKey string) []byte {
	ad := make([]byte, 0, len(adPrefix)+keyIDLen+len(redisKey))
	ad = append(ad, adPrefix...)
	ad = append(ad, id...)
	return append(ad, redisKey...)
}

// seal encodes tok for storage under redisKey; k nil means plaintext.
func seal(k *sealKey, redisKey string, tok *oauth2flows.Token) ([]byte, error) {
	if k == nil {
		return encodeToken([]byte{formatPlain}, tok), nil
	}
	payload := encodeToken(nil, tok)
	out := make([]byte, 1+keyIDLen+nonceLen, 1+keyIDLen+nonceLen+len(payload)+k.aead.Overhead())
	out[0] = formatSealed
	copy(out[1:], k.id[:])
	nonce := out[1+keyIDLen:]
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return k.aead.Seal(out, nonce, payload, additionalData(k.id[:], redisKey)), nil
}

// open decodes a value stored under redisKey with k (nil: plaintext),
// overwriting v. The caller picks k by the value's key id (keyID). Errors
// never hold the value.
func open(k *sealKey, redisKey string, v []byte) (*oauth2flows.Token, error) {
	var payload []byte
	switch {
	case len(v) == 0:
		return nil, &ValueError{Reason: "empty"}
	case k == nil && v[0] == formatPlain:
		payload = v[1:]
	case k == nil:
		return nil, &ValueError{Reason: "sealed, and this store has no encryption key"}
	case v[0] == formatPlain:
		// A plaintext value in an encrypting store was not written by it:
		// someone with write access to Redis may be planting a token.
		return nil, &ValueError{Reason: "plaintext value in a store with an encryption key"}
	case v[0] != formatSealed || len(v) < 1+keyIDLen+nonceLen+k.aead.Overhead():
		return nil, &ValueError{Reason: "unknown format"}
	default:
		id := v[1 : 1+keyIDLen]
		var err error
		ct := v[1+keyIDLen+nonceLen:]
		// In place: v is the caller's own copy of what Redis returned.
		payload, err = k.aead.Open(ct[:0], v[1+keyIDLen:1+keyIDLen+nonceLen], ct, additionalData(id, redisKey))
		if err != nil {
			return nil, &ValueError{Reason: "authentication failed (tampered, moved, or another key with the same id)"}
		}
	}
	tok, err := decodeToken(payload)
	if err != nil {
		return nil, &ValueError{Reason: err.Error()}
	}
	return tok, nil
}

// keyID returns the key id of a sealed value, or false.
func keyID(v []byte) ([keyIDLen]byte, bool) {
	var id [keyIDLen]byte
	if len(v) < 1+keyIDLen || v[0] != formatSealed {
		return id, false
	}
	copy(id[:], v[1:])
	return id, true
}
