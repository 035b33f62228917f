package oauth2flows

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Error is an error response of an authorization server (RFC 6749 §5.2,
// §4.1.2.1; RFC 7009 §2.2.1), with the members Microsoft Entra adds.
// Use errors.As to reach it. Its message never includes a credential the
// request carried: such values are redacted from Description and Body.
type Error struct {
	StatusCode  int    // HTTP status; 0 for errors read from a redirect
	Code        string // "invalid_grant", "interaction_required", ...
	Description string
	URI         string
	// Claims is Entra's claims challenge (JSON), to be passed back to the
	// caller. It is kept verbatim, so %#v does not print it; a challenge
	// that holds a credential of the request is dropped.
	Claims        string
	ErrorCodes    []int // Entra AADSTS codes
	TraceID       string
	CorrelationID string

	// RetryAfter is the server's Retry-After (RFC 9110 §10.2.3), converted to
	// a duration from the time of the response; 0 when absent.
	RetryAfter time.Duration
	// Body is a short, printable snippet of a response that was not a JSON
	// error object, such as a proxy's HTML error page.
	Body string
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("oauth2flows: ")
	if e.StatusCode != 0 {
		b.WriteString("server responded ")
		b.WriteString(strconv.Itoa(e.StatusCode))
	} else {
		b.WriteString("authorization error")
	}
	if e.Code != "" {
		b.WriteString(": ")
		b.WriteString(e.Code)
	}
	if e.Description != "" {
		b.WriteString(": ")
		b.WriteString(e.Description)
	} else if e.Body != "" {
		b.WriteString(": ")
		b.WriteString(strconv.Quote(e.Body))
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

// GoString implements fmt.GoStringer, so that %#v prints the error without
// Claims: the claims challenge is kept verbatim, unscrubbed, for passing
// back to the caller (see [WriteClaimsChallenge]), and must not reach a log
// line through a debug print.
func (e *Error) GoString() string {
	claims := `""`
	if e.Claims != "" {
		claims = `"[redacted]"`
	}
	return fmt.Sprintf("&oauth2flows.Error{StatusCode:%d, Code:%q, Description:%q, URI:%q, Claims:%s, ErrorCodes:%#v, TraceID:%q, CorrelationID:%q, RetryAfter:%d, Body:%q}",
		e.StatusCode, e.Code, e.Description, e.URI, claims, e.ErrorCodes, e.TraceID, e.CorrelationID, e.RetryAfter, e.Body)
}

// Is makes errors.Is(err, [ErrReauthRequired]) true for the codes that mean
// the user must sign in again, and errors.Is(err, [ErrDeviceAccessDenied])
// and errors.Is(err, [ErrDeviceCodeExpired]) true for the RFC 8628 §3.5
// codes "access_denied" and "expired_token".
func (e *Error) Is(target error) bool {
	switch target {
	case ErrReauthRequired:
		return e.reauth()
	case ErrDeviceAccessDenied:
		return e.Code == "access_denied"
	case ErrDeviceCodeExpired:
		return e.Code == "expired_token"
	}
	return false
}

func (e *Error) reauth() bool {
	switch e.Code {
	case "invalid_grant", "interaction_required", "login_required", "consent_required":
		return true
	}
	return false
}

// ErrReauthRequired matches, with errors.Is, an [*Error] whose code says the
// grant can no longer be used and the user must authenticate again:
// invalid_grant (RFC 6749 §5.2), and OpenID Connect Core §3.1.2.6's
// interaction_required, login_required and consent_required.
var ErrReauthRequired = errors.New("oauth2flows: re-authentication required")

// InvalidResponseError is a successful (2xx) response that cannot be used:
// not JSON, too large, without access_token, or with a malformed member
// (RFC 6749 §5.1; RFC 7662 §2.2 for [Introspect]). No token is returned
// with it.
type InvalidResponseError struct {
	StatusCode  int
	ContentType string
	Reason      string // what was wrong, never the body itself
}

// Error implements error.
func (e *InvalidResponseError) Error() string {
	return fmt.Sprintf("oauth2flows: unusable response (status %d, %s): %s", e.StatusCode, e.ContentType, e.Reason)
}

// ConfigError is a call refused before anything was sent, because the
// Config, an argument or an option is missing, contradictory or unsafe.
type ConfigError struct {
	// Op is the function called, e.g. "ClientCredentials".
	Op string
	// Field is the Go expression the caller set: a Config field
	// ("Config.ClientID", "Config.Endpoint.TokenURL"), an argument
	// ("state", "ctx", "code") or an option ("WithPKCE").
	Field  string
	Reason string
}

// Error implements error.
func (e *ConfigError) Error() string {
	if e.Op == "" {
		return "oauth2flows: " + e.Field + ": " + e.Reason
	}
	return "oauth2flows: " + e.Op + ": " + e.Field + ": " + e.Reason
}

// withOp fills the Op of a [*ConfigError] or [*AssertionError] that has
// none, so that errors found deep in a call name the function the caller
// called.
func withOp(op string, err error) error {
	var ce *ConfigError
	if errors.As(err, &ce) && ce.Op == "" {
		ce.Op = op
	}
	var ae *AssertionError
	if errors.As(err, &ae) && ae.Op == "" {
		ae.Op = op
	}
	return err
}

// NetworkError is a request to the authorization server that got no HTTP
// response: a refused connection, a TLS failure, a timeout or a cancelled
// context. Err is the cause; errors.Is(err, context.Canceled) works through
// it. Its message never holds a credential the request carried, even when
// the cause quotes what the server sent.
type NetworkError struct {
	URL string // the endpoint, without query
	Err error
}

// Error implements error.
func (e *NetworkError) Error() string {
	return "oauth2flows: request to " + e.URL + " failed: " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *NetworkError) Unwrap() error { return e.Err }

// SAMLError is a token that [SAMLAssertion] cannot read as a SAML
// assertion: not issued as one (RFC 8693 §2.2.1 issued_token_type), not
// base64url, or not XML.
type SAMLError struct {
	Reason string
}

// Error implements error.
func (e *SAMLError) Error() string { return "oauth2flows: SAML assertion: " + e.Reason }

// TokenTypeError is returned for a request when the token cannot be sent as
// a bearer token (RFC 6750 §1.2): its token_type is not "Bearer", e.g. RFC
// 8693 §2.2.1's "N_A", or it is a SAML assertion issued by On-Behalf-Of.
// The Transport never sends such a token.
type TokenTypeError struct {
	TokenType       string
	IssuedTokenType string
}

// Error implements error.
func (e *TokenTypeError) Error() string {
	msg := "oauth2flows: token of type " + strconv.Quote(e.TokenType)
	if e.IssuedTokenType != "" {
		msg += " (issued_token_type " + strconv.Quote(e.IssuedTokenType) + ")"
	}
	return msg + " cannot be sent as a bearer token"
}

// SaveError is returned for a request when the token saver of
// [WithTokenSaver] failed. The token is kept and saving is retried before
// it is used.
type SaveError struct {
	Err error // what the saver returned
}

// Error implements error.
func (e *SaveError) Error() string { return "oauth2flows: token saver: " + e.Err.Error() }

// Unwrap returns the saver's error.
func (e *SaveError) Unwrap() error { return e.Err }
