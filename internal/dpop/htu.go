package dpop

import (
	"net/url"
	"strings"
)

// appendHTU appends the htu claim's value for u (RFC 9449 §4.2): the target
// URI without query and fragment (and without user info), normalised as the
// server normalises it before comparing (RFC 9449 §4.3 point 9, RFC 3986
// §6.2.2 and §6.2.3): scheme and host in lower case, the scheme's default
// port and an empty port removed, an empty path sent as "/", hex digits of
// percent-encodings in upper case. The path is otherwise the one that goes
// on the wire (url.URL.EscapedPath, as net/http sends it): dot segments and
// percent-encoded unreserved characters are left to the server's own
// normalisation of both sides, so that htu never names a path the request
// did not carry. The result contains no character that JSON would escape.
func appendHTU(dst []byte, u *url.URL) ([]byte, error) {
	if u == nil || u.Opaque != "" || u.Host == "" {
		return dst, ErrURL
	}
	var defaultPort string
	switch {
	case strings.EqualFold(u.Scheme, "https"):
		dst, defaultPort = append(dst, "https://"...), ":443"
	case strings.EqualFold(u.Scheme, "http"):
		dst, defaultPort = append(dst, "http://"...), ":80"
	default:
		return dst, ErrURL
	}
	host := u.Host
	if strings.HasSuffix(host, defaultPort) {
		host = host[:len(host)-len(defaultPort)]
	} else if strings.HasSuffix(host, ":") {
		host = host[:len(host)-1]
	}
	if host == "" || strings.HasPrefix(host, ":") {
		return dst, ErrURL
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !urlSafe(c) {
			return dst, ErrURL
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	path := u.EscapedPath()
	if path == "" {
		return append(dst, '/'), nil
	}
	if path[0] != '/' {
		return dst, ErrURL
	}
	for i := 0; i < len(path); i++ {
		c := path[i]
		if !urlSafe(c) {
			return dst, ErrURL
		}
		if c == '%' && i+2 < len(path) {
			dst = append(dst, '%', upperHex(path[i+1]), upperHex(path[i+2]))
			i += 2
			continue
		}
		dst = append(dst, c)
	}
	return dst, nil
}

// urlSafe reports whether c may appear in htu as is: printable ASCII that
// JSON does not escape.
func urlSafe(c byte) bool { return c > ' ' && c < 0x7f && c != '"' && c != '\\' }

func upperHex(c byte) byte {
	if 'a' <= c && c <= 'f' {
		return c - ('a' - 'A')
	}
	return c
}
