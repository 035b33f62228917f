package resource

import (
	"encoding/base64"
	"strings"
)

// jwtPayload returns the decoded payload of a JWS compact serialization
// (RFC 7515 §7.1): three segments, the payload in canonical base64url.
// The token is cut at its first two dots, never split on all of them (the
// CVE-2025-30204 bug class: a megabyte of dots made strings.Split allocate
// 16 MiB).
func jwtPayload(token string) ([]byte, bool) {
	_, rest, ok := strings.Cut(token, ".")
	if !ok {
		return nil, false
	}
	payload, sig, ok := strings.Cut(rest, ".")
	if !ok || strings.IndexByte(sig, '.') >= 0 || len(payload) > DefaultMaxTokenSize {
		return nil, false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(payload)
	return b, err == nil
}
