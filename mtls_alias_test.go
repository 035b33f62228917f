package oauth2flows_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
	"github.com/oauth2flows/oauth2flows/resource"
)

// mRedirect is the redirect URI of the mTLS clients' authorization
// requests; confidential clients without registered URIs may use any.
const mRedirect = "https://app.example/callback"

// RFC 8705 §5 names any endpoint in mtls_endpoint_aliases; RFC 9126 §5 and
// RFC 8628 §4 name the PAR and device authorization endpoints. A client
// authenticating with a certificate posts there; a server that serves
// certificate authentication only on its alias host would not see the
// certificate at the plain URL.
func TestMTLSAliasesForPARAndDeviceAuthorization(t *testing.T) {
	clock := &pollFakeClock{t: time.Now()}
	e := newMTLSEnv(t, oauth2flowstest.WithClock(clock.now))
	secretCfg := func() *oauth2flows.Config {
		cfg := e.config(mSecretClient, oauth2flows.ClientSecretBasic, nil, e.srv.Client())
		cfg.ClientSecret = mSecret
		return cfg
	}
	certCfg := func(id string, m oauth2flows.AuthMethod, cert *tls.Certificate) func() *oauth2flows.Config {
		return func() *oauth2flows.Config { return e.config(id, m, cert, e.srv.Client()) }
	}
	tests := []struct {
		name string
		cfg  func() *oauth2flows.Config
		cert *tls.Certificate // nil: not certificate authentication
		wire string           // the method the server recorded
	}{
		{"tls_client_auth", certCfg(mPKIClient, oauth2flows.TLSClientAuth, e.pki), e.pki, oauth2flowstest.AuthTLSClientAuth},
		{"self_signed_tls_client_auth", certCfg(mSelfClient, oauth2flows.SelfSignedTLSClientAuth, e.self), e.self, oauth2flowstest.AuthSelfSignedTLSClientAuth},
		{"client_secret_basic keeps the plain URLs", secretCfg, nil, oauth2flowstest.AuthClientSecretBasic},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			leaks := watchLeaks(t, e.srv)
			cfg := tt.cfg()
			cfg.RedirectURL = mRedirect
			require.NotEmpty(t, cfg.Endpoint.MTLSPushedAuthURL)
			require.NotEmpty(t, cfg.Endpoint.MTLSDeviceAuthURL)
			checkWire := func(r oauth2flowstest.Request) {
				t.Helper()
				if tt.cert != nil {
					assertMTLSWire(t, r, cfg.ClientID, tt.wire, tt.cert)
					return
				}
				assert.False(t, r.MTLS, "a secret client uses the plain URL even when aliases are set")
				assert.Equal(t, tt.wire, r.AuthMethod)
				assert.Equal(t, cfg.ClientID, r.ClientID)
			}
			checkBinding := func(tok *oauth2flows.Token) {
				t.Helper()
				if tt.cert != nil {
					assert.NoError(t, resource.VerifyCertificateBinding(tok.AccessToken, tt.cert.Leaf), "RFC 8705 §3")
				} else {
					assert.ErrorIs(t, resource.VerifyCertificateBinding(tok.AccessToken, e.pki.Leaf), resource.ErrCertificateMismatch)
				}
			}

			// PAR (RFC 9126 §2), then the browser at the plain AuthURL.
			state, verifier := oauth2flows.NewState(), oauth2flows.NewVerifier()
			leaks.secret(verifier)
			u, err := oauth2flows.PushAuthCodeURL(ctx, cfg, state, oauth2flows.WithPKCE(verifier))
			require.NoError(t, leaks.err(err))
			push := lastTo(t, e.srv, oauth2flowstest.EndpointPAR)
			checkWire(push)
			assert.Equal(t, http.StatusCreated, push.Status)
			assert.Equal(t, state, push.Form.Get("state"))
			assert.True(t, strings.HasPrefix(u, cfg.Endpoint.AuthURL+"?"), "the user goes to AuthURL, never to an alias: %s", u)
			loc, err := e.srv.Authorize(ctx, u)
			require.NoError(t, err)
			code, err := oauth2flows.ParseCallbackURL(cfg, loc.String(), state)
			require.NoError(t, err)
			tok, err := oauth2flows.ExchangeCode(ctx, cfg, code, oauth2flows.WithPKCE(verifier))
			require.NoError(t, leaks.err(err))
			checkWire(lastTo(t, e.srv, oauth2flowstest.EndpointToken))
			checkBinding(tok)

			// Device authorization (RFC 8628 §3.1), then the poll.
			da, err := oauth2flows.DeviceAuth(ctx, cfg)
			require.NoError(t, leaks.err(err))
			leaks.secret(da.DeviceCode)
			authz := lastTo(t, e.srv, oauth2flowstest.EndpointDeviceAuthorization)
			checkWire(authz)
			assert.Equal(t, http.StatusOK, authz.Status)
			assert.NotEmpty(t, da.UserCode)
			assert.True(t, strings.HasPrefix(da.VerificationURI, e.srv.URL()), "the user's page is on the plain listener: %s", da.VerificationURI)
			require.NoError(t, e.srv.ApproveDevice(da.UserCode, mUser))
			tok, err = oauth2flows.DeviceAccessToken(oauth2flows.WithPollClock(ctx, clock.now, clock.wait), cfg, da)
			require.NoError(t, leaks.err(err))
			poll := lastTo(t, e.srv, oauth2flowstest.EndpointToken)
			checkWire(poll)
			assert.Equal(t, oauth2flows.GrantTypeDeviceCode, poll.Form.Get("grant_type"))
			checkBinding(tok)
		})
	}
}

// A plain-http alias, or a plain-http URL without an alias, is refused
// before anything is sent, for PAR and device authorization as for the
// token endpoint: certificate authentication needs https (RFC 8705 §2).
// The field named is the one that was used.
func TestMTLSPARAndDeviceAliasRefuseHTTP(t *testing.T) {
	e := newMTLSEnv(t)
	aliasHTTP := e.srv.Endpoint()
	aliasHTTP.MTLSPushedAuthURL = e.srv.URL() + "/par" // http:// aliases
	aliasHTTP.MTLSDeviceAuthURL = e.srv.URL() + "/device_authorization"
	noAlias := e.srv.Endpoint()
	noAlias.MTLSPushedAuthURL, noAlias.MTLSDeviceAuthURL = "", ""
	push := func(cfg *oauth2flows.Config) error {
		_, err := oauth2flows.PushAuthCodeURL(context.Background(), cfg, "state-1")
		return err
	}
	deviceAuth := func(cfg *oauth2flows.Config) error {
		_, err := oauth2flows.DeviceAuth(context.Background(), cfg)
		return err
	}
	tests := []struct {
		name      string
		endpoint  oauth2flows.Endpoint
		insecure  bool
		call      func(*oauth2flows.Config) error
		op        string
		wantField string
	}{
		{"http PAR alias", aliasHTTP, false, push, "PushAuthCodeURL", "Config.Endpoint.MTLSPushedAuthURL"},
		{"http device alias", aliasHTTP, false, deviceAuth, "DeviceAuth", "Config.Endpoint.MTLSDeviceAuthURL"},
		{"http PAR alias, InsecureAllowHTTP", aliasHTTP, true, push, "PushAuthCodeURL", "Config.Endpoint.MTLSPushedAuthURL"},
		{"loopback http PushedAuthURL, no alias", noAlias, false, push, "PushAuthCodeURL", "Config.Endpoint.PushedAuthURL"},
		{"loopback http DeviceAuthURL, no alias", noAlias, false, deviceAuth, "DeviceAuth", "Config.Endpoint.DeviceAuthURL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.srv.ResetRequests()
			cfg := e.config(mPKIClient, oauth2flows.TLSClientAuth, e.pki, e.srv.Client())
			cfg.Endpoint, cfg.InsecureAllowHTTP, cfg.RedirectURL = tt.endpoint, tt.insecure, mRedirect
			var ce *oauth2flows.ConfigError
			require.ErrorAs(t, tt.call(cfg), &ce)
			assert.Equal(t, tt.op, ce.Op)
			assert.Equal(t, tt.wantField, ce.Field)
			assert.Contains(t, ce.Reason, "https")
			assert.Empty(t, e.srv.Requests(), "refused before any request")
		})
	}
}

// RFC 9449 §4.2: a DPoP proof's htu is the URL the request goes to, so at
// PAR with certificate authentication it names the alias, and the server,
// checking it against the alias it received the request on, accepts it.
func TestMTLSPARAliasWithDPoPProof(t *testing.T) {
	e := newMTLSEnv(t, oauth2flowstest.WithDPoPNonce())
	key := ecKey(t)
	cfg := e.config(mSelfClient, oauth2flows.SelfSignedTLSClientAuth, e.self, e.srv.Client())
	cfg.RedirectURL, cfg.DPoPKey = mRedirect, key
	_, err := oauth2flows.PushAuthCodeURL(context.Background(), cfg, "state-1", oauth2flows.WithPKCE(oauth2flows.NewVerifier()))
	require.NoError(t, err)

	proofs := proofsTo(e.srv, oauth2flowstest.EndpointPAR)
	require.Len(t, proofs, 2, "the first proof is answered use_dpop_nonce, the second accepted")
	for _, p := range proofs {
		assert.Equal(t, cfg.Endpoint.MTLSPushedAuthURL, parseProof(t, p, &key.PublicKey).claims["htu"])
	}
	push := lastTo(t, e.srv, oauth2flowstest.EndpointPAR)
	assertMTLSWire(t, push, mSelfClient, oauth2flowstest.AuthSelfSignedTLSClientAuth, e.self)
	assert.Equal(t, http.StatusCreated, push.Status)
	assert.Equal(t, ecThumbprint(t, key), push.Form.Get("dpop_jkt"))
}
