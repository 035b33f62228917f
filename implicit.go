package oauth2flows

import (
	"net/url"
	"strings"
	"time"

	"github.com/oauth2flows/oauth2flows/internal/wire"
)

// ImplicitURL returns the URL to send the user to for the implicit grant
// (RFC 6749 §4.2.1): response_type=token, client_id, redirect_uri, scope and
// state, plus what [WithParam], [WithResource], [WithAudience] and
// [WithClaims] add. state is any non-empty value the caller chose, as for
// [AuthCodeURL]. It returns "" only when no URL can be built, on the same
// refusals as AuthCodeURL; [WithPKCE] is one of them (RFC 7636 §1: PKCE is
// for the authorization code grant).
//
// Deprecated: RFC 9700 §2.1.2 says clients SHOULD NOT use the implicit
// grant: the access token travels in the redirect URL, where it leaks
// through browser history, referrers and logs, can be injected by an
// attacker, and cannot be sender-constrained. Use [AuthCodeURL] with
// [WithPKCE]. It still works fully, for servers that offer nothing else.
func ImplicitURL(cfg *Config, state string, opts ...Option) string {
	u, err := authorizeURL("ImplicitURL", cfg, "token", state, collect(opts))
	if err != nil {
		return ""
	}
	return u
}

// ParseImplicitResponse reads the implicit grant's response (RFC 6749
// §4.2.2) from the redirect URL as the user agent saw it: the fragment's
// access_token, token_type, expires_in (a number of seconds), scope and, for
// OpenID Connect, id_token. state must be the one sent with [ImplicitURL];
// the response's is compared in constant time, and a missing or different
// one matches [ErrStateMismatch].
//
// An error fragment (RFC 6749 §4.2.2.1) becomes an [*Error] with StatusCode
// 0. A URL without a fragment, as a server sees it (browsers do not send
// fragments), is a [*CallbackError] with Param "fragment". The RFC 9207
// "iss" is not checked: there is no Config to hold the expected issuer.
//
// Deprecated: the implicit grant is deprecated by RFC 9700 §2.1.2; see
// [ImplicitURL]. It still works fully.
func ParseImplicitResponse(redirectURL, state string) (*Token, error) {
	tok, err := parseImplicitResponse(redirectURL, state)
	return tok, withOp("ParseImplicitResponse", err)
}

func parseImplicitResponse(redirectURL, state string) (*Token, error) {
	before, frag, found := strings.Cut(redirectURL, "#")
	if !found || frag == "" {
		// Some servers put an error in the query instead (RFC 6749
		// §4.2.2.1 wants the fragment); read it rather than hide it.
		if _, query, ok := strings.Cut(before, "?"); ok {
			if v, err := url.ParseQuery(query); err == nil && v.Has("error") {
				if err := checkResponse(v, state, nil); err != nil {
					return nil, err
				}
			}
		}
		if state == "" {
			return nil, &ConfigError{Field: "state", Reason: "empty: pass the state sent in the authorization request"}
		}
		return nil, &CallbackError{Param: "fragment", Reason: "missing: the implicit grant's response is in the URL fragment (RFC 6749 §4.2.2), which browsers never send to a server; pass the URL as the user agent saw it"}
	}
	v, err := url.ParseQuery(frag)
	if err != nil {
		return nil, &CallbackError{Param: "fragment", Reason: "malformed"}
	}
	if err := checkResponse(v, state, nil); err != nil {
		return nil, err
	}
	return tokenFromFragment(v, time.Now())
}

// tokenFromFragment builds the Token of an implicit response (RFC 6749
// §4.2.2), reading expires_in with the token endpoint's tolerance.
func tokenFromFragment(v url.Values, now time.Time) (*Token, error) {
	t := &Token{IDToken: v.Get("id_token"), Scope: v.Get("scope")}
	t.AccessToken = v.Get("access_token")
	if t.AccessToken == "" {
		return nil, &CallbackError{Param: "access_token", Reason: "missing (RFC 6749 §4.2.2)"}
	}
	t.TokenType = v.Get("token_type")
	if strings.EqualFold(t.TokenType, "bearer") {
		t.TokenType = "Bearer"
	}
	// RFC 6749 §4.2.2: the implicit grant issues no refresh token. One in the
	// fragment is ignored rather than stored where it would leak.
	secs, _, ok := wire.Seconds(v, "expires_in")
	if !ok {
		return nil, &CallbackError{Param: "expires_in", Reason: "not a number of seconds"}
	}
	if secs > 0 {
		t.ExpiresIn = secs
		t.Expiry = now.Add(time.Duration(secs) * time.Second)
	}
	extra := url.Values{}
	for k, vs := range v {
		if k != "refresh_token" {
			extra[k] = vs
		}
	}
	t.Token = *t.Token.WithExtra(extra)
	return t, nil
}
