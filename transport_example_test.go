package oauth2flows_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
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
	verifier, state := oauth2flows.NewVerifier(), oauth2flows.NewState()
	callback, err := srv.Authorize(ctx, oauth2flows.AuthCodeURL(cfg, state, oauth2flows.WithPKCE(verifier)))
	if err != nil {
		fmt.Println(err)
		return
	}
	tok, err := oauth2flows.ExchangeCode(ctx, cfg, callback.Query().Get("code"), oauth2flows.WithPKCE(verifier))
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
	fmt.Println("bound to the certificate:", oauth2flows.VerifyCertificateBinding(tok.AccessToken, cert.Leaf) == nil)

	_, err = oauth2flows.NewMTLSClient(&tls.Config{RootCAs: srv.RootCAs()})
	fmt.Println(err)
	// Output:
	// bound to the certificate: true
	// oauth2flows: tls.Config.Certificates: no client certificate: set Certificates or GetClientCertificate (RFC 8705 §2)
}
