package oauth2flowstest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/oauth2flows/oauth2flows"
)

// graphResource is Microsoft Graph, the resource Entra gives a scope that
// names none: "User.Read" is https://graph.microsoft.com/User.Read.
const graphResource = "https://graph.microsoft.com"

// audienceFor is audienceFor with the profile's scope rules: with
// [WithEntra], a scope without a resource is Graph's, and a token asked
// for with OpenID scopes alone is for Graph too.
func (s *Server) audienceFor(scope string, resources []string, clientID string) ([]string, string, *oauthError) {
	if s.cfg.entra == nil {
		return audienceFor(scope, resources, clientID)
	}
	var full []string
	for _, sc := range strings.Fields(scope) {
		if !oidcScope(sc) && !strings.Contains(sc, "/") {
			sc = graphResource + "/" + sc
		}
		full = append(full, sc)
	}
	res, _, e := resourceScopes(strings.Join(full, " "))
	if e == nil && res == "" && len(resources) == 0 {
		resources = []string{graphResource}
	}
	aud, scp, e := audienceFor(strings.Join(full, " "), resources, clientID)
	var names []string
	for _, n := range strings.Fields(scp) {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return aud, strings.Join(names, " "), e
}

// grantedScope is the scope a token response reports. Entra reports what
// it granted, each scope once, the resource's before OpenID's, rather than
// the request as sent; the generic profile sends back the scope granted.
func (s *Server) grantedScope(scope string) string {
	if s.cfg.entra == nil {
		return scope
	}
	var api, oidc []string
	for _, sc := range strings.Fields(scope) {
		switch {
		case slices.Contains(api, sc) || slices.Contains(oidc, sc):
		case oidcScope(sc):
			oidc = append(oidc, sc)
		default:
			api = append(api, sc)
		}
	}
	return strings.Join(append(api, oidc...), " ")
}

// redeemedScope is the scope of tokens for a code issued for scope, when
// the token request asks for requested. The generic profile grants what
// the authorization request asked for. Entra v2 also grants the OpenID
// scopes the token request adds, which need no consent: MSAL asks for
// openid, profile and offline_access there and not in the authorization
// URL.
func (s *Server) redeemedScope(scope, requested string) string {
	if s.cfg.entra == nil {
		return scope
	}
	for _, sc := range strings.Fields(requested) {
		if oidcScope(sc) && !hasScope(scope, sc) {
			scope = strings.TrimSpace(scope + " " + sc)
		}
	}
	return scope
}

// entraCheck applies Entra's rules on a token request before its grant:
// client credentials on v2 need exactly one scope, {resource}/.default
// (AADSTS1002012), since an app's permissions are its consented ones, not
// ones it names.
func (s *Server) entraCheck(r *http.Request, grantType string, form url.Values) *oauthError {
	if s.cfg.entra == nil || grantType != oauth2flows.GrantTypeClientCredentials {
		return nil
	}
	if er := entraRequestOf(r); er != nil && er.v1 {
		return nil // v1 names the resource with resource=
	}
	// MSAL adds the OpenID scopes to every request; Entra ignores them here.
	scopes := slices.DeleteFunc(strings.Fields(form.Get("scope")), oidcScope)
	if len(scopes) == 0 {
		return errInvalidRequest("scope missing: the request body must contain the 'scope' parameter")
	}
	for _, sc := range scopes {
		res, ok := strings.CutSuffix(sc, "/.default")
		if !ok || res == "" || strings.HasSuffix(res, ":/") {
			return errInvalidScope("client credentials scope must be {resource}/.default")
		}
	}
	return nil
}

// entraDecorate adds what Entra puts in every token response: ext_expires_in,
// and client_info ({"uid","utid"}, base64url) for a user's tokens when the
// request sent client_info=1. Entra's v1 endpoint answers in v1's shape.
func (s *Server) entraDecorate(r *http.Request, form url.Values, c *Client, t *tokenResponse) {
	if s.cfg.entra == nil {
		return
	}
	if er := entraRequestOf(r); er != nil && er.v1 {
		t.v1 = true
		return // writeToken adds v1's ext_expires_in
	}
	if t.extra == nil {
		t.extra = map[string]any{}
	}
	t.extra["ext_expires_in"] = int64(t.expiresIn / time.Second)
	if t.appOnly {
		// Entra's client credentials responses carry no scope.
		t.scope = ""
	}
	if form.Get("client_info") == "1" && t.subject != "" && !t.appOnly {
		b, _ := json.Marshal(map[string]string{"uid": s.userOID(t.subject), "utid": s.cfg.entra.tenantID})
		t.extra["client_info"] = base64.RawURLEncoding.EncodeToString(b)
	}
}

// userOID is the "oid" of a user: the Subject when it is a GUID, else one
// derived from it.
func (s *Server) userOID(subject string) string {
	if isGUIDish(subject) {
		return strings.ToLower(subject)
	}
	return guidFrom("user:" + s.cfg.entra.tenantID + ":" + subject)
}

// appOID is the "oid" of a client's service principal in the tenant.
func (s *Server) appOID(clientID string) string {
	return guidFrom("sp:" + s.cfg.entra.tenantID + ":" + clientID)
}

// entraAccessClaims adds Entra's claims to an access token: ver, tid and
// oid always; for a user, name and preferred_username; for an app (client
// credentials), sub is its service principal's oid, as in Entra's
// app-only tokens, roles are the client's [Client.Roles], and idtyp is
// "app".
func (s *Server) entraAccessClaims(c jwt.MapClaims, g grant) {
	if s.cfg.entra == nil {
		return
	}
	c["ver"] = "2.0"
	c["tid"] = s.cfg.entra.tenantID
	if g.appOnly {
		oid := s.appOID(g.clientID)
		c["oid"], c["sub"], c["idtyp"] = oid, oid, "app"
		if cl := s.clients[g.clientID]; cl != nil && len(cl.Roles) > 0 {
			c["roles"] = cl.Roles
		}
		return
	}
	c["oid"] = s.userOID(g.subject)
	if u := s.userBySubject(g.subject); u != nil && u.Username != "" {
		c["preferred_username"] = u.Username
		c["name"] = u.Username
	}
}

// entraIDClaims adds Entra's claims to an ID token: ver, tid and oid.
func (s *Server) entraIDClaims(c jwt.MapClaims, subject string) {
	if s.cfg.entra == nil {
		return
	}
	c["ver"] = "2.0"
	c["tid"] = s.cfg.entra.tenantID
	c["oid"] = s.userOID(subject)
}
