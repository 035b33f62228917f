package resource

import (
	"crypto/subtle"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/oauth2flows/oauth2flows"
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
// [oauth2flows.CertificateThumbprint]. Claim names are matched with their
// case (RFC 7519 §4).
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
	got, ok := cnfThumbprint(accessToken)
	if !ok {
		return ErrTokenNotJWT
	}
	if got == "" {
		return fmt.Errorf("%w: no cnf x5t#S256 claim", ErrCertificateMismatch)
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(oauth2flows.CertificateThumbprint(cert))) != 1 {
		return fmt.Errorf("%w: cnf x5t#S256 names another certificate", ErrCertificateMismatch)
	}
	return nil
}

// cnfThumbprint returns the "x5t#S256" member of the "cnf" claim of a JWT
// (RFC 8705 §3.1), or "" when it has none; ok is false for anything that
// is not a JWT with a JSON object payload.
func cnfThumbprint(token string) (string, bool) {
	payload, ok := jwtPayload(token)
	if !ok {
		return "", false
	}
	var claims map[string]json.RawMessage
	if json.Unmarshal(payload, &claims) != nil || claims == nil {
		return "", false
	}
	var cnf map[string]json.RawMessage
	var thumb string
	if json.Unmarshal(claims["cnf"], &cnf) != nil || json.Unmarshal(cnf["x5t#S256"], &thumb) != nil {
		return "", true
	}
	return thumb, true
}
