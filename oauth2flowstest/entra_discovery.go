package oauth2flowstest

import (
	"net/http"
	"net/url"
	"strings"
)

// handleEntraMetadata serves Entra's OpenID Connect Discovery document of a
// tenant, v2 (/{tenant}/v2.0/.well-known/openid-configuration) or v1
// (/{tenant}/.well-known/openid-configuration). For common and
// organizations the issuer holds the literal "{tenantid}", as Entra's does.
func (s *Server) handleEntraMetadata(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	er := entraRequestOf(r)
	tid := "{tenantid}"
	if s.cfg.entra.knows(er.tenant) {
		tid = s.cfg.entra.tenantID
	}
	base, issuer, keys := s.URL()+"/"+er.tenant+"/oauth2/v2.0", s.URL()+"/"+tid+"/v2.0", "/discovery/v2.0/keys"
	if er.v1 {
		// Entra v1's issuer is https://sts.windows.net/{tid}/; the server
		// has one host, so it keeps the path's shape.
		base, issuer, keys = s.URL()+"/"+er.tenant+"/oauth2", s.URL()+"/"+tid+"/", "/discovery/keys"
	}
	meta := map[string]any{
		"issuer":                                issuer,
		"authorization_endpoint":                base + "/authorize",
		"token_endpoint":                        base + "/token",
		"end_session_endpoint":                  base + "/logout",
		"userinfo_endpoint":                     s.URL() + pathEntraUserInfo,
		"jwks_uri":                              s.URL() + "/" + er.tenant + keys,
		"token_endpoint_auth_methods_supported": []string{AuthClientSecretPost, AuthPrivateKeyJWT, AuthClientSecretBasic},
		"response_modes_supported":              []string{"query", "fragment"},
		"response_types_supported":              []string{"code", "token"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"ES256"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"claims_supported": []string{"sub", "iss", "aud", "exp", "iat", "nbf", "name", "preferred_username",
			"oid", "tid", "ver", "nonce", "azp", "scp", "roles"},
		"code_challenge_methods_supported": []string{"S256"},
		"request_uri_parameter_supported":  false,
		"frontchannel_logout_supported":    true,
		"http_logout_supported":            true,
		"tenant_region_scope":              "WW",
		"cloud_instance_name":              "microsoftonline.com",
		"cloud_graph_host_name":            "graph.windows.net",
		"msgraph_host":                     "graph.microsoft.com",
		"rbac_url":                         "https://pas.windows.net",
		"kerberos_endpoint":                s.URL() + "/" + er.tenant + "/kerberos",
		"device_authorization_endpoint":    base + "/devicecode",
	}
	if er.v1 {
		delete(meta, "device_authorization_endpoint")
	}
	writeJSON(w, http.StatusOK, meta)
}

// handleInstanceDiscovery is AAD instance discovery, which MSAL calls for an
// authority host it does not know: GET /common/discovery/instance with
// api-version=1.1 and the authority's authorization_endpoint. The server
// knows only its own host, as its own and only alias; any other is
// refused with invalid_instance (AADSTS50049).
func (s *Server) handleInstanceDiscovery(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	self, _ := url.Parse(s.URL())
	ae, err := url.Parse(r.URL.Query().Get("authorization_endpoint"))
	if err != nil || ae.Scheme != "https" || !strings.EqualFold(ae.Host, self.Host) {
		s.writeError(w, errInvalidInstance())
		return
	}
	tenant, _, _ := strings.Cut(strings.TrimPrefix(ae.Path, "/"), "/")
	if tenant == "" {
		tenant = entraCommon
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"tenant_discovery_endpoint": s.URL() + "/" + tenant + "/v2.0/.well-known/openid-configuration",
		"api-version":               "1.1",
		"metadata": []map[string]any{{
			"preferred_network": self.Host,
			"preferred_cache":   self.Host,
			"aliases":           []string{self.Host},
		}},
	})
}

// errInvalidInstance is AAD instance discovery's refusal of an unknown
// authority.
func errInvalidInstance() *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_instance",
		description: "Specified tenant identifier is neither a valid DNS name, nor a valid external domain."}
}
