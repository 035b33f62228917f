package oauth2flowstest

import (
	"net/http"
	"net/url"

	"github.com/golang-jwt/jwt/v5"
)

// handleRevoke is the revocation endpoint (RFC 7009 §2). The client must
// authenticate and may revoke only its own tokens (§2.1). Revoking a
// refresh token revokes its whole family, and the access tokens issued with
// it; revoking an access token revokes that token. An unknown token is not
// an error (§2.2). token_type_hint is optional and only a hint.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request, rec *Request) {
	form, c, e := s.postWithClient(w, r, rec, pathRevoke)
	if e != nil {
		s.writeError(w, e)
		return
	}
	token := form.Get("token")
	if token == "" {
		s.writeError(w, errInvalidRequest("token missing"))
		return
	}
	if e := s.revoke(token, c); e != nil {
		s.writeError(w, e)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

func (s *Server) revoke(token string, c *Client) *oauthError {
	notYours := errUnauthorizedClient("the token was not issued to this client")
	var jti string
	if claims, ok := s.parseOwnJWT(token); ok {
		jti = claims.ID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.store.refresh[token]; e != nil {
		if e.clientID != c.ID {
			return notYours
		}
		e.revoked = true
		s.store.revokeFamily(e.family)
		return nil
	}
	if e := s.store.access[jti]; jti != "" && e != nil {
		if e.clientID != c.ID {
			return notYours
		}
		e.revoked = true
	}
	return nil
}

// parseOwnJWT checks a JWT's signature by the server's key, ignoring its
// time claims, so that expired tokens can still be revoked and introspected.
func (s *Server) parseOwnJWT(token string) (*Claims, bool) {
	c := &Claims{}
	_, err := jwt.ParseWithClaims(token, c, func(*jwt.Token) (any, error) { return &s.key.PublicKey, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithoutClaimsValidation())
	return c, err == nil && c.Issuer == s.issuer()
}

// postWithClient reads a POST form and authenticates the client, as the
// revocation and introspection endpoints both need.
func (s *Server) postWithClient(w http.ResponseWriter, r *http.Request, rec *Request, path string) (url.Values, *Client, *oauthError) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return nil, nil, &oauthError{status: http.StatusMethodNotAllowed, code: "invalid_request", description: "POST only"}
	}
	form, e := parsePostForm(r)
	if e != nil {
		return nil, nil, e
	}
	c, e := s.authenticateClient(&authInput{r: r, form: form, endpoint: s.URL() + path}, rec)
	if e != nil {
		return nil, nil, e
	}
	return form, c, nil
}
