package oauth2flows

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// maxJWTPayload bounds the encoded payload jwtExpiry decodes. Access tokens
// are a few kilobytes; the exp of a larger one is not read, like that of an
// opaque token.
const maxJWTPayload = 32 << 10

// jwtExpiry reads the "exp" claim of a JWT without verifying it: it only
// shortens how long a cached token is served, never lengthens it. The
// assertion is untrusted input, so it is cut at its first two dots, never
// split on all of them (CVE-2025-30204's bug class: a megabyte of dots made
// strings.Split allocate 16 MiB), and a payload longer than maxJWTPayload
// is not decoded.
//
// It is the root package's one reader of unverified JWT payloads. It reads
// the claim named exactly "exp" (RFC 7519 §4: names are case-sensitive, so
// a claim "EXP" is another claim) as json.Unmarshal into a
// map[string]json.RawMessage, then of that member into a json.Number,
// does: the last of several "exp" counts, a null one means none, and a
// payload that is not valid JSON has none. It does so in one pass
// (expClaim): Unmarshal took 4.5 µs of an Entra-sized token, twice the one
// pass with the base64 decoding, and more than half of the CPU of an
// OBOCache's store hit (BenchmarkJWTExpiry, BenchmarkOBOCacheStoreHitCPU).
func jwtExpiry(token string) (time.Time, bool) {
	raw, ok := jwtPayload(token)
	if !ok {
		return time.Time{}, false
	}
	num, ok, slow := expClaim(raw)
	if slow {
		num, ok = expByUnmarshal(raw)
	}
	if !ok {
		return time.Time{}, false
	}
	exp, err := strconv.ParseFloat(num, 64)
	if err != nil || exp <= 0 || exp > 1<<40 {
		return time.Time{}, false
	}
	return time.Unix(int64(exp), 0), true
}

// expByUnmarshal is the reading expClaim makes in one pass, by
// encoding/json: the number of the member named exactly "exp".
func expByUnmarshal(raw []byte) (string, bool) {
	var claims map[string]json.RawMessage
	var exp json.Number
	if json.Unmarshal(raw, &claims) != nil || json.Unmarshal(claims["exp"], &exp) != nil {
		return "", false
	}
	return string(exp), exp != ""
}

// jwtPayload returns the decoded payload of a JWS compact serialization.
func jwtPayload(token string) ([]byte, bool) {
	_, rest, ok := strings.Cut(token, ".")
	if !ok {
		return nil, false
	}
	payload, sig, ok := strings.Cut(rest, ".")
	if !ok || strings.IndexByte(sig, '.') >= 0 || len(payload) > maxJWTPayload {
		return nil, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(payload, "="))
	return raw, err == nil
}

// expClaim returns the number expByUnmarshal returns, and ok false where
// it would fail or find none: raw is not valid JSON (as json.Valid, with
// its nesting limit), not an object, or the last member named exactly
// "exp" is null, or neither a number nor a string holding one. A member
// name or an "exp" string with a backslash escape is left to
// expByUnmarshal itself: slow is true. It allocates only the number it
// returns.
func expClaim(raw []byte) (num string, ok, slow bool) {
	s := expScan{b: raw}
	s.space()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return "", false, false // Unmarshal of anything else into a struct fails or leaves Exp empty
	}
	s.i++
	s.depth = 1
	var exp []byte
	s.space()
	if s.peek() == '}' {
		s.i++
	} else {
		for {
			s.space()
			if s.peek() != '"' {
				return "", false, false
			}
			start := s.i + 1
			escaped, valid := s.str()
			if !valid {
				return "", false, false
			}
			if escaped {
				return "", false, true
			}
			isExp := string(s.b[start:s.i-1]) == "exp"
			s.space()
			if s.peek() != ':' {
				return "", false, false
			}
			s.i++
			s.space()
			vstart := s.i
			if !s.value() {
				return "", false, false
			}
			if isExp {
				switch v := s.b[vstart:s.i]; v[0] {
				case 'n': // null: no exp, unless a later member has one
					exp = nil
				case '"':
					if bytes.IndexByte(v, '\\') >= 0 {
						return "", false, true
					}
					exp = v[1 : len(v)-1]
					if !validNumber(exp) {
						exp = v[:0] // not a number, unless a later member replaces it
					}
				case 't', 'f', '{', '[':
					exp = v[:0] // a type error, unless a later member replaces it
				default:
					exp = v
				}
			}
			s.space()
			switch s.peek() {
			case ',':
				s.i++
				continue
			case '}':
				s.i++
			default:
				return "", false, false
			}
			break
		}
	}
	s.space()
	if s.i != len(s.b) || len(exp) == 0 {
		return "", false, false
	}
	return string(exp), true, false
}

// maxJSONDepth is encoding/json's nesting limit: a deeper text is invalid.
const maxJSONDepth = 10000

// expScan validates JSON as encoding/json's scanner does.
type expScan struct {
	b     []byte
	i     int
	depth int
}

func (s *expScan) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *expScan) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value skips one JSON value at s.i and reports whether it was valid.
func (s *expScan) value() bool {
	switch c := s.peek(); {
	case c == '{' || c == '[':
		return s.container(c)
	case c == '"':
		_, ok := s.str()
		return ok
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		n := numberLen(s.b[s.i:])
		s.i += n
		return n > 0
	}
	return false
}

// container skips an object or an array.
func (s *expScan) container(open byte) bool {
	if s.depth++; s.depth > maxJSONDepth {
		return false
	}
	defer func() { s.depth-- }()
	s.i++
	closing := byte(']')
	if open == '{' {
		closing = '}'
	}
	s.space()
	if s.peek() == closing {
		s.i++
		return true
	}
	for {
		s.space()
		if open == '{' {
			if s.peek() != '"' {
				return false
			}
			if _, ok := s.str(); !ok {
				return false
			}
			s.space()
			if s.peek() != ':' {
				return false
			}
			s.i++
			s.space()
		}
		if !s.value() {
			return false
		}
		s.space()
		switch s.peek() {
		case ',':
			s.i++
		case closing:
			s.i++
			return true
		default:
			return false
		}
	}
}

// str skips a string at s.i, its opening quote: escaped reports a
// backslash in it.
func (s *expScan) str() (escaped, ok bool) {
	for s.i++; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return escaped, true
		case c < 0x20:
			return false, false
		case c == '\\':
			escaped = true
			s.i++
			if s.i >= len(s.b) {
				return false, false
			}
			switch s.b[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if s.i+4 >= len(s.b) {
					return false, false
				}
				for _, h := range s.b[s.i+1 : s.i+5] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return false, false
					}
				}
				s.i += 4
			default:
				return false, false
			}
		}
	}
	return false, false
}

func (s *expScan) literal(lit string) bool {
	if !bytes.HasPrefix(s.b[s.i:], []byte(lit)) {
		return false
	}
	s.i += len(lit)
	return true
}

// numberLen returns the length of the JSON number at the start of b, or 0:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func numberLen(b []byte) int {
	i := 0
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		digits()
	default:
		return 0
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return 0
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return 0
		}
	}
	return i
}

// validNumber reports whether b is exactly one JSON number, as json.Number
// requires of a string.
func validNumber(b []byte) bool {
	return len(b) > 0 && numberLen(b) == len(b)
}
