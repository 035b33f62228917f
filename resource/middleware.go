package resource

import (
	"errors"
	"net/http"
	"strings"
)

// Middleware guards next with the Validator: a request whose bearer token
// (RFC 6750 §2.1, the Authorization header only) validates reaches next
// with the [Principal] in its context ([PrincipalFromContext]). Otherwise
// it is answered here, with a Bearer challenge (RFC 6750 §3) that never
// repeats the token:
//
//   - no bearer token: 401, a challenge without error code (§3.1);
//   - a malformed Authorization header: 400, error="invalid_request";
//   - a token that does not validate: 401, error="invalid_token";
//   - a valid token without the required scopes or roles: 403,
//     error="insufficient_scope" and the scope attribute;
//   - the key set could not be fetched: 503 and no challenge, since the
//     token may be fine.
func (v *Validator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, err := BearerToken(r)
		if err != nil {
			v.logRefusal(r.Context(), err)
			if errors.Is(err, ErrNoToken) {
				v.refuse(w, http.StatusUnauthorized, "", "", "")
			} else {
				v.refuse(w, http.StatusBadRequest, "invalid_request", "", "")
			}
			return
		}
		p, err := v.validate(r.Context(), token)
		if err != nil {
			ve := (*ValidationError)(nil)
			errors.As(err, &ve)
			switch {
			case ve != nil && ve.Reason == ReasonInsufficientScope:
				v.refuse(w, http.StatusForbidden, "insufficient_scope", "the access token lacks the required scope or role", v.scopeAttr())
			case ve != nil && ve.Reason == ReasonKeysUnavailable:
				w.Header().Set("Cache-Control", "no-store")
				http.Error(w, "cannot check the access token now", http.StatusServiceUnavailable)
			default:
				v.refuse(w, http.StatusUnauthorized, "invalid_token", describe(ve), "")
			}
			return
		}
		next.ServeHTTP(w, r.WithContext(contextWithPrincipal(r.Context(), p)))
	})
}

// ErrNoToken is returned by [BearerToken] for a request without a bearer
// token: no Authorization header, or one of another scheme. RFC 6750 §3.1
// answers it with a challenge and no error code.
var ErrNoToken = errors.New("oauth2flows: no bearer token in the request")

// BearerToken returns the token of a request's "Authorization: Bearer
// <token>" header (RFC 6750 §2.1; the scheme is case-insensitive, RFC 9110
// §11.1). Tokens in a form body or the query (RFC 6750 §2.2, §2.3) are not
// read: RFC 9700 advises against sending them there. A request without one
// is [ErrNoToken]; a repeated Authorization header, or a token that is not
// an RFC 6750 §2.1 b64token, is a [*ValidationError] with
// [ReasonMalformed], which [Validator.Middleware] answers with 400
// (RFC 6750 §3.1 "invalid_request").
func BearerToken(r *http.Request) (string, error) {
	vals := r.Header.Values("Authorization")
	switch len(vals) {
	case 0:
		return "", ErrNoToken
	case 1:
	default:
		return "", &ValidationError{Reason: ReasonMalformed, Detail: "more than one Authorization header"}
	}
	scheme, token, _ := strings.Cut(vals[0], " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", ErrNoToken // another scheme: no bearer token
	}
	token = strings.Trim(token, " ") // RFC 9110 §11.4: 1*SP after the scheme
	if !isB64Token(token) {
		return "", &ValidationError{Reason: ReasonMalformed, Detail: "the bearer token is not a b64token"}
	}
	return token, nil
}

// isB64Token reports whether s is RFC 6750 §2.1's b64token:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	s = strings.TrimRight(s, "=")
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '-', c == '.', c == '_', c == '~', c == '+', c == '/':
		default:
			return false
		}
	}
	return s != ""
}

// refuse answers with a Bearer challenge (RFC 6750 §3). code, description
// and scope are fixed texts or configured scope-tokens, never request data.
func (v *Validator) refuse(w http.ResponseWriter, status int, code, description, scope string) {
	var b strings.Builder
	b.WriteString(`Bearer realm=`)
	b.WriteString(quoteParam(v.realm))
	if code != "" {
		b.WriteString(`, error="` + code + `"`)
	}
	if description != "" {
		b.WriteString(`, error_description="` + description + `"`)
	}
	if scope != "" {
		b.WriteString(`, scope="` + scope + `"`)
	}
	h := w.Header()
	h.Set("WWW-Authenticate", b.String())
	h.Set("Cache-Control", "no-store")
	http.Error(w, http.StatusText(status), status)
}

// scopeAttr is the scope attribute of an insufficient_scope challenge
// (RFC 6750 §3): the required scopes, else the required roles.
func (v *Validator) scopeAttr() string {
	if len(v.cfg.RequiredScopes) > 0 {
		return strings.Join(v.cfg.RequiredScopes, " ")
	}
	return strings.Join(v.cfg.RequiredRoles, " ")
}

// describe is the error_description of an invalid_token challenge: a
// fixed text per reason (RFC 6750 §3 limits its characters), never a
// claim value.
func describe(ve *ValidationError) string {
	if ve == nil {
		return "the access token is invalid"
	}
	switch ve.Reason {
	case ReasonExpired:
		return "the access token expired"
	case ReasonNotYetValid:
		return "the access token is not valid yet"
	case ReasonAudience:
		return "the access token is for another audience"
	case ReasonIssuer, ReasonTenant:
		return "the access token is from an issuer not accepted"
	case ReasonTooLarge:
		return "the access token is too large"
	}
	return "the access token is invalid"
}

// quoteParam quotes an auth-param value (RFC 9110 §5.6.4).
func quoteParam(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			// control characters cannot be sent in a header
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
