package oauth2flowstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"
)

// certLifetime is how long test certificates are valid. They start an hour
// in the past so that clock skew does not make a fresh one "not yet valid".
const certLifetime = 24 * time.Hour

// CertificateAuthority is a throwaway X.509 CA (RFC 5280) generated in
// memory, for tls_client_auth tests (RFC 8705 §2.1): pass its Certificate
// to [WithMTLS] and give clients certificates from
// [CertificateAuthority.IssueClientCertificate]. Its private key never
// leaves the process.
type CertificateAuthority struct {
	// Certificate is the CA's self-signed certificate.
	Certificate *x509.Certificate
	key         *ecdsa.PrivateKey
}

// NewCertificateAuthority generates a CA with a P-256 key whose subject
// common name is commonName.
func NewCertificateAuthority(commonName string) (*CertificateAuthority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("oauth2flowstest: generating CA key: %w", err)
	}
	tmpl, err := certTemplate(commonName)
	if err != nil {
		return nil, err
	}
	tmpl.IsCA = true
	tmpl.BasicConstraintsValid = true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("oauth2flowstest: creating CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("oauth2flowstest: parsing CA certificate: %w", err)
	}
	return &CertificateAuthority{Certificate: cert, key: key}, nil
}

// IssueClientCertificate issues a TLS client certificate (extended key
// usage clientAuth) signed by the CA, with subject CN=commonName and the
// given DNS subject alternative names, for a tls_client_auth client
// registered with [Client.TLSSubjectDN] ("CN=" + commonName) or
// [Client.TLSSANDNS]. The result's Leaf is set.
func (ca *CertificateAuthority) IssueClientCertificate(commonName string, dnsNames ...string) (*tls.Certificate, error) {
	tmpl, err := certTemplate(commonName)
	if err != nil {
		return nil, err
	}
	tmpl.DNSNames = dnsNames
	return newLeaf(tmpl, ca.Certificate, ca.key)
}

// NewSelfSignedCertificate generates a self-signed TLS client certificate
// with subject CN=commonName, for a self_signed_tls_client_auth client
// (RFC 8705 §2.2) registered with its Leaf in
// [Client.SelfSignedCertificates].
func NewSelfSignedCertificate(commonName string) (*tls.Certificate, error) {
	tmpl, err := certTemplate(commonName)
	if err != nil {
		return nil, err
	}
	return newLeaf(tmpl, nil, nil)
}

// CertificatePEM encodes cert's chain and its private key as PEM
// ("CERTIFICATE" blocks and a PKCS #8 "PRIVATE KEY" block), to write the
// files oauth2flows.LoadClientCertificate reads. Write them to t.TempDir(),
// never to the repository.
func CertificatePEM(cert *tls.Certificate) (certPEM, keyPEM []byte, err error) {
	if cert == nil || len(cert.Certificate) == 0 {
		return nil, nil, fmt.Errorf("oauth2flowstest: no certificate to encode")
	}
	for _, der := range cert.Certificate {
		certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		return nil, nil, fmt.Errorf("oauth2flowstest: encoding private key: %w", err)
	}
	return certPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), nil
}

func certTemplate(commonName string) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("oauth2flowstest: generating serial number: %w", err)
	}
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(certLifetime),
	}, nil
}

// newLeaf signs a client certificate for tmpl by parent (self-signed when
// parent is nil) and pairs it with its new key.
func newLeaf(tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("oauth2flowstest: generating key: %w", err)
	}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, fmt.Errorf("oauth2flowstest: creating certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("oauth2flowstest: parsing certificate: %w", err)
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}
