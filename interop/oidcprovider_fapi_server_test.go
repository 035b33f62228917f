package interop

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

// fapiRedirect and fapiPostLogout are registered for server.mjs's FAPI
// clients.
const (
	fapiRedirect   = "http://127.0.0.1/cb"
	fapiPostLogout = "http://127.0.0.1/signed-out"
)

// fapiProvider is oidc-provider in its FAPI 2.0 profile (server.mjs,
// OIDC_PROFILE=fapi2) behind a tampering proxy. The Go test made the
// server's signing keys, so the proxy can forge what a misbehaving server
// would send, correctly signed, as the conformance suite's client tests do.
type fapiProvider struct {
	*oidcProvider
	serverEC  *ecdsa.PrivateKey // kid "ec", ES256: ID tokens, JARM
	serverRSA *rsa.PrivateKey   // kid "rsa", PS256
	clientKey *ecdsa.PrivateKey // the clients' private_key_jwt, JAR and DPoP key
	proxy     *tamperProxy
	mtls      *mtlsFrontEnd // the RFC 8705 §5 aliases, for "fapi-mtls"
}

// startFAPIProvider starts oidc-provider's FAPI 2.0 profile, with DPoP
// server nonces required when nonces is set.
func startFAPIProvider(t *testing.T, nonces bool) *fapiProvider {
	t.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	f := &fapiProvider{serverEC: ec, serverRSA: serverRSAKey(t), clientKey: clientECKey(t)}
	serverJWKS, err := json.Marshal(map[string]any{"keys": []any{
		privateJWK(f.serverEC, "ec", "ES256"), privateJWK(f.serverRSA, "rsa", "PS256"),
	}})
	require.NoError(t, err)
	clientJWKS, err := json.Marshal(map[string]any{"keys": []any{publicJWK(&f.clientKey.PublicKey, "client", "ES256")}})
	require.NoError(t, err)
	f.mtls = newMTLSFrontEnd(t)
	env := []string{"OIDC_PROFILE=fapi2", "OIDC_FAPI_SERVER_JWKS=" + string(serverJWKS), "OIDC_FAPI_CLIENT_JWKS=" + string(clientJWKS),
		"OIDC_MTLS_ALIAS=" + f.mtls.srv.URL}
	if nonces {
		env = append(env, "OIDC_DPOP_REQUIRE_NONCE=1")
	}
	f.oidcProvider = &oidcProvider{}
	startNodeProvider(t, "server.mjs", f.oidcProvider, env...)
	f.proxy = newTamperProxy(t, f.Issuer)
	f.mtls.forwardTo(t, f.Issuer)
	return f
}

// config is the FAPI 2.0 client Config for client ("fapi-pkjwt" or
// "fapi-ms"), with the endpoints of the SDK's discovery, and the token
// endpoint through the tampering proxy.
func (f *fapiProvider) config(t *testing.T, client string) *oauth2flows.Config {
	t.Helper()
	md, err := oauth2flows.Discover(t.Context(), f.Issuer)
	require.NoError(t, err)
	ep := md.Endpoint()
	ep.TokenURL = f.proxy.srv.URL + strings.TrimPrefix(ep.TokenURL, f.Issuer)
	require.Equal(t, f.mtls.srv.URL+"/token", ep.MTLSTokenURL, "discovery fills the mTLS aliases")
	cfg := &oauth2flows.Config{
		ClientID:          client,
		Endpoint:          ep,
		RedirectURL:       fapiRedirect,
		Scopes:            []string{"openid", "offline_access"},
		PrivateKey:        f.clientKey,
		KeyID:             "client",
		AssertionAudience: oauth2flows.AudienceIssuer, // FAPI 2.0 §5.3.2.1
		DPoPKey:           f.clientKey,
		IDTokenAlgs:       oauth2flows.FAPI2Algs(),
		KeySet:            oauth2flows.NewKeySet(ep.JWKSURL, nil),
		Retry:             oauth2flows.RetryPolicy{MaxAttempts: 1},
	}
	if client == "fapi-mtls" {
		// tls_client_auth (RFC 8705 §2.1): the certificate, no key, no DPoP;
		// the tokens are bound to the certificate (§3).
		cfg.PrivateKey, cfg.KeyID, cfg.DPoPKey = nil, "", nil
		cfg.Certificate, cfg.AuthMethod = &f.mtls.clientCert, oauth2flows.TLSClientAuth
		cfg.HTTPClient = f.mtls.srv.Client() // trusts the front end's certificate
		require.Equal(t, f.mtls.srv.URL+"/me", cfg.Endpoint.MTLSUserInfoURL, "UserInfo goes to the alias")
	}
	if client == "fapi-ms" {
		cfg.RequestObjectKey, cfg.RequestObjectKeyID = f.clientKey, "client" // JAR
		cfg.ResponseMode = "jwt"                                             // JARM
	}
	return cfg
}

// browse follows an authorization URL as the user's browser would, with
// cookies, through oidc-provider's login (which server.mjs completes at
// once), and returns the redirect to the client's redirect URI.
func browse(t *testing.T, authURL string) string {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	var final string
	c := &http.Client{Jar: jar, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(r.URL.String(), fapiRedirect) {
			final = r.URL.String()
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := c.Get(authURL)
	require.NoError(t, err)
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	require.NotEmpty(t, final, "no redirect to the client (status %d): %s", resp.StatusCode, body)
	return final
}

// forge re-signs claims as the server would (ES256, kid "ec"), or with
// another method and key.
func (f *fapiProvider) forge(t *testing.T, claims jwt.MapClaims, method jwt.SigningMethod, kid string) string {
	t.Helper()
	var key any = f.serverEC
	switch method.Alg() {
	case "PS256", "RS256":
		key = f.serverRSA
	case "none":
		key = jwt.UnsafeAllowNoneSignatureType
	}
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	require.NoError(t, err)
	return s
}

// tamperProxy forwards everything to oidc-provider, keeping the Host the
// client used (so DPoP's htu matches), and lets a test rewrite the next
// token response's JSON.
type tamperProxy struct {
	srv *httptest.Server
	mu  sync.Mutex
	fn  func(map[string]any)
}

func newTamperProxy(t *testing.T, upstream string) *tamperProxy {
	t.Helper()
	u, err := url.Parse(upstream)
	require.NoError(t, err)
	p := &tamperProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		p.mu.Lock()
		fn := p.fn
		p.fn = nil
		p.mu.Unlock()
		if fn == nil || resp.StatusCode != http.StatusOK {
			if fn != nil {
				p.set(fn) // not the token response: keep it for the next one
			}
			return nil
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			return err
		}
		fn(m)
		body, _ = json.Marshal(m)
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	p.srv = httptest.NewServer(rp)
	t.Cleanup(p.srv.Close)
	return p
}

// set makes the proxy rewrite the next successful token response with fn.
func (p *tamperProxy) set(fn func(map[string]any)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fn = fn
}

// privateJWK is the JWK of a server signing key, private part included,
// for server.mjs only (RFC 7518 §6.2.2, §6.3.2).
func privateJWK(key any, kid, alg string) map[string]string {
	b64 := base64.RawURLEncoding.EncodeToString
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		j := publicJWK(&k.PublicKey, kid, alg)
		d, _ := k.Bytes()
		j["d"] = b64(d)
		return j
	case *rsa.PrivateKey:
		k.Precompute()
		j := publicJWK(&k.PublicKey, kid, alg)
		j["d"], j["p"], j["q"] = b64(k.D.Bytes()), b64(k.Primes[0].Bytes()), b64(k.Primes[1].Bytes())
		j["dp"], j["dq"], j["qi"] = b64(k.Precomputed.Dp.Bytes()), b64(k.Precomputed.Dq.Bytes()), b64(k.Precomputed.Qinv.Bytes())
		return j
	}
	panic("key type")
}

// publicJWK is the public JWK of a key, for signature use with alg.
func publicJWK(key any, kid, alg string) map[string]string {
	b64 := base64.RawURLEncoding.EncodeToString
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		pt, _ := k.Bytes() // 0x04 || X || Y
		return map[string]string{"kty": "EC", "crv": "P-256", "kid": kid, "alg": alg, "use": "sig",
			"x": b64(pt[1:33]), "y": b64(pt[33:])}
	case *rsa.PublicKey:
		return map[string]string{"kty": "RSA", "kid": kid, "alg": alg, "use": "sig",
			"n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
	}
	panic("key type")
}

// mtlsFrontEnd is the TLS front end oidc-provider expects for mTLS (its
// features.mTLS reads the certificate from the request, as forwarded by a
// TLS terminator): it asks for a client certificate, verifies it against
// the test's CA, and forwards the request with the certificate in
// x-client-cert and the verdict in x-client-cert-verified, which it never
// takes from the client.
type mtlsFrontEnd struct {
	srv        *httptest.Server
	clientCert tls.Certificate // CN=fapi-mtls, issued by the test's CA
	mu         sync.Mutex
	upstream   http.Handler
}

func newMTLSFrontEnd(t *testing.T) *mtlsFrontEnd {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "interop test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "fapi-mtls"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &leafKey.PublicKey, caKey)
	require.NoError(t, err)
	fe := &mtlsFrontEnd{clientCert: tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	fe.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del("X-Client-Cert")
		r.Header.Del("X-Client-Cert-Verified")
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			leaf := r.TLS.PeerCertificates[0]
			r.Header.Set("X-Client-Cert", url.PathEscape(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw}))))
			if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err == nil {
				r.Header.Set("X-Client-Cert-Verified", "SUCCESS")
			}
		}
		fe.mu.Lock()
		up := fe.upstream
		fe.mu.Unlock()
		up.ServeHTTP(w, r)
	}))
	fe.srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	fe.srv.StartTLS()
	t.Cleanup(fe.srv.Close)
	return fe
}

// forwardTo sends what the front end receives to oidc-provider, keeping
// the Host the client used.
func (fe *mtlsFrontEnd) forwardTo(t *testing.T, upstream string) {
	t.Helper()
	u, err := url.Parse(upstream)
	require.NoError(t, err)
	fe.mu.Lock()
	defer fe.mu.Unlock()
	fe.upstream = httputil.NewSingleHostReverseProxy(u)
}
