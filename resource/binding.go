package oauth2flows

import (
	"crypto/subtle"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/golang-jwt/jwt/v5"
)

// ErrTokenNotJWT is returned by [VerifyCertificateBinding] for an opaque
// access token, whose binding only the server can tell (RFC 8705 §3.2:
// introspection returns its cnf).
var ErrTokenNotJWT = errors.New("oauth2flows: access token is not a JWT")

// ErrCertificateMismatch is wrapped by [VerifyCertificateBinding] when a
// JWT access token is not bound to the certificate: it has no cnf
// "x5t#S256" claim, or names another certificate.
var ErrCertificateMismatch = errors.New("oauth2flows: access token is not bound to the certificate")

// VerifyCertificateBinding checks that a JWT access token is bound to cert
// (RFC 8705 §3.1): that its "cnf" claim's "x5t#S256" is cert's
// [CertificateThumbprint].
//
// It reads the token's payload and nothing else: it does not check the
// signature, issuer, audience or expiry, so on its own it proves nothing
// about who issued the token. A client may use it to confirm the server
// bound the token it received; a resource server must first verify the
// token with its issuer's keys, then call this with the certificate the
// request's TLS connection presented (r.TLS.PeerCertificates[0]).
func VerifyCertificateBinding(accessToken string, cert *x509.Certificate) error {
	if cert == nil {
		return fmt.Errorf("%w: no certificate", ErrCertificateMismatch)
	}
	var claims cnfClaims
	if !peekJWTClaims(accessToken, &claims) {
		return ErrTokenNotJWT
	}
	got := claims.Cnf.X5tS256
	if got == "" {
		return fmt.Errorf("%w: no cnf x5t#S256 claim", ErrCertificateMismatch)
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(CertificateThumbprint(cert))) != 1 {
		return fmt.Errorf("%w: cnf x5t#S256 names another certificate", ErrCertificateMismatch)
	}
	return nil
}

// cnfClaims are the claims VerifyCertificateBinding reads: RFC 8705 §3.1's
// confirmation method, with the registered claims golang-jwt's parser needs.
type cnfClaims struct {
	jwt.RegisteredClaims
	Cnf struct {
		X5tS256 string `json:"x5t#S256"`
	} `json:"cnf"`
}
