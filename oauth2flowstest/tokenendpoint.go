package oauth2flowstest

import (
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/oauth2flows/oauth2flows"
)

// grantFunc serves one grant type at the token endpoint for an
// authenticated client.
type grantFunc func(s *Server, c *Client, form url.Values) (*tokenResponse, *oauthError)

// grantFor returns the handler of a grant_type (RFC 6749 §4, RFC 7523 §2.1,
// RFC 8693 §2.1), or nil when the server does not support it.
func grantFor(grantType string) grantFunc {
	switch grantType {
	case oauth2flows.GrantTypeAuthorizationCode:
		return (*Server).grantAuthorizationCode
	case oauth2flows.GrantTypePassword:
		return (*Server).grantPassword
	case oauth2flows.GrantTypeClientCredentials:
		return (*Server).grantClientCredentials
	case oauth2flows.GrantTypeRefreshToken:
		return (*Server).grantRefreshToken
	case oauth2flows.GrantTypeJWTBearer:
		return (*Server).grantJWTBearer // RFC 7523 §2.1, or Entra's On-Behalf-Of
	case oauth2flows.GrantTypeTokenExchange:
		return (*Server).grantTokenExchange
	case grantTypeDeviceCode:
		return (*Server).grantDeviceCode
	}
	return nil
}

// handleToken is the token endpoint (RFC 6749 §3.2): POST only, a
// form-encoded body, client authentication, then the grant.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request, rec *Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.writeError(w, &oauthError{status: http.StatusMethodNotAllowed, code: "invalid_request",
			description: "the token endpoint accepts POST only (RFC 6749 §3.2)"})
		return
	}
	// RFC 8693 §2.1 lets audience and resource repeat.
	form, e := parsePostForm(r, "audience", "resource")
	if e != nil {
		s.writeError(w, e)
		return
	}
	// The URL posted to is a valid client assertion audience: with
	// WithEntra, the tenant's token endpoint.
	c, e := s.authenticateClient(&authInput{r: r, form: form, endpoint: s.URL() + r.URL.Path}, rec)
	if e != nil {
		s.writeError(w, e)
		return
	}
	if c, e = s.bindDPoP(w, r, c, true); e != nil { // RFC 9449 §5
		s.writeError(w, e)
		return
	}
	if e := s.fapiToken(c, rec.AuthMethod); e != nil {
		s.writeError(w, e)
		return
	}
	if c, e = s.claimsRequest(c, form); e != nil { // cae.go
		s.writeError(w, e)
		return
	}
	grantType := form.Get("grant_type")
	if grantType == "" {
		s.writeError(w, errInvalidRequest("grant_type missing"))
		return
	}
	grant := grantFor(grantType)
	if grant == nil {
		s.writeError(w, &oauthError{status: http.StatusBadRequest, code: "unsupported_grant_type",
			description: "grant type not supported"})
		return
	}
	if !c.allowsGrant(grantType) {
		s.writeError(w, errUnauthorizedClient("client is not registered for this grant type"))
		return
	}
	if e := s.profileCheck(r, grantType, form); e != nil {
		s.writeError(w, e)
		return
	}
	resp, e := grant(s, c, form)
	if e != nil {
		s.writeError(w, e)
		return
	}
	s.entraDecorate(r, form, c, resp)
	s.writeToken(w, resp)
}

// parsePostForm reads a form-encoded POST body (RFC 6749 §3.2, Appendix B).
// RFC 6749 §3.1: parameters "MUST NOT be included more than once", except
// those named in repeatable.
func parsePostForm(r *http.Request, repeatable ...string) (url.Values, *oauthError) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, errInvalidRequest("Content-Type must be application/x-www-form-urlencoded")
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, errInvalidRequest("unreadable body")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, errInvalidRequest("malformed form body")
	}
	if e := checkDuplicates(form, repeatable...); e != nil {
		return nil, e
	}
	return form, nil
}

func checkDuplicates(form url.Values, repeatable ...string) *oauthError {
	for k, v := range form {
		if len(v) > 1 && !slices.Contains(repeatable, k) {
			return errInvalidRequest("parameter " + k + " repeated")
		}
	}
	return nil
}

// tokenResponse is a successful token response (RFC 6749 §5.1, RFC 8693
// §2.2.1).
type tokenResponse struct {
	accessToken     string
	tokenType       string
	expiresIn       time.Duration
	expiresAt       time.Time // the access token's exp, when it has one
	refreshToken    string
	scope           string
	idToken         string
	issuedTokenType string
	resource        string // Entra v1 "resource"

	subject string         // the user, or the client for app-only tokens
	appOnly bool           // client credentials: no user behind the token
	v1      bool           // shaped like Entra v1's (WithEntra's v1 paths)
	extra   map[string]any // more members, e.g. Entra's client_info
}

// writeToken sends a token response in the server's configured shape.
func (s *Server) writeToken(w http.ResponseWriter, t *tokenResponse) {
	body := map[string]any{
		"access_token": t.accessToken,
		"token_type":   t.tokenType,
	}
	secs := int64(t.expiresIn / time.Second)
	if s.cfg.entraV1 || t.v1 {
		// Entra v1 sends its numbers as strings.
		now := s.now().Unix()
		on := now + secs
		if !t.expiresAt.IsZero() {
			on = t.expiresAt.Unix() // Entra's expires_on is the token's exp
		}
		body["expires_in"] = strconv.FormatInt(secs, 10)
		body["ext_expires_in"] = strconv.FormatInt(secs, 10)
		body["expires_on"] = strconv.FormatInt(on, 10)
		body["not_before"] = strconv.FormatInt(now, 10)
		body["resource"] = t.resource
	} else if t.expiresIn > 0 {
		body["expires_in"] = secs
	}
	for k, v := range map[string]string{
		"refresh_token":     t.refreshToken,
		"scope":             t.scope,
		"id_token":          t.idToken,
		"issued_token_type": t.issuedTokenType,
	} {
		if v != "" {
			body[k] = v
		}
	}
	for k, v := range t.extra {
		body[k] = v
	}
	s.writeBody(w, http.StatusOK, body)
}
