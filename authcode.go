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
// state is any non-empty value the caller chose. It must be bound to the
// user's session and unguessable by an attacker (RFC 6749 §10.12): [NewState]
// makes one with 256 bits from crypto/rand. AuthCodeURL cannot return an
// error, so it returns "" only when no URL can be built at all: an empty
// state, a missing ClientID, a missing, malformed or non-https AuthURL, an
// option the authorization request does not take, a malformed verifier, or
// a code_challenge_method other than S256, or an Endpoint whose
// RequirePushedAuthRequests is set (use [PushAuthCodeURL] there, RFC 9126
// §5). [BuildAuthCodeURL] is the same
// function with the reason as a [*ConfigError]; use it when the inputs are
// not constants.
//
// With Config.RequestObjectKey (JAR, RFC 9101 §5), the parameters go in a
// signed request object instead, and the URL carries only client_id,
// response_type, scope and request. Config.ResponseMode adds response_mode.
func AuthCodeURL(cfg *Config, state string, opts ...Option) string {
	u, err := authorizeURL("AuthCodeURL", cfg, "code", state, collect(opts))
	if err != nil {
		return ""
	}
	return u
}

// BuildAuthCodeURL builds the authorization code request URL (RFC 6749
// §4.1.1, RFC 7636 §4.3) exactly as [AuthCodeURL] does, but returns why it
// refuses, as a [*ConfigError], instead of "".
func BuildAuthCodeURL(cfg *Config, state string, opts ...Option) (string, error) {
	return authorizeURL("BuildAuthCodeURL", cfg, "code", state, collect(opts))
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
	const op = "ExchangeCode"
	if cfg == nil {
		return nil, &ConfigError{Op: op, Field: "cfg", Reason: "nil Config"}
	}
	if code == "" {
		return nil, &ConfigError{Op: op, Field: "code", Reason: "empty"}
	}
	form := url.Values{"code": {code}}
	if cfg.RedirectURL != "" {
		form.Set("redirect_uri", cfg.RedirectURL)
	}
	return exchangeToken(ctx, cfg, &request{
		op:      op,
		grant:   GrantTypeAuthorizationCode,
		form:    form,
		oneTime: true, // RFC 6749 §4.1.2: a code is used once
	}, collect(opts))
}

// authorizeURL builds an authorization request URL (RFC 6749 §3.1, §4.1.1,
// §4.2.1) for responseType "code" or "token". op is the function called.
func authorizeURL(op string, cfg *Config, responseType, state string, o *options) (string, error) {
	u, err := buildAuthorizeURL(op, cfg, responseType, state, o)
	if err != nil {
		return "", withOp(op, err)
	}
	return u, nil
}

func buildAuthorizeURL(op string, cfg *Config, responseType, state string, o *options) (string, error) {
	if cfg != nil && cfg.Endpoint.RequirePushedAuthRequests && op != "PushAuthCodeURL" {
		// RFC 9126 §5: the server refuses authorization requests that were
		// not pushed; a URL built here would only fail in the browser.
		return "", &ConfigError{Field: "Config.Endpoint.RequirePushedAuthRequests",
			Reason: "the server accepts only pushed authorization requests (RFC 9126 §5); use PushAuthCodeURL"}
	}
	pu, params, err := authorizeParams(op, cfg, responseType, state, o)
	if err != nil {
		return "", err
	}
	if responseType == "code" {
		if params, err = requestObjectParams(cfg, params, true); err != nil {
			return "", err
		}
	}
	q, _ := url.ParseQuery(pu.RawQuery) // checked by authorizeParams
	for k, v := range params {
		q[k] = v
	}
	pu.RawQuery = q.Encode()
	return pu.String(), nil
}

// authorizeParams checks the Config and options of an authorization
// request (RFC 6749 §4.1.1, §4.2.1) and returns Endpoint.AuthURL, parsed
// and without fragment, and the request's parameters: what [AuthCodeURL]
// puts in the URL and [PushAuthCodeURL] pushes.
func authorizeParams(op string, cfg *Config, responseType, state string, o *options) (*url.URL, url.Values, error) {
	if cfg == nil {
		return nil, nil, &ConfigError{Field: "cfg", Reason: "nil Config"}
	}
	if err := checkOptions(op, o); err != nil {
		return nil, nil, err
	}
	if err := cfg.Endpoint.check(); err != nil {
		return nil, nil, err
	}
	if cfg.ClientID == "" {
		return nil, nil, &ConfigError{Field: "Config.ClientID", Reason: "not set"}
	}
	if cfg.Endpoint.AuthURL == "" {
		return nil, nil, &ConfigError{Field: "Config.Endpoint.AuthURL", Reason: "not set"}
	}
	// RFC 6749 §3.1: the authorization endpoint requires TLS.
	if err := checkURL("Config.Endpoint.AuthURL", cfg.Endpoint.AuthURL, cfg.InsecureAllowHTTP); err != nil {
		return nil, nil, err
	}
	pu, err := url.Parse(cfg.Endpoint.AuthURL)
	if err != nil {
		return nil, nil, &ConfigError{Field: "Config.Endpoint.AuthURL", Reason: "not a valid URL"}
	}
	pu.Fragment, pu.RawFragment = "", ""
	base, err := url.ParseQuery(pu.RawQuery)
	if err != nil {
		return nil, nil, &ConfigError{Field: "Config.Endpoint.AuthURL", Reason: "malformed query"}
	}
	q := url.Values{}
	q.Set("response_type", responseType)
	q.Set("client_id", cfg.ClientID)
	if cfg.RedirectURL != "" {
		q.Set("redirect_uri", cfg.RedirectURL)
	}
	if s := o.scopeFor(cfg); s != "" {
		q.Set("scope", s)
	}
	q.Set("state", state)
	if o.set&optPKCE != 0 {
		if err := checkVerifier(o.pkceVerifier); err != nil {
			return nil, nil, err
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
	if o.set&optClaims != 0 || len(cfg.ClientCapabilities) > 0 {
		claims, err := authorizeClaims(cfg, o)
		if err != nil {
			return nil, nil, err
		}
		q.Set("claims", claims) // OpenID Connect Core §5.5
	}
	if o.set&optNonce != 0 {
		q.Set("nonce", o.nonce) // OpenID Connect Core §3.1.2.1
	}
	if cfg.ResponseMode != "" {
		q.Set("response_mode", cfg.ResponseMode) // JARM §2.3.4 "jwt"
	}
	if responseType == "code" && cfg.DPoPKey != nil {
		jkt, err := dpopJKT(cfg) // RFC 9449 §10: binds the code to the key
		if err != nil {
			return nil, nil, err
		}
		q.Set("dpop_jkt", jkt)
	}
	for k, v := range o.params {
		q[k] = v
	}
	// Checked after WithParam, which could otherwise override them.
	if q.Get("state") == "" || len(q["state"]) != 1 {
		return nil, nil, &ConfigError{Field: "state", Reason: "empty; use NewState (RFC 6749 §10.12)"}
	}
	// RFC 7636 §4.3: a code_challenge sent without a method means plain.
	// Checked on the URL's own query too, which the parameters overlay.
	merged := url.Values{}
	for k, v := range base {
		merged[k] = v
	}
	for k, v := range q {
		merged[k] = v
	}
	m, ok := merged["code_challenge_method"]
	if ok && (len(m) != 1 || m[0] != "S256") || !ok && merged.Has("code_challenge") {
		return nil, nil, &ConfigError{Field: "code_challenge_method", Reason: "only S256 is allowed, never plain (RFC 9700 §2.1.1)"}
	}
	return pu, q, nil
}
