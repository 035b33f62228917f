package oauth2flowstest

import (
	"net/http"
	"net/url"
)

// Endpoint names used in [Request.Endpoint], [Server.RequestsTo] and
// [Server.InjectFault].
const (
	EndpointAuthorize  = "authorize"
	EndpointToken      = "token"
	EndpointRevoke     = "revoke"
	EndpointIntrospect = "introspect"
	EndpointDiscovery  = "discovery" // both RFC 8414 and OpenID metadata
	EndpointJWKS       = "jwks"
)

// Request is the server's record of one request it received, faulted ones
// included, so tests can assert what went on the wire.
type Request struct {
	Endpoint string // one of the Endpoint* names; "" for unknown paths
	Method   string
	Header   http.Header
	// Form is the parsed body of a POST, or the query of any other method.
	Form url.Values
	// ClientID is the client that authenticated, or "" if none did.
	ClientID string
	// AuthMethod is the client authentication method the request used, by
	// its RFC 8414 name (e.g. "client_secret_basic"; "none" for a request
	// without credentials), also when authentication failed. It is "" where
	// no client authentication happens (authorize, discovery, jwks) and for
	// requests refused before it (malformed, faulted).
	AuthMethod string
	// Status is the HTTP status of the response.
	Status int
}

// Requests returns the requests received so far, oldest first, by the time
// their response was complete.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// RequestsTo returns the requests received so far by one endpoint, such as
// [EndpointToken].
func (s *Server) RequestsTo(endpoint string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.log {
		if r.Endpoint == endpoint {
			out = append(out, r)
		}
	}
	return out
}

// ResetRequests empties the request log.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
}
