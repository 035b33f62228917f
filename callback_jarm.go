package oauth2flows

import (
	"context"
	"errors"
	"net/url"
	"slices"

	"github.com/golang-jwt/jwt/v5"

	"github.com/oauth2flows/oauth2flows/internal/jwks"
)

// jarmAlgs are the algorithms a JARM response may be signed with: never
// none, never HMAC (the issuer's keys are public).
var jarmAlgs = []string{"RS256", "PS256", "ES256"}

// isJARM reports whether cfg asks for JWT-secured authorization responses
// (JARM §2.3.4: response_mode jwt, or query.jwt).
func isJARM(cfg *Config) bool {
	return cfg.ResponseMode == "jwt" || cfg.ResponseMode == "query.jwt"
}

// jarmResponse verifies the "response" JWT of a JARM authorization
// response (JARM §2.4) and returns the parameters inside it, which then go
// through the same checks as a plain response (state, iss, error). The
// signature is checked with the issuer's keys, from Config.KeySet, or else
// fetched from Endpoint.JWKSURL with ctx;
// iss must be Endpoint.Issuer, aud must hold ClientID, exp must be present
// and in the future. Nothing outside the JWT is read.
func jarmResponse(ctx context.Context, cfg *Config, v url.Values) (url.Values, error) {
	bad := func(reason string) error { return &CallbackError{Param: "response", Reason: reason} }
	raw, ok := v["response"]
	switch {
	case cfg.Endpoint.Issuer == "":
		return nil, &ConfigError{Field: "Config.Endpoint.Issuer", Reason: "JARM responses are checked against the issuer; set it or use Discover"}
	case cfg.Endpoint.JWKSURL == "":
		return nil, &ConfigError{Field: "Config.Endpoint.JWKSURL", Reason: "JARM responses are verified with the issuer's keys; set it or use Discover"}
	case !ok:
		return nil, bad("missing, but Config.ResponseMode asks for a signed response (JARM §2.1)")
	case len(raw) != 1:
		return nil, bad("repeated (RFC 6749 §3.1)")
	}
	keys, err := cfg.keySet()
	if err != nil {
		return nil, err
	}
	var fetchErr error
	claims := jwt.MapClaims{}
	_, err = jwt.ParseWithClaims(raw[0], claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		k, err := keys.lookup(ctx, kid, t.Method.Alg())
		if err != nil {
			fetchErr = err
			return nil, err
		}
		return k, nil
	}, jwt.WithValidMethods(jarmAlgs), jwt.WithIssuer(cfg.Endpoint.Issuer),
		jwt.WithAudience(cfg.ClientID), jwt.WithExpirationRequired())
	var fe *jwks.FetchError
	switch {
	case errors.As(fetchErr, &fe):
		return nil, &NetworkError{URL: fe.URL, Err: fe}
	case fetchErr != nil && ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(fetchErr, jwks.ErrUnknownKey):
		return nil, bad("signature does not verify with the issuer's keys (JARM §2.4)")
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return nil, &CallbackError{Param: "response", Reason: "iss is not Endpoint.Issuer (JARM §2.4)", err: ErrIssuerMismatch}
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return nil, bad("aud does not name Config.ClientID (JARM §2.4)")
	case errors.Is(err, jwt.ErrTokenExpired), errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return nil, bad("expired or without exp (JARM §2.4)")
	case err != nil:
		return nil, bad("not a JWT signed with RS256, PS256 or ES256 (JARM §2.4)")
	}
	out := url.Values{}
	for k, c := range claims {
		if slices.Contains([]string{"aud", "exp", "iat", "nbf", "jti"}, k) {
			continue
		}
		s, ok := c.(string)
		if !ok {
			return nil, bad("a claim is not a string (JARM §2.1)")
		}
		out.Set(k, s)
	}
	return out, nil
}
