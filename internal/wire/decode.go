package wire

import (
	"encoding/json"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/oauth2flows/oauth2flows/internal/redact"
)

// maxExpiresIn bounds expires_in so that Expiry never overflows
// (about 136 years).
const maxExpiresIn = 1 << 32

// members is a response body read as name/value pairs, whether it came as
// JSON or as application/x-www-form-urlencoded (GitHub's token endpoint).
type members struct {
	json map[string]any
	form url.Values
}

// parseMembers reads body by its media type: form or text/plain as form,
// everything else as a JSON object.
func parseMembers(contentType string, body []byte) (members, bool) {
	if mt := mediaType(contentType); strings.EqualFold(mt, "application/x-www-form-urlencoded") || strings.EqualFold(mt, "text/plain") {
		v, err := url.ParseQuery(string(body))
		return members{form: v}, err == nil
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return members{}, false
	}
	return members{json: m}, true
}

// mediaType returns the type/subtype of a Content-Type (RFC 9110 §8.3.1)
// without its parameters: all the decoder needs, without the allocations
// of mime.ParseMediaType.
func mediaType(contentType string) string {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.TrimSpace(mt)
}

// Seconds reads a count of seconds from form values as the token endpoint
// decoder does (a numeric string, bounded), for the implicit grant's
// fragment. ok is false when it is present and malformed.
func Seconds(v url.Values, name string) (n int64, present, ok bool) {
	return members{form: v}.seconds(name)
}

// raw is what Token.Extra reads.
func (m members) raw() any {
	if m.form != nil {
		return m.form
	}
	return m.json
}

func (m members) has(name string) bool {
	if m.form != nil {
		_, ok := m.form[name]
		return ok
	}
	_, ok := m.json[name]
	return ok
}

// str returns a string member; ok is false when it is present but not a string.
func (m members) str(name string) (string, bool) {
	if m.form != nil {
		return m.form.Get(name), true
	}
	switch v := m.json[name].(type) {
	case nil:
		return "", true
	case string:
		return v, true
	}
	return "", false
}

// seconds reads a count of seconds sent as a JSON number or as a numeric
// string: Entra's v1 endpoint sends "3599". ok is false for anything else.
func (m members) seconds(name string) (n int64, present, ok bool) {
	var s string
	if m.form != nil {
		if !m.has(name) {
			return 0, false, true
		}
		s = m.form.Get(name)
	} else {
		switch v := m.json[name].(type) {
		case nil:
			return 0, m.has(name), true
		case float64:
			if v != math.Trunc(v) || v < 0 || v > maxExpiresIn {
				return 0, true, false
			}
			return int64(v), true, true
		case string:
			s = v
		default:
			return 0, true, false
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 || n > maxExpiresIn {
		return 0, true, false
	}
	return n, true, true
}

// Token is a decoded token response (RFC 6749 §5.1). Raw is every member,
// a map[string]any or url.Values, for x/oauth2's Token.Extra.
type Token struct {
	AccessToken, TokenType, RefreshToken, Scope, IDToken, IssuedTokenType string

	ExpiresIn int64
	Expiry    time.Time
	Raw       any
}

// ErrorResponse is a decoded error response (RFC 6749 §5.2) with the
// members Entra adds. Every text member is scrubbed of the request's
// credentials, except Claims, which is kept verbatim unless it holds one.
type ErrorResponse struct {
	Status                         int
	Code, Description, URI, Claims string
	ErrorCodes                     []int
	TraceID, CorrelationID         string
	RetryAfter                     time.Duration
	Body                           string // a snippet of a body that was not an error object
}

func (e *ErrorResponse) Error() string { return "error response: " + e.Code }

// InvalidResponse is a 2xx that cannot be used. Reason never holds the body.
type InvalidResponse struct {
	Status      int
	ContentType string
	Reason      string
}

func (e *InvalidResponse) Error() string { return "unusable response: " + e.Reason }

// InvalidResponseOf is an *InvalidResponse for r, its Content-Type made
// safe for an error string.
func InvalidResponseOf(r *Response, secrets []string, reason string) *InvalidResponse {
	return &InvalidResponse{Status: r.Status, ContentType: redact.SafeText(r.Header.Get("Content-Type"), secrets, 64), Reason: reason}
}

// DecodeToken reads a successful token response (RFC 6749 §5.1). A 2xx
// carrying "error" is an error response (GitHub answers errors with 200).
// The error is an *ErrorResponse or an *InvalidResponse.
func DecodeToken(r *Response, secrets []string, now time.Time) (Token, error) {
	ct := r.Header.Get("Content-Type")
	bad := func(reason string) error {
		return InvalidResponseOf(r, secrets, reason)
	}
	if r.TooLarge {
		return Token{}, bad("body exceeds 1 MiB")
	}
	m, ok := parseMembers(ct, r.Body)
	if !ok {
		return Token{}, bad("body is not a JSON object")
	}
	if m.has("error") {
		return Token{}, errorFromMembers(r, m, secrets)
	}
	var t Token
	fields := []struct {
		name string
		dst  *string
	}{
		{"access_token", &t.AccessToken},
		{"token_type", &t.TokenType},
		{"refresh_token", &t.RefreshToken},
		{"scope", &t.Scope},
		{"id_token", &t.IDToken},
		{"issued_token_type", &t.IssuedTokenType},
	}
	for _, f := range fields {
		v, ok := m.str(f.name)
		if !ok {
			return Token{}, bad(f.name + " is not a string")
		}
		*f.dst = v
	}
	if t.AccessToken == "" {
		return Token{}, bad("access_token is missing")
	}
	// RFC 6749 §5.1: token_type is case-insensitive; fosite sends "bearer".
	if strings.EqualFold(t.TokenType, "bearer") {
		t.TokenType = "Bearer"
	}
	for _, name := range []string{"ext_expires_in", "expires_on"} {
		if _, _, ok := m.seconds(name); !ok {
			return Token{}, bad(name + " is not a number of seconds")
		}
	}
	expiresIn, present, ok := m.seconds("expires_in")
	if !ok {
		return Token{}, bad("expires_in is not a number of seconds")
	}
	switch {
	case expiresIn > 0:
		t.Expiry = now.Add(time.Duration(expiresIn) * time.Second)
		t.ExpiresIn = expiresIn
	case !present:
		// Entra v1 may send only expires_on, an absolute Unix time.
		if on, _, _ := m.seconds("expires_on"); on > 0 {
			t.Expiry = time.Unix(on, 0)
		}
	}
	t.Raw = m.raw()
	return t, nil
}

// DecodeError reads an error response (RFC 6749 §5.2). A body that is not
// an error object, such as a proxy's HTML page, still gives an
// *ErrorResponse with the status and a short snippet. The body is decoded
// once: a second call returns the first one's result, so secrets must be
// all the request's credentials from the first call on.
func DecodeError(r *Response, secrets []string) *ErrorResponse {
	if r.errResp != nil {
		return r.errResp
	}
	m, ok := parseMembers(r.Header.Get("Content-Type"), r.Body)
	if ok && m.has("error") && !r.TooLarge {
		r.errResp = errorFromMembers(r, m, secrets)
	} else {
		r.errResp = &ErrorResponse{
			Status:     r.Status,
			RetryAfter: ParseRetryAfter(r.Header.Get("Retry-After"), time.Now()),
			Body:       redact.Snippet(r.Body, secrets),
		}
	}
	return r.errResp
}

func errorFromMembers(r *Response, m members, secrets []string) *ErrorResponse {
	get := func(name string) string {
		s, _ := m.str(name)
		return s
	}
	e := &ErrorResponse{
		Status:        r.Status,
		Code:          redact.SafeText(get("error"), secrets, 64),
		Description:   redact.SafeText(get("error_description"), secrets, 512),
		URI:           redact.SafeText(get("error_uri"), secrets, 256),
		Claims:        get("claims"),
		TraceID:       redact.SafeText(get("trace_id"), secrets, 64),
		CorrelationID: redact.SafeText(get("correlation_id"), secrets, 64),
		RetryAfter:    ParseRetryAfter(r.Header.Get("Retry-After"), time.Now()),
	}
	if m.json != nil {
		if codes, ok := m.json["error_codes"].([]any); ok {
			for _, c := range codes {
				if f, ok := c.(float64); ok && f == math.Trunc(f) && math.Abs(f) < 1<<31 {
					e.ErrorCodes = append(e.ErrorCodes, int(f))
				}
			}
		}
	}
	if redact.Scrub(e.Claims, secrets) != e.Claims {
		e.Claims = "" // a challenge echoing a credential is not one to pass on
	}
	if e.Code == "" {
		e.Code = "invalid_response"
	}
	return e
}
