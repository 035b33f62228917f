package oauth2flows

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/maphash"
	"io"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
)

// localKey identifies a token of an [OBOCache] in its process. Its second
// half, the index's key, is a keyed hash (maphash, seeded per cache) of the
// assertion's length and last bytes and of the digest of the token's shape
// (see shapeDigest): cheap to compute for a kilobyte-long assertion. That
// holds for a JWT (signedTail); any other assertion, such as a base64
// SAML assertion, which ends in the same closing tags for every user, is
// hashed whole instead, so that two users do not evict each other. A hit
// then compares the assertion the entry was stored for with the caller's,
// which costs a tenth of hashing it whole, so that no two assertions share
// an entry, whatever their bytes. The first half, computed after a miss
// only, is a keyed hash of the whole assertion under another seed: the
// flights and the refusals, which hold no assertion, are keyed by both
// halves. The seeds are secret to the process, so a caller cannot aim
// another assertion at a user's flight or refusal. The last bytes of a JWT
// are its signature, which differs between any two tokens, so two live
// assertions sharing a flight by chance need 128 bits to agree.
type localKey [2]uint64

// keyTail is how many of the assertion's last bytes the second half of a
// localKey hashes: a whole RS256 signature is 342 characters, 64 are plenty.
const keyTail = 64

// signedTail reports whether assertion looks like a JWT, whose last bytes
// are its signature (JWS) or authentication tag and ciphertext (JWE), which
// differ between any two tokens: it starts as the base64url of `{"`. That
// test costs about a nanosecond; also scanning the tail for a dot made the
// key about 10% slower. A token that merely looks so is still told apart by
// the comparison of a hit; at worst it shares an index entry.
func signedTail(assertion string) bool {
	return len(assertion) > keyTail && strings.HasPrefix(assertion, "eyJ")
}

// keyBuf is the stack buffer keys are encoded in: client, endpoints, grant
// and a few scopes fit, so a hit allocates nothing.
type keyBuf [512]byte

// indexKey returns the second half of the key of the token for assertion
// whose shape has the digest shape; see localKey.
func (c *OBOCache) indexKey(assertion string, shape uint64) localKey {
	var buf [binary.MaxVarintLen64 + keyTail + 8]byte
	b := binary.AppendUvarint(buf[:0], uint64(len(assertion)))
	if signedTail(assertion) {
		b = append(b, assertion[len(assertion)-keyTail:]...)
	} else {
		b = binary.LittleEndian.AppendUint64(b, maphash.String(c.seeds[1], assertion))
	}
	b = binary.LittleEndian.AppendUint64(b, shape)
	return localKey{1: maphash.Bytes(c.seeds[1], b)}
}

// whole completes k, from indexKey, with the hash of the whole assertion.
func (c *OBOCache) whole(k localKey, assertion string) localKey {
	k[0] = maphash.String(c.seeds[0], assertion)
	return k
}

// shapeMemo is the digest of a token's shape for one set of options, with
// the Config fields it was computed from.
type shapeMemo struct {
	clientID, tokenURL, mtlsTokenURL string
	scopes                           []string // a copy of Config.Scopes, when the options do not set them
	digest                           uint64
}

// shapeDigest returns the keyed hash of the token's shape (appendShape)
// for the options o. With memo, a call whose options are always the same
// (none, or those of a [OBOCache.Middleware]) encodes and hashes the shape
// only when the Config fields it depends on changed since the last call:
// comparing them costs a few pointer comparisons while they are the same
// strings.
func (c *OBOCache) shapeDigest(o *options, memo *atomic.Pointer[shapeMemo]) uint64 {
	cfg := c.cfg
	cfgScopes := o == nil || !o.scopesSet
	if memo != nil {
		if m := memo.Load(); m != nil && m.clientID == cfg.ClientID && m.tokenURL == cfg.Endpoint.TokenURL &&
			m.mtlsTokenURL == cfg.Endpoint.MTLSTokenURL && (!cfgScopes || slices.Equal(m.scopes, cfg.Scopes)) {
			return m.digest
		}
	}
	var buf keyBuf
	digest := maphash.Bytes(c.seeds[1], c.appendShape(buf[:0], o))
	if memo != nil {
		m := &shapeMemo{clientID: cfg.ClientID, tokenURL: cfg.Endpoint.TokenURL, mtlsTokenURL: cfg.Endpoint.MTLSTokenURL, digest: digest}
		if cfgScopes {
			m.scopes = slices.Clone(cfg.Scopes)
		}
		memo.Store(m)
	}
	return digest
}

// storeKeyPrefix names the key space and its version in every store key.
const storeKeyPrefix = "oauth2flows/obo/v1:"

// storeKey is the key of the shared [TokenStore]: the hex SHA-256 of the
// assertion, the token's shape, encoded as appendShape does, and what the
// token will be bound to (appendBinding). It names nothing readable, not
// even the client, and no two different requests share it. The assertion
// is hashed where it is, not copied. It fails only for a DPoPKey that
// cannot sign proofs, before anything is sent.
func (c *OBOCache) storeKey(assertion string, o *options) (string, error) {
	var buf keyBuf
	h := sha256.New()
	b := append(buf[:0], storeKeyPrefix...)
	h.Write(binary.AppendUvarint(b, uint64(len(assertion))))
	io.WriteString(h, assertion)
	h.Write(c.appendShape(buf[:0], o))
	b, err := c.appendBinding(buf[:0])
	if err != nil {
		return "", err
	}
	h.Write(b)
	return storeKeyPrefix + hex.EncodeToString(h.Sum(buf[:0])), nil
}

// appendBinding appends, after the shape, what the token the server
// returns is bound to, so that replicas sharing a store never serve each
// other a token they cannot use: the SHA-256 thumbprint of the client
// certificate (RFC 8705 §3.1, "x5t#S256"), tagged 'x', and the JWK SHA-256
// thumbprint of the DPoP key (RFC 7638; RFC 9449 §6.1, "jkt"), tagged 'j'.
// It appends nothing for a Config with neither, so the keys of unbound
// tokens are those of earlier versions.
func (c *OBOCache) appendBinding(b []byte) ([]byte, error) {
	if cert := c.cfg.Certificate; cert != nil && len(cert.Certificate) > 0 {
		b = appendField(append(b, 'x'), thumbprintS256(cert.Certificate[0]))
	}
	if c.cfg.DPoPKey != nil {
		p, err := c.dpop.proverFor(c.cfg)
		if err != nil {
			return nil, err
		}
		b = appendField(append(b, 'j'), p.Thumbprint())
	}
	return b, nil
}

// appendShape appends, unambiguously, everything but the assertion that
// decides which token the server returns: the client, the token endpoint
// and its RFC 8705 alias (Config may be changed between calls, and replicas
// of different tenants may share a store), the grant, and every parameter of
// the request. Each string is length-prefixed and each list counted, so that
// no separator inside a value (a space, a NUL) can make two requests share
// a key. Scopes, resources and audiences are sorted: their order does not
// change the token (RFC 6749 §3.3, RFC 8707 §2, RFC 8693 §2.1). A claims
// request ([WithClaims]) is not part of it: it asks for the same token with
// more proof, and its answer may serve later calls.
func (c *OBOCache) appendShape(b []byte, o *options) []byte {
	b = appendField(b, c.cfg.ClientID)
	b = appendField(b, c.cfg.Endpoint.TokenURL)
	b = appendField(b, c.cfg.Endpoint.MTLSTokenURL)
	b = appendField(b, c.grant)
	if o == nil {
		b = appendSet(b, c.cfg.Scopes)
		// The seven empty fields below: resources, audiences, the two token
		// types, the actor token and its type, and the parameters.
		return append(b, 0, 0, 0, 0, 0, 0, 0)
	}
	scopes := c.cfg.Scopes
	if o.scopesSet {
		scopes = o.scopes
	}
	b = appendSet(b, scopes)
	b = appendSet(b, o.resources)
	b = appendSet(b, o.audiences)
	b = appendField(b, o.requestedTokenType)
	b = appendField(b, o.subjectTokenType)
	b = appendField(b, o.actorToken)
	b = appendField(b, o.actorTokenType)
	b = binary.AppendUvarint(b, uint64(len(o.params)))
	if len(o.params) > 0 {
		keys := make([]string, 0, len(o.params))
		for k := range o.params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			b = appendField(b, k)
			b = binary.AppendUvarint(b, uint64(len(o.params[k])))
			for _, v := range o.params[k] {
				b = appendField(b, v)
			}
		}
	}
	return b
}

// appendField appends s, prefixed with its length.
func appendField(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendSet appends the count of ss and its elements in sorted order,
// without allocating for the few scopes a call has.
func appendSet(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	if !slices.IsSorted(ss) {
		var small [8]string
		var sorted []string
		if len(ss) <= len(small) {
			sorted = small[:len(ss)]
			copy(sorted, ss)
		} else {
			sorted = slices.Clone(ss)
		}
		slices.Sort(sorted)
		ss = sorted
	}
	for _, s := range ss {
		b = appendField(b, s)
	}
	return b
}
