package oauth2flows

import (
	"net/url"
	"strings"
)

// Option adjusts one call: the authorization URL it builds or the request it
// posts. One Option type serves every grant. An option a call does not
// define is refused with a [*ConfigError] naming the option and the call,
// before anything is sent; see each option for the calls that take it.
// [WithParam] is the escape hatch for what no option covers.
type Option func(*options)

// optionSet records which options a call was given, to check them against
// the calls that define them (allowedOptions).
type optionSet uint16

const (
	optScopes optionSet = 1 << iota
	optParam
	optPKCE
	optRequestedTokenType
	optSubjectTokenType
	optAudience
	optResource
	optActorToken
	optTokenTypeHint
	optClaims
	optNonce
)

// optionNames are the option functions, for error messages.
var optionNames = [...]struct {
	bit  optionSet
	name string
}{
	{optScopes, "WithScopes"},
	{optParam, "WithParam"},
	{optPKCE, "WithPKCE"},
	{optRequestedTokenType, "WithRequestedTokenType"},
	{optSubjectTokenType, "WithSubjectTokenType"},
	{optAudience, "WithAudience"},
	{optResource, "WithResource"},
	{optActorToken, "WithActorToken"},
	{optTokenTypeHint, "WithTokenTypeHint"},
	{optClaims, "WithClaims"},
	{optNonce, "WithNonce"},
}

// options is what a call's Options collect.
type options struct {
	set                optionSet
	scopes             []string
	scopesSet          bool
	params             url.Values
	pkceVerifier       string
	requestedTokenType string
	subjectTokenType   string
	audiences          []string
	resources          []string
	actorToken         string
	actorTokenType     string
	tokenTypeHint      string
	claims             string
	nonce              string

	dpop *dpopSession // see withSession; not an option users set
}

// collect returns what opts set.
func collect(opts []Option) *options { return new(options).apply(opts) }

// apply applies opts to o and returns it.
func (o *options) apply(opts []Option) *options {
	for _, opt := range opts {
		if opt != nil {
			opt(o)
		}
	}
	return o
}

// scopeFor returns the space-joined scope (RFC 6749 §3.3) for the call:
// WithScopes when given, otherwise the Config's scopes.
func (o *options) scopeFor(cfg *Config) string {
	if o.scopesSet || cfg == nil {
		return strings.Join(o.scopes, " ")
	}
	return strings.Join(cfg.Scopes, " ")
}

// WithScopes replaces Config.Scopes for this call (RFC 6749 §3.3).
// WithScopes() with no arguments sends no scope. It applies to the
// authorization URLs and to the grants that define a scope: password
// (§4.3.2), client credentials (§4.4.2), refresh (§6), On-Behalf-Of and
// token exchange (RFC 8693 §2.1). ExchangeCode, Revoke and Introspect
// refuse it: their requests have no scope.
func WithScopes(scopes ...string) Option {
	return func(o *options) { o.scopes, o.scopesSet, o.set = scopes, true, o.set|optScopes }
}

// WithParam adds any extra form or URL parameter, such as prompt, login_hint
// or a provider's own, to the request or the authorization URL
// (RFC 6749 §3.1, §3.2: unrecognised parameters are ignored by servers).
// It sets the parameter, replacing one the grant would have sent. Every
// call takes it.
func WithParam(key, value string) Option {
	return func(o *options) {
		if o.params == nil {
			o.params = url.Values{}
		}
		o.params.Set(key, value)
		o.set |= optParam
	}
}

// WithPKCE sets the PKCE code verifier (RFC 7636 §4.1): [AuthCodeURL] sends
// its S256 code_challenge, [ExchangeCode] sends it as code_verifier. Other
// calls refuse it.
func WithPKCE(verifier string) Option {
	return func(o *options) { o.pkceVerifier, o.set = verifier, o.set|optPKCE }
}

// WithRequestedTokenType asks for a token type (RFC 8693 §2.1), e.g.
// [TokenTypeSAML2] with [OnBehalfOf]. It must be an absolute URI. Only
// [OnBehalfOf] and [TokenExchange] take it.
func WithRequestedTokenType(uri string) Option {
	return func(o *options) { o.requestedTokenType, o.set = uri, o.set|optRequestedTokenType }
}

// WithAudience adds an audience (RFC 8693 §2.1). It may be repeated.
// [TokenExchange] takes it as RFC 8693 defines it; Auth0 also defines it on
// its authorization endpoint ([AuthCodeURL], [ImplicitURL]) and on its
// client credentials, password and refresh token requests, so those calls
// take it too. Other calls refuse it.
func WithAudience(audience string) Option {
	return func(o *options) { o.audiences, o.set = append(o.audiences, audience), o.set|optAudience }
}

// WithResource adds a resource indicator (RFC 8707 §2), as Entra's v1
// endpoint expects. It may be repeated. RFC 8707 defines it on
// authorization requests ([AuthCodeURL], [ImplicitURL]) and on every token
// request; [Revoke] and [Introspect] refuse it.
func WithResource(resource string) Option {
	return func(o *options) { o.resources, o.set = append(o.resources, resource), o.set|optResource }
}

// WithActorToken sends an actor token and its type for delegation
// (RFC 8693 §2.1). Both are required. Only [TokenExchange] takes it.
func WithActorToken(token, tokenType string) Option {
	return func(o *options) { o.actorToken, o.actorTokenType, o.set = token, tokenType, o.set|optActorToken }
}

// WithSubjectTokenType sets the subject_token_type of [TokenExchange]
// (RFC 8693 §2.1). The default is [TokenTypeAccessToken]. Only
// TokenExchange takes it: Entra's On-Behalf-Of has no subject token type,
// so [OnBehalfOf] refuses it.
func WithSubjectTokenType(uri string) Option {
	return func(o *options) { o.subjectTokenType, o.set = uri, o.set|optSubjectTokenType }
}

// WithTokenTypeHint sets the token_type_hint of [Revoke] (RFC 7009 §2.1)
// and [Introspect] (RFC 7662 §2.1): "access_token" or "refresh_token".
// Other calls refuse it.
func WithTokenTypeHint(hint string) Option {
	return func(o *options) { o.tokenTypeHint, o.set = hint, o.set|optTokenTypeHint }
}

// WithClaims sends a claims request (OpenID Connect Core §5.5) in
// [AuthCodeURL] and [ImplicitURL]. [OnBehalfOf] takes it too, to pass on
// the claims challenge of an Entra interaction_required error (see
// [ClaimsFromError]). Other calls refuse it.
func WithClaims(claims string) Option {
	return func(o *options) { o.claims, o.set = claims, o.set|optClaims }
}
