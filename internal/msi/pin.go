package msi

import (
	"crypto/sha1" // #nosec G505 -- Service Fabric publishes its certificate's SHA-1 thumbprint
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"unicode"
)

// PinnedClient derives from base a client for Service Fabric, whose
// endpoint presents a self-signed certificate known only by the SHA-1
// thumbprint in IDENTITY_SERVER_THUMBPRINT: the connection is accepted
// when, and only when, the server's certificate has that thumbprint, as
// in MSAL Go. base's transport must be an *http.Transport (or nil) that
// does not dial TLS itself.
func PinnedClient(base *http.Client, thumbprint string) (*http.Client, error) {
	pin, err := parseThumbprint(thumbprint)
	if err != nil {
		return nil, err
	}
	var t *http.Transport
	switch rt := base.Transport.(type) {
	case nil:
		t = http.DefaultTransport.(*http.Transport).Clone()
	case *http.Transport:
		t = rt.Clone()
	default:
		return nil, errors.New("service Fabric needs an HTTPClient whose Transport is an *http.Transport, to pin the endpoint's certificate")
	}
	//lint:ignore SA1019 a transport dialing TLS itself would bypass the pin
	if t.DialTLSContext != nil || t.DialTLS != nil {
		return nil, errors.New("service Fabric cannot pin a certificate through a transport that dials TLS itself")
	}
	t.TLSNextProto = nil // no HTTP/2 connection pool shared with base
	cfg := t.TLSClientConfig.Clone()
	if cfg == nil {
		cfg = &tls.Config{}
	}
	// The chain is not verifiable (the certificate is self-signed); the
	// pin below is the verification.
	cfg.InsecureSkipVerify = true // #nosec G402
	cfg.VerifyPeerCertificate = nil
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("service Fabric presented no certificate")
		}
		sum := sha1.Sum(cs.PeerCertificates[0].Raw) // #nosec G401
		if subtle.ConstantTimeCompare(sum[:], pin) != 1 {
			return errors.New("service Fabric's certificate does not match IDENTITY_SERVER_THUMBPRINT")
		}
		return nil
	}
	t.TLSClientConfig = cfg
	c := *base
	c.Transport = t
	return &c, nil
}

// parseThumbprint reads a hex SHA-1 thumbprint, ignoring colons and spaces.
func parseThumbprint(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == ':' || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != sha1.Size {
		return nil, errors.New("IDENTITY_SERVER_THUMBPRINT is not a SHA-1 thumbprint")
	}
	return b, nil
}
