package oauth2flows

import "encoding/json"

// EndpointFromMetadata builds an [Endpoint] from an authorization server
// metadata document already in hand (RFC 8414 §2, or OpenID Connect
// Discovery), including the RFC 8705 §5 mtls_endpoint_aliases that
// certificate authentication uses; [Discover] fetches the document instead.
// When issuer is not empty, the document's "issuer" must equal it
// (RFC 8414 §3.3). Failures are a [*DiscoveryError].
func EndpointFromMetadata(issuer string, metadata []byte) (Endpoint, error) {
	fail := func(reason string, err error) (Endpoint, error) {
		return Endpoint{}, &DiscoveryError{Issuer: issuer, Reason: reason, Err: err}
	}
	var m Metadata
	if err := json.Unmarshal(metadata, &m); err != nil {
		return fail("malformed document", err)
	}
	if issuer != "" && m.Issuer != issuer {
		return fail("document is for another issuer, not an exact match (RFC 8414 §3.3)", nil)
	}
	if m.TokenEndpoint == "" {
		return fail("document has no token_endpoint", nil)
	}
	return m.Endpoint(), nil
}
