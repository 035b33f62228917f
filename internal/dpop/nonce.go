package dpop

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// NonceHeader is the response header carrying a server's nonce (RFC 9449
// §8.1, §9).
const NonceHeader = "DPoP-Nonce"

// MaxNonceLen bounds the nonces accepted from a server. RFC 9449 sets no
// limit; real nonces are tens of characters, and a larger one would only
// make every proof larger.
const MaxNonceLen = 512

// DefaultMaxOrigins bounds the servers a [Nonces] remembers when its
// MaxOrigins is zero.
const DefaultMaxOrigins = 128

// ParseNonce returns the DPoP-Nonce of a response (RFC 9449 §8.1): present
// exactly once, 1*NQCHAR, at most [MaxNonceLen] bytes. Anything else is
// untrusted junk and gives ok false.
func ParseNonce(h http.Header) (nonce string, ok bool) {
	v := h.Values(NonceHeader)
	if len(v) != 1 {
		return "", false
	}
	n := strings.Trim(v[0], " \t")
	if !validNonce(n) {
		return "", false
	}
	return n, true
}

// validNonce: nonce = 1*NQCHAR; NQCHAR = %x21 / %x23-5B / %x5D-7E (RFC 9449
// §8.1), so a valid nonce needs no JSON escaping.
func validNonce(n string) bool {
	if n == "" || len(n) > MaxNonceLen {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// Nonces remembers the latest nonce of each server origin (scheme, host and
// port), for the authorization server (RFC 9449 §8) and resource servers
// (§9) alike: a server may send a new nonce in any response, and the next
// proof to that server carries it. It holds at most MaxOrigins origins,
// forgetting the oldest first. The zero value is ready to use; a Nonces is
// safe for concurrent use and must not be copied after first use.
type Nonces struct {
	// MaxOrigins bounds the origins remembered; 0 means DefaultMaxOrigins.
	MaxOrigins int

	mu    sync.Mutex
	m     map[string]string
	order []string // origins in insertion order, as a ring
	next  int      // ring position of the oldest origin once full
}

// Nonce returns the nonce remembered for u's origin, or "".
func (n *Nonces) Nonce(u *url.URL) string {
	var buf [256]byte
	key, ok := appendOrigin(buf[:0], u)
	if !ok {
		return ""
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.m[string(key)] // no allocation: a map index by converted bytes
}

// Remember stores the DPoP-Nonce of a response from u's origin, when it has
// a valid one (see [ParseNonce]), and returns it. It reports whether the
// response carried a valid nonce.
func (n *Nonces) Remember(u *url.URL, h http.Header) (nonce string, ok bool) {
	nonce, ok = ParseNonce(h)
	if !ok {
		return "", false
	}
	n.Set(u, nonce)
	return nonce, true
}

// Set stores nonce for u's origin; an invalid nonce or URL is ignored.
func (n *Nonces) Set(u *url.URL, nonce string) {
	if !validNonce(nonce) {
		return
	}
	var buf [256]byte
	key, ok := appendOrigin(buf[:0], u)
	if !ok {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if old, ok := n.m[string(key)]; ok {
		if old != nonce {
			n.m[string(key)] = nonce
		}
		return
	}
	max := n.MaxOrigins
	if max <= 0 {
		max = DefaultMaxOrigins
	}
	if n.m == nil {
		n.m = make(map[string]string)
	}
	k := string(key)
	if len(n.order) < max {
		n.order = append(n.order, k)
	} else {
		delete(n.m, n.order[n.next])
		n.order[n.next] = k
		n.next = (n.next + 1) % len(n.order)
	}
	n.m[k] = nonce
}

// appendOrigin appends u's normalised origin (scheme://host[:port], as in
// htu) to dst.
func appendOrigin(dst []byte, u *url.URL) ([]byte, bool) {
	if u == nil {
		return dst, false
	}
	// The origin is htu up to its path: reuse its normalisation, ignoring
	// the path.
	o := url.URL{Scheme: u.Scheme, Host: u.Host}
	b, err := appendHTU(dst, &o)
	if err != nil {
		return dst, false
	}
	return b[:len(b)-1], true // drop the "/" of the empty path
}
