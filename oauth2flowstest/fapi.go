package oauth2flowstest

import (
	"net/url"
	"slices"
)

// fapiAuthMethods are the client authentication methods FAPI 2.0 allows
// (FAPI 2.0 Security Profile §5.3.2.1: private_key_jwt or mTLS).
var fapiAuthMethods = []string{AuthPrivateKeyJWT, AuthTLSClientAuth, AuthSelfSignedTLSClientAuth}

// fapiAlgs are the signature algorithms FAPI 2.0 allows (§5.4.1).
var fapiAlgs = []string{"PS256", "ES256"}

// WithFAPI2 turns on what the FAPI 2.0 Security Profile (final) requires of
// an authorization server, as oidc-provider's features.fapi {profile: '2.0'}
// does:
//
//   - pushed authorization requests only ([WithPARRequired], §5.3.1.2),
//     each with a redirect_uri, PKCE S256 (§5.3.1.2) and response_type
//     code;
//   - client authentication by private_key_jwt or mTLS only (§5.3.2.1),
//     private_key_jwt assertions whose "aud" is the issuer identifier
//     itself, as a string (§5.3.2.1);
//   - PS256 or ES256 for client assertions, DPoP proofs and request
//     objects (§5.4.1);
//   - sender-constrained access tokens (§5.3.2.2): every token request
//     carries a DPoP proof (RFC 9449) or comes over mTLS with a certificate
//     the tokens are bound to (RFC 8705 §3);
//   - "iss" in authorization responses (RFC 9207), which the server always
//     sends.
//
// The metadata says so: token_endpoint_auth_methods_supported lists only
// the allowed methods.
func WithFAPI2() Option {
	return func(cfg *config) {
		cfg.fapi2 = true
		cfg.par.required = true
	}
}

// WithFAPI2MessageSigning is [WithFAPI2] with what FAPI 2.0 Message
// Signing (final) adds for authorization requests and responses, as
// oidc-provider with JAR and JARM required does: every pushed request is a
// signed request object (JAR, RFC 9101; §5.3.1), verified with the
// client's PublicKey, and asks for a signed authorization response
// (response_mode jwt, JARM; §5.4.1), which the server then sends.
func WithFAPI2MessageSigning() Option {
	return func(cfg *config) {
		WithFAPI2()(cfg)
		cfg.fapiSigning = true
	}
}

// signingAlgs narrows the algorithms accepted for client assertions, DPoP
// proofs and request objects to FAPI 2.0's (§5.4.1) under WithFAPI2.
func (s *Server) signingAlgs(algs []string) []string {
	if s.cfg.fapi2 {
		return fapiAlgs
	}
	return algs
}

// fapiClientAuth refuses, under WithFAPI2, a client that authenticated by
// another method than FAPI 2.0 allows.
func (s *Server) fapiClientAuth(method string) *oauthError {
	if s.cfg.fapi2 && !slices.Contains(fapiAuthMethods, method) {
		return errInvalidClient("FAPI 2.0 allows only private_key_jwt and mTLS client authentication", false)
	}
	return nil
}

// fapiToken checks a token request under WithFAPI2: the client's method,
// and a DPoP proof or client certificate to bind the tokens to.
func (s *Server) fapiToken(c *Client, method string) *oauthError {
	if !s.cfg.fapi2 {
		return nil
	}
	if e := s.fapiClientAuth(method); e != nil {
		return e
	}
	if c.dpopJKT == "" && c.boundCert == "" {
		return errInvalidRequest("FAPI 2.0 requires sender-constrained tokens: send a DPoP proof or use mTLS")
	}
	return nil
}

// fapiPushed checks a pushed authorization request under WithFAPI2.
func (s *Server) fapiPushed(method string, form url.Values) *oauthError {
	if !s.cfg.fapi2 {
		return nil
	}
	if e := s.fapiClientAuth(method); e != nil {
		return e
	}
	switch {
	case form.Get("response_type") != "code":
		return errInvalidRequest("FAPI 2.0 allows only response_type code")
	case form.Get("redirect_uri") == "":
		return errInvalidRequest("FAPI 2.0 requires redirect_uri in the pushed authorization request")
	case form.Get("code_challenge") == "":
		return errInvalidRequest("FAPI 2.0 requires PKCE with S256")
	case s.cfg.fapiSigning && !isJARM(form.Get("response_mode")):
		return errInvalidRequest("FAPI 2.0 Message Signing requires response_mode jwt (JARM)")
	}
	return nil
}

// fapiMetadata narrows the metadata under WithFAPI2.
func (s *Server) fapiMetadata(meta map[string]any) {
	if !s.cfg.fapi2 {
		return
	}
	methods := fapiAuthMethods
	if s.mtls == nil {
		methods = []string{AuthPrivateKeyJWT}
	}
	for _, k := range []string{"token_endpoint_auth_methods_supported", "revocation_endpoint_auth_methods_supported", "introspection_endpoint_auth_methods_supported"} {
		meta[k] = methods
	}
	for _, k := range []string{"token_endpoint_auth_signing_alg_values_supported", "revocation_endpoint_auth_signing_alg_values_supported", "introspection_endpoint_auth_signing_alg_values_supported"} {
		meta[k] = fapiAlgs
	}
	meta["response_types_supported"] = []string{"code"}
	meta["request_object_signing_alg_values_supported"] = fapiAlgs
	if s.cfg.fapiSigning {
		meta["require_signed_request_object"] = true
	}
	meta["grant_types_supported"] = []string{"authorization_code", "refresh_token", "client_credentials"}
}
