package oauth2flowstest

import (
	"net/http"
	"net/url"
	"time"
)

// pathPAR is the pushed authorization request endpoint (RFC 9126 §2).
const pathPAR = "/par"

// EndpointPAR names the pushed authorization request endpoint (RFC 9126
// §2) in [Request.Endpoint], [Server.RequestsTo] and [Server.InjectFault].
const EndpointPAR = "par"

// requestURIPrefix is RFC 9126 §2.2's URN namespace of request_uri values.
const requestURIPrefix = "urn:ietf:params:oauth:request_uri:"

// parLifetime is how long a request_uri stays good: RFC 9126 §2.2's
// example, and oidc-provider's default. It is meant for an immediate
// redirect.
const parLifetime = 60 * time.Second

// parConfig is what the PAR options set.
type parConfig struct {
	required bool
}

// WithPARRequired makes the authorization endpoint accept only pushed
// requests (RFC 9126 §5 require_pushed_authorization_requests, which the
// metadata then says): a plain authorization request is sent back to the
// client with invalid_request.
func WithPARRequired() Option {
	return func(cfg *config) { cfg.par.required = true }
}

// pushedEntry is a pushed authorization request (RFC 9126 §2.2).
type pushedEntry struct {
	clientID string
	params   url.Values
	expires  time.Time
}

// handlePAR is the pushed authorization request endpoint (RFC 9126 §2):
// POST, the client authenticated as at the token endpoint (a public client
// names itself with client_id), the parameters, client_id included, checked as the
// authorization endpoint checks them, and a one-time request_uri bound to
// the client (201). A DPoP proof, or dpop_jkt, binds the code to come to a
// key (RFC 9449 §10.1).
func (s *Server) handlePAR(w http.ResponseWriter, r *http.Request, rec *Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.writeError(w, &oauthError{status: http.StatusMethodNotAllowed, code: "invalid_request",
			description: "the pushed authorization request endpoint accepts POST only (RFC 9126 §2.1)"})
		return
	}
	form, e := parsePostForm(r, "resource")
	if e != nil {
		s.writeError(w, e)
		return
	}
	c, e := s.authenticateClient(&authInput{r: r, form: form, endpoint: s.URL() + pathPAR}, rec)
	if e == nil {
		c, e = s.bindDPoP(w, r, c, false)
	}
	if e == nil {
		form, e = s.unpackRequestObject(c, form) // RFC 9126 §3
	}
	if e == nil {
		e = s.checkPushed(c, form)
	}
	if e == nil {
		e = s.fapiPushed(rec.AuthMethod, form)
	}
	if e != nil {
		s.writeError(w, e)
		return
	}
	params := url.Values{}
	for k, v := range form {
		switch k {
		case "client_secret", "client_assertion", "client_assertion_type":
			// Client credentials are not part of the authorization request.
		default:
			params[k] = v
		}
	}
	params.Set("client_id", c.ID)
	if c.dpopJKT != "" {
		params.Set("dpop_jkt", c.dpopJKT)
	}
	uri := requestURIPrefix + randomString()
	s.mu.Lock()
	now := s.now()
	for k, p := range s.store.pushed {
		if !now.Before(p.expires) {
			delete(s.store.pushed, k)
		}
	}
	s.store.pushed[uri] = &pushedEntry{clientID: c.ID, params: params, expires: now.Add(parLifetime)}
	s.mu.Unlock()
	s.writeBody(w, http.StatusCreated, map[string]any{
		"request_uri": uri,
		"expires_in":  int64(parLifetime / time.Second),
	})
}

// checkPushed checks a pushed request as the authorization endpoint
// would (RFC 9126 §2.1), answering its errors as JSON (§2.3).
func (s *Server) checkPushed(c *Client, form url.Values) *oauthError {
	switch {
	case form.Get("client_id") == "":
		// RFC 9126 §2.1: the pushed request is an authorization request,
		// where client_id is required (RFC 6749 §4.1.1), even from a client
		// that authenticated with Basic; oidc-provider refuses it too.
		return errInvalidRequest("client_id is required in a pushed authorization request (RFC 9126 §2.1)")
	case form.Has("request_uri"):
		return errInvalidRequest("request_uri must not be pushed (RFC 9126 §2.1)")
	}
	if jkt := form.Get("dpop_jkt"); jkt != "" && c.dpopJKT != "" && jkt != c.dpopJKT {
		// RFC 9449 §10.1: both given, they must name the same key.
		return errInvalidRequest("dpop_jkt does not match the DPoP proof's key")
	}
	mustRegister := c.public() || form.Get("response_type") == "token"
	if _, ok := redirectFor(c, form.Get("redirect_uri"), mustRegister); !ok {
		return errInvalidRequest("redirect_uri missing, malformed or not registered for this client")
	}
	return checkAuthorizationParams(c, form)
}

// takePushed returns the pushed request a request_uri at the authorization
// endpoint stands for (RFC 9126 §4), and uses it up: it must be unexpired,
// unused, and pushed by the client_id the query names. Anything else in
// the query is ignored. On refusal it returns the message of an error
// page: without a good pushed request the redirect URI is not known.
func (s *Server) takePushed(q url.Values) (url.Values, string) {
	uri, id := q.Get("request_uri"), q.Get("client_id")
	if id == "" {
		return nil, "client_id is required with request_uri (RFC 9126 §4)"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.store.pushed[uri]
	switch {
	case p == nil || !s.now().Before(p.expires):
		return nil, "request_uri unknown, used or expired"
	case p.clientID != id:
		return nil, "request_uri was pushed by another client"
	}
	delete(s.store.pushed, uri)
	return p.params, ""
}

// parMetadata adds RFC 9126 §5's metadata.
func (s *Server) parMetadata(meta map[string]any) {
	meta["pushed_authorization_request_endpoint"] = s.URL() + pathPAR
	meta["require_pushed_authorization_requests"] = s.cfg.par.required
}
