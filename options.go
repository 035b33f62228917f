package oauth2flows

import (
	"net/url"
	"strings"
)

// Option adjusts one call: the authorization URL it builds or the request it
// posts. One Option type serves every grant; the poster applies the ones that
// concern the request at hand.
type Option func(*options)

// options is what a call's Options collect.
type options struct {
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
}

func collect(opts []Option) *options {
	o := &options{}
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
// WithScopes() with no arguments sends no scope.
func WithScopes(scopes ...string) Option {
	return func(o *options) { o.scopes, o.scopesSet = scopes, true }
}

// WithParam adds any extra form or URL parameter, such as prompt, login_hint
// or a provider's own, to the request or the authorization URL
// (RFC 6749 §3.1, §3.2: unrecognised parameters are ignored by servers).
// It sets the parameter, replacing one the grant would have sent.
func WithParam(key, value string) Option {
	return func(o *options) {
		if o.params == nil {
			o.params = url.Values{}
		}
		o.params.Set(key, value)
	}
}

// WithPKCE sets the PKCE code verifier (RFC 7636 §4.1): AuthCodeURL sends its
// S256 code_challenge, ExchangeCode sends it as code_verifier.
func WithPKCE(verifier string) Option {
	return func(o *options) { o.pkceVerifier = verifier }
}

// WithRequestedTokenType asks for a token type (RFC 8693 §2.1), e.g.
// [TokenTypeSAML2] with OnBehalfOf. It must be an absolute URI.
func WithRequestedTokenType(uri string) Option {
	return func(o *options) { o.requestedTokenType = uri }
}

// WithAudience adds an audience (RFC 8693 §2.1), as Auth0's token exchange
// requires. It may be repeated.
func WithAudience(audience string) Option {
	return func(o *options) { o.audiences = append(o.audiences, audience) }
}

// WithResource adds a resource indicator (RFC 8707 §2, RFC 8693 §2.1), as
// Entra's v1 endpoint expects. It may be repeated.
func WithResource(resource string) Option {
	return func(o *options) { o.resources = append(o.resources, resource) }
}

// WithActorToken sends an actor token and its type for delegation
// (RFC 8693 §2.1). Both are required.
func WithActorToken(token, tokenType string) Option {
	return func(o *options) { o.actorToken, o.actorTokenType = token, tokenType }
}

// WithSubjectTokenType sets the subject_token_type of TokenExchange
// (RFC 8693 §2.1). The default is [TokenTypeAccessToken].
func WithSubjectTokenType(uri string) Option {
	return func(o *options) { o.subjectTokenType = uri }
}

// WithTokenTypeHint sets the revocation token_type_hint (RFC 7009 §2.1):
// "access_token" or "refresh_token".
func WithTokenTypeHint(hint string) Option {
	return func(o *options) { o.tokenTypeHint = hint }
}

// WithClaims sends a claims request (OpenID Connect Core §5.5), such as the
// claims challenge of an Entra interaction_required error, on a retry.
func WithClaims(claims string) Option {
	return func(o *options) { o.claims = claims }
}
