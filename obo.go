package oauth2flows

import (
	"context"
	"net/url"
)

// OnBehalfOf exchanges the access token a middle-tier API received
// (the assertion) for a token to a downstream API, on behalf of the same
// user: Microsoft Entra's On-Behalf-Of flow, which uses the RFC 7523 §2.1
// jwt-bearer grant with requested_token_use=on_behalf_of.
//
// The form carries grant_type, assertion and requested_token_use, plus the
// scope (v2 endpoint: Config.Scopes or [WithScopes], e.g.
// "https://graph.microsoft.com/.default offline_access") or a resource
// ([WithResource], v1 endpoint). [WithRequestedTokenType] with
// [TokenTypeSAML1] or [TokenTypeSAML2] asks for a SAML assertion; see
// [SAMLAssertion]. [WithClaims] passes on a claims challenge. Options that
// Entra's On-Behalf-Of does not define, such as [WithSubjectTokenType] or
// [WithAudience], are refused with a [*ConfigError]. The client authenticates with a secret or a client
// assertion, as Config says.
//
// An Entra interaction_required error carries Error.Claims: send it back to
// the caller with [WriteClaimsChallenge]. Middle tiers should cache: see
// [OBOCache].
func OnBehalfOf(ctx context.Context, cfg *Config, assertion string, opts ...Option) (*Token, error) {
	if cfg == nil {
		return nil, &ConfigError{Op: "OnBehalfOf", Field: "cfg", Reason: "nil Config"}
	}
	if assertion == "" {
		return nil, &ConfigError{Op: "OnBehalfOf", Field: "assertion", Reason: "empty: pass the access token the API received"}
	}
	o := collect(opts)
	if err := checkOptions("OnBehalfOf", o); err != nil {
		return nil, err
	}
	if o.scopeFor(cfg) == "" && len(o.resources) == 0 {
		return nil, &ConfigError{Op: "OnBehalfOf", Field: "Config.Scopes", Reason: "On-Behalf-Of needs a scope (v2) or WithResource (v1)"}
	}
	return exchangeToken(ctx, cfg, &request{
		op:    "OnBehalfOf",
		grant: GrantTypeJWTBearer,
		form: url.Values{
			"assertion":           {assertion},
			"requested_token_use": {"on_behalf_of"},
		},
		defaultScopes: true,
	}, o)
}

// TokenExchange exchanges a subject token for another token (RFC 8693 §2.1),
// as Auth0's On-Behalf-Of flow and other RFC 8693 servers do.
//
// The subject_token_type is [TokenTypeAccessToken] unless
// [WithSubjectTokenType] says otherwise. [WithAudience] and [WithResource]
// name the target (Auth0 requires an audience) and may be repeated;
// [WithRequestedTokenType] asks for a token type; [WithActorToken] adds the
// actor for delegation (§1.1). The response's issued_token_type is in
// Token.IssuedTokenType; a token_type of "N_A" means the result is not a
// bearer token, and [Token.IsBearer] reports false.
func TokenExchange(ctx context.Context, cfg *Config, subjectToken string, opts ...Option) (*Token, error) {
	if subjectToken == "" {
		return nil, &ConfigError{Op: "TokenExchange", Field: "subjectToken", Reason: "empty"}
	}
	o := collect(opts)
	subjectType := o.subjectTokenType
	if o.set&optSubjectTokenType == 0 {
		subjectType = TokenTypeAccessToken
	}
	if err := checkTokenTypeURI("WithSubjectTokenType", subjectType); err != nil {
		return nil, withOp("TokenExchange", err)
	}
	return exchangeToken(ctx, cfg, &request{
		op:    "TokenExchange",
		grant: GrantTypeTokenExchange,
		form: url.Values{
			"subject_token":      {subjectToken},
			"subject_token_type": {subjectType},
		},
		defaultScopes: true,
	}, o)
}
