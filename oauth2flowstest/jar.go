package oauth2flowstest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// maxRequestObjectLifetime is FAPI 2.0 Message Signing §5.3.2's bound on
// exp - nbf of a request object.
const maxRequestObjectLifetime = 60 * time.Minute

// errInvalidRequestObject is RFC 9101 §6.3's invalid_request_object.
func errInvalidRequestObject(desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_request_object", description: desc}
}

// unpackRequestObject replaces an authorization request that carries a
// request object (JAR, RFC 9101 §4, pushed as RFC 9126 §3 allows) by the
// parameters inside it, once verified with the client's registered key
// (Client.PublicKey): PS256, ES256 or RS256, never none or HMAC; typ, when
// present, oauth-authz-req+jwt; iss the client; aud this issuer; exp and
// nbf present, at most 60 minutes apart; client_id, when inside, the
// client. Only the parameters inside are used (RFC 9101 §6.3). A request
// without one from a client with RequireSignedRequestObject is refused.
func (s *Server) unpackRequestObject(c *Client, q url.Values) (url.Values, *oauthError) {
	raw, ok := q["request"]
	if !ok {
		if c.RequireSignedRequestObject || s.cfg.fapiSigning {
			return nil, errInvalidRequest("request object required: this client is registered with require_signed_request_object (RFC 9101 §10.5)")
		}
		return q, nil
	}
	if len(raw) != 1 || q.Has("request_uri") {
		return nil, errInvalidRequest("request object: one request, and no request_uri beside it (RFC 9101 §5)")
	}
	if c.PublicKey == nil {
		return nil, errInvalidRequestObject("request object cannot be verified: the client has no registered key")
	}
	claims := jwt.MapClaims{}
	tok, err := jwt.ParseWithClaims(raw[0], claims, func(*jwt.Token) (any, error) { return c.PublicKey, nil },
		jwt.WithValidMethods(s.signingAlgs([]string{"PS256", "ES256", "RS256"})),
		jwt.WithIssuer(c.ID), jwt.WithAudience(s.URL()),
		jwt.WithExpirationRequired(), jwt.WithTimeFunc(s.now))
	if err != nil {
		return nil, errInvalidRequestObject("request object rejected: " + assertionReason(err))
	}
	if typ, ok := tok.Header["typ"]; ok && typ != "oauth-authz-req+jwt" {
		return nil, errInvalidRequestObject("request object typ must be oauth-authz-req+jwt (RFC 9101 §10.8)")
	}
	exp, _ := claims.GetExpirationTime()
	nbf, _ := claims.GetNotBefore()
	if nbf == nil || exp.Sub(nbf.Time) > maxRequestObjectLifetime {
		return nil, errInvalidRequestObject("request object needs nbf, at most 60 minutes before exp (FAPI 2.0 Message Signing §5.3.2)")
	}
	if id, ok := claims["client_id"]; ok && id != c.ID {
		return nil, errInvalidRequestObject("request object client_id is not the client's")
	}
	out := url.Values{}
	for k, v := range claims {
		if slices.Contains([]string{"iss", "aud", "exp", "nbf", "iat", "jti"}, k) {
			continue
		}
		if k == "request" || k == "request_uri" {
			return nil, errInvalidRequestObject("request object must not hold request or request_uri (RFC 9101 §4)")
		}
		out[k] = claimParam(v)
	}
	out.Set("client_id", c.ID)
	return out, nil
}

// claimParam is a request object claim as parameter values.
func claimParam(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case float64:
		return []string{strconv.FormatFloat(v, 'f', -1, 64)}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, claimParam(e)...)
		}
		return out
	}
	b, _ := json.Marshal(v)
	return []string{string(b)}
}

// requestObjectByValue unpacks a request object sent by value at the
// authorization endpoint; it returns the message of an error page, since
// until it is verified the redirect URI is not known.
func (s *Server) requestObjectByValue(q url.Values) (url.Values, string) {
	c := s.clients[q.Get("client_id")]
	if c == nil {
		return q, "" // the caller refuses the unknown client
	}
	out, e := s.unpackRequestObject(c, q)
	if e != nil {
		return nil, e.code + ": " + e.description
	}
	return out, ""
}

// jarMetadata adds the metadata of request objects (RFC 9101 §10.5) and
// JARM responses (JARM §3).
func (s *Server) jarMetadata(meta map[string]any) {
	meta["request_parameter_supported"] = true
	meta["request_object_signing_alg_values_supported"] = []string{"PS256", "ES256", "RS256"}
	meta["authorization_signing_alg_values_supported"] = []string{"ES256"}
	modes, _ := meta["response_modes_supported"].([]string)
	meta["response_modes_supported"] = append(modes, "jwt", "query.jwt")
}
