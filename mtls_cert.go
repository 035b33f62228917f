package oauth2flows

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
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

// LoadCertPool reads PEM CA certificates into a new pool, for
// [WithRootCAs] when the authorization server's certificate comes from a
// private PKI. The system roots are not included: start from
// x509.SystemCertPool and AppendCertsFromPEM to trust both.
func LoadCertPool(pemFiles ...string) (*x509.CertPool, error) {
	if len(pemFiles) == 0 {
		return nil, errors.New("oauth2flows: LoadCertPool needs at least one file")
	}
	pool := x509.NewCertPool()
	for _, f := range pemFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("oauth2flows: reading CA certificates: %w", err)
		}
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("oauth2flows: no PEM certificate in %s", f)
		}
	}
	return pool, nil
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
