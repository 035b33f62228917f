package oauth2flowstest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// entraCode is the AADSTS code Entra sends for one of the server's
// refusals, from Entra's reference of AADSTS error codes
// (learn.microsoft.com/entra/identity-platform/reference-error-codes).
// error, when set, replaces the RFC 6749 error code where Entra sends
// another one; suberror is Entra's, for the refusals it sends one with.
type entraCode struct {
	aadsts   int
	error    string
	suberror string
}

// entraCodes maps the server's refusals, by their description or its
// fixed prefix, to Entra's codes. A refusal not listed gets the usual code
// of its error (see entraDefaultCode). TestEntraCodesCoverEveryRefusal
// keeps the table in step with the handlers.
var entraCodes = []struct {
	prefix string
	code   entraCode
}{
	// Requests Entra cannot parse.
	{"the token endpoint accepts POST only", entraCode{aadsts: 900561}},
	{"POST only", entraCode{aadsts: 900561}},
	{"Content-Type must be", entraCode{aadsts: 900144}},
	{"unreadable body", entraCode{aadsts: 900144}},
	{"malformed form body", entraCode{aadsts: 900144}},
	{"grant_type missing", entraCode{aadsts: 900144}},
	{"code missing", entraCode{aadsts: 900144}},
	{"refresh_token missing", entraCode{aadsts: 900144}},
	{"assertion missing", entraCode{aadsts: 900144}},
	{"client_assertion missing", entraCode{aadsts: 900144}},
	{"token missing", entraCode{aadsts: 900144}},
	{"username and password required", entraCode{aadsts: 900144}},
	{"scope (v2) or resource (v1) required", entraCode{aadsts: 900144}},
	{"requested_token_use must be on_behalf_of", entraCode{aadsts: 900144}},
	{"scope missing", entraCode{aadsts: 900144}},
	{"audience is required", entraCode{aadsts: 900144}},
	{"client_assertion_type must be", entraCode{aadsts: 9002313}},
	{"more than one client authentication method used", entraCode{aadsts: 9002313}},
	{"parameter ", entraCode{aadsts: 9002313}},
	{"only one resource allowed", entraCode{aadsts: 9002313}},
	{"requested_token_type must be", entraCode{aadsts: 9002313}},
	{"unsupported requested_token_type", entraCode{aadsts: 9002313}},
	{"unsupported ", entraCode{aadsts: 9002313}},
	{"subject_token and", entraCode{aadsts: 9002313}},
	{"actor_token and", entraCode{aadsts: 9002313}},
	{"Tenant '", entraCode{aadsts: 90002}},
	{"the claims parameter is not", entraCode{aadsts: 9002313}},
	{"grant type not supported", entraCode{aadsts: 70003}},
	{"Specified tenant identifier", entraCode{aadsts: 50049}},

	// Client authentication.
	{"unknown client", entraCode{aadsts: 700016, error: "unauthorized_client"}},
	{"invalid client secret", entraCode{aadsts: 7000215}},
	{"malformed Basic credentials", entraCode{aadsts: 7000215}},
	{"Basic credentials are not form-urlencoded", entraCode{aadsts: 7000215}},
	{"client authentication required", entraCode{aadsts: 7000218}},
	{"introspection requires client authentication", entraCode{aadsts: 7000218}},
	{"client is not registered for certificate authentication", entraCode{aadsts: 700027}},
	{"client is not registered for ", entraCode{aadsts: 7000218}},
	{"client_id does not match the authenticated client", entraCode{aadsts: 700021}},
	{"malformed client assertion", entraCode{aadsts: 50027}},
	{"client assertion rejected: expired", entraCode{aadsts: 700024}},
	{"client assertion rejected: not valid yet", entraCode{aadsts: 700024}},
	{"client assertion rejected: bad signature", entraCode{aadsts: 700027}},
	{"client assertion rejected: ", entraCode{aadsts: 50027}},
	{"client assertion audience is not this server", entraCode{aadsts: 700023}},
	{"client assertion expires too far in the future", entraCode{aadsts: 700024}},
	{"client assertion has no jti", entraCode{aadsts: 50027}},
	{"client assertion replayed", entraCode{aadsts: 50027}},
	{"client has no key for ", entraCode{aadsts: 700027}},
	{"client_id is required with certificate authentication", entraCode{aadsts: 900144}},
	{"client has no registered certificate subject", entraCode{aadsts: 700027}},
	{"the certificate", entraCode{aadsts: 700027}},

	// Grants.
	{"unknown authorization code", entraCode{aadsts: 9002313}},
	{"authorization code already used", entraCode{aadsts: 54005}},
	{"authorization code expired", entraCode{aadsts: 70008}},
	{"authorization code was issued to another client", entraCode{aadsts: 70000}},
	{"redirect_uri does not match", entraCode{aadsts: 500112}},
	{"code_verifier", entraCode{aadsts: 501481}},
	{"invalid username or password", entraCode{aadsts: 50126}},
	{"unknown refresh token", entraCode{aadsts: 9002313, suberror: "bad_token"}},
	{"refresh token already used", entraCode{aadsts: 70000, suberror: "bad_token"}},
	{"refresh token expired or revoked", entraCode{aadsts: 700082, suberror: "bad_token"}},
	{"refresh token was issued to another client", entraCode{aadsts: 70000, suberror: "client_mismatch"}},
	{"requested scope exceeds", entraCode{aadsts: 70011}},
	{"malformed scope", entraCode{aadsts: 70011}},
	{"scopes name more than one resource", entraCode{aadsts: 28000}},
	{"client credentials scope must be", entraCode{aadsts: 1002012}},
	{"resource must be", entraCode{aadsts: 500011, error: "invalid_resource"}},
	{"public clients cannot use client_credentials", entraCode{aadsts: 7000218}},
	{"client is not registered for this grant type", entraCode{aadsts: 70000}},
	{"the token was not issued to this client", entraCode{aadsts: 70000}},

	// On-Behalf-Of and token exchange: the incoming token.
	{"On-Behalf-Of requires a confidential client", entraCode{aadsts: 7000218}},
	{"assertion is not a valid", entraCode{aadsts: 50013}},
	{"assertion is an app-only token", entraCode{aadsts: 50013}},
	{"assertion audience is not the calling client", entraCode{aadsts: 500131}},
	{"subject_token is not a valid", entraCode{aadsts: 50013}},
	{"actor_token is not a valid", entraCode{aadsts: 50013}},
	{"subject_token was not issued for", entraCode{aadsts: 500131}},

	// The device flow, PAR, DPoP and the jwt-bearer grant (served by other
	// files of the package). Entra has no PAR or DPoP: their refusals are
	// its generic "request is malformed or invalid".
	{"device_code missing", entraCode{aadsts: 900144}},
	{"unknown device code", entraCode{aadsts: 9002313}},
	{"device code already used", entraCode{aadsts: 70000}},
	{"device code was issued to another client", entraCode{aadsts: 70000}},
	{"malformed assertion", entraCode{aadsts: 50027}},
	{"assertion has no ", entraCode{aadsts: 50027}},
	{"assertion audience is not this server", entraCode{aadsts: 700212}},
	{"the assertion's issuer is not trusted", entraCode{aadsts: 700211}},
	{"assertion expires too far in the future", entraCode{aadsts: 50013}},
	{"assertion rejected: ", entraCode{aadsts: 50013}},
	{"assertion replayed", entraCode{aadsts: 50013}},
	{"name the API with a scope or a resource", entraCode{aadsts: 70011}},
	{"client_id is required in a pushed authorization request", entraCode{aadsts: 900144}},
	{"the pushed authorization request endpoint accepts POST only", entraCode{aadsts: 900561}},
	{"request object", entraCode{aadsts: 9002313}},
	{"request_uri must not be pushed", entraCode{aadsts: 9002313}},
	{"response_type missing", entraCode{aadsts: 900144}},
	{"response_type must be", entraCode{aadsts: 70005}},
	{"redirect_uri missing, malformed or not registered", entraCode{aadsts: 50011}},
	{"PKCE code_challenge required", entraCode{aadsts: 9002325}},
	{"code_challenge malformed", entraCode{aadsts: 501491}},
	{"code_challenge_method", entraCode{aadsts: 9002313}},
	{"a DPoP proof is required", entraCode{aadsts: 9002313}},
	{"typ must be dpop+jwt", entraCode{aadsts: 9002313}},
	{"dpop_jkt", entraCode{aadsts: 9002313}},
	{"the code is bound to dpop_jkt", entraCode{aadsts: 9002313}},
	{"refresh token is DPoP-bound", entraCode{aadsts: 9002313, suberror: "bad_token"}},
	{"FAPI 2.0", entraCode{aadsts: 9002313}}, // WithFAPI2 refusals: Entra has no FAPI profile
}

// entraCodeFor returns Entra's code for a refusal.
func entraCodeFor(e *oauthError) entraCode {
	for _, c := range entraCodes {
		if strings.HasPrefix(e.description, c.prefix) {
			return c.code
		}
	}
	n, _ := entraDefaultCode(e.code)
	return entraCode{aadsts: n}
}

// entraErrorBody is Entra's error response (RFC 6749 §5.2 plus
// error_codes, timestamp, trace_id, correlation_id, error_uri and, where
// Entra sends them, suberror and claims): the description starts with the
// AADSTS code and ends with the IDs and the time, as Entra's does.
func entraErrorBody(code entraCode, oauthCode, desc, trace, corr, errorURI string, now time.Time) map[string]any {
	if code.error != "" {
		oauthCode = code.error
	}
	if code.aadsts != 0 && !strings.HasPrefix(desc, "AADSTS") {
		desc = fmt.Sprintf("AADSTS%d: %s", code.aadsts, desc)
	}
	ts := now.UTC().Format("2006-01-02 15:04:05Z")
	body := map[string]any{
		"error":             oauthCode,
		"error_description": fmt.Sprintf("%s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s", desc, trace, corr, ts),
		"error_codes":       []int{},
		"timestamp":         ts,
		"trace_id":          trace,
		"correlation_id":    corr,
	}
	if code.aadsts != 0 {
		body["error_codes"] = []int{code.aadsts}
		if errorURI != "" {
			body["error_uri"] = errorURI + "?code=" + strconv.Itoa(code.aadsts)
		}
	}
	if code.suberror != "" {
		body["suberror"] = code.suberror
	}
	return body
}

// entraError is the body of a refusal in the Entra profile. trace_id and
// correlation_id are the x-ms-request-id and client-request-id the
// response carries (set by route).
func (s *Server) entraError(h http.Header, e *oauthError) map[string]any {
	trace, corr := h.Get("x-ms-request-id"), h.Get("client-request-id")
	if trace == "" {
		trace = uuid()
	}
	if corr == "" {
		corr = uuid()
	}
	return entraErrorBody(entraCodeFor(e), e.code, e.description, trace, corr, s.URL()+"/error", s.now())
}
