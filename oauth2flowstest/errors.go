package oauth2flowstest

import (
	"encoding/json"
	"net/http"
	"net/url"
)

// oauthError is an error response of the token, revocation or introspection
// endpoint (RFC 6749 §5.2).
type oauthError struct {
	status      int
	code        string
	description string
	// basic is set when the client tried HTTP Basic authentication, which
	// makes invalid_client a 401 with a WWW-Authenticate challenge.
	basic bool
}

func (e *oauthError) Error() string { return "oauth2flowstest: " + e.code + ": " + e.description }

func errInvalidRequest(desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_request", description: desc}
}

func errInvalidGrant(desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_grant", description: desc}
}

func errInvalidScope(desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_scope", description: desc}
}

func errUnauthorizedClient(desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "unauthorized_client", description: desc}
}

func errInvalidTarget(desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_target", description: desc}
}

// errInvalidClient is RFC 6749 §5.2's invalid_client: 401 with a Basic
// challenge when the client tried Basic, 400 otherwise.
func errInvalidClient(desc string, basic bool) *oauthError {
	status := http.StatusBadRequest
	if basic {
		status = http.StatusUnauthorized
	}
	return &oauthError{status: status, code: "invalid_client", description: desc, basic: basic}
}

// writeError sends e as RFC 6749 §5.2 describes, in the server's response
// format.
func (s *Server) writeError(w http.ResponseWriter, e *oauthError) {
	if e.basic {
		w.Header().Set("WWW-Authenticate", `Basic realm="oauth2flowstest", charset="UTF-8"`)
	}
	body := map[string]any{"error": e.code}
	if e.description != "" {
		body["error_description"] = e.description
	}
	if s.cfg.entra != nil {
		body = s.entraError(w.Header(), e)
	}
	s.writeBody(w, e.status, body)
}

// writeBody sends a token-endpoint style response: JSON, or form-encoded
// with WithFormResponses, never cached (RFC 6749 §5.1).
func (s *Server) writeBody(w http.ResponseWriter, status int, body map[string]any) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	if s.cfg.formResponses {
		v := url.Values{}
		for k, x := range body {
			b, _ := json.Marshal(x)
			if s, ok := x.(string); ok {
				v.Set(k, s)
			} else {
				v.Set(k, string(b))
			}
		}
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(v.Encode()))
		return
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
