package oauth2flowstest

import (
	"net/http"
	"net/url"

	"github.com/oauth2flows/oauth2flows"
)

// pathAuth0Token is Auth0's token endpoint path.
const pathAuth0Token = "/oauth/token"

// WithAuth0 serves Auth0's layout next to the generic one: the token
// endpoint is also at /oauth/token, which [Server.Endpoint] and the
// metadata name. Token exchange (RFC 8693) follows Auth0's rules: the
// audience parameter is required (400 invalid_request), and an exchange
// refused for its subject token, one not issued for the client, is 403
// access_denied. Errors keep RFC 6749 §5.2's {"error","error_description"}
// shape. Other grants are the generic ones (Auth0's client credentials
// also require an audience; this server does not).
func WithAuth0() Option {
	return func(cfg *config) { cfg.auth0 = true }
}

// profileCheck applies the rules of the server's provider profile to a
// token request, before its grant.
func (s *Server) profileCheck(r *http.Request, grantType string, form url.Values) *oauthError {
	if s.cfg.auth0 && grantType == oauth2flows.GrantTypeTokenExchange && form.Get("audience") == "" {
		return errInvalidRequest("audience is required for token exchange")
	}
	return s.entraCheck(r, grantType, form)
}

// exchangeRefused is the refusal of a subject token the client may not
// trade: invalid_request (RFC 8693 §2.2.2), or Auth0's 403 access_denied.
func (s *Server) exchangeRefused(desc string) *oauthError {
	if s.cfg.auth0 {
		return &oauthError{status: http.StatusForbidden, code: "access_denied", description: desc}
	}
	return errInvalidRequest(desc)
}
