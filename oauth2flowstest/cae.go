package oauth2flowstest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// claimsRequest reads the claims parameter of a token request (OpenID
// Connect Core §5.5), as Entra reads it: a JSON object, whose
// access_token.xms_cc.values declare the client's capabilities, such as
// "cp1" for continuous access evaluation (CAE). The access tokens issued
// then carry them as "xms_cc". A claims challenge's other members (nbf
// after a revocation) need nothing more: a token issued now satisfies
// them.
func (s *Server) claimsRequest(c *Client, form url.Values) (*Client, *oauthError) {
	raw := form.Get("claims")
	if raw == "" {
		return c, nil
	}
	var req struct {
		AccessToken *struct {
			XmsCC *struct {
				Values []string `json:"values"`
			} `json:"xms_cc"`
		} `json:"access_token"`
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(raw), &obj) != nil || obj == nil || json.Unmarshal([]byte(raw), &req) != nil {
		return nil, errInvalidRequest("the claims parameter is not a valid claims request (a JSON object)")
	}
	if req.AccessToken == nil || req.AccessToken.XmsCC == nil || len(req.AccessToken.XmsCC.Values) == 0 {
		return c, nil
	}
	declared := *c
	declared.xmsCC = slices.Clone(req.AccessToken.XmsCC.Values)
	return &declared, nil
}

// RevokeUser plays a continuous access evaluation critical event for the
// user subject, such as a password reset or an administrator revoking the
// user's sessions in Entra: from now on, [Server.Protect] refuses the
// user's access tokens issued before it that carry xms_cc "cp1", answering
// 401 with the claims challenge Entra's resources send:
//
//	WWW-Authenticate: Bearer realm="", error="insufficient_claims",
//	    claims="<base64 of {"access_token":{"nbf":{"essential":true,"value":"<now>"}}}>"
//
// The client passes the challenge to the token endpoint in the claims
// parameter (oauth2flows.WithClaims); the token it gets, issued after the
// event, is accepted. Tokens without "cp1" stay valid until they expire,
// as Entra's non-CAE tokens do. Nothing else of the user's is revoked.
func (s *Server) RevokeUser(subject string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.revokedUsers == nil {
		s.revokedUsers = map[string]time.Time{}
	}
	s.revokedUsers[subject] = s.now()
}

// caeChallenge answers a CAE token of a revoked user (see
// [Server.RevokeUser]) with Entra's claims challenge, and reports whether
// it did.
func (s *Server) caeChallenge(w http.ResponseWriter, c *Claims) bool {
	if !slices.Contains(c.Capabilities, "cp1") {
		return false
	}
	s.mu.Lock()
	at, revoked := s.revokedUsers[c.Subject]
	e := s.store.access[c.ID]
	s.mu.Unlock()
	if !revoked || e == nil || !e.issued.Before(at) {
		return false
	}
	claims := `{"access_token":{"nbf":{"essential":true,"value":"` + strconv.FormatInt(at.Unix(), 10) + `"}}}`
	w.Header().Set("WWW-Authenticate", `Bearer realm="", authorization_uri="`+s.URL()+`/common/oauth2/authorize", `+
		`error="insufficient_claims", claims="`+base64.StdEncoding.EncodeToString([]byte(claims))+`"`)
	http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
	return true
}
