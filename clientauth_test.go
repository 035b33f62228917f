package oauth2flows_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// selfSigned wraps key in a throwaway certificate, made at test time, for
// Entra's x5t#S256 assertion header.
func selfSigned(t *testing.T, key crypto.Signer) *tls.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "api-a"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	require.NoError(t, err)
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestClientAuthenticationMethodsVerifiedByTheServer(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	const secret = "p@ss:w+rd/=%&?"
	cert := selfSigned(t, rsaKey)
	certSum := sha256.Sum256(cert.Certificate[0])

	tests := []struct {
		name       string
		client     oauth2flowstest.Client
		cfg        oauth2flows.Config
		wantMethod string
		wantAlg    string
		wantHeader map[string]string
		wantAudIss bool
	}{
		{name: "AutoWithSecretIsBasic", client: oauth2flowstest.Client{Secret: secret, AuthMethod: oauth2flowstest.AuthClientSecretBasic},
			cfg: oauth2flows.Config{ClientSecret: secret}, wantMethod: "client_secret_basic"},
		{name: "Post", client: oauth2flowstest.Client{Secret: secret, AuthMethod: oauth2flowstest.AuthClientSecretPost},
			cfg: oauth2flows.Config{ClientSecret: secret, AuthMethod: oauth2flows.ClientSecretPost}, wantMethod: "client_secret_post"},
		{name: "ClientSecretJWT", client: oauth2flowstest.Client{Secret: secret, AuthMethod: oauth2flowstest.AuthClientSecretJWT},
			cfg: oauth2flows.Config{ClientSecret: secret, AuthMethod: oauth2flows.ClientSecretJWT}, wantMethod: "client_secret_jwt", wantAlg: "HS256"},
		{name: "AutoWithRSAKeyIsRS256", client: oauth2flowstest.Client{PublicKey: rsaKey.Public()},
			cfg: oauth2flows.Config{PrivateKey: rsaKey, KeyID: "k1"}, wantMethod: "private_key_jwt", wantAlg: "RS256",
			wantHeader: map[string]string{"kid": "k1"}},
		{name: "EntraCertificatePS256", client: oauth2flowstest.Client{PublicKey: rsaKey.Public()},
			cfg:        oauth2flows.Config{PrivateKey: rsaKey, AssertionAlg: "PS256", Certificate: cert, AuthMethod: oauth2flows.PrivateKeyJWT},
			wantMethod: "private_key_jwt", wantAlg: "PS256",
			wantHeader: map[string]string{"x5t#S256": base64.RawURLEncoding.EncodeToString(certSum[:])}},
		{name: "ES256", client: oauth2flowstest.Client{PublicKey: ecKey.Public()},
			cfg: oauth2flows.Config{PrivateKey: ecKey}, wantMethod: "private_key_jwt", wantAlg: "ES256"},
		{name: "AudienceIssuer", client: oauth2flowstest.Client{PublicKey: ecKey.Public()},
			cfg: oauth2flows.Config{PrivateKey: ecKey, AssertionAudience: oauth2flows.AudienceIssuer}, wantMethod: "private_key_jwt", wantAlg: "ES256", wantAudIss: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.client.ID = "api-a"
			srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(tt.client))
			defer srv.Close()
			cfg := tt.cfg
			cfg.ClientID, cfg.Endpoint = "api-a", srv.Endpoint()

			tok, err := oauth2flows.ClientCredentials(context.Background(), &cfg)
			require.NoError(t, err)
			claims, err := srv.VerifyAccessToken(tok.AccessToken)
			require.NoError(t, err)
			assert.Equal(t, "api-a", claims.Subject)

			reqs := srv.RequestsTo(oauth2flowstest.EndpointToken)
			require.Len(t, reqs, 1)
			r := reqs[0]
			assert.Equal(t, tt.wantMethod, r.AuthMethod)
			assert.Equal(t, "api-a", r.ClientID, "the server authenticated the client")
			if tt.wantMethod != "client_secret_post" {
				assert.Empty(t, r.Form.Get("client_secret"), "the secret is sent one way only")
			}
			if tt.wantAlg == "" {
				assert.Empty(t, r.Form.Get("client_assertion"))
				return
			}
			assert.Empty(t, r.Header.Get("Authorization"))
			assert.Equal(t, "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", r.Form.Get("client_assertion_type"))
			a, _, err := jwt.NewParser().ParseUnverified(r.Form.Get("client_assertion"), jwt.MapClaims{})
			require.NoError(t, err)
			assert.Equal(t, tt.wantAlg, a.Header["alg"])
			for k, v := range tt.wantHeader {
				assert.Equal(t, v, a.Header[k], k)
			}
			c := a.Claims.(jwt.MapClaims)
			assert.Equal(t, "api-a", c["iss"])
			assert.Equal(t, "api-a", c["sub"])
			wantAud := srv.Endpoint().TokenURL
			if tt.wantAudIss {
				wantAud = srv.Endpoint().Issuer
			}
			assert.Equal(t, wantAud, c["aud"])
			assert.NotEmpty(t, c["jti"])
			iat, exp := c["iat"].(float64), c["exp"].(float64)
			assert.LessOrEqual(t, exp-iat, (5 * time.Minute).Seconds(), "exp at most 5 minutes ahead")
			assert.Greater(t, exp, float64(time.Now().Unix()))
		})
	}
}

func TestClientAuthenticationFailuresAreNeverRetriedInAnotherStyle(t *testing.T) {
	tests := []struct {
		name   string
		client oauth2flowstest.Client
		cfg    oauth2flows.Config
	}{
		{"WrongSecret", oauth2flowstest.Client{Secret: "right-secret-value"}, oauth2flows.Config{ClientSecret: "wrong-secret-value"}},
		{"BasicAgainstPostOnlyClient", oauth2flowstest.Client{Secret: "right-secret-value", AuthMethod: oauth2flowstest.AuthClientSecretPost},
			oauth2flows.Config{ClientSecret: "right-secret-value"}},
		{"PublicClientAgainstConfidentialRegistration", oauth2flowstest.Client{Secret: "right-secret-value"}, oauth2flows.Config{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.client.ID = "api-a"
			srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(tt.client))
			defer srv.Close()
			cfg := tt.cfg
			cfg.ClientID, cfg.Endpoint = "api-a", srv.Endpoint()
			_, err := oauth2flows.ClientCredentials(context.Background(), &cfg)
			var oe *oauth2flows.Error
			require.ErrorAs(t, err, &oe)
			assert.Contains(t, []string{"invalid_client", "unauthorized_client"}, oe.Code)
			assert.Len(t, srv.RequestsTo(oauth2flowstest.EndpointToken), 1, "one attempt, in one style")
			for _, s := range []string{"right-secret-value", "wrong-secret-value"} {
				assert.False(t, strings.Contains(err.Error(), s), "secret in %q", err.Error())
			}
		})
	}
}
