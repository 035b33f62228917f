package oauth2flowstest

import (
	"net/http"
)

// handleIntrospect is the introspection endpoint (RFC 7662 §2). The caller
// must authenticate as a registered confidential client. Active tokens are
// described with scope, client_id, sub, aud, iss, exp, iat and token_type
// (§2.2); anything else, revoked, expired, rotated or unknown, is
// {"active":false}.
func (s *Server) handleIntrospect(w http.ResponseWriter, r *http.Request, rec *Request) {
	form, c, e := s.postWithClient(w, r, rec, pathIntrospect)
	if e == nil && c.public() {
		// §2.1 requires client authentication, which a public client's
		// client_id is not; §2.3 answers 401.
		e = errInvalidClient("introspection requires client authentication", true)
	}
	if e != nil {
		s.writeError(w, e)
		return
	}
	token := form.Get("token")
	if token == "" {
		s.writeError(w, errInvalidRequest("token missing"))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, s.introspect(token))
}

func (s *Server) introspect(token string) map[string]any {
	if claims, err := s.VerifyAccessToken(token); err == nil {
		out := map[string]any{
			"active":     true,
			"token_type": "Bearer", // DPoP when bound, below
			"sub":        claims.Subject,
			"iss":        claims.Issuer,
			"exp":        claims.ExpiresAt.Unix(),
			"iat":        claims.IssuedAt.Unix(),
			"jti":        claims.ID,
		}
		if len(claims.Audience) > 0 {
			out["aud"] = audClaim(claims.Audience)
		}
		if claims.Scope != "" {
			out["scope"] = claims.Scope
		}
		if claims.ClientID != "" {
			out["client_id"] = claims.ClientID
		}
		if claims.Act != nil {
			out["act"] = claims.Act
		}
		if claims.Cnf != nil {
			out["cnf"] = claims.Cnf // RFC 8705 §3.2, RFC 9449 §6.2
		}
		if claims.Cnf["jkt"] != "" {
			out["token_type"] = "DPoP" // RFC 9449 §6.2
		}
		return out
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.store.refresh[token]; e != nil && !e.rotated && s.store.refreshActive(e, s.now()) {
		out := map[string]any{
			"active":     true,
			"token_type": "refresh_token",
			"sub":        e.subject,
			"iss":        s.issuer(),
			"client_id":  e.clientID,
			"exp":        e.expires.Unix(),
		}
		if e.scope != "" {
			out["scope"] = e.scope
		}
		return out
	}
	return map[string]any{"active": false}
}
