package oauth2flows

import (
	"context"
	"net/url"
)

// AuthCodeURL returns the URL to send the user to for the authorization
// code grant (RFC 6749 §4.1.1): response_type=code, client_id,
// redirect_uri (Config.RedirectURL, when set), scope (Config.Scopes or
// [WithScopes]) and state. [WithPKCE] adds the S256 code_challenge and
// code_challenge_method (RFC 7636 §4.3; the plain method is never sent,
// RFC 9700 §2.1.1). [WithParam] adds extras such as prompt, login_hint or
// nonce; [WithResource], [WithAudience] and [WithClaims] add theirs. A query
// already in Endpoint.AuthURL is kept.
//
// state must come from [NewState] or be at least [MinStateLength]
// characters that an attacker cannot guess (RFC 6749 §10.12). AuthCodeURL
// cannot return an error, so it returns "" when it refuses to build the
// URL: an empty or short state, a missing ClientID, a missing or non-https
// AuthURL, a malformed verifier, or a code_challenge_method other than
// S256. [BuildAuthCodeURL] is the same function with the reason as a
// [*ConfigError]; use it when the inputs are not constants.
func AuthCodeURL(cfg *Config, state string, opts ...Option) string {
	u, err := BuildAuthCodeURL(cfg, state, opts...)
	if err != nil {
		return ""
	}
	return u
}

// BuildAuthCodeURL builds the authorization code request URL (RFC 6749
// §4.1.1, RFC 7636 §4.3) exactly as [AuthCodeURL] does, but returns why it
// refuses, as a [*ConfigError], instead of "".
func BuildAuthCodeURL(cfg *Config, state string, opts ...Option) (string, error) {
	return authorizeURL(cfg, "code", state, collect(opts))
}

// ExchangeCode redeems an authorization code at the token endpoint
// (RFC 6749 §4.1.3), with the code, Config.RedirectURL as redirect_uri (when
// set; it must equal the one of [AuthCodeURL]) and, with [WithPKCE], the
// code_verifier (RFC 7636 §4.5). No scope is sent: the code carries the
// granted one. The client authenticates as Config says; a public client
// sends its client_id.
//
// A code is single use, so the request is never retried after an
// ambiguous failure. A code that is unknown, expired, already redeemed or
// whose verifier does not match gives an [*Error] with Code
// "invalid_grant"; the user must authorize again.
func ExchangeCode(ctx context.Context, cfg *Config, code string, opts ...Option) (*Token, error) {
	if cfg == nil {
		return nil, &ConfigError{Field: "cfg", Reason: "nil Config"}
	}
	if code == "" {
		return nil, &ConfigError{Field: "code", Reason: "empty"}
	}
	o := collect(opts)
	if o.pkceVerifier != "" {
		if err := checkVerifier(o.pkceVerifier); err != nil {
			return nil, err
		}
	}
	form := url.Values{"code": {code}}
	if cfg.RedirectURL != "" {
		form.Set("redirect_uri", cfg.RedirectURL)
	}
	return exchangeToken(ctx, cfg, &request{
		grant:   GrantTypeAuthorizationCode,
		form:    form,
		oneTime: true, // RFC 6749 §4.1.2: a code is used once
	}, o)
}

// authorizeURL builds an authorization request URL (RFC 6749 §3.1, §4.1.1,
// §4.2.1) for responseType "code" or "token".
func authorizeURL(cfg *Config, responseType, state string, o *options) (string, error) {
	if cfg == nil {
		return "", &ConfigError{Field: "cfg", Reason: "nil Config"}
	}
	if cfg.ClientID == "" {
		return "", &ConfigError{Field: "ClientID", Reason: "not set"}
	}
	if cfg.Endpoint.AuthURL == "" {
		return "", &ConfigError{Field: "Endpoint.AuthURL", Reason: "not set"}
	}
	// RFC 6749 §3.1: the authorization endpoint requires TLS.
	if err := checkURL("Endpoint.AuthURL", cfg.Endpoint.AuthURL, cfg.InsecureAllowHTTP); err != nil {
		return "", err
	}
	u, err := url.Parse(cfg.Endpoint.AuthURL)
	if err != nil {
		return "", &ConfigError{Field: "Endpoint.AuthURL", Reason: "not a valid URL"}
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", &ConfigError{Field: "Endpoint.AuthURL", Reason: "malformed query"}
	}
	q.Set("response_type", responseType)
	q.Set("client_id", cfg.ClientID)
	if cfg.RedirectURL != "" {
		q.Set("redirect_uri", cfg.RedirectURL)
	}
	if s := o.scopeFor(cfg); s != "" {
		q.Set("scope", s)
	}
	q.Set("state", state)
	if o.pkceVerifier != "" {
		if responseType != "code" {
			return "", &ConfigError{Field: "WithPKCE", Reason: "PKCE applies to the authorization code grant only (RFC 7636 §1)"}
		}
		if err := checkVerifier(o.pkceVerifier); err != nil {
			return "", err
		}
		q.Set("code_challenge", S256Challenge(o.pkceVerifier))
		q.Set("code_challenge_method", "S256")
	}
	for _, a := range o.audiences {
		q.Add("audience", a)
	}
	for _, r := range o.resources {
		q.Add("resource", r) // RFC 8707 §2
	}
	if o.claims != "" {
		q.Set("claims", o.claims) // OpenID Connect Core §5.5
	}
	for k, v := range o.params {
		q[k] = v
	}
	// Checked after WithParam, which could otherwise override them.
	if st := q.Get("state"); len(st) < MinStateLength || len(q["state"]) != 1 {
		return "", &ConfigError{Field: "state", Reason: "empty or shorter than 16 characters; use NewState (RFC 6749 §10.12)"}
	}
	// RFC 7636 §4.3: a code_challenge sent without a method means plain.
	m, ok := q["code_challenge_method"]
	if ok && (len(m) != 1 || m[0] != "S256") || !ok && q.Has("code_challenge") {
		return "", &ConfigError{Field: "code_challenge_method", Reason: "only S256 is allowed, never plain (RFC 9700 §2.1.1)"}
	}
	u.RawQuery = q.Encode()
	u.Fragment, u.RawFragment = "", ""
	return u.String(), nil
}
