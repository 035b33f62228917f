package oauth2flowstest

import (
	"context"
	"net/http"
	"strings"
)

// Protect is resource-server middleware (RFC 6750): it requires an
// "Authorization: Bearer" access token issued by this server, valid, not
// revoked and with audience among its "aud", and puts its claims in the
// request context for [ClaimsFromContext]. Otherwise it answers 401 with a
// WWW-Authenticate challenge: bare when no token was sent (§3.1), with
// error="invalid_token" when one was.
func (s *Server) Protect(audience string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		token = strings.TrimSpace(token)
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			challenge(w, "")
			return
		}
		claims, err := s.VerifyAccessToken(token)
		if err != nil {
			challenge(w, "the access token is invalid, expired or revoked")
			return
		}
		if !claims.hasAudience(audience) {
			challenge(w, "the access token is not for this resource")
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, claims)))
	})
}

// challenge answers 401 with an RFC 6750 §3 Bearer challenge.
func challenge(w http.ResponseWriter, desc string) {
	v := `Bearer realm="oauth2flowstest"`
	if desc != "" {
		v += `, error="invalid_token", error_description="` + desc + `"`
	}
	w.Header().Set("WWW-Authenticate", v)
	http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
}
