package oauth2flows_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
	"github.com/oauth2flows/oauth2flows/resource"
)

// Fixtures of the mTLS tests.
const (
	mPKIClient    = "pki-client"    // tls_client_auth by subject DN
	mSANClient    = "san-client"    // tls_client_auth by DNS SAN
	mSelfClient   = "self-client"   // self_signed_tls_client_auth
	mSecretClient = "secret-client" // client_secret_basic, to check aliases stay unused
	mSecret       = "s3cret-never-over-mtls"
	mUser         = "alice"
	mPassword     = "al1ce-pw"
	mAPI          = "https://orders.example"
)

// mtlsEnv is an authorization server with the RFC 8705 listener, its test
// CA and certificates for each client. Everything is generated per test.
type mtlsEnv struct {
	srv                   *oauth2flowstest.Server
	ca                    *oauth2flowstest.CertificateAuthority
	pki, san, self, self2 *tls.Certificate
}

func newMTLSEnv(t *testing.T, opts ...oauth2flowstest.Option) *mtlsEnv {
	t.Helper()
	ca, err := oauth2flowstest.NewCertificateAuthority("test client CA")
	require.NoError(t, err)
	e := &mtlsEnv{ca: ca}
	e.pki, err = ca.IssueClientCertificate(mPKIClient)
	require.NoError(t, err)
	e.san, err = ca.IssueClientCertificate("any name", "svc.example")
	require.NoError(t, err)
	e.self, err = oauth2flowstest.NewSelfSignedCertificate(mSelfClient)
	require.NoError(t, err)
	e.self2, err = oauth2flowstest.NewSelfSignedCertificate(mSelfClient + " (rotated)")
	require.NoError(t, err)
	e.srv = oauth2flowstest.NewServer(append([]oauth2flowstest.Option{
		oauth2flowstest.WithMTLS(ca.Certificate),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: mPKIClient, TLSSubjectDN: "CN=" + mPKIClient}),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: mSANClient, TLSSANDNS: "svc.example", AuthMethod: oauth2flowstest.AuthTLSClientAuth}),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: mSelfClient, SelfSignedCertificates: []*x509.Certificate{e.self.Leaf, e.self2.Leaf}}),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: mSecretClient, Secret: mSecret}),
		oauth2flowstest.WithUser(oauth2flowstest.User{Username: mUser, Password: mPassword}),
	}, opts...)...)
	t.Cleanup(e.srv.Close)
	return e
}

// client is NewMTLSClient presenting cert and trusting the server.
func (e *mtlsEnv) client(t *testing.T, cert *tls.Certificate) *http.Client {
	t.Helper()
	hc, err := oauth2flows.NewMTLSClient(&tls.Config{Certificates: []tls.Certificate{*cert}, RootCAs: e.srv.RootCAs()})
	require.NoError(t, err)
	return hc
}

// config is a certificate-authenticated Config without retries, so every
// request recorded is one the test made.
func (e *mtlsEnv) config(id string, m oauth2flows.AuthMethod, cert *tls.Certificate, hc *http.Client) *oauth2flows.Config {
	return &oauth2flows.Config{
		ClientID:    id,
		AuthMethod:  m,
		Certificate: cert,
		Endpoint:    e.srv.Endpoint(),
		HTTPClient:  hc,
		Retry:       oauth2flows.RetryPolicy{MaxAttempts: 1},
	}
}

// lastTo is the last request the server recorded at endpoint.
func lastTo(t *testing.T, srv *oauth2flowstest.Server, endpoint string) oauth2flowstest.Request {
	t.Helper()
	reqs := srv.RequestsTo(endpoint)
	require.NotEmpty(t, reqs, "no request to %s", endpoint)
	return reqs[len(reqs)-1]
}

// assertMTLSWire checks RFC 8705 §2 on the wire: the request went to the
// mTLS alias, presented cert, identified the client by client_id and sent
// no secret.
func assertMTLSWire(t *testing.T, r oauth2flowstest.Request, clientID, method string, cert *tls.Certificate) {
	t.Helper()
	assert.True(t, r.MTLS, "request must go to the mtls_endpoint_aliases URL")
	assert.Equal(t, clientID, r.Form.Get("client_id"))
	assert.False(t, r.Form.Has("client_secret"), "no client_secret with certificate authentication")
	assert.False(t, r.Form.Has("client_assertion"))
	assert.Empty(t, r.Header.Get("Authorization"))
	assert.Equal(t, method, r.AuthMethod)
	assert.Equal(t, clientID, r.ClientID)
	assert.Equal(t, oauth2flows.CertificateThumbprint(cert.Leaf), r.ClientCertThumbprint)
}

func TestMTLSClientCredentialsRefreshRevoke(t *testing.T) {
	e := newMTLSEnv(t)
	pooled := func(c *tls.Certificate) *http.Client { return e.client(t, c) }
	tests := []struct {
		name     string
		clientID string
		method   oauth2flows.AuthMethod
		cert     *tls.Certificate
		hc       *http.Client
		wire     string
	}{
		{"tls_client_auth by subject, AuthAuto, clone of Config.HTTPClient", mPKIClient, oauth2flows.AuthAuto, e.pki, e.srv.Client(), oauth2flowstest.AuthTLSClientAuth},
		{"tls_client_auth by SAN, NewMTLSClient", mSANClient, oauth2flows.TLSClientAuth, e.san, pooled(e.san), oauth2flowstest.AuthTLSClientAuth},
		{"self_signed_tls_client_auth, clone of Config.HTTPClient", mSelfClient, oauth2flows.SelfSignedTLSClientAuth, e.self, e.srv.Client(), oauth2flowstest.AuthSelfSignedTLSClientAuth},
		{"self_signed_tls_client_auth, NewMTLSClient", mSelfClient, oauth2flows.SelfSignedTLSClientAuth, e.self, pooled(e.self), oauth2flowstest.AuthSelfSignedTLSClientAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			cfg := e.config(tt.clientID, tt.method, tt.cert, tt.hc)

			tok, err := oauth2flows.ClientCredentials(ctx, cfg)
			require.NoError(t, err)
			assertMTLSWire(t, lastTo(t, e.srv, oauth2flowstest.EndpointToken), tt.clientID, tt.wire, tt.cert)
			require.NoError(t, resource.VerifyCertificateBinding(tok.AccessToken, tt.cert.Leaf), "RFC 8705 §3: token bound to the certificate")

			in, err := oauth2flows.Introspect(ctx, cfg, tok.AccessToken)
			require.NoError(t, err)
			assertMTLSWire(t, lastTo(t, e.srv, oauth2flowstest.EndpointIntrospect), tt.clientID, tt.wire, tt.cert)
			assert.True(t, in.Active)
			assert.Equal(t, oauth2flows.CertificateThumbprint(tt.cert.Leaf), in.Confirmation["x5t#S256"], "RFC 8705 §3.2: cnf in introspection")

			pw, err := oauth2flows.PasswordCredentials(ctx, cfg, mUser, mPassword)
			require.NoError(t, err)
			require.NotEmpty(t, pw.RefreshToken)

			refreshed, err := oauth2flows.Refresh(ctx, cfg, pw.RefreshToken)
			require.NoError(t, err)
			r := lastTo(t, e.srv, oauth2flowstest.EndpointToken)
			assertMTLSWire(t, r, tt.clientID, tt.wire, tt.cert)
			assert.Equal(t, "refresh_token", r.Form.Get("grant_type"))
			require.NoError(t, resource.VerifyCertificateBinding(refreshed.AccessToken, tt.cert.Leaf))

			require.NoError(t, oauth2flows.Revoke(ctx, cfg, refreshed.RefreshToken, oauth2flows.WithTokenTypeHint("refresh_token")))
			assertMTLSWire(t, lastTo(t, e.srv, oauth2flowstest.EndpointRevoke), tt.clientID, tt.wire, tt.cert)

			_, err = oauth2flows.Refresh(ctx, cfg, refreshed.RefreshToken)
			var oe *oauth2flows.Error
			require.ErrorAs(t, err, &oe, "the revoked refresh token must be refused")
			assert.Equal(t, "invalid_grant", oe.Code)
		})
	}
}

func TestMTLSRefusesUnauthenticatedCertificates(t *testing.T) {
	e := newMTLSEnv(t)
	otherCA, err := oauth2flowstest.NewCertificateAuthority("someone else's CA")
	require.NoError(t, err)
	forged, err := otherCA.IssueClientCertificate(mPKIClient) // right subject, wrong CA
	require.NoError(t, err)
	intruder, err := e.ca.IssueClientCertificate("intruder") // right CA, wrong subject
	require.NoError(t, err)
	stranger, err := oauth2flowstest.NewSelfSignedCertificate(mSelfClient) // never registered
	require.NoError(t, err)
	noCert, err := oauth2flows.NewMTLSClient(&tls.Config{
		RootCAs: e.srv.RootCAs(),
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &tls.Certificate{}, nil // a rotation callback with nothing to present
		},
	})
	require.NoError(t, err)

	tests := []struct {
		name     string
		cfg      *oauth2flows.Config
		wire     string // the auth method the server recorded
		wantCert *tls.Certificate
	}{
		{"no certificate, client_id only", &oauth2flows.Config{
			ClientID: mPKIClient, AuthMethod: oauth2flows.NoClientAuth, HTTPClient: e.srv.Client(),
			Endpoint: oauth2flows.Endpoint{TokenURL: e.srv.Endpoint().MTLSTokenURL},
		}, oauth2flowstest.AuthNone, nil},
		{"callback presents no certificate", e.config(mPKIClient, oauth2flows.TLSClientAuth, nil, noCert), oauth2flowstest.AuthNone, nil},
		{"certificate from an untrusted CA", e.config(mPKIClient, oauth2flows.TLSClientAuth, forged, e.srv.Client()), oauth2flowstest.AuthTLSClientAuth, forged},
		{"certificate with another subject", e.config(mPKIClient, oauth2flows.TLSClientAuth, intruder, e.srv.Client()), oauth2flowstest.AuthTLSClientAuth, intruder},
		{"unregistered self-signed certificate", e.config(mSelfClient, oauth2flows.SelfSignedTLSClientAuth, stranger, e.srv.Client()), oauth2flowstest.AuthSelfSignedTLSClientAuth, stranger},
		{"certificate of another client", e.config(mSelfClient, oauth2flows.SelfSignedTLSClientAuth, e.pki, e.srv.Client()), oauth2flowstest.AuthSelfSignedTLSClientAuth, e.pki},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Retry = oauth2flows.RetryPolicy{MaxAttempts: 1}
			tok, err := oauth2flows.ClientCredentials(context.Background(), tt.cfg)
			require.Nil(t, tok)
			var oe *oauth2flows.Error
			require.ErrorAs(t, err, &oe)
			assert.Equal(t, "invalid_client", oe.Code)

			r := lastTo(t, e.srv, oauth2flowstest.EndpointToken)
			assert.True(t, r.MTLS)
			assert.Equal(t, tt.wire, r.AuthMethod)
			assert.Empty(t, r.ClientID, "nobody authenticated")
			want := ""
			if tt.wantCert != nil {
				want = oauth2flows.CertificateThumbprint(tt.wantCert.Leaf)
			}
			assert.Equal(t, want, r.ClientCertThumbprint)
		})
	}
}

func TestMTLSRefusesPlainHTTPBeforeSending(t *testing.T) {
	e := newMTLSEnv(t)
	plain := e.srv.Endpoint()
	plain.MTLSTokenURL, plain.MTLSRevocationURL, plain.MTLSIntrospectionURL = "", "", ""
	aliasHTTP := e.srv.Endpoint()
	aliasHTTP.MTLSTokenURL = e.srv.URL() + "/token" // http:// alias
	aliasHTTP.MTLSRevocationURL = e.srv.URL() + "/revoke"
	tests := []struct {
		name     string
		endpoint oauth2flows.Endpoint
		insecure bool
	}{
		{"loopback http token URL, no alias", plain, false},
		{"http alias", aliasHTTP, false},
		{"InsecureAllowHTTP does not cover certificates", plain, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.srv.ResetRequests()
			cfg := e.config(mPKIClient, oauth2flows.TLSClientAuth, e.pki, e.srv.Client())
			cfg.Endpoint, cfg.InsecureAllowHTTP = tt.endpoint, tt.insecure
			_, err := oauth2flows.ClientCredentials(context.Background(), cfg)
			var ce *oauth2flows.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Contains(t, ce.Reason, "https")
			err = oauth2flows.Revoke(context.Background(), cfg, "some-token")
			require.ErrorAs(t, err, &ce)
			assert.Empty(t, e.srv.Requests(), "refused before any request")
		})
	}
}

func TestMTLSOtherMethodsKeepPlainEndpoints(t *testing.T) {
	e := newMTLSEnv(t)
	cfg := &oauth2flows.Config{ClientID: mSecretClient, ClientSecret: mSecret, Endpoint: e.srv.Endpoint(), HTTPClient: e.srv.Client()}
	require.NotEmpty(t, cfg.Endpoint.MTLSTokenURL)
	tok, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	require.NoError(t, err)
	r := lastTo(t, e.srv, oauth2flowstest.EndpointToken)
	assert.False(t, r.MTLS, "a secret client uses TokenURL even when aliases are set")
	assert.Equal(t, oauth2flowstest.AuthClientSecretBasic, r.AuthMethod)
	assert.ErrorIs(t, resource.VerifyCertificateBinding(tok.AccessToken, e.pki.Leaf), resource.ErrCertificateMismatch)
}

func TestMTLSBoundTokenAtResourceServer(t *testing.T) {
	e := newMTLSEnv(t)
	api := oauth2flowstest.NewMTLSResourceServer(e.srv.Protect(mAPI, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := oauth2flowstest.ClaimsFromContext(r.Context())
		_, _ = w.Write([]byte(c.Cnf["x5t#S256"]))
	})))
	t.Cleanup(api.Close)

	cfg := e.config(mSelfClient, oauth2flows.SelfSignedTLSClientAuth, e.self, e.srv.Client())
	bound, err := oauth2flows.ClientCredentials(context.Background(), cfg, oauth2flows.WithResource(mAPI))
	require.NoError(t, err)
	unbound := e.srv.IssueAccessToken("alice", mAPI)
	withCert := func(c *tls.Certificate) *http.Client { return e.client(t, c) }

	tests := []struct {
		name   string
		token  string
		client *http.Client
		status int
	}{
		{"bound token with its certificate", bound.AccessToken, withCert(e.self), http.StatusOK},
		{"bound token without a certificate", bound.AccessToken, api.Client(), http.StatusUnauthorized},
		{"bound token with another certificate", bound.AccessToken, withCert(e.self2), http.StatusUnauthorized},
		{"unbound token without a certificate", unbound, api.Client(), http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, api.URL, nil)
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+tt.token)
			resp, err := tt.client.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			assert.Equal(t, tt.status, resp.StatusCode)
			if tt.status == http.StatusUnauthorized {
				assert.Contains(t, resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`)
			}
		})
	}
}

func TestMTLSRotatingCertificate(t *testing.T) {
	e := newMTLSEnv(t)
	var current atomic.Pointer[tls.Certificate]
	current.Store(e.self)
	hc, err := oauth2flows.NewMTLSClient(&tls.Config{
		RootCAs: e.srv.RootCAs(),
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return current.Load(), nil
		},
	})
	require.NoError(t, err)
	// No Config.Certificate: the client's callback presents it.
	cfg := e.config(mSelfClient, oauth2flows.SelfSignedTLSClientAuth, nil, hc)

	for _, cert := range []*tls.Certificate{e.self, e.self2} {
		current.Store(cert)
		hc.CloseIdleConnections() // a new certificate needs a new handshake
		tok, err := oauth2flows.ClientCredentials(context.Background(), cfg)
		require.NoError(t, err)
		require.NoError(t, resource.VerifyCertificateBinding(tok.AccessToken, cert.Leaf))
		assertMTLSWire(t, lastTo(t, e.srv, oauth2flowstest.EndpointToken), mSelfClient, oauth2flowstest.AuthSelfSignedTLSClientAuth, cert)
	}
}

func TestMTLSNeedsACertificate(t *testing.T) {
	e := newMTLSEnv(t)
	tests := []struct {
		name string
		hc   *http.Client
	}{
		{"no HTTPClient", nil},
		{"HTTPClient without certificate", e.srv.Client()},
		{"custom RoundTripper", &http.Client{Transport: roundTripFunc(http.DefaultTransport.RoundTrip)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := e.config(mPKIClient, oauth2flows.TLSClientAuth, nil, tt.hc)
			_, err := oauth2flows.ClientCredentials(context.Background(), cfg)
			var ce *oauth2flows.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "Config.Certificate", ce.Field)
		})
	}
	assert.Empty(t, e.srv.Requests())

	// A certificate cannot be added to a RoundTripper that is not an *http.Transport.
	cfg := e.config(mPKIClient, oauth2flows.TLSClientAuth, e.pki, &http.Client{Transport: roundTripFunc(http.DefaultTransport.RoundTrip)})
	_, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	var ce *oauth2flows.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "Config.HTTPClient", ce.Field)
}

func TestNewMTLSClientRefusesAConfigWithoutClientCertificate(t *testing.T) {
	for name, cfg := range map[string]*tls.Config{
		"nil":            nil,
		"no certificate": {MinVersion: tls.VersionTLS13},
	} {
		t.Run(name, func(t *testing.T) {
			hc, err := oauth2flows.NewMTLSClient(cfg)
			var ce *oauth2flows.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "tls.Config.Certificates", ce.Field)
			assert.Nil(t, hc)
		})
	}
}

func TestNewMTLSClientClonesTheConfig(t *testing.T) {
	e := newMTLSEnv(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{*e.pki}, RootCAs: e.srv.RootCAs()}
	hc, err := oauth2flows.NewMTLSClient(cfg)
	require.NoError(t, err)
	cfg.Certificates, cfg.RootCAs = nil, nil // later changes have no effect

	tok, err := oauth2flows.ClientCredentials(context.Background(), e.config(mPKIClient, oauth2flows.TLSClientAuth, nil, hc))
	require.NoError(t, err)
	require.NoError(t, resource.VerifyCertificateBinding(tok.AccessToken, e.pki.Leaf))
	assertMTLSWire(t, lastTo(t, e.srv, oauth2flowstest.EndpointToken), mPKIClient, oauth2flowstest.AuthTLSClientAuth, e.pki)
	tr, ok := hc.Transport.(*http.Transport)
	require.True(t, ok, "a pooled *http.Transport")
	assert.False(t, tr.DisableKeepAlives)
}
