package oauth2flowstest

import (
	"net/url"

	"github.com/oauth2flows/oauth2flows"
)

// grantTokenExchange is RFC 8693 token exchange (§2.1). The subject token,
// and the actor token when given (both it and its type, or neither), must be
// valid access tokens of this server, typed access_token or jwt, and the
// subject token must have been issued for the client: its aud names the
// client's ID, "api://"+ID or one of its [Client.Audiences] (otherwise
// invalid_request, §2.2.2; with [WithEntra], AADSTS500131; with
// [WithAuth0], 403 access_denied). The new
// token keeps the subject's sub; its aud is every audience and resource
// asked for (a single string when one), and with an actor it carries
// act {sub: actor} nesting the subject's own act (§4.1). It is an access
// token (token_type Bearer) or, when asked, an ID token with token_type
// N_A (§2.2.1). Errors are invalid_request as §2.2.2 says, invalid_target
// for a bad resource (RFC 8707 §2).
func (s *Server) grantTokenExchange(c *Client, form url.Values) (*tokenResponse, *oauthError) {
	subject, e := s.exchangeToken(form, "subject_token", true)
	if e != nil {
		return nil, e
	}
	// RFC 8693 §2.2.2: a subject token the client may not use is an
	// invalid_request (Auth0: access_denied). The check keeps a client from
	// trading a token it took from a request meant for another service.
	if !c.mayActFor(subject) {
		return nil, s.exchangeRefused("subject_token was not issued for this client or an audience it may act for")
	}
	actor, e := s.exchangeToken(form, "actor_token", false)
	if e != nil {
		return nil, e
	}
	act := subject.Act
	if actor != nil {
		act = &Actor{Subject: actor.Subject, Act: subject.Act}
	}
	if e := checkResources(form["resource"]); e != nil {
		return nil, e
	}
	targets := append(append([]string(nil), form["audience"]...), form["resource"]...)
	scope := form.Get("scope")
	scpSource := scope
	if scpSource == "" {
		scpSource = subject.Scope
	}
	aud, scp, e := s.audienceFor(scpSource, targets, c.ID)
	if e != nil {
		return nil, e
	}

	resp := &tokenResponse{scope: scope, resource: aud[0]}
	switch rtt := form.Get("requested_token_type"); rtt {
	case "", oauth2flows.TokenTypeAccessToken, oauth2flows.TokenTypeJWT:
		if rtt == "" {
			rtt = oauth2flows.TokenTypeAccessToken
		}
		resp.accessToken, resp.expiresIn, resp.expiresAt = s.mintAccessToken(grant{
			subject: subject.Subject, clientID: c.ID, audience: aud, scope: scp, act: act,
			boundCert: c.boundCert, dpopJKT: c.dpopJKT,
		})
		resp.tokenType, resp.issuedTokenType = accessTokenType(c), rtt
	case oauth2flows.TokenTypeIDToken:
		resp.accessToken = s.mintIDToken(subject.Subject, c.ID, "", nil)
		resp.expiresIn = s.cfg.accessLifetime
		resp.tokenType, resp.issuedTokenType = "N_A", rtt
	default:
		return nil, errInvalidRequest("unsupported requested_token_type")
	}
	return resp, nil
}

// exchangeToken verifies the subject or actor token of a token exchange
// (RFC 8693 §2.1) named by param, with its param+"_type".
func (s *Server) exchangeToken(form url.Values, param string, required bool) (*Claims, *oauthError) {
	tok, typ := form.Get(param), form.Get(param+"_type")
	switch {
	case tok == "" && typ == "" && !required:
		return nil, nil
	case tok == "" || typ == "":
		return nil, errInvalidRequest(param + " and " + param + "_type must be sent together")
	case typ != oauth2flows.TokenTypeAccessToken && typ != oauth2flows.TokenTypeJWT:
		return nil, errInvalidRequest("unsupported " + param + "_type")
	}
	claims, err := s.VerifyAccessToken(tok)
	if err != nil {
		return nil, errInvalidRequest(param + " is not a valid token of this server")
	}
	return claims, nil
}
