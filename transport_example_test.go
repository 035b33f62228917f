package oauth2flows_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
	"github.com/oauth2flows/oauth2flows/resource"
)

// An API client for a signed-in user: every request carries the user's
// access token, renewed with the refresh token as needed, and every new
// token goes to the saver before any request uses it.
func ExampleNewClient() {
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "app", Secret: "app-secret", RedirectURIs: []string{"http://127.0.0.1/callback"}}),
		oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice", Password: "pw"}),
	)
	defer srv.Close()
	api := httptest.NewServer(srv.Protect("app", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := oauth2flowstest.ClaimsFromContext(r.Context())
		fmt.Fprint(w, "hello ", claims.Subject)
	})))
	defer api.Close()
	cfg := &oauth2flows.Config{
		ClientID: "app", ClientSecret: "app-secret",
		Endpoint: srv.Endpoint(), RedirectURL: "http://127.0.0.1/callback",
	}
	ctx := context.Background()

	// Sign the user in once (the authorization code grant with PKCE).
	tok, err := exampleSignIn(ctx, srv, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}

	// Then call the API for as long as the refresh token lasts.
	client := oauth2flows.NewClient(cfg, tok,
		oauth2flows.WithTokenSaver(func(ctx context.Context, tok *oauth2flows.Token) error {
			// Persist tok (with its rotated refresh token) for the next run.
			return nil
		}))
	resp, err := client.Get(api.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, string(body))
	// Output:
	// 200 OK hello alice
}

// A service calls an API as itself: the Transport fetches a client
// credentials token on first use and again before it expires.
func ExampleNewTransport() {
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "billing-job", Secret: "job-secret"}),
	)
	defer srv.Close()
	api := httptest.NewServer(srv.Protect("https://invoices.example", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "invoices: []")
	})))
	defer api.Close()
	cfg := &oauth2flows.Config{ClientID: "billing-job", ClientSecret: "job-secret", Endpoint: srv.Endpoint()}

	src := oauth2flows.ClientCredentialsSource(cfg, oauth2flows.WithResource("https://invoices.example"))
	client := &http.Client{Transport: oauth2flows.NewTransport(src)}
	for range 3 {
		resp, err := client.Get(api.URL)
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println(resp.Status)
	}
	fmt.Println("token requests:", len(srv.RequestsTo(oauth2flowstest.EndpointToken)))
	// Output:
	// 200 OK
	// 200 OK
	// 200 OK
	// token requests: 1
}

// Mutual-TLS client authentication (RFC 8705 §2): one client presents the
// certificate for token requests and API calls alike, so the
// certificate-bound token meets its certificate.
func ExampleNewMTLSClient() {
	ca, err := oauth2flowstest.NewCertificateAuthority("example client CA")
	if err != nil {
		fmt.Println(err)
		return
	}
	cert, err := ca.IssueClientCertificate("billing-job")
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithMTLS(ca.Certificate),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "billing-job", TLSSubjectDN: "CN=billing-job"}),
	)
	defer srv.Close()

	hc, err := oauth2flows.NewMTLSClient(&tls.Config{
		Certificates: []tls.Certificate{*cert},
		RootCAs:      srv.RootCAs(), // a private PKI; nil: the system roots
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg := &oauth2flows.Config{ClientID: "billing-job", Certificate: cert, Endpoint: srv.Endpoint(), HTTPClient: hc}
	tok, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("bound to the certificate:", resource.VerifyCertificateBinding(tok.AccessToken, cert.Leaf) == nil)

	_, err = oauth2flows.NewMTLSClient(&tls.Config{RootCAs: srv.RootCAs()})
	fmt.Println(err)
	// Output:
	// bound to the certificate: true
	// oauth2flows: tls.Config.Certificates: no client certificate: set Certificates or GetClientCertificate (RFC 8705 §2)
}

// exampleSignIn signs the test server's user in with the authorization code
// grant and PKCE, playing the browser with Authorize.
func exampleSignIn(ctx context.Context, srv *oauth2flowstest.Server, cfg *oauth2flows.Config) (*oauth2flows.Token, error) {
	verifier, state := oauth2flows.NewVerifier(), oauth2flows.NewState()
	callback, err := srv.Authorize(ctx, oauth2flows.AuthCodeURL(cfg, state, oauth2flows.WithPKCE(verifier)))
	if err != nil {
		return nil, err
	}
	return oauth2flows.ExchangeCode(ctx, cfg, callback.Query().Get("code"), oauth2flows.WithPKCE(verifier))
}

// The saver persists every new token, with its rotated refresh token
// (RFC 9700 §4.14.2), before any request uses it; the token the client
// started with is not new and is not saved.
func ExampleWithTokenSaver() {
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "app", Secret: "app-secret", RedirectURIs: []string{"http://127.0.0.1/callback"}}),
		oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice", Password: "pw"}),
	)
	defer srv.Close()
	api := httptest.NewServer(srv.Protect("app", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	defer api.Close()
	cfg := &oauth2flows.Config{ClientID: "app", ClientSecret: "app-secret", Endpoint: srv.Endpoint(), RedirectURL: "http://127.0.0.1/callback"}
	ctx := context.Background()
	stored, err := exampleSignIn(ctx, srv, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	stored.Expiry = time.Now().Add(-time.Minute) // as loaded the next day

	client := oauth2flows.NewClient(cfg, stored,
		oauth2flows.WithTokenSaver(func(ctx context.Context, tok *oauth2flows.Token) error {
			fmt.Println("saved; refresh token rotated:", tok.RefreshToken != stored.RefreshToken)
			return nil // e.g. write tok as JSON to the user's record
		}))
	for range 2 {
		resp, err := client.Get(api.URL)
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println(resp.Status)
	}
	// Output:
	// saved; refresh token rotated: true
	// 200 OK
	// 200 OK
}

// A source can be used without a Transport, e.g. to hand the token to a
// library: concurrent callers share one refresh.
func ExampleRefreshTokenSource() {
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "app", Secret: "app-secret", RedirectURIs: []string{"http://127.0.0.1/callback"}}),
		oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice", Password: "pw"}),
	)
	defer srv.Close()
	cfg := &oauth2flows.Config{ClientID: "app", ClientSecret: "app-secret", Endpoint: srv.Endpoint(), RedirectURL: "http://127.0.0.1/callback"}
	ctx := context.Background()
	first, err := exampleSignIn(ctx, srv, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	first.Expiry = time.Now().Add(-time.Minute)

	src := oauth2flows.RefreshTokenSource(cfg, first)
	tok, err := src.Token(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	again, _ := src.Token(ctx)
	fmt.Println("renewed:", tok.AccessToken != first.AccessToken, "cached:", again == tok)
	// Output:
	// renewed: true cached: true
}
