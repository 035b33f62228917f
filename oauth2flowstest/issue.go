package oauth2flowstest

import "time"

// issuance describes the tokens one grant hands out.
type issuance struct {
	subject   string
	client    *Client
	scope     string   // the scope of this response
	granted   string   // the scope bound to a new refresh token; "" means scope
	resources []string // RFC 8707 resource indicators
	refresh   bool     // issue a refresh token
	idToken   bool     // issue an ID token
	nonce     string
	code      string    // the authorization code redeemed, for c_hash
	authTime  time.Time // when the user authenticated; zero: unknown
	family    string    // the refresh-token family to continue; "" starts one
	act       *Actor
	appOnly   bool // client credentials: no user behind the token
}

// issue mints the access token and, as asked, a refresh token and an ID
// token, and records them in the store (RFC 6749 §5.1).
func (s *Server) issue(is issuance) (*tokenResponse, *oauthError) {
	aud, scp, e := s.audienceFor(is.scope, is.resources, is.client.ID)
	if e != nil {
		return nil, e
	}
	fam := is.family
	if is.refresh && fam == "" {
		s.mu.Lock()
		fam = s.store.newFamily()
		s.mu.Unlock()
	}
	at, lifetime, exp := s.mintAccessToken(grant{
		subject: is.subject, clientID: is.client.ID, audience: aud, scope: scp, act: is.act, family: fam,
		boundCert: is.client.boundCert, dpopJKT: is.client.dpopJKT, appOnly: is.appOnly, xmsCC: is.client.xmsCC,
		openid: hasScope(is.scope, "openid"),
	})
	resp := &tokenResponse{
		accessToken: at,
		tokenType:   accessTokenType(is.client),
		expiresIn:   lifetime,
		expiresAt:   exp,
		scope:       s.grantedScope(is.scope),
		resource:    aud[0],
		subject:     is.subject,
		appOnly:     is.appOnly,
	}
	if is.refresh {
		granted := is.granted
		if granted == "" {
			granted = is.scope
		}
		resp.refreshToken = randomString()
		s.mu.Lock()
		s.store.refresh[resp.refreshToken] = &refreshEntry{
			clientID:  is.client.ID,
			subject:   is.subject,
			scope:     granted,
			resources: is.resources,
			expires:   s.now().Add(s.cfg.refreshLifetime),
			family:    fam,
			dpopJKT:   refreshJKT(is.client),
		}
		s.mu.Unlock()
	}
	if is.idToken {
		resp.idToken = s.mintIDToken(is.subject, is.client.ID, is.nonce, idTokenExtras(is, at))
	}
	return resp, nil
}
