package oauth2flows

import (
	"errors"

	"github.com/golang-jwt/jwt/v5"
)

// peekJWTClaims decodes the claims of a JWT (RFC 7519 §7.2 steps 1-7)
// without verifying its signature, into claims. It reports false for
// anything that is not a JWT with JSON claims. It uses golang-jwt's parser,
// which cuts the token at most three times instead of splitting it on every
// dot (the CVE-2025-30204 bug class: a megabyte of dots made 16 MiB of
// garbage). An "alg" golang-jwt does not know does not matter here.
func peekJWTClaims(token string, claims jwt.Claims) bool {
	_, _, err := jwt.NewParser().ParseUnverified(token, claims)
	return err == nil || !errors.Is(err, jwt.ErrTokenMalformed)
}
