package oauth2flowstest

import (
	"net/http"
	"net/url"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// jarmLifetime is how long a JARM response stays good (JARM §2.1 wants it
// short): long enough for a slow test.
const jarmLifetime = 2 * time.Minute

// jarmParams returns the authorization response p as JARM asks for it
// (JARM §2.1, §2.3.4 response_mode=jwt): one "response" parameter, a JWT
// signed with the server's key (served at jwks_uri) holding iss, aud (the
// client), exp and p's parameters. Any other response_mode gives p.
func (s *Server) jarmParams(responseMode, clientID string, p url.Values) url.Values {
	if !isJARM(responseMode) {
		return p
	}
	claims := jwt.MapClaims{"iss": s.URL(), "aud": clientID, "exp": s.now().Add(jarmLifetime).Unix()}
	for k := range p {
		if k != "iss" {
			claims[k] = p.Get(k)
		}
	}
	return url.Values{"response": {s.sign("", claims)}}
}

// isJARM reports whether responseMode asks for a JARM response in the query.
func isJARM(responseMode string) bool { return responseMode == "jwt" || responseMode == "query.jwt" }

// redirectJARMError sends an error back as a JARM response (JARM §2.1).
func (s *Server) redirectJARMError(w http.ResponseWriter, r *http.Request, redirect, clientID, state, code, desc string) {
	p := url.Values{"error": {code}}
	if desc != "" {
		p.Set("error_description", desc)
	}
	if state != "" {
		p.Set("state", state)
	}
	http.Redirect(w, r, withParams(redirect, s.jarmParams("jwt", clientID, p), false), http.StatusFound)
}
