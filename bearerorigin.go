package oauth2flows

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// mayCarryBearer reports whether req may be sent with the bearer token.
//
// A bearer token is a credential for one resource server (RFC 6750 §5.2,
// RFC 9700 §4.10), so a request that an http.Client makes while following a
// redirect (req.Response != nil) carries it only when every request of the
// redirect chain, back to the one the application made, had the same scheme
// and host:port. That is stricter than net/http's own rule for
// Authorization, which ignores ports and allows subdomains; it also refuses
// https to http, since the scheme is part of the origin.
//
// hosts, when not nil, is the allow-list of [WithAllowedHosts], applied to
// every request.
func mayCarryBearer(req *http.Request, hosts map[string]bool) bool {
	if hosts != nil && !hosts[strings.ToLower(req.URL.Host)] && !hosts[strings.ToLower(req.URL.Hostname())] {
		return false
	}
	want := origin(req.URL)
	for r := req; r.Response != nil && r.Response.Request != nil; {
		r = r.Response.Request
		if r.URL == nil || origin(r.URL) != want {
			return false
		}
	}
	return true
}

// origin is the scheme and host:port of u, with the port made explicit, so
// that "https://a" and "https://a:443" are one origin (RFC 6454 §4).
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}
