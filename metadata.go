package oauth2flows

import (
	"encoding/json"
	"fmt"
)

// serverMetadata is the part of RFC 8414 §2 authorization server metadata
// that fills an [Endpoint].
type serverMetadata struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	RevocationEndpoint    string `json:"revocation_endpoint"`
	IntrospectionEndpoint string `json:"introspection_endpoint"`
	// RFC 8705 §5.
	MTLSEndpointAliases struct {
		TokenEndpoint         string `json:"token_endpoint"`
		RevocationEndpoint    string `json:"revocation_endpoint"`
		IntrospectionEndpoint string `json:"introspection_endpoint"`
	} `json:"mtls_endpoint_aliases"`
}

// EndpointFromMetadata builds an [Endpoint] from an authorization server
// metadata document (RFC 8414 §2, or OpenID Connect Discovery), including
// the RFC 8705 §5 mtls_endpoint_aliases that certificate authentication
// uses. When issuer is not empty, the document's "issuer" must equal it
// (RFC 8414 §3.3), as it must for a document fetched from that issuer's
// /.well-known/oauth-authorization-server.
func EndpointFromMetadata(issuer string, metadata []byte) (Endpoint, error) {
	var m serverMetadata
	if err := json.Unmarshal(metadata, &m); err != nil {
		return Endpoint{}, fmt.Errorf("oauth2flows: malformed authorization server metadata: %w", err)
	}
	if issuer != "" && m.Issuer != issuer {
		return Endpoint{}, fmt.Errorf("oauth2flows: metadata issuer %q is not %q (RFC 8414 §3.3)", m.Issuer, issuer)
	}
	if m.TokenEndpoint == "" {
		return Endpoint{}, fmt.Errorf("oauth2flows: authorization server metadata has no token_endpoint")
	}
	a := m.MTLSEndpointAliases
	return Endpoint{
		Issuer:               m.Issuer,
		AuthURL:              m.AuthorizationEndpoint,
		TokenURL:             m.TokenEndpoint,
		RevocationURL:        m.RevocationEndpoint,
		IntrospectionURL:     m.IntrospectionEndpoint,
		MTLSTokenURL:         a.TokenEndpoint,
		MTLSRevocationURL:    a.RevocationEndpoint,
		MTLSIntrospectionURL: a.IntrospectionEndpoint,
	}, nil
}
