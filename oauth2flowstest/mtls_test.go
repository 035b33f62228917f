package oauth2flowstest_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// mtlsPost posts form to url over a connection presenting cert (none when nil).
func mtlsPost(t *testing.T, srv *oauth2flowstest.Server, cert *tls.Certificate, target string, form url.Values) (int, map[string]any) {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: srv.RootCAs()}}}
	if cert != nil {
		var err error
		hc, err = oauth2flows.NewMTLSClient(&tls.Config{Certificates: []tls.Certificate{*cert}, RootCAs: srv.RootCAs()})
		require.NoError(t, err)
	}
	resp, err := hc.Post(target, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	return resp.StatusCode, body
}

func TestMTLSDiscoveryListsAliases(t *testing.T) {
	for _, withMTLS := range []bool{true, false} {
		t.Run(map[bool]string{true: "WithMTLS", false: "without"}[withMTLS], func(t *testing.T) {
			var opts []oauth2flowstest.Option
			if withMTLS {
				opts = append(opts, oauth2flowstest.WithMTLS())
			}
			srv := newServer(t, opts...)
			got := do(t, srv, mustGet(t, srv.URL()+"/.well-known/oauth-authorization-server"))
			require.Equal(t, http.StatusOK, got.Status)
			ep := srv.Endpoint()
			if !withMTLS {
				assert.NotContains(t, got.Body, "mtls_endpoint_aliases")
				assert.Empty(t, ep.MTLSTokenURL)
				assert.Empty(t, ep.MTLSDeviceAuthURL)
				assert.Empty(t, ep.MTLSPushedAuthURL)
				assert.Nil(t, srv.RootCAs())
				return
			}
			assert.Equal(t, map[string]any{
				"token_endpoint":                        ep.MTLSTokenURL,
				"userinfo_endpoint":                     ep.MTLSUserInfoURL,
				"revocation_endpoint":                   ep.MTLSRevocationURL,
				"introspection_endpoint":                ep.MTLSIntrospectionURL,
				"device_authorization_endpoint":         ep.MTLSDeviceAuthURL,
				"pushed_authorization_request_endpoint": ep.MTLSPushedAuthURL,
			}, got.Body["mtls_endpoint_aliases"])
			for _, alias := range []string{ep.MTLSTokenURL, ep.MTLSRevocationURL, ep.MTLSIntrospectionURL, ep.MTLSDeviceAuthURL, ep.MTLSPushedAuthURL} {
				assert.True(t, strings.HasPrefix(alias, "https://"), alias)
			}
			assert.Equal(t, true, got.Body["tls_client_certificate_bound_access_tokens"])
			assert.Contains(t, got.Body["token_endpoint_auth_methods_supported"], "tls_client_auth")
			assert.Contains(t, got.Body["token_endpoint_auth_methods_supported"], "self_signed_tls_client_auth")
		})
	}
}

func TestMTLSBoundTokenIntrospectsWithCnf(t *testing.T) {
	self, err := oauth2flowstest.NewSelfSignedCertificate("svc")
	require.NoError(t, err)
	srv := newServer(t, oauth2flowstest.WithMTLS(),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "svc", SelfSignedCertificates: []*x509.Certificate{self.Leaf}}))
	ep := srv.Endpoint()

	status, body := mtlsPost(t, srv, self, ep.MTLSTokenURL, url.Values{"grant_type": {"client_credentials"}, "client_id": {"svc"}})
	require.Equal(t, http.StatusOK, status, body)
	at := body["access_token"].(string)
	x5t := oauth2flows.CertificateThumbprint(self.Leaf)
	assert.Equal(t, map[string]any{"x5t#S256": x5t}, parseJWT(t, at)["cnf"])

	status, body = mtlsPost(t, srv, self, ep.MTLSIntrospectionURL, url.Values{"token": {at}, "client_id": {"svc"}})
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, true, body["active"])
	assert.Equal(t, map[string]any{"x5t#S256": x5t}, body["cnf"], "RFC 8705 §3.2")
	r := srv.RequestsTo(oauth2flowstest.EndpointIntrospect)[0]
	assert.True(t, r.MTLS)
	assert.Equal(t, oauth2flowstest.AuthSelfSignedTLSClientAuth, r.AuthMethod)
}

func TestMTLSListenerServesOnlyAliases(t *testing.T) {
	srv := newServer(t, oauth2flowstest.WithMTLS())
	mtlsBase := strings.TrimSuffix(srv.Endpoint().MTLSTokenURL, "/token")
	// Only endpoints where the client authenticates: not the browser's
	// authorization and device verification pages.
	for _, path := range []string{"/authorize", "/device", "/.well-known/oauth-authorization-server", "/jwks"} {
		t.Run(path, func(t *testing.T) {
			resp, err := srv.Client().Get(mtlsBase + path)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusNotFound, resp.StatusCode)
		})
	}
}

func TestMTLSCertificateNextToASecretIsNotCertificateAuth(t *testing.T) {
	self, err := oauth2flowstest.NewSelfSignedCertificate("conf")
	require.NoError(t, err)
	srv := newServer(t, oauth2flowstest.WithMTLS())
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"conf"}, "client_secret": {awkwardSecret}}
	status, body := mtlsPost(t, srv, self, srv.Endpoint().MTLSTokenURL, form)
	require.Equal(t, http.StatusOK, status, body)
	assert.Nil(t, parseJWT(t, body["access_token"].(string))["cnf"], "only certificate authentication binds")
	assert.Equal(t, oauth2flowstest.AuthClientSecretPost, srv.RequestsTo(oauth2flowstest.EndpointToken)[0].AuthMethod)
}

// RFC 8705 §2.1.2: a tls_client_auth client is recognised by the subject
// or SAN it registered. Registered with none, the CA's word alone would let
// any certificate it issued act as this client.
func TestMTLSTLSClientAuthWithoutRegisteredSubjectIsRefused(t *testing.T) {
	ca, err := oauth2flowstest.NewCertificateAuthority("test CA")
	require.NoError(t, err)
	someoneElse, err := ca.IssueClientCertificate("someone-else")
	require.NoError(t, err)
	srv := newServer(t, oauth2flowstest.WithMTLS(ca.Certificate),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "svc", AuthMethod: oauth2flowstest.AuthTLSClientAuth}))

	status, body := mtlsPost(t, srv, someoneElse, srv.Endpoint().MTLSTokenURL,
		url.Values{"grant_type": {"client_credentials"}, "client_id": {"svc"}})
	assert.Equal(t, http.StatusBadRequest, status, body)
	assert.Equal(t, "invalid_client", body["error"])
	assert.Nil(t, body["access_token"])
}

// RFC 8705 §5 aliases carry any endpoint where the client authenticates:
// the pushed authorization request (RFC 9126 §5) and device authorization
// (RFC 8628 §4) endpoints are served on the mTLS listener, where
// certificate authentication works as at the token endpoint and refuses
// what it refuses there.
func TestMTLSAliasesServePARAndDeviceAuthorization(t *testing.T) {
	self, err := oauth2flowstest.NewSelfSignedCertificate("svc")
	require.NoError(t, err)
	stranger, err := oauth2flowstest.NewSelfSignedCertificate("svc") // same name, never registered
	require.NoError(t, err)
	srv := newServer(t, oauth2flowstest.WithMTLS(),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "svc", SelfSignedCertificates: []*x509.Certificate{self.Leaf}, RedirectURIs: []string{redirect}}))
	ep := srv.Endpoint()
	pushed := pushedParams(url.Values{"client_id": {"svc"}})
	device := url.Values{"client_id": {"svc"}, "scope": {"openid"}}
	tests := []struct {
		name       string
		target     string
		endpoint   string
		form       url.Values
		cert       *tls.Certificate
		wantStatus int
		wantKey    string // a member of the success response
		wantError  string
		wantMethod string
	}{
		{"PAR, registered certificate", ep.MTLSPushedAuthURL, oauth2flowstest.EndpointPAR, pushed, self,
			http.StatusCreated, "request_uri", "", oauth2flowstest.AuthSelfSignedTLSClientAuth},
		{"device authorization, registered certificate", ep.MTLSDeviceAuthURL, oauth2flowstest.EndpointDeviceAuthorization, device, self,
			http.StatusOK, "device_code", "", oauth2flowstest.AuthSelfSignedTLSClientAuth},
		{"PAR, unregistered certificate", ep.MTLSPushedAuthURL, oauth2flowstest.EndpointPAR, pushed, stranger,
			http.StatusBadRequest, "", "invalid_client", oauth2flowstest.AuthSelfSignedTLSClientAuth},
		{"device authorization, unregistered certificate", ep.MTLSDeviceAuthURL, oauth2flowstest.EndpointDeviceAuthorization, device, stranger,
			http.StatusBadRequest, "", "invalid_client", oauth2flowstest.AuthSelfSignedTLSClientAuth},
		{"PAR, no certificate", ep.MTLSPushedAuthURL, oauth2flowstest.EndpointPAR, pushed, nil,
			http.StatusBadRequest, "", "invalid_client", oauth2flowstest.AuthNone},
		{"device authorization, no certificate", ep.MTLSDeviceAuthURL, oauth2flowstest.EndpointDeviceAuthorization, device, nil,
			http.StatusBadRequest, "", "invalid_client", oauth2flowstest.AuthNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.ResetRequests()
			status, body := mtlsPost(t, srv, tt.cert, tt.target, tt.form)
			assert.Equal(t, tt.wantStatus, status, body)
			code, _ := body["error"].(string)
			assert.Equal(t, tt.wantError, code, body)
			if tt.wantKey != "" {
				assert.NotEmpty(t, body[tt.wantKey])
			}
			reqs := srv.RequestsTo(tt.endpoint)
			require.Len(t, reqs, 1, "recorded under its endpoint")
			r := reqs[0]
			assert.True(t, r.MTLS)
			assert.Equal(t, tt.wantMethod, r.AuthMethod)
			wantThumb, wantClient := "", ""
			if tt.cert != nil {
				wantThumb = oauth2flows.CertificateThumbprint(tt.cert.Leaf)
			}
			if tt.wantError == "" {
				wantClient = "svc"
			}
			assert.Equal(t, wantThumb, r.ClientCertThumbprint)
			assert.Equal(t, wantClient, r.ClientID)
		})
	}
}

// The Entra layout has a device authorization endpoint but no PAR: with
// WithMTLS, its Endpoint carries the device alias only.
func TestMTLSEntraEndpointAliases(t *testing.T) {
	srv := newServer(t, oauth2flowstest.WithEntra(""), oauth2flowstest.WithMTLS())
	ep := srv.Endpoint()
	assert.True(t, strings.HasPrefix(ep.MTLSDeviceAuthURL, "https://"), ep.MTLSDeviceAuthURL)
	assert.Equal(t, strings.TrimSuffix(ep.MTLSTokenURL, "/token")+"/device_authorization", ep.MTLSDeviceAuthURL)
	assert.Empty(t, ep.PushedAuthURL)
	assert.Empty(t, ep.MTLSPushedAuthURL)
}
