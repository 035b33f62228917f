package oauth2flowstest

import "net/url"

// grantRefreshToken is the refresh_token grant (RFC 6749 §6). The token is
// bound to its client; the scope may narrow, never widen. What happens to
// the token presented is the server's [RefreshTokenPolicy]: by default it
// rotates, and presenting a rotated one again revokes the whole family
// (RFC 9700 §4.14.2).
func (s *Server) grantRefreshToken(c *Client, form url.Values) (*tokenResponse, *oauthError) {
	rt := form.Get("refresh_token")
	if rt == "" {
		return nil, errInvalidRequest("refresh_token missing")
	}
	s.mu.Lock()
	e := s.store.refresh[rt]
	switch {
	case e == nil:
		s.mu.Unlock()
		return nil, errInvalidGrant("unknown refresh token")
	case e.clientID != c.ID:
		s.mu.Unlock()
		return nil, errInvalidGrant("refresh token was issued to another client")
	case e.rotated:
		s.store.reused++
		s.store.revokeFamily(e.family)
		s.mu.Unlock()
		return nil, errInvalidGrant("refresh token already used; its family is revoked")
	case !s.store.refreshActive(e, s.now()):
		s.mu.Unlock()
		return nil, errInvalidGrant("refresh token expired or revoked")
	case e.dpopJKT != "" && e.dpopJKT != c.dpopJKT:
		// RFC 9449 §5: a public client's refresh token is bound to its DPoP key.
		s.mu.Unlock()
		return nil, errInvalidGrant("refresh token is DPoP-bound; the DPoP proof is missing or by another key")
	}
	scope := e.scope
	if req := form.Get("scope"); req != "" {
		if !scopeSubset(req, e.scope) {
			s.mu.Unlock()
			return nil, errInvalidScope("requested scope exceeds the scope originally granted")
		}
		scope = req
	}
	policy := s.cfg.refreshTokenPolicy()
	rotate := policy != NoRotation
	if policy == RotateRevokeFamily {
		e.rotated = true
	}
	s.store.redeemed++
	subject, granted, resources, fam := e.subject, e.scope, e.resources, e.family
	s.mu.Unlock()
	return s.issue(issuance{
		subject:   subject,
		client:    c,
		scope:     scope,
		granted:   granted,
		resources: resources,
		refresh:   rotate,
		idToken:   hasScope(scope, "openid"),
		family:    fam,
	})
}
