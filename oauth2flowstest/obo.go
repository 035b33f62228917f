package oauth2flowstest

import (
	"encoding/base64"
	"net/url"

	"github.com/oauth2flows/oauth2flows"
)

// grantOnBehalfOf is Microsoft Entra's On-Behalf-Of flow: the RFC 7523
// jwt-bearer grant with requested_token_use=on_behalf_of. A middle-tier API
// (the calling client, which must be confidential) trades the user's access
// token it received (not an app-only one), whose aud must be its client ID,
// "api://"+ID or one of its [Client.Audiences] (Entra: invalid_grant,
// AADSTS500131), for a token to a downstream API named by scope (v2) or
// resource (v1). The new token keeps the user as sub; refresh and ID
// tokens come only with offline_access and openid. requested_token_type
// saml1/saml2 returns an unsigned SAML assertion, base64url-encoded, as
// Entra documents.
func (s *Server) grantOnBehalfOf(c *Client, form url.Values) (*tokenResponse, *oauthError) {
	if form.Get("requested_token_use") != "on_behalf_of" {
		return nil, errInvalidRequest("requested_token_use must be on_behalf_of")
	}
	if c.public() {
		return nil, errUnauthorizedClient("On-Behalf-Of requires a confidential client")
	}
	assertion := form.Get("assertion")
	if assertion == "" {
		return nil, errInvalidRequest("assertion missing")
	}
	scope, resources := form.Get("scope"), form["resource"]
	if scope == "" && len(resources) == 0 {
		return nil, errInvalidRequest("scope (v2) or resource (v1) required")
	}
	if len(resources) > 1 {
		return nil, errInvalidRequest("only one resource allowed")
	}
	for _, r := range resources {
		if !absoluteURI(r) && !isGUIDish(r) {
			return nil, errInvalidTarget("resource must be an absolute URI or an application ID")
		}
	}
	claims, err := s.VerifyAccessToken(assertion)
	if err != nil {
		// Entra: AADSTS50013 / AADSTS500133, invalid_grant.
		return nil, errInvalidGrant("assertion is not a valid, unexpired access token of this server")
	}
	if !c.mayActFor(claims) {
		return nil, errInvalidGrant("assertion audience is not the calling client")
	}
	// Entra: "The OBO flow only works for user principals"; an app-only
	// token has no user to act for.
	s.mu.Lock()
	e := s.store.access[claims.ID]
	appOnly := e != nil && e.appOnly
	s.mu.Unlock()
	if appOnly {
		return nil, errInvalidGrant("assertion is an app-only token; On-Behalf-Of needs a user's token")
	}
	switch rtt := form.Get("requested_token_type"); rtt {
	case "":
	case oauth2flows.TokenTypeSAML1, oauth2flows.TokenTypeSAML2:
		return s.oboSAML(c, claims.Subject, scope, resources, rtt)
	default:
		return nil, errInvalidRequest("requested_token_type must be saml1 or saml2, or absent")
	}
	return s.issue(issuance{
		subject:   claims.Subject,
		client:    c,
		scope:     scope,
		resources: resources,
		refresh:   hasScope(scope, "offline_access"),
		idToken:   hasScope(scope, "openid"),
	})
}

// oboSAML answers an On-Behalf-Of request for a SAML assertion: Entra
// returns it base64url-encoded in access_token, token_type Bearer, with
// issued_token_type naming the SAML version.
func (s *Server) oboSAML(c *Client, subject, scope string, resources []string, tokenType string) (*tokenResponse, *oauthError) {
	aud, _, e := s.audienceFor(scope, resources, c.ID)
	if e != nil {
		return nil, e
	}
	xml := s.samlAssertion(tokenType == oauth2flows.TokenTypeSAML2, subject, aud[0])
	return &tokenResponse{
		accessToken:     base64.RawURLEncoding.EncodeToString([]byte(xml)),
		tokenType:       "Bearer",
		expiresIn:       s.cfg.accessLifetime,
		scope:           scope,
		issuedTokenType: tokenType,
		resource:        aud[0],
	}, nil
}

// isGUIDish reports whether s looks like an Entra application ID, which
// Entra v1 accepts as a resource.
func isGUIDish(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if r != '-' {
				return false
			}
		case '0' <= r && r <= '9', 'a' <= r && r <= 'f', 'A' <= r && r <= 'F':
		default:
			return false
		}
	}
	return true
}
