package oauth2flowstest

import (
	"net/http"
	"slices"

	"github.com/oauth2flows/oauth2flows"
)

// handleDiscovery serves the RFC 8414 §3 authorization server metadata,
// also at the OpenID Connect Discovery §4 path.
func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	authMethods := []string{AuthClientSecretBasic, AuthClientSecretPost, AuthClientSecretJWT, AuthPrivateKeyJWT, AuthNone}
	authAlgs := []string{"HS256", "RS256", "PS256", "ES256"}
	if s.mtls != nil {
		authMethods = append(authMethods, AuthTLSClientAuth, AuthSelfSignedTLSClientAuth)
	}
	// RFC 7662 §2.1: introspection needs real client authentication.
	introspectMethods := slices.DeleteFunc(slices.Clone(authMethods), func(m string) bool { return m == AuthNone })
	ep := s.genericEndpoint()
	meta := map[string]any{
		"issuer":                 ep.Issuer,
		"authorization_endpoint": ep.AuthURL,
		"token_endpoint":         ep.TokenURL,
		"revocation_endpoint":    ep.RevocationURL,
		"introspection_endpoint": ep.IntrospectionURL,
		"jwks_uri":               s.URL() + pathJWKS,
		"grant_types_supported": []string{
			oauth2flows.GrantTypeAuthorizationCode, GrantImplicit, oauth2flows.GrantTypePassword,
			oauth2flows.GrantTypeClientCredentials, oauth2flows.GrantTypeRefreshToken,
			oauth2flows.GrantTypeJWTBearer, oauth2flows.GrantTypeTokenExchange,
		},
		"response_types_supported":                                 []string{"code", "token"},
		"response_modes_supported":                                 []string{"query", "fragment"},
		"token_endpoint_auth_methods_supported":                    authMethods,
		"token_endpoint_auth_signing_alg_values_supported":         authAlgs,
		"revocation_endpoint_auth_methods_supported":               authMethods,
		"revocation_endpoint_auth_signing_alg_values_supported":    authAlgs,
		"introspection_endpoint_auth_methods_supported":            introspectMethods,
		"introspection_endpoint_auth_signing_alg_values_supported": authAlgs,
		"code_challenge_methods_supported":                         []string{"S256"},
		"authorization_response_iss_parameter_supported":           true,
		"id_token_signing_alg_values_supported":                    []string{"ES256"},
		"subject_types_supported":                                  []string{"public"},
		"scopes_supported":                                         []string{"openid", "profile", "email", "offline_access"},
	}
	if s.mtls != nil {
		// RFC 8705 §5 and §3.3.
		meta["mtls_endpoint_aliases"] = map[string]string{
			"token_endpoint":                        ep.MTLSTokenURL,
			"revocation_endpoint":                   ep.MTLSRevocationURL,
			"introspection_endpoint":                ep.MTLSIntrospectionURL,
			"device_authorization_endpoint":         ep.MTLSDeviceAuthURL,
			"pushed_authorization_request_endpoint": ep.MTLSPushedAuthURL,
			"userinfo_endpoint":                     ep.MTLSUserInfoURL,
		}
		meta["tls_client_certificate_bound_access_tokens"] = true
	}
	// The current-generation features each add their own metadata.
	s.deviceMetadata(meta)
	s.dpopMetadata(meta)
	s.parMetadata(meta)
	s.jarMetadata(meta)
	s.oidcMetadata(meta)
	s.fapiMetadata(meta)
	writeJSON(w, http.StatusOK, meta)
}

// handleJWKS serves the server's public signing key (RFC 7517 §5).
func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": []any{s.entraKeyIssuer(r, publicJWK(&s.key.PublicKey, s.kid))}})
}
