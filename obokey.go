package oauth2flows

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/maphash"
	"slices"
	"sort"
)

// localKey identifies a token in an [OBOCache]'s in-memory index. Its first
// half is a keyed hash (maphash, seeded per cache) of the assertion, read
// once; its second half a keyed hash, under another seed, of the assertion's
// length and last bytes and of the token's shape (see appendShape). The
// seeds are secret to the process, so a caller cannot aim another assertion
// at a user's entry; and a caller who knows that user's assertion gains
// nothing by a collision. The last bytes of a JWT are its signature, which
// differs between any two tokens, so two live assertions sharing an entry by
// chance need 128 bits to agree.
type localKey [2]uint64

// keyTail is how many of the assertion's last bytes the second half of a
// localKey hashes: a whole RS256 signature is 342 characters, 64 are plenty.
const keyTail = 64

// keyBuf is the stack buffer keys are encoded in: client, endpoints, grant
// and a few scopes fit, so a hit allocates nothing.
type keyBuf [512]byte

func (c *OBOCache) localKey(assertion string, o *options) localKey {
	var buf keyBuf
	b := binary.AppendUvarint(buf[:0], uint64(len(assertion)))
	b = append(b, assertion[max(0, len(assertion)-keyTail):]...)
	b = c.appendShape(b, o)
	return localKey{maphash.String(c.seeds[0], assertion), maphash.Bytes(c.seeds[1], b)}
}

// storeKeyPrefix names the key space and its version in every store key.
const storeKeyPrefix = "oauth2flows/obo/v1:"

// storeKey is the key of the shared [TokenStore]: the hex SHA-256 of the
// assertion and the token's shape, encoded as appendShape does. It names
// nothing readable, not even the client, and no two different requests
// share it.
func (c *OBOCache) storeKey(assertion string, o *options) string {
	var buf keyBuf
	b := append(buf[:0], storeKeyPrefix...)
	b = appendField(b, assertion)
	b = c.appendShape(b, o)
	sum := sha256.Sum256(b)
	return storeKeyPrefix + hex.EncodeToString(sum[:])
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
