package oauth2flows

import (
	"encoding/json"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
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

// decodeToken reads a successful token response (RFC 6749 §5.1). A 2xx
// carrying "error" is an error response (GitHub answers errors with 200).
func decodeToken(r *response, redact []string, now time.Time) (*Token, error) {
	ct := r.header.Get("Content-Type")
	bad := func(reason string) error {
		return &InvalidResponseError{StatusCode: r.status, ContentType: safeText(ct, redact, 64), Reason: reason}
	}
	if r.tooLarge {
		return nil, bad("body exceeds 1 MiB")
	}
	m, ok := parseMembers(ct, r.body)
	if !ok {
		return nil, bad("body is not a JSON object")
	}
	if m.has("error") {
		return nil, errorFromMembers(r, m, redact)
	}
	t := &Token{}
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
			return nil, bad(f.name + " is not a string")
		}
		*f.dst = v
	}
	if t.AccessToken == "" {
		return nil, bad("access_token is missing")
	}
	// RFC 6749 §5.1: token_type is case-insensitive; fosite sends "bearer".
	if strings.EqualFold(t.TokenType, "bearer") {
		t.TokenType = "Bearer"
	}
	for _, name := range []string{"ext_expires_in", "expires_on"} {
		if _, _, ok := m.seconds(name); !ok {
			return nil, bad(name + " is not a number of seconds")
		}
	}
	expiresIn, present, ok := m.seconds("expires_in")
	if !ok {
		return nil, bad("expires_in is not a number of seconds")
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
	t.Token = *t.Token.WithExtra(m.raw())
	return t, nil
}

// decodeError reads an error response (RFC 6749 §5.2). A body that is not
// an error object, such as a proxy's HTML page, still gives an *Error with
// the status and a short snippet.
func decodeError(r *response, redact []string) *Error {
	m, ok := parseMembers(r.header.Get("Content-Type"), r.body)
	if ok && m.has("error") && !r.tooLarge {
		return errorFromMembers(r, m, redact)
	}
	return &Error{
		StatusCode: r.status,
		RetryAfter: parseRetryAfter(r.header.Get("Retry-After"), time.Now()),
		Body:       snippet(r.body, redact),
	}
}

func errorFromMembers(r *response, m members, redact []string) *Error {
	get := func(name string) string {
		s, _ := m.str(name)
		return s
	}
	e := &Error{
		StatusCode:    r.status,
		Code:          safeText(get("error"), redact, 64),
		Description:   safeText(get("error_description"), redact, 512),
		URI:           safeText(get("error_uri"), redact, 256),
		Claims:        get("claims"),
		TraceID:       safeText(get("trace_id"), redact, 64),
		CorrelationID: safeText(get("correlation_id"), redact, 64),
		RetryAfter:    parseRetryAfter(r.header.Get("Retry-After"), time.Now()),
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
	if scrub(e.Claims, redact) != e.Claims {
		e.Claims = "" // a challenge echoing a credential is not one to pass on
	}
	if e.Code == "" {
		e.Code = "invalid_response"
	}
	return e
}

// snippet returns the start of a body, whitespace folded, for an error
// message. The whole body is scrubbed first: cutting it could leave a
// credential's prefix that no longer matches, and folding white space could
// change a credential that holds a run of it.
func snippet(b []byte, redact []string) string {
	const n = 120
	s := scrub(string(b), redact)
	s = s[:min(len(s), 8*n)]
	return safeText(strings.Join(strings.Fields(s), " "), redact, n)
}

// safeText makes server-supplied text fit for an error string: printable
// runes only, credentials redacted, at most n runes. Redaction runs both
// before and after dropping unprintable runes, so that a credential split
// by an invalid byte cannot be reassembled by the dropping, and before
// truncation, so that no prefix of a credential survives.
func safeText(s string, redact []string, n int) string {
	s = scrub(printable(scrub(s, redact)), redact)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// printable turns white space (Entra ends sentences with \r\n) into
// spaces, and drops other control characters and invalid UTF-8.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, s)
}
