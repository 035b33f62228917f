package oauth2flows

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"github.com/oauth2flows/oauth2flows/internal/jwks"
)

// Validate checks an access token (RFC 9068 §4) and returns who it speaks
// for. In order:
//
//   - size and shape, before any decoding: at most MaxTokenSize bytes,
//     three base64url segments;
//   - the header: "alg" in the allow-list, never "none" or HMAC; "typ"
//     an access token's; no "crit" (RFC 7515 §4.1.11);
//   - the signature, with the published key for "kid" whose type fits
//     "alg" (an unknown "kid" refetches the key set, rate-limited);
//   - "exp" (required) and "nbf", with the leeway;
//   - "iss" exactly, with the Entra "{tenantid}" rule; "tid" in Tenants;
//   - "aud" holding one of Audiences;
//   - the required scopes or roles.
//
// Every failure is a [*ValidationError] whose message never contains the
// token.
func (v *Validator) Validate(ctx context.Context, token string) (*Principal, error) {
	if ctx == nil {
		return nil, &ConfigError{Op: "Validator.Validate", Field: "ctx", Reason: "nil context"}
	}
	if err := v.checkShape(token); err != nil {
		return nil, err
	}
	var c accessClaims
	_, err := v.parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) { return v.key(ctx, t) })
	if err != nil {
		return nil, parseError(err)
	}
	if err := v.checkIssuer(c.Issuer, c.TenantID); err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(c.Audience, func(a string) bool { return slices.Contains(v.cfg.Audiences, a) }) {
		return nil, &ValidationError{Reason: ReasonAudience, Detail: "no configured audience in the token's aud"}
	}
	p := c.principal(token)
	if err := v.checkPermissions(p); err != nil {
		return nil, err
	}
	return p, nil
}

// checkShape refuses, in one pass and before any allocation, what cannot
// be a JWS compact serialization (RFC 7515 §7.1): too long, not exactly
// three segments, or a byte outside base64url. A megabyte of dots costs
// one length check.
func (v *Validator) checkShape(token string) error {
	if len(token) > v.maxSize {
		return &ValidationError{Reason: ReasonTooLarge, Detail: "longer than the maximum token size"}
	}
	dots := 0
	for i := 0; i < len(token); i++ {
		switch c := token[i]; {
		case c == '.':
			dots++
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return &ValidationError{Reason: ReasonMalformed, Detail: "not a compact JWS: a byte outside base64url"}
		}
	}
	if dots != 2 || token[0] == '.' || token[len(token)-1] == '.' {
		return &ValidationError{Reason: ReasonMalformed, Detail: "not a compact JWS: three non-empty segments expected"}
	}
	return nil
}

// key is the golang-jwt key function: it checks the header, then finds the
// published key for "kid" whose type fits "alg", so an RSA key can never
// verify an HMAC or ECDSA signature.
func (v *Validator) key(ctx context.Context, t *jwt.Token) (any, error) {
	alg := t.Method.Alg()
	if !slices.Contains(v.algs, alg) {
		return nil, &ValidationError{Reason: ReasonAlgorithm, Detail: "alg " + quoteClaim(alg) + " is not allowed"}
	}
	if typ, ok := t.Header["typ"]; ok {
		s, _ := typ.(string)
		if !v.typeAllowed(s) {
			return nil, &ValidationError{Reason: ReasonTokenType, Detail: "typ " + quoteClaim(s) + " is not an access token's"}
		}
	}
	if _, ok := t.Header["crit"]; ok {
		return nil, &ValidationError{Reason: ReasonMalformed, Detail: `"crit" header parameters are not understood (RFC 7515 §4.1.11)`}
	}
	var kid string
	if k, ok := t.Header["kid"]; ok {
		if kid, ok = k.(string); !ok {
			return nil, &ValidationError{Reason: ReasonMalformed, Detail: "kid is not a string"}
		}
	}
	k, err := v.keys.Lookup(ctx, kid, alg)
	switch {
	case err == nil:
		return k.Public, nil
	case errors.Is(err, jwks.ErrUnknownKey):
		return nil, &ValidationError{Reason: ReasonUnknownKey, Detail: "no published " + alg + " key with kid " + quoteClaim(kid)}
	default:
		return nil, &ValidationError{Reason: ReasonKeysUnavailable, Detail: "key set unavailable", Err: err}
	}
}

// typeAllowed reports whether a "typ" header is an access token's:
// "at+jwt" (RFC 9068 §2.1, with or without "application/", compared
// without case as RFC 7515 §4.1.9 says), or, unless RequireATJWT, "JWT".
func (v *Validator) typeAllowed(typ string) bool {
	t := strings.ToLower(typ)
	t = strings.TrimPrefix(t, "application/")
	return t == "at+jwt" || (!v.cfg.RequireATJWT && t == "jwt")
}

// parseError turns golang-jwt's error into a *ValidationError.
func parseError(err error) error {
	if ve := (*ValidationError)(nil); errors.As(err, &ve) {
		return ve
	}
	r := ReasonMalformed
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		r = ReasonExpired
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		r = ReasonNotYetValid
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		r = ReasonSignature
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		r = ReasonAlgorithm // golang-jwt knows no such "alg"
	}
	return &ValidationError{Reason: r, Err: err}
}

// checkIssuer compares "iss" exactly (RFC 9068 §4). With "{tenantid}" in
// the configured issuer, the expected value is made with the token's own
// "tid", which must look like an Entra tenant ID (a GUID), so "iss" and
// "tid" must name the same tenant.
func (v *Validator) checkIssuer(iss, tid string) error {
	if !v.tenantTpl {
		if iss != v.issPrefix {
			return &ValidationError{Reason: ReasonIssuer, Detail: "issuer " + quoteClaim(iss) + " is not the configured one"}
		}
	} else {
		if !isGUID(tid) {
			return &ValidationError{Reason: ReasonTenant, Detail: "no tenant ID in tid"}
		}
		if len(iss) != len(v.issPrefix)+len(tid)+len(v.issSuffix) ||
			!strings.HasPrefix(iss, v.issPrefix) || !strings.HasSuffix(iss, v.issSuffix) {
			return &ValidationError{Reason: ReasonIssuer, Detail: "issuer " + quoteClaim(iss) + " does not match the configured template"}
		}
		if iss[len(v.issPrefix):len(iss)-len(v.issSuffix)] != tid {
			return &ValidationError{Reason: ReasonTenant, Detail: "issuer " + quoteClaim(iss) + " names another tenant than tid " + quoteClaim(tid)}
		}
	}
	if len(v.cfg.Tenants) > 0 && !slices.Contains(v.cfg.Tenants, tid) {
		return &ValidationError{Reason: ReasonTenant, Detail: "tenant " + quoteClaim(tid) + " is not accepted"}
	}
	return nil
}

// isGUID reports whether s has the 8-4-4-4-12 hex form of Entra tenant IDs
// (the Validator's tid, EntraEndpoint's tenant).
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// checkPermissions applies RequiredScopes and RequiredRoles: all of one
// set, or, when both are configured, all of either.
func (v *Validator) checkPermissions(p *Principal) error {
	scopes, roles := v.cfg.RequiredScopes, v.cfg.RequiredRoles
	if len(scopes) == 0 && len(roles) == 0 {
		return nil
	}
	hasAll := func(have, want []string) bool {
		for _, w := range want {
			if !slices.Contains(have, w) {
				return false
			}
		}
		return true
	}
	if (len(scopes) > 0 && hasAll(p.Scopes, scopes)) || (len(roles) > 0 && hasAll(p.Roles, roles)) {
		return nil
	}
	var want []string
	if len(scopes) > 0 {
		want = append(want, "scopes "+strings.Join(scopes, " "))
	}
	if len(roles) > 0 {
		want = append(want, "roles "+strings.Join(roles, " "))
	}
	return &ValidationError{Reason: ReasonInsufficientScope, Detail: "requires " + strings.Join(want, " or ")}
}
