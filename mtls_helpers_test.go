package oauth2flows_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
	"github.com/oauth2flows/oauth2flows/resource"
)

func TestMetadataEndpointFillsMTLSAliases(t *testing.T) {
	e := newMTLSEnv(t)
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, e.srv.URL()+"/.well-known/oauth-authorization-server", nil)
	require.NoError(t, err)
	resp, err := e.srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)

	var md oauth2flows.Metadata
	require.NoError(t, json.Unmarshal(body, &md))
	require.Equal(t, e.srv.URL(), md.Issuer)
	ep := md.Endpoint()
	assert.Equal(t, e.srv.Endpoint(), ep)
	assert.NotEmpty(t, ep.MTLSTokenURL)
}

func TestLoadClientCertificate(t *testing.T) {
	ca, err := oauth2flowstest.NewCertificateAuthority("files CA")
	require.NoError(t, err)
	cert, err := ca.IssueClientCertificate("from-files")
	require.NoError(t, err)
	other, err := oauth2flowstest.NewSelfSignedCertificate("other")
	require.NoError(t, err)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, 0o600))
		return p
	}
	certPEM, keyPEM, err := oauth2flowstest.CertificatePEM(cert)
	require.NoError(t, err)
	_, otherKey, err := oauth2flowstest.CertificatePEM(other)
	require.NoError(t, err)
	certFile, keyFile, otherKeyFile := write("c.pem", certPEM), write("k.pem", keyPEM), write("o.pem", otherKey)

	got, err := oauth2flows.LoadClientCertificate(certFile, keyFile)
	require.NoError(t, err)
	require.NotNil(t, got.Leaf)
	assert.Equal(t, oauth2flows.CertificateThumbprint(cert.Leaf), oauth2flows.CertificateThumbprint(got.Leaf))

	for name, files := range map[string][2]string{
		"key of another certificate": {certFile, otherKeyFile},
		"missing file":               {filepath.Join(dir, "nope.pem"), keyFile},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := oauth2flows.LoadClientCertificate(files[0], files[1])
			require.Error(t, err)
			assert.NotContains(t, err.Error(), string(keyPEM))
		})
	}
}

func TestVerifyCertificateBinding(t *testing.T) {
	mine, err := oauth2flowstest.NewSelfSignedCertificate("mine")
	require.NoError(t, err)
	theirs, err := oauth2flowstest.NewSelfSignedCertificate("theirs")
	require.NoError(t, err)
	jwtWith := func(claims jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte("k"))
		require.NoError(t, err)
		return s
	}
	bound := jwtWith(jwt.MapClaims{"sub": "x", "cnf": map[string]string{"x5t#S256": oauth2flows.CertificateThumbprint(mine.Leaf)}})
	tests := []struct {
		name  string
		token string
		cert  *x509.Certificate
		want  error
	}{
		{"bound to this certificate", bound, mine.Leaf, nil},
		{"bound to another certificate", bound, theirs.Leaf, resource.ErrCertificateMismatch},
		{"no certificate", bound, nil, resource.ErrCertificateMismatch},
		{"no cnf", jwtWith(jwt.MapClaims{"sub": "x"}), mine.Leaf, resource.ErrCertificateMismatch},
		{"cnf without x5t#S256", jwtWith(jwt.MapClaims{"cnf": map[string]string{"jkt": "abc"}}), mine.Leaf, resource.ErrCertificateMismatch},
		{"opaque token", "2YotnFZFEjr1zCsicMWpAA", mine.Leaf, resource.ErrTokenNotJWT},
		{"payload not base64url", "a.b!.c", mine.Leaf, resource.ErrTokenNotJWT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := resource.VerifyCertificateBinding(tt.token, tt.cert)
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
			assert.NotContains(t, err.Error(), tt.token)
		})
	}
	assert.Empty(t, oauth2flows.CertificateThumbprint(nil))
}
