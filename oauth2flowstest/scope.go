package oauth2flowstest

import (
	"slices"
	"strings"
)

// oidcScopes are OpenID Connect scopes (OpenID Connect Core §5.4, §11),
// which ask for identity and refresh tokens rather than API access.
func oidcScope(s string) bool {
	switch s {
	case "openid", "profile", "email", "address", "phone", "offline_access":
		return true
	}
	return false
}

// hasScope reports whether the space-separated scope contains want.
func hasScope(scope, want string) bool { return slices.Contains(strings.Fields(scope), want) }

// resourceScopes splits a requested scope into the API it is for and the
// scope names for that API, as Microsoft Entra does: "api://b/read" is
// scope "read" of "api://b", and "https://graph.microsoft.com/.default"
// is every consented scope of Graph (no scp name here). Names without a
// "/" have no resource. OpenID scopes are left out. Entra refuses scopes of
// more than one resource in one request (AADSTS28000), so does this server.
func resourceScopes(scope string) (resource string, names []string, e *oauthError) {
	for _, sc := range strings.Fields(scope) {
		if oidcScope(sc) {
			continue
		}
		i := strings.LastIndex(sc, "/")
		if i < 0 {
			names = append(names, sc)
			continue
		}
		res, name := sc[:i], sc[i+1:]
		if res == "" || strings.HasSuffix(res, ":/") {
			// "/read" or "api:///read": no resource.
			return "", nil, errInvalidScope("malformed scope")
		}
		if resource != "" && resource != res {
			return "", nil, errInvalidScope("scopes name more than one resource")
		}
		resource = res
		if name != ".default" && name != "" {
			names = append(names, name)
		}
	}
	return resource, names, nil
}

// audienceFor chooses an access token's audience and scp: the RFC 8707
// resource indicators when given, else the resource the scopes name, else
// the client itself.
func audienceFor(scope string, resources []string, clientID string) (aud []string, scp string, e *oauthError) {
	res, names, e := resourceScopes(scope)
	if e != nil {
		return nil, "", e
	}
	switch {
	case len(resources) > 0:
		aud = resources
	case res != "":
		aud = []string{res}
	default:
		aud = []string{clientID}
	}
	return aud, strings.Join(names, " "), nil
}

// scopeSubset reports whether every scope in narrower is in wider
// (RFC 6749 §6: a refresh may not widen the scope).
func scopeSubset(narrower, wider string) bool {
	have := strings.Fields(wider)
	for _, s := range strings.Fields(narrower) {
		if !slices.Contains(have, s) {
			return false
		}
	}
	return true
}
