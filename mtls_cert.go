package oauth2flows

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
)

// LoadClientCertificate reads a PEM certificate chain and its PEM private
// key (PKCS #1, PKCS #8 or SEC 1) for mutual-TLS client authentication
// (RFC 8705 §2), checking that they match. The result's Leaf is set, so
// [CertificateThumbprint] can use it. Errors never include key material.
func LoadClientCertificate(certFile, keyFile string) (*tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("oauth2flows: loading client certificate: %w", err)
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("oauth2flows: parsing client certificate: %w", err)
		}
	}
	return &cert, nil
}

// CertificateThumbprint returns the "x5t#S256" thumbprint of cert: the
// base64url (unpadded) SHA-256 of its DER encoding (RFC 8705 §3.1). It is
// the value a certificate-bound access token carries in its "cnf" claim.
// A nil cert gives "".
func CertificateThumbprint(cert *x509.Certificate) string {
	if cert == nil {
		return ""
	}
	return thumbprintS256(cert.Raw)
}
