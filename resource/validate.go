package resource

import (
	"context"
	"crypto"
	"errors"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/internal/guid"
	"github.com/oauth2flows/oauth2flows/internal/jwks"
)

// Validate checks an access token (RFC 9068 §4) and returns who it speaks
// for. In order:
//
//   - size and shape, before any decoding: at most MaxTokenSize bytes,
//     three base64url segments, each in its one canonical spelling
//     (RFC 7515 §2: no padding, no stray low bits in the last character);
//   - the header: "alg" in the allow-list, never "none" or HMAC; "typ"
//     an access token's, and present under RequireATJWT; no "crit"
//     (RFC 7515 §4.1.11);
//   - the signature, with the published key for "kid" whose type fits
//     "alg" (an unknown "kid" refetches the key set, rate-limited); where
//     the key states an "issuer" (Entra's multi-tenant key set), the
//     token's "iss" must be it, with "{tenantid}" replaced by "tid";
//   - "exp" (required) and "nbf", with the leeway;
//   - "iss" exactly, with the Entra "{tenantid}" rule; "tid" in Tenants;
//   - "aud" holding one of Audiences;
//   - the required scopes or roles.
//
// Claim names are matched with their case (RFC 7519 §4): a claim "AUD" is
// not "aud". Unless the verification cache is disabled, a token that
// validated before is not verified again: only its lifetime and its
// signing key's presence in the key set are checked.
//
// Every failure is a [*ValidationError] whose message never contains the
// token, and is logged to Config.Logger.
func (v *Validator) Validate(ctx context.Context, token string) (*Principal, error) {
	p, err := v.validate(ctx, token)
	if err != nil {
		return nil, err
	}
	cp := *p // the cached Principal is shared; the caller gets its own
	return &cp, nil
}

// validate is Validate returning the Principal it may share with the
// cache and other requests.
func (v *Validator) validate(ctx context.Context, token string) (*Principal, error) {
	if ctx == nil {
		return nil, &oauth2flows.ConfigError{Op: "Validator.Validate", Field: "ctx", Reason: "nil context"}
	}
	p, err := v.check(ctx, token)
	if err != nil {
		v.logRefusal(ctx, err)
		return nil, err
	}
	return p, nil
}

// check validates token, from the verification cache when it holds it.
func (v *Validator) check(ctx context.Context, token string) (*Principal, error) {
	if len(token) > v.maxSize {
		return nil, &ValidationError{Reason: ReasonTooLarge, Detail: "longer than the maximum token size"}
	}
	var h uint64
	if v.cache != nil {
		// A hit is the exact bytes of a token that passed every check,
		// its shape included.
		h = v.cache.hash(token)
		if e := v.cache.get(h, token); e != nil {
			if err := v.recheck(ctx, e); err != nil {
				if ve := (*ValidationError)(nil); !errors.As(err, &ve) || ve.Reason != ReasonKeysUnavailable {
					v.cache.remove(h, e) // expired, or its key withdrawn: for good
				}
				return nil, err
			}
			return e.p, nil
		}
	}
	if err := checkShape(token); err != nil {
		return nil, err
	}
	e, err := v.verify(ctx, token)
	if err != nil {
		return nil, err
	}
	if v.cache != nil {
		v.cache.put(h, e, v.clock())
	}
	return e.p, nil
}

// verify checks token in full and returns what the cache keeps of it.
func (v *Validator) verify(ctx context.Context, token string) (*entry, error) {
	var c accessClaims
	var key *jwks.Key
	t, err := v.parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		k, err := v.key(ctx, t)
		if err != nil {
			return nil, err
		}
		key = k
		return k.Public, nil
	})
	if err != nil {
		return nil, parseError(err)
	}
	if err := v.checkIssuer(c.Issuer, c.TenantID); err != nil {
		return nil, err
	}
	if err := checkKeyIssuer(key, c.Issuer, c.TenantID); err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(c.Audience, func(a string) bool { return slices.Contains(v.cfg.Audiences, a) }) {
		return nil, &ValidationError{Reason: ReasonAudience, Detail: "no configured audience in the token's aud"}
	}
	p := c.principal(token)
	if err := v.checkPermissions(p); err != nil {
		return nil, err
	}
	e := &entry{p: p, key: key, alg: t.Method.Alg()}
	e.kid, _ = t.Header["kid"].(string)
	if c.NotBefore != nil {
		e.nbf = c.NotBefore.Time
	}
	return e, nil
}

// recheck is what can change for a token verified before: the clock
// against "exp" and "nbf", with the leeway, as golang-jwt compares them;
// and whether the key that signed it is still published, so a key rotated
// out of the set ends its tokens.
func (v *Validator) recheck(ctx context.Context, e *entry) error {
	now := v.clock()
	if !now.Before(e.p.Expiry.Add(v.leeway)) {
		return &ValidationError{Reason: ReasonExpired, Err: jwt.ErrTokenExpired}
	}
	if !e.nbf.IsZero() && now.Before(e.nbf.Add(-v.leeway)) {
		return &ValidationError{Reason: ReasonNotYetValid, Err: jwt.ErrTokenNotValidYet}
	}
	k, err := v.lookup(ctx, e.kid, e.alg)
	if err != nil {
		return err
	}
	if k != e.key && !sameKey(k, e.key) {
		return &ValidationError{Reason: ReasonUnknownKey, Detail: "the key with kid " + quoteClaim(e.kid) + " was replaced"}
	}
	return nil
}

// sameKey reports whether two keys of successive fetches of the key set
// are the same public key with the same restrictions.
func sameKey(a, b *jwks.Key) bool {
	pub, ok := a.Public.(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub.Equal(b.Public) && a.Alg == b.Alg && a.Issuer == b.Issuer
}

// checkShape refuses, in one pass and before any allocation, what cannot
// be a JWS compact serialization (RFC 7515 §7.1): not exactly three
// segments, or a byte outside base64url. check refuses a token longer
// than MaxTokenSize before, so a megabyte of dots costs one length check.
func checkShape(token string) error {
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
func (v *Validator) key(ctx context.Context, t *jwt.Token) (*jwks.Key, error) {
	alg := t.Method.Alg()
	if !slices.Contains(v.algs, alg) {
		return nil, &ValidationError{Reason: ReasonAlgorithm, Detail: "alg " + quoteClaim(alg) + " is not allowed"}
	}
	if typ, ok := t.Header["typ"]; ok {
		s, _ := typ.(string)
		if !v.typeAllowed(s) {
			return nil, &ValidationError{Reason: ReasonTokenType, Detail: "typ " + quoteClaim(s) + " is not an access token's"}
		}
	} else if v.cfg.RequireATJWT {
		return nil, &ValidationError{Reason: ReasonTokenType, Detail: `no typ; "at+jwt" is required (RFC 9068 §4)`}
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
	return v.lookup(ctx, kid, alg)
}

// lookup finds the published key for kid and alg.
func (v *Validator) lookup(ctx context.Context, kid, alg string) (*jwks.Key, error) {
	k, err := v.keys.Lookup(ctx, kid, alg)
	switch {
	case err == nil:
		return k, nil
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
		if !guid.Valid(tid) {
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

// checkKeyIssuer applies the "issuer" a key states, as Entra's
// multi-tenant key set does ("https://login.microsoftonline.com/{tenantid}/v2.0")
// and Microsoft.IdentityModel checks: with "{tenantid}" replaced by the
// token's "tid", it must be the token's "iss", so a key of one cloud or
// tenant cannot vouch for tokens of another. A v1 token
// ("https://sts.windows.net/<tid>/") signed with such a key passes when the
// key's issuer is the v2 issuer of the same tenant, since Entra lists its
// keys once for both versions. A key without "issuer" imposes nothing.
func checkKeyIssuer(k *jwks.Key, iss, tid string) error {
	if k.Issuer == "" {
		return nil
	}
	if tid == "" && strings.Contains(k.Issuer, tenantPlaceholder) {
		return &ValidationError{Reason: ReasonTenant, Detail: "no tid, but the signing key is bound to a tenant's issuer"}
	}
	want := strings.ReplaceAll(k.Issuer, tenantPlaceholder, tid)
	if iss == want || iss == "https://sts.windows.net/"+tid+"/" && strings.HasSuffix(want, "/"+tid+"/v2.0") {
		return nil
	}
	return &ValidationError{Reason: ReasonIssuer, Detail: "issuer " + quoteClaim(iss) + " is not the signing key's issuer " + quoteClaim(want)}
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
