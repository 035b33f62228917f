package redisstore

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/oauth2flows/oauth2flows"
)

// A token is stored as fields of (tag, uvarint length, bytes), not JSON:
// decoding JSON cost several times the GCM open of the same token, and a
// Load must stay close to the bare GET (see BenchmarkL2Hit). Absent fields
// are empty; unknown tags are skipped, so that a newer writer's extra field
// does not make the value unreadable to an older replica during a rollout.
// TestCodecCoversEveryTokenField fails when Token gains a field this codec
// does not carry.
const (
	tagAccessToken     = 1
	tagTokenType       = 2
	tagRefreshToken    = 3
	tagExpiry          = 4 // varint Unix nanoseconds; absent: zero time
	tagExpiresIn       = 5 // varint seconds
	tagIDToken         = 6
	tagScope           = 7
	tagIssuedTokenType = 8
)

func encodeToken(dst []byte, tok *oauth2flows.Token) []byte {
	str := func(tag byte, s string) {
		if s != "" {
			dst = append(dst, tag)
			dst = binary.AppendUvarint(dst, uint64(len(s)))
			dst = append(dst, s...)
		}
	}
	num := func(tag byte, n int64) {
		var b [binary.MaxVarintLen64]byte
		v := binary.PutVarint(b[:], n)
		dst = append(dst, tag, byte(v))
		dst = append(dst, b[:v]...)
	}
	str(tagAccessToken, tok.AccessToken)
	str(tagTokenType, tok.TokenType)
	str(tagRefreshToken, tok.RefreshToken)
	if !tok.Expiry.IsZero() {
		num(tagExpiry, tok.Expiry.UnixNano())
	}
	if tok.ExpiresIn != 0 {
		num(tagExpiresIn, tok.ExpiresIn)
	}
	str(tagIDToken, tok.IDToken)
	str(tagScope, tok.Scope)
	str(tagIssuedTokenType, tok.IssuedTokenType)
	return dst
}

var errNotAToken = errors.New("not a token")

func decodeToken(b []byte) (*oauth2flows.Token, error) {
	tok := new(oauth2flows.Token)
	for len(b) > 0 {
		tag := b[0]
		n, w := binary.Uvarint(b[1:])
		if w <= 0 || n > uint64(len(b)-1-w) {
			return nil, errNotAToken
		}
		field := b[1+w : 1+w+int(n)]
		b = b[1+w+int(n):]
		switch tag {
		case tagAccessToken:
			tok.AccessToken = string(field)
		case tagTokenType:
			tok.TokenType = string(field)
		case tagRefreshToken:
			tok.RefreshToken = string(field)
		case tagIDToken:
			tok.IDToken = string(field)
		case tagScope:
			tok.Scope = string(field)
		case tagIssuedTokenType:
			tok.IssuedTokenType = string(field)
		case tagExpiry, tagExpiresIn:
			v, w := binary.Varint(field)
			if w <= 0 || w != len(field) {
				return nil, errNotAToken
			}
			if tag == tagExpiry {
				tok.Expiry = time.Unix(0, v)
			} else {
				tok.ExpiresIn = v
			}
		}
	}
	if tok.AccessToken == "" {
		return nil, errNotAToken
	}
	return tok, nil
}
