package oauth2flows

import (
	"context"
	"crypto/subtle"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/oauth2flows/oauth2flows/internal/redact"
)

// ErrStateMismatch matches, with errors.Is, a [*CallbackError] whose state
// is missing or differs from the one sent: the response may be forged
// (cross-site request forgery, RFC 6749 §10.12). Start a new authorization.
var ErrStateMismatch = errors.New("oauth2flows: state mismatch")

// ErrIssuerMismatch matches, with errors.Is, a [*CallbackError] whose RFC
// 9207 "iss" is not the expected issuer: the response may come from another
// authorization server (mix-up attack, RFC 9700 §4.4). Do not redeem the code.
var ErrIssuerMismatch = errors.New("oauth2flows: issuer mismatch")

// CallbackError is an authorization response (RFC 6749 §4.1.2, §4.2.2) that
// cannot be used: malformed, repeated or missing parameters, a wrong state
// or a wrong issuer. An error the server sent in the redirect is an
// [*Error] instead. The message never holds a parameter's value.
type CallbackError struct {
	Param  string // the parameter at fault: "state", "code", "iss", "fragment", ...
	Reason string
	err    error // ErrStateMismatch or ErrIssuerMismatch, when one applies
}

// Error implements error.
func (e *CallbackError) Error() string {
	return "oauth2flows: authorization response: " + e.Param + ": " + e.Reason
}

// Unwrap returns [ErrStateMismatch] or [ErrIssuerMismatch] when one applies.
func (e *CallbackError) Unwrap() error { return e.err }

// ParseCallback reads the authorization response (RFC 6749 §4.1.2) that
// the server sent to the redirect URI, and returns the code to pass to
// [ExchangeCode]. It reads the query of a GET, or the body of a POST
// (OAuth 2.0 Form Post Response Mode).
//
// state is the one sent with [AuthCodeURL]; the response's state must equal
// it, compared in constant time, or the error matches [ErrStateMismatch].
// An error redirect (RFC 6749 §4.1.2.1) becomes an [*Error] with
// StatusCode 0, once state and issuer are checked. Every other problem is a
// [*CallbackError].
//
// The RFC 9207 §2.4 "iss" parameter, when present, must equal
// Endpoint.Issuer; when no Issuer is configured it must at least be an
// https URL on the host of Endpoint.AuthURL, the server the user was sent
// to, or the error matches [ErrIssuerMismatch] (set Endpoint.Issuer for
// servers whose issuer lives on another host). A response without "iss" is
// refused, matching [ErrIssuerMismatch], when
// Endpoint.AuthResponseIssParameterSupported records that the server
// advertises authorization_response_iss_parameter_supported (RFC 9207 §2.4;
// [Metadata.Endpoint] sets it); otherwise it is accepted, as many servers
// do not send it.
//
// With Config.ResponseMode "jwt" (JARM), only the "response" JWT is read:
// its signature is verified with the issuer's keys (Endpoint.JWKSURL,
// fetched with r's context), its iss must be Endpoint.Issuer, its aud
// ClientID and its exp in the future; then state, iss, code or error are
// taken from inside it and checked as above. A key set that cannot be
// fetched is a [*NetworkError].
func ParseCallback(cfg *Config, r *http.Request, state string) (code string, err error) {
	if r == nil || r.URL == nil {
		return "", &ConfigError{Op: "ParseCallback", Field: "r", Reason: "nil request"}
	}
	var v url.Values
	if r.Method == http.MethodPost {
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt != "application/x-www-form-urlencoded" {
			return "", &CallbackError{Param: "body", Reason: "a POSTed response must be application/x-www-form-urlencoded"}
		}
		if err := r.ParseForm(); err != nil {
			return "", &CallbackError{Param: "body", Reason: "malformed form"}
		}
		v = r.PostForm
	} else if v, err = url.ParseQuery(r.URL.RawQuery); err != nil {
		return "", &CallbackError{Param: "query", Reason: "malformed query"}
	}
	code, err = codeFrom(r.Context(), cfg, v, state)
	return code, withOp("ParseCallback", err)
}

// ParseCallbackURL is [ParseCallback] for the full redirect URL as a
// string (RFC 6749 §4.1.2), as a desktop or command-line client receives
// it (RFC 8252 §7).
func ParseCallbackURL(cfg *Config, redirectURL, state string) (code string, err error) {
	u, err := url.Parse(redirectURL)
	if err != nil {
		return "", &CallbackError{Param: "redirectURL", Reason: "not a valid URL"}
	}
	v, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", &CallbackError{Param: "query", Reason: "malformed query"}
	}
	code, err = codeFrom(context.Background(), cfg, v, state)
	return code, withOp("ParseCallbackURL", err)
}

// codeFrom checks an authorization code response, or with
// Config.ResponseMode "jwt" the parameters inside its verified JARM
// response, and returns its code. ctx bounds a key fetch.
func codeFrom(ctx context.Context, cfg *Config, v url.Values, state string) (string, error) {
	if cfg == nil {
		return "", &ConfigError{Field: "cfg", Reason: "nil Config"}
	}
	if isJARM(cfg) {
		var err error
		if v, err = jarmResponse(ctx, cfg, v); err != nil {
			return "", err
		}
	}
	if err := checkResponse(v, state, func(v url.Values) error { return checkIssuer(cfg, v) }); err != nil {
		return "", err
	}
	code := v.Get("code")
	if code == "" {
		return "", &CallbackError{Param: "code", Reason: "missing"}
	}
	return code, nil
}

// responseParams are the authorization response parameters this package
// reads; RFC 6749 §3.1 forbids repeating them.
var responseParams = [...]string{
	"code", "state", "iss", "error", "error_description", "error_uri",
	"access_token", "token_type", "expires_in", "scope", "id_token", "refresh_token",
}

// checkResponse checks what every authorization response shares, in an
// order that trusts nothing unchecked: no repeated parameter, the state
// (RFC 6749 §10.12), the issuer (RFC 9207 §2.4, when checkIss is not nil),
// and then an error response (§4.1.2.1, §4.2.2.1) becomes an [*Error].
func checkResponse(v url.Values, state string, checkIss func(url.Values) error) error {
	if state == "" {
		return &ConfigError{Field: "state", Reason: "empty: pass the state sent in the authorization request"}
	}
	for _, p := range responseParams {
		if len(v[p]) > 1 {
			return &CallbackError{Param: p, Reason: "repeated (RFC 6749 §3.1)"}
		}
	}
	got, ok := v["state"]
	if !ok {
		return &CallbackError{Param: "state", Reason: "missing (RFC 6749 §4.1.2)", err: ErrStateMismatch}
	}
	if subtle.ConstantTimeCompare([]byte(got[0]), []byte(state)) != 1 {
		return &CallbackError{Param: "state", Reason: "does not match the state sent (RFC 6749 §10.12)", err: ErrStateMismatch}
	}
	if checkIss != nil {
		if err := checkIss(v); err != nil {
			return err
		}
	}
	if _, ok := v["error"]; ok {
		e := &Error{
			Code:        redact.SafeText(v.Get("error"), nil, 64),
			Description: redact.SafeText(v.Get("error_description"), nil, 512),
			URI:         redact.SafeText(v.Get("error_uri"), nil, 256),
		}
		if e.Code == "" {
			e.Code = "invalid_response"
		}
		return e
	}
	return nil
}

// checkIssuer applies RFC 9207 §2.4 to a response's "iss".
func checkIssuer(cfg *Config, v url.Values) error {
	mismatch := func(reason string) error {
		return &CallbackError{Param: "iss", Reason: reason, err: ErrIssuerMismatch}
	}
	got, ok := v["iss"]
	if !ok {
		// RFC 9207 §2.4: a client MUST reject a response without iss from
		// a server that advertises authorization_response_iss_parameter_supported.
		if cfg.Endpoint.AuthResponseIssParameterSupported {
			return mismatch("missing, but the server advertises authorization_response_iss_parameter_supported (RFC 9207 §2.4)")
		}
		return nil
	}
	iss := got[0]
	if want := cfg.Endpoint.Issuer; want != "" {
		// RFC 9207 §2.4: simple string comparison, no normalisation.
		if iss != want {
			return mismatch("not Endpoint.Issuer (RFC 9207 §2.4)")
		}
		return nil
	}
	// No issuer configured: accept only an issuer identifier (RFC 8414 §2:
	// https, no query or fragment) on the host the user was sent to, which
	// still defeats a mix-up with a server on another host.
	iu, err := url.Parse(iss)
	if err != nil || iu.Host == "" || iu.RawQuery != "" || iu.Fragment != "" ||
		checkURL("iss", iss, cfg.InsecureAllowHTTP) != nil {
		return mismatch("not an issuer identifier (RFC 8414 §2)")
	}
	au, err := url.Parse(cfg.Endpoint.AuthURL)
	if err != nil || cfg.Endpoint.AuthURL == "" || !strings.EqualFold(au.Host, iu.Host) {
		return mismatch("not on the host of Endpoint.AuthURL; set Endpoint.Issuer to the server's issuer (RFC 9207 §2.4)")
	}
	return nil
}
