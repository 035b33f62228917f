package oauth2flowstest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// Authorize plays the user's browser through the authorization endpoint
// and returns where the server redirects: the code, state and iss.
func ExampleServer_Authorize() {
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "web", Secret: "s", RedirectURIs: []string{"http://127.0.0.1/cb"}}),
		oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice"}))
	defer srv.Close()
	cfg := &oauth2flows.Config{ClientID: "web", ClientSecret: "s", Endpoint: srv.Endpoint(), RedirectURL: "http://127.0.0.1/cb"}

	state := oauth2flows.NewState()
	callback, err := srv.Authorize(context.Background(), oauth2flows.AuthCodeURL(cfg, state, oauth2flows.WithPKCE(oauth2flows.NewVerifier())))
	if err != nil {
		fmt.Println(err)
		return
	}
	q := callback.Query()
	fmt.Println(q.Get("code") != "", q.Get("state") == state, q.Get("iss") == srv.URL())
	// Output:
	// true true true
}

// The server: an authorization server on loopback for one test.
func ExampleServer() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(daemon))
	defer srv.Close()

	tok, err := oauth2flows.ClientCredentials(context.Background(), daemonConfig(srv))
	fmt.Println(err, tok.TokenType)
	// Output:
	// <nil> Bearer
}

// Options configure a server at its start.
func ExampleOption() {
	opts := []oauth2flowstest.Option{
		oauth2flowstest.WithClient(daemon),
		oauth2flowstest.WithAccessTokenLifetime(time.Minute),
	}
	srv := oauth2flowstest.NewServer(opts...)
	defer srv.Close()
	fmt.Println(len(opts))
	// Output:
	// 2
}

// Client is an *http.Client that trusts the server, also over TLS (with
// WithEntra or WithMTLS).
func ExampleServer_Client() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithEntra("contoso"), oauth2flowstest.WithClient(daemon))
	defer srv.Close()

	resp, err := srv.Client().Get(srv.URL() + "/contoso/v2.0/.well-known/openid-configuration")
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	// Output:
	// 200
}

// RootCAs trusts the server's TLS certificate, for a client you build.
func ExampleServer_RootCAs() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithEntra("contoso"))
	defer srv.Close()

	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: srv.RootCAs()}}}
	resp, err := hc.Get(srv.URL() + "/contoso/v2.0/.well-known/openid-configuration")
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	// Output:
	// 200
}

// The server's Entra endpoints for a tenant, as EntraEndpoint gives the
// real cloud's.
func ExampleServer_EntraEndpoint() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithEntra("contoso"),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "11111111-1111-1111-1111-111111111111", Secret: "s"}))
	defer srv.Close()
	cfg := &oauth2flows.Config{ClientID: "11111111-1111-1111-1111-111111111111", ClientSecret: "s",
		Endpoint: srv.EntraEndpoint("contoso"), HTTPClient: srv.Client(), Scopes: []string{"https://graph.microsoft.com/.default"}}

	tok, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	fmt.Println(err, tok.TokenType)
	// Output:
	// <nil> Bearer
}

// Auth0's layout: /oauth/token, and an audience on every exchange.
func ExampleWithAuth0() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithAuth0(), oauth2flowstest.WithClient(daemon))
	defer srv.Close()

	_, err := oauth2flows.TokenExchange(context.Background(), daemonConfig(srv), srv.IssueAccessToken("alice", "api://daemon"),
		oauth2flows.WithAudience("https://orders.example.com"))
	fmt.Println(err, srv.Endpoint().TokenURL == srv.URL()+"/oauth/token")
	// Output:
	// <nil> true
}

// A server that accepts only DPoP-bound requests (RFC 9449), with nonces.
func ExampleWithDPoPRequired() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(daemon), oauth2flowstest.WithDPoPRequired(), oauth2flowstest.WithDPoPNonce())
	defer srv.Close()
	cfg := daemonConfig(srv)

	_, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	fmt.Println("without a key:", err != nil)
	cfg.DPoPKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tok, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	fmt.Println("with a key:", err, tok.TokenType)
	// Output:
	// without a key: true
	// with a key: <nil> DPoP
}

// WithDPoPNonce makes the server ask for its nonce (RFC 9449 §8): the SDK
// retries once with it, with a new proof.
func ExampleWithDPoPNonce() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(daemon), oauth2flowstest.WithDPoPNonce())
	defer srv.Close()
	cfg := daemonConfig(srv)
	cfg.DPoPKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)

	_, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	fmt.Println(err, len(srv.RequestsTo(oauth2flowstest.EndpointToken)))
	// Output:
	// <nil> 2
}

// RotateDPoPNonces forgets the nonces handed out, as a server does every
// few minutes: the next request is refused once and retried.
func ExampleServer_RotateDPoPNonces() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(daemon), oauth2flowstest.WithDPoPNonce())
	defer srv.Close()
	cfg := daemonConfig(srv)
	cfg.DPoPKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	src := oauth2flows.ClientCredentialsSource(cfg)
	_, _ = src.Token(context.Background())

	srv.RotateDPoPNonces()
	srv.ResetRequests()
	_, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	fmt.Println(err, len(srv.RequestsTo(oauth2flowstest.EndpointToken)))
	// Output:
	// <nil> 2
}

// A server that takes authorization requests only through PAR (RFC 9126).
func ExampleWithPARRequired() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithPARRequired(),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "web", Secret: "s", RedirectURIs: []string{"http://127.0.0.1/cb"}}),
		oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice"}))
	defer srv.Close()
	cfg := &oauth2flows.Config{ClientID: "web", ClientSecret: "s", Endpoint: srv.Endpoint(), RedirectURL: "http://127.0.0.1/cb"}

	_, err := srv.Authorize(context.Background(), oauth2flows.AuthCodeURL(cfg, "st"))
	fmt.Println("plain request refused:", err != nil)
	pushed, err := oauth2flows.PushAuthCodeURL(context.Background(), cfg, "st", oauth2flows.WithPKCE(oauth2flows.NewVerifier()))
	if err != nil {
		fmt.Println(err)
		return
	}
	callback, err := srv.Authorize(context.Background(), pushed)
	fmt.Println("pushed request:", err == nil && callback.Query().Get("code") != "")
	// Output:
	// plain request refused: true
	// pushed request: true
}

// Device codes that expire quickly, for tests of expired_token.
func ExampleWithDeviceCodeLifetime() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithDeviceCodeLifetime(time.Minute),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "tv", AuthMethod: oauth2flowstest.AuthNone}))
	defer srv.Close()

	da, err := oauth2flows.DeviceAuth(context.Background(), &oauth2flows.Config{ClientID: "tv", Endpoint: srv.Endpoint()})
	fmt.Println(err, time.Until(da.Expiry).Round(time.Minute))
	// Output:
	// <nil> 1m0s
}

// The polling interval the server asks for and enforces (RFC 8628 §3.2).
func ExampleWithDeviceInterval() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithDeviceInterval(2*time.Second),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "tv", AuthMethod: oauth2flowstest.AuthNone}))
	defer srv.Close()

	da, err := oauth2flows.DeviceAuth(context.Background(), &oauth2flows.Config{ClientID: "tv", Endpoint: srv.Endpoint()})
	fmt.Println(err, da.Interval)
	// Output:
	// <nil> 2
}

// The test plays a user who refuses the device: the poll ends with
// access_denied.
func ExampleServer_DenyDevice() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithDeviceInterval(time.Second),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "tv", AuthMethod: oauth2flowstest.AuthNone}))
	defer srv.Close()
	cfg := &oauth2flows.Config{ClientID: "tv", Endpoint: srv.Endpoint()}
	da, err := oauth2flows.DeviceAuth(context.Background(), cfg)
	if err != nil {
		fmt.Println(err)
		return
	}

	_ = srv.DenyDevice(da.UserCode)
	_, err = oauth2flows.DeviceAccessToken(context.Background(), cfg, da)
	fmt.Println(errors.Is(err, oauth2flows.ErrDeviceAccessDenied))
	// Output:
	// true
}

// A Kubernetes workload authenticates as an Entra app with its
// service-account token (workload identity federation).
func ExampleWithFederatedCredential() {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	fc := oauth2flowstest.FederatedCredential{Issuer: "https://cluster.example", Subject: "system:serviceaccount:prod:orders",
		Audience: "api://AzureADTokenExchange", PublicKey: &key.PublicKey}
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "orders-app"}),
		oauth2flowstest.WithFederatedCredential("orders-app", fc))
	defer srv.Close()
	saToken, _ := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.RegisteredClaims{
		Issuer: fc.Issuer, Subject: fc.Subject, Audience: jwt.ClaimStrings{fc.Audience},
		ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)), IssuedAt: jwt.NewNumericDate(time.Now()),
	}).SignedString(key)
	cfg := &oauth2flows.Config{ClientID: "orders-app", Endpoint: srv.Endpoint(),
		ClientAssertion: func(context.Context) (string, error) { return saToken, nil }}

	_, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	fmt.Println(err, srv.Requests()[0].AuthMethod)
	// Output:
	// <nil> private_key_jwt
}

// A certificate authority for tls_client_auth tests (RFC 8705 §2.1).
func ExampleNewCertificateAuthority() {
	ca, err := oauth2flowstest.NewCertificateAuthority("test client CA")
	if err != nil {
		fmt.Println(err)
		return
	}
	cert, err := ca.IssueClientCertificate("billing-job")
	fmt.Println(err, cert.Leaf.Subject.CommonName, cert.Leaf.Issuer.CommonName)
	// Output:
	// <nil> billing-job test client CA
}

// A self-signed client certificate, for self_signed_tls_client_auth
// (RFC 8705 §2.2), and its PEM form for a client that loads files.
func ExampleNewSelfSignedCertificate() {
	cert, err := oauth2flowstest.NewSelfSignedCertificate("kiosk-7")
	if err != nil {
		fmt.Println(err)
		return
	}
	certPEM, keyPEM, err := oauth2flowstest.CertificatePEM(cert)
	fmt.Println(err, cert.Leaf.Subject.CommonName, len(certPEM) > 0, len(keyPEM) > 0)
	// Output:
	// <nil> kiosk-7 true true
}
